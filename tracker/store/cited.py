"""Cited sources: every text version seen (snapshots) and a log of checks.

Snapshots are append-only so an edition can always show what a source said
when the report cited it. The check log exists to measure failure streaks:
one unreachable check is weather; a source is gone only after several failed
checks in a row spread over days (the policy is ``suggest.sources``).
Whether a new snapshot is warranted (did the text change?) is the caller's call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.store.schema import Domain, Migration, req_db_time, to_db_time
from tracker.types import CitedStatus

_HEALTHY = (CitedStatus.OK.value, CitedStatus.REDIRECTED.value)


@dataclass(frozen=True)
class FailureStreak:
    """The failed checks in a row that end with the latest one.

    ``since`` is when the first of them was made (None when the latest
    check succeeded): a streak is judged by its length in time as well as in
    checks, because refreshes every few hours would otherwise turn a short
    outage into a dead reference.
    """

    count: int
    since: datetime | None


@dataclass(frozen=True)
class Snapshot:
    id: int
    url: str
    final_url: str | None
    text: str
    content_hash: str
    fetched_at: datetime


MIGRATIONS = [
    Migration(
        "cited.0001_create",
        (
            """CREATE TABLE snapshots (
                id INTEGER PRIMARY KEY,
                url TEXT NOT NULL,
                final_url TEXT,
                text TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                fetched_at TEXT NOT NULL
            )""",
            "CREATE INDEX snapshots_url ON snapshots (url, id)",
            """CREATE TABLE cited_checks (
                id INTEGER PRIMARY KEY,
                url TEXT NOT NULL,
                status TEXT NOT NULL,
                error TEXT,
                checked_at TEXT NOT NULL
            )""",
            "CREATE INDEX cited_checks_url ON cited_checks (url, id)",
        ),
    )
]


COUNTS = {
    "snapshots": "SELECT COUNT(*) FROM snapshots",
    "cited_checks": "SELECT COUNT(*) FROM cited_checks",
}


class CitedSources(Domain):
    """Tables ``snapshots`` and ``cited_checks``."""

    def latest_snapshot(self, url: str) -> Snapshot | None:
        row = self._db.one("SELECT * FROM snapshots WHERE url = ? ORDER BY id DESC LIMIT 1", (url,))
        return None if row is None else _snapshot(row)

    def add_snapshot(
        self, url: str, *, final_url: str | None, text: str, content_hash: str, at: datetime
    ) -> int:
        with self._db.write():
            cursor = self._db.run(
                "INSERT INTO snapshots (url, final_url, text, content_hash, fetched_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (url, final_url, text, content_hash, to_db_time(at)),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def snapshot(self, snapshot_id: int) -> Snapshot | None:
        row = self._db.one("SELECT * FROM snapshots WHERE id = ?", (snapshot_id,))
        return None if row is None else _snapshot(row)

    def snapshots(self, url: str) -> list[Snapshot]:
        return [
            _snapshot(r)
            for r in self._db.rows("SELECT * FROM snapshots WHERE url = ? ORDER BY id", (url,))
        ]

    def record_cited_check(
        self, url: str, status: CitedStatus, at: datetime, error: str | None = None
    ) -> FailureStreak:
        """Log a check; return the streak of failed checks that ends with it."""
        with self._db.write():
            self._db.run(
                "INSERT INTO cited_checks (url, status, error, checked_at) VALUES (?, ?, ?, ?)",
                (url, str(status), error, to_db_time(at)),
            )
            if status.value in _HEALTHY:
                return FailureStreak(0, None)
            row = self._db.one(
                """SELECT COUNT(*) AS count, MIN(checked_at) AS since FROM cited_checks
                   WHERE url = ?1 AND id > COALESCE((SELECT MAX(id) FROM cited_checks
                                                     WHERE url = ?1 AND status IN (?2, ?3)), 0)""",
                (url, *_HEALTHY),
            )
        assert row is not None
        return FailureStreak(int(row["count"]), req_db_time(row["since"]))

    def cited_checks(self, url: str) -> list[tuple[CitedStatus, datetime, str | None]]:
        """(status, checked_at, error) of every check of ``url``, oldest first."""
        rows = self._db.rows(
            "SELECT status, checked_at, error FROM cited_checks WHERE url = ? ORDER BY id", (url,)
        )
        return [(CitedStatus(r["status"]), req_db_time(r["checked_at"]), r["error"]) for r in rows]


def _snapshot(r: dict[str, Any]) -> Snapshot:
    return Snapshot(
        id=r["id"],
        url=r["url"],
        final_url=r["final_url"],
        text=r["text"],
        content_hash=r["content_hash"],
        fetched_at=req_db_time(r["fetched_at"]),
    )
