"""The daemon as the scheduler of the shared task queue (PostgreSQL store only).

With a PostgreSQL store the daemon refreshes nothing itself: its schedule
(``schedule.refresh``, ``schedule.digest``, the per-feed groups) queues a
round or a digest task, which ``tracker worker`` processes on any machine.
The queueing locks of those tasks make a second request while one waits a
no-op, so a fire that overlaps a slow round, a "refresh now" from the API,
or a restarted scheduler firing its catch-up never stack rounds up. The
daemon's control API and review pages are served as with SQLite.
"""

from __future__ import annotations

from logging import INFO
from typing import TYPE_CHECKING

from tracker.app import Tracker
from tracker.daemon.errors import RefreshBusy
from tracker.daemon.logging import log_event

if TYPE_CHECKING:  # procrastinate is the optional "postgres" extra
    from tracker.tasks.engine import Engine


class QueueScheduler:
    """Queues rounds and digests on the shared queue; one per daemon."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        engine.app.open()

    @classmethod
    def open(cls, tracker: Tracker) -> QueueScheduler | None:
        """The scheduler for ``tracker``'s store, or None with SQLite (refresh in-process).
        Raises ``StoreError`` when the database cannot be reached."""
        if not tracker.uses_task_queue():
            return None
        return cls(tracker.task_engine(pool_size=2))

    def defer_round(
        self, trigger: str, feed_names: list[str] | None = None, *, due_only: bool = True
    ) -> None:
        job_id = self.engine.defer_round(due_only=due_only, feed_names=feed_names)
        if job_id is None:
            log_event(INFO, "round.already_waiting", trigger=trigger)
        else:
            log_event(INFO, "round.queued", trigger=trigger, job=job_id, due_only=due_only)

    def refresh_now(self) -> int:
        """POST /api/refresh: a round of every feed; the id of its job.
        Raises ``RefreshBusy`` when a round is already waiting to start."""
        job_id = self.engine.defer_round(due_only=False)
        if job_id is None:
            raise RefreshBusy({"pid": None, "since": None, "trigger": "a round waits in the queue"})
        log_event(INFO, "round.queued", trigger="api", job=job_id)
        return job_id

    def defer_digest(self) -> None:
        job_id = self.engine.defer_digest()
        log_event(INFO, "digest.already_waiting" if job_id is None else "digest.queued", job=job_id)

    def close(self) -> None:
        self.engine.app.close()
