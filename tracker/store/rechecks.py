"""Dated statements a sent digest asked the editor to re-check, once each.

A statement is keyed by its report and its text as written: once a digest
listing it was sent, it is not listed again; an edited statement is a new
text, so it is listed again when it in turn grows old. Recorded only after
the digest was delivered, in the same way as ``digests``. A statement longer
than ``KEY_CHARS`` is kept as its head and a hash of the whole
(:func:`statement_key`): PostgreSQL indexes at most about 2.7 kB per key, which
a long table row of Chinese text passes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from tracker.store.schema import Domain, Migration, to_db_time

MIGRATIONS = [
    Migration(
        "rechecks.0001_create",
        (
            """CREATE TABLE recheck_statements (
                report TEXT NOT NULL,
                text TEXT NOT NULL,
                listed_at TEXT NOT NULL,
                PRIMARY KEY (report, text)
            )""",
        ),
    )
]


KEY_CHARS = 400  # at most 1.2 kB of UTF-8, well inside PostgreSQL's index entry


def statement_key(text: str) -> str:
    """How a statement is stored: its text, or for a long one its head and a SHA-256
    of the whole (two statements sharing a head stay two)."""
    if len(text) <= KEY_CHARS:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{text[: KEY_CHARS - len(digest) - 1]}#{digest}"


class Rechecks(Domain):
    """Table ``recheck_statements``."""

    def rechecks_listed(self, report: str) -> frozenset[str]:
        """The keys (:func:`statement_key`) of ``report``'s statements a sent digest already
        listed for re-checking."""
        rows = self._db.rows("SELECT text FROM recheck_statements WHERE report = ?", (report,))
        return frozenset(str(r["text"]) for r in rows)

    def record_rechecks(self, report: str, texts: Sequence[str], *, at: datetime) -> None:
        """Record that a digest sent at ``at`` listed ``texts``; a text already recorded keeps
        its first date."""
        with self._db.write():
            self._db.run_many(
                """INSERT INTO recheck_statements (report, text, listed_at) VALUES (?, ?, ?)
                   ON CONFLICT (report, text) DO NOTHING""",
                [(report, statement_key(text), to_db_time(at)) for text in texts],
            )
