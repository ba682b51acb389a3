"""``tracker refresh`` with a PostgreSQL store: a round queued for the workers, waited for.

The refresh runs where every other round runs, on the workers, under the same
engine locks (one poll job per host at a time, one publish per report), not
in the command's process under the state folder's file lock, which a worker
on another machine never sees.

The round's run id is only known once a worker starts the round, so the
round announces it (``NOTIFY`` on :data:`~tracker.tasks.rounds.STARTED`, with
its job id and run id); this side listens before queueing, so the notice
cannot be missed. When a round already waits, that round is the one waited
for: it covers this request. A round killed and retried announces its new
run under the same job id, and the wait follows it. Then the run is read
from the store until its last job finishes it (:mod:`tracker.tasks.rounds`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import psycopg

from tracker.errors import StoreError, TrackerError
from tracker.store import RunRecord, Store
from tracker.store.location import redact_message, redact_url
from tracker.tasks import rounds
from tracker.types import RunSummary

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from tracker.tasks.engine import Engine

# The round job waiting in the queue when ours was not queued (its queueing lock).
_WAITING_ROUND = """
SELECT id FROM procrastinate_jobs
 WHERE queueing_lock = 'round' AND status IN ('todo', 'doing')
 ORDER BY id LIMIT 1
"""
POLL_SECONDS = 0.5


class RoundWait:
    """What the wait saw, for the command to show: called as it happens."""

    def queued(self, job_id: int, already_waiting: bool) -> None: ...
    def no_workers(self) -> None: ...
    def started(self, run_id: int) -> None: ...
    def progress(self, run: RunRecord) -> None: ...


def refresh_on_queue(
    engine: Engine,
    queue_url: str,
    open_store: Callable[[], AbstractContextManager[Store]],
    *,
    timeout: float | None,
    seen: RoundWait | None = None,
) -> RunSummary:
    """Queue a round of every feed (or join the one waiting), wait for its run to finish,
    and return its summary. Raises ``TrackerError`` when ``timeout`` seconds pass first
    (the round goes on in the queue), ``StoreError`` when the database cannot be read."""
    seen = seen or RoundWait()
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        with psycopg.connect(queue_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f"LISTEN {rounds.STARTED}")
            with engine.app.open():
                job_id = engine.defer_round(due_only=False)
            already = job_id is None
            if job_id is None:
                row = conn.execute(_WAITING_ROUND).fetchone()
                if row is None:
                    raise TrackerError("a round was waiting but ended before it could be followed")
                job_id = int(row[0])
            seen.queued(job_id, already)
            if not conn.execute("SELECT COUNT(*) FROM procrastinate_workers").fetchone()[0]:  # type: ignore[index]
                seen.no_workers()
            run_id: int | None = None
            shown: RunRecord | None = None
            while True:
                for notice in conn.notifies(timeout=POLL_SECONDS, stop_after=1):
                    announced = _announced(notice.payload)
                    if announced is not None and announced[0] == job_id:
                        run_id = announced[1]
                        seen.started(run_id)
                if run_id is not None:
                    with open_store() as store:
                        record = store.run(run_id)
                    if record is not None and record != shown:
                        shown = record
                        seen.progress(record)
                    if record is not None and record.finished_at is not None:
                        return summary_of(record)
                if deadline is not None and time.monotonic() > deadline:
                    where = f"run {run_id} still running" if run_id else "not started yet"
                    raise TrackerError(
                        f"the round (job {job_id}, {where}) did not finish within {timeout:g} s; "
                        "it goes on in the queue: `tracker status` shows it"
                    )
    except psycopg.Error as exc:
        reason = redact_message(str(exc), queue_url)
        raise StoreError(f"{redact_url(queue_url)}: the task queue: {reason}") from exc


def _announced(payload: str) -> tuple[int, int] | None:
    try:
        job, run = payload.split()
        return int(job), int(run)
    except ValueError:
        return None


def summary_of(run: RunRecord) -> RunSummary:
    """A finished queue round as ``tracker refresh --json`` prints an in-process run."""
    counts = run.counts
    return RunSummary(
        run_id=run.id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        outcome=run.outcome,
        sources_ok=int(counts.get("sources_ok", 0)),
        sources_failed=int(counts.get("sources_failed", 0)),
        failures=(),
        warnings=(),
        requests=dict(run.requests),
        new_entries=int(counts.get("new_entries", 0)),
        new_articles=int(counts.get("new_articles", 0)),
        cited_changed=int(counts.get("cited_changed", 0)),
        cited_gone=int(counts.get("cited_gone", 0)),
        new_suggestions=int(counts.get("new_suggestions", 0)),
        editions=run.editions,
        durations=dict(run.durations),
    )
