"""Answers a language model gave when drafting suggestions, and the tokens they cost.

One row per question: the key is a hash the drafting stage computes from
everything the answer depends on (article, section, offline draft, model,
prompt version), so a question asked once is never asked again, and a
changed article or prompt gives a new key. ``tokens`` and ``created_at``
are what a monthly token budget is counted from.

The answer is kept as the model sent it (the message text); checking it is
the drafting stage's business, done again whenever it is read. Rows are
never invalidated or deleted here.

``DraftCacheView`` presents a ``Store`` under the method names the drafting
stage's ``DraftCache`` protocol uses, so the orchestrator can hand the store
to the stage without the stage importing the store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from tracker.store.schema import Domain, Migration, to_db_time

MIGRATIONS = [
    Migration(
        "drafts.0001_create",
        (
            """CREATE TABLE draft_answers (
                key TEXT PRIMARY KEY,
                answer TEXT NOT NULL,
                tokens INTEGER NOT NULL,
                created_at TEXT NOT NULL
            )""",
            # The budget sums a month's tokens: read by time.
            "CREATE INDEX draft_answers_created ON draft_answers (created_at)",
        ),
    )
]


COUNTS = {
    "draft_answers": "SELECT COUNT(*) FROM draft_answers",
}


class Drafts(Domain):
    """Table ``draft_answers``."""

    def draft_answer(self, key: str) -> str | None:
        """The answer stored under ``key``, or None."""
        found = self._db.scalar("SELECT answer FROM draft_answers WHERE key = ?", (key,))
        return None if found is None else str(found)

    def put_draft_answer(self, key: str, answer: str, tokens: int, at: datetime) -> None:
        """Store an answer and what it cost; storing a key again replaces the earlier answer."""
        with self._db.write():
            self._db.run(
                """INSERT INTO draft_answers (key, answer, tokens, created_at)
                   VALUES (?, ?, ?, ?)
                   ON CONFLICT (key) DO UPDATE SET
                       answer = excluded.answer, tokens = excluded.tokens,
                       created_at = excluded.created_at""",
                (key, answer, max(0, int(tokens)), to_db_time(at)),
            )

    def draft_tokens_since(self, since: datetime) -> int:
        """Tokens of every answer stored at or after ``since``."""
        total = self._db.scalar(
            "SELECT COALESCE(SUM(tokens), 0) FROM draft_answers WHERE created_at >= ?",
            (to_db_time(since),),
        )
        return int(total)


class _HasDrafts(Protocol):
    def draft_answer(self, key: str) -> str | None: ...
    def put_draft_answer(self, key: str, answer: str, tokens: int, at: datetime) -> None: ...
    def draft_tokens_since(self, since: datetime) -> int: ...


class DraftCacheView:
    """A store seen as the drafting stage's cache (``tracker.draft.DraftCache``).

    Holds the store it is given and does not close it; like the store, it
    belongs to one thread.
    """

    def __init__(self, store: _HasDrafts) -> None:
        self._store = store

    def get(self, key: str) -> str | None:
        return self._store.draft_answer(key)

    def put(self, key: str, answer: str, tokens: int, at: datetime) -> None:
        self._store.put_draft_answer(key, answer, tokens, at)

    def tokens_since(self, since: datetime) -> int:
        return self._store.draft_tokens_since(since)
