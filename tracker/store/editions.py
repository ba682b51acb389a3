"""Bookkeeping of rendered editions: which file was written for which report and day.

The edition files themselves live beside the report; this only remembers what
was written last, so the next render knows what to diff against and whether
anything changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tracker.store.schema import Domain, Migration, req_db_time, to_db_time


@dataclass(frozen=True)
class EditionRecord:
    report: str
    edition_date: str  # YYYY-MM-DD
    path: str
    content_hash: str
    created_at: datetime


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
    )
]


COUNTS = {
    "editions": "SELECT COUNT(*) FROM editions",
}


class Editions(Domain):
    """Table ``editions``."""

    def record_edition(
        self, report: str, edition_date: str, path: str, content_hash: str, at: datetime
    ) -> None:
        """Record an edition; a second render on the same date replaces the first."""
        with self._db.write():
            self._db.run(
                "INSERT OR REPLACE INTO editions (report, edition_date, path, content_hash, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (report, edition_date, path, content_hash, to_db_time(at)),
            )

    def last_edition(self, report: str) -> EditionRecord | None:
        """The edition with the latest date (latest recorded among equals)."""
        row = self._db.one(
            "SELECT * FROM editions WHERE report = ? ORDER BY edition_date DESC, created_at DESC "
            "LIMIT 1",
            (report,),
        )
        if row is None:
            return None
        return EditionRecord(
            report=row["report"],
            edition_date=row["edition_date"],
            path=row["path"],
            content_hash=row["content_hash"],
            created_at=req_db_time(row["created_at"]),
        )
