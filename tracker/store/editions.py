"""Bookkeeping of published editions: what was written for which report and day.

The edition files themselves live beside the report. The store remembers,
for each edition, its file and content hash and which suggestions it showed
and how (``ShownSuggestions``), written in one transaction, so the next
publish knows what to diff against and what the changelog has yet to say
without reading any published file back.

It also keeps, per report, the key of the last publish that found nothing
to write (``publish_checks``): a fingerprint of the store state that decided
it, so that while nothing changes the report is not rendered again. What
goes into the key is the publishing stage's business; here it is a string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.store.schema import Domain, Migration, req_db_time, to_db_time


@dataclass(frozen=True)
class EditionRecord:
    report: str
    edition_date: str  # YYYY-MM-DD
    path: str
    content_hash: str
    created_at: datetime


@dataclass(frozen=True)
class ShownSuggestions:
    """How an edition showed the report's suggestions, by id.

    ``pending``: listed for review (pending when the edition was made);
    ``merged``: accepted when the edition was made, so part of its text.
    Rejected suggestions are not shown and appear in neither.
    """

    pending: frozenset[int] = field(default_factory=frozenset)
    merged: frozenset[int] = field(default_factory=frozenset)


_PENDING, _MERGED = "pending", "merged"

MIGRATIONS = [
    Migration(
        "editions.0001_create",
        (
            """CREATE TABLE editions (
                report TEXT NOT NULL,
                edition_date TEXT NOT NULL,
                path TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (report, edition_date)
            )""",
        ),
    ),
    Migration(
        "editions.0002_suggestions_shown",
        (
            """CREATE TABLE edition_suggestions (
                report TEXT NOT NULL,
                edition_date TEXT NOT NULL,
                suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
                shown_as TEXT NOT NULL CHECK (shown_as IN ('pending', 'merged')),
                PRIMARY KEY (report, edition_date, suggestion_id),
                FOREIGN KEY (report, edition_date) REFERENCES editions (report, edition_date)
            )""",
            # Editions written before this table existed: what the last one of
            # each report showed follows from the suggestions' times. Pending
            # when it was made means created by then and not yet decided.
            """INSERT INTO edition_suggestions (report, edition_date, suggestion_id, shown_as)
            SELECT e.report, e.edition_date, s.id,
                   CASE WHEN s.status = 'pending'
                          OR COALESCE(s.decided_at, s.created_at) > e.created_at
                        THEN 'pending' ELSE 'merged' END
            FROM editions e JOIN suggestions s ON s.report = e.report
            WHERE s.created_at <= e.created_at
              AND NOT (s.status = 'rejected' AND COALESCE(s.decided_at, s.created_at)
                                                 <= e.created_at)
              AND NOT EXISTS (
                  SELECT 1 FROM editions later
                  WHERE later.report = e.report
                    AND (later.edition_date, later.created_at)
                        > (e.edition_date, e.created_at))""",
        ),
    ),
    Migration(
        "editions.0003_publish_checks",
        (
            """CREATE TABLE publish_checks (
                report TEXT NOT NULL PRIMARY KEY,
                state_key TEXT NOT NULL,
                checked_at TEXT NOT NULL
            )""",
        ),
    ),
]


COUNTS = {
    "editions": "SELECT COUNT(*) FROM editions",
}


class Editions(Domain):
    """Tables ``editions``, ``edition_suggestions`` and ``publish_checks``."""

    def record_edition(
        self,
        report: str,
        edition_date: str,
        path: str,
        content_hash: str,
        at: datetime,
        *,
        shown: ShownSuggestions | None = None,
    ) -> None:
        """Record an edition and the suggestions it shows, together.

        A second edition on the same date replaces the first, shown
        suggestions included.
        """
        if shown is None:
            shown = ShownSuggestions()
        with self._db.write():
            self._db.run(
                """INSERT INTO editions (report, edition_date, path, content_hash, created_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (report, edition_date) DO UPDATE SET
                       path = excluded.path, content_hash = excluded.content_hash,
                       created_at = excluded.created_at""",
                (report, edition_date, path, content_hash, to_db_time(at)),
            )
            self._db.run(
                "DELETE FROM edition_suggestions WHERE report = ? AND edition_date = ?",
                (report, edition_date),
            )
            self._db.run_many(
                "INSERT INTO edition_suggestions (report, edition_date, suggestion_id, shown_as) "
                "VALUES (?, ?, ?, ?)",
                [
                    (report, edition_date, suggestion_id, shown_as)
                    for shown_as, ids in ((_PENDING, shown.pending), (_MERGED, shown.merged))
                    for suggestion_id in sorted(ids)
                ],
            )

    def last_edition(self, report: str) -> EditionRecord | None:
        """The edition with the latest date (latest recorded among equals)."""
        row = self._db.one(
            "SELECT * FROM editions WHERE report = ? ORDER BY edition_date DESC, created_at DESC "
            "LIMIT 1",
            (report,),
        )
        return None if row is None else _edition(row)

    def editions(self, report: str) -> list[EditionRecord]:
        """Every edition of ``report``, newest first."""
        rows = self._db.rows(
            "SELECT * FROM editions WHERE report = ? ORDER BY edition_date DESC, created_at DESC",
            (report,),
        )
        return [_edition(r) for r in rows]

    def shown_in_edition(self, report: str, edition_date: str) -> ShownSuggestions:
        """The suggestions the report's edition of that date showed (none for an unknown one)."""
        rows = self._db.rows(
            "SELECT suggestion_id, shown_as FROM edition_suggestions "
            "WHERE report = ? AND edition_date = ?",
            (report, edition_date),
        )
        return ShownSuggestions(
            pending=frozenset(r["suggestion_id"] for r in rows if r["shown_as"] == _PENDING),
            merged=frozenset(r["suggestion_id"] for r in rows if r["shown_as"] == _MERGED),
        )

    def last_publish_check(self, report: str) -> str | None:
        """The key recorded by ``record_publish_check`` for the report, if any."""
        found = self._db.scalar("SELECT state_key FROM publish_checks WHERE report = ?", (report,))
        return None if found is None else str(found)

    def record_publish_check(self, report: str, state_key: str, at: datetime) -> None:
        """Remember the key of a publish that wrote nothing; it replaces the previous one."""
        with self._db.write():
            self._db.run(
                """INSERT INTO publish_checks (report, state_key, checked_at) VALUES (?, ?, ?)
                   ON CONFLICT (report) DO UPDATE SET
                       state_key = excluded.state_key, checked_at = excluded.checked_at""",
                (report, state_key, to_db_time(at)),
            )


def _edition(row: dict[str, Any]) -> EditionRecord:
    return EditionRecord(
        report=row["report"],
        edition_date=row["edition_date"],
        path=row["path"],
        content_hash=row["content_hash"],
        created_at=req_db_time(row["created_at"]),
    )
