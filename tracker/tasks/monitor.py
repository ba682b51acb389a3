"""How the shared queue stands: workers, waiting and running jobs, the oldest waiting.

Read from the queue engine's own tables (procrastinate's ``procrastinate_jobs``,
``procrastinate_events`` and ``procrastinate_workers``), which is the only
SQL outside :mod:`tracker.store`: these tables are the engine's, not the
store's, and the engine's manager has no call that returns these figures.
One short read-only transaction, for ``tracker status`` and ``/metrics``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from tracker.errors import StoreError
from tracker.status import QueueJob, QueueStatus, QueueWorker
from tracker.store.location import redact_message, redact_url

_WORKERS = """
SELECT w.id, w.last_heartbeat,
       (SELECT COUNT(*) FROM procrastinate_jobs j
         WHERE j.worker_id = w.id AND j.status = 'doing') AS running
  FROM procrastinate_workers w ORDER BY w.id
"""
_COUNTS = """
SELECT task_name, status::text AS status, COUNT(*) AS n
  FROM procrastinate_jobs WHERE status IN ('todo', 'doing', 'failed')
 GROUP BY task_name, status
"""
# A job's wait starts when it was deferred or, for a retry or a job scheduled for
# later, when it became runnable: whichever is later.
_OLDEST = """
SELECT j.id, j.task_name, j.lock,
       GREATEST(COALESCE(j.scheduled_at, d.at), d.at) AS waiting_since
  FROM procrastinate_jobs j
  JOIN LATERAL (SELECT MAX(e.at) AS at FROM procrastinate_events e
                 WHERE e.job_id = j.id AND e.type IN ('deferred', 'deferred_for_retry')) d ON TRUE
 WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= NOW())
 ORDER BY waiting_since NULLS LAST, j.id
 LIMIT 1
"""


@dataclass(frozen=True)
class _Row:
    task: str
    status: str
    n: int


def queue_status(queue_url: str, now: datetime) -> QueueStatus:
    """The queue at ``now``. Raises ``StoreError`` when the database cannot be read."""
    from psycopg.rows import dict_row

    try:
        with psycopg.connect(queue_url, row_factory=dict_row, connect_timeout=10) as conn:
            if not _has_tables(conn):
                return QueueStatus(workers=(), waiting={}, running=0, failed=0, oldest_waiting=None)
            workers = tuple(
                QueueWorker(id=r["id"], last_heartbeat=r["last_heartbeat"], running=r["running"])
                for r in conn.execute(_WORKERS)
            )
            rows = [_Row(r["task_name"], r["status"], r["n"]) for r in conn.execute(_COUNTS)]
            oldest = conn.execute(_OLDEST).fetchone()
    except psycopg.Error as exc:
        reason = redact_message(str(exc), queue_url)
        raise StoreError(f"{redact_url(queue_url)}: the task queue: {reason}") from exc
    waiting: dict[str, int] = {}
    for row in rows:
        if row.status == "todo":
            waiting[row.task] = waiting.get(row.task, 0) + row.n
    return QueueStatus(
        workers=workers,
        waiting=waiting,
        running=sum(r.n for r in rows if r.status == "doing"),
        failed=sum(r.n for r in rows if r.status == "failed"),
        oldest_waiting=(
            QueueJob(
                id=oldest["id"],
                task=oldest["task_name"],
                lock=oldest["lock"],
                waiting_since=oldest["waiting_since"],
                waited_seconds=max(0.0, (now - oldest["waiting_since"]).total_seconds()),
            )
            if oldest is not None and oldest["waiting_since"] is not None
            else None
        ),
    )


def _has_tables(conn: psycopg.Connection[dict[str, Any]]) -> bool:
    row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS found").fetchone()
    return bool(row and row["found"])
