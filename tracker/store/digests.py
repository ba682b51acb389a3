"""Weekly digests sent (or written to the outbox), one row per period.

The row is what makes sending idempotent: a digest job that runs twice for
the same period, or is retried after a crash, checks ``digest_sent`` first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tracker.store.schema import Domain, Migration, req_db_time, to_db_time


@dataclass(frozen=True)
class DigestRecord:
    period_start: datetime
    period_end: datetime
    sent_at: datetime
    message_id: str
    recipients: tuple[str, ...]
    outbox_path: str | None = None


MIGRATIONS = [
    Migration(
        "digests.0001_create",
        (
            """CREATE TABLE digests (
                id INTEGER PRIMARY KEY,
                period_start TEXT NOT NULL,
                period_end TEXT NOT NULL,
                sent_at TEXT NOT NULL,
                message_id TEXT NOT NULL,
                recipients TEXT NOT NULL,
                outbox_path TEXT
            )""",
            # One digest per period: record_digest upserts on it.
            "CREATE UNIQUE INDEX digests_period ON digests (period_start, period_end)",
        ),
    )
]


COUNTS = {
    "digests": "SELECT COUNT(*) FROM digests",
}


class Digests(Domain):
    """Table ``digests``."""

    def last_digest(self) -> DigestRecord | None:
        row = self._db.one("SELECT * FROM digests ORDER BY sent_at DESC, id DESC LIMIT 1")
        if row is None:
            return None
        return DigestRecord(
            period_start=req_db_time(row["period_start"]),
            period_end=req_db_time(row["period_end"]),
            sent_at=req_db_time(row["sent_at"]),
            message_id=row["message_id"],
            recipients=tuple(json.loads(row["recipients"])),
            outbox_path=row["outbox_path"],
        )

    def digest_sent(self, period_start: datetime, period_end: datetime) -> bool:
        found = self._db.scalar(
            "SELECT 1 FROM digests WHERE period_start = ? AND period_end = ?",
            (to_db_time(period_start), to_db_time(period_end)),
        )
        return found is not None

    def record_digest(
        self,
        period_start: datetime,
        period_end: datetime,
        *,
        sent_at: datetime,
        message_id: str,
        recipients: Sequence[str],
        outbox_path: str | None,
    ) -> None:
        """Record a digest; recording the same period again replaces the earlier record."""
        with self._db.write():
            self._db.run(
                """INSERT INTO digests (period_start, period_end, sent_at, message_id, recipients,
                                        outbox_path)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (period_start, period_end) DO UPDATE SET
                       sent_at = excluded.sent_at, message_id = excluded.message_id,
                       recipients = excluded.recipients, outbox_path = excluded.outbox_path""",
                (
                    to_db_time(period_start),
                    to_db_time(period_end),
                    to_db_time(sent_at),
                    message_id,
                    json.dumps(list(recipients), ensure_ascii=False),
                    outbox_path,
                ),
            )
