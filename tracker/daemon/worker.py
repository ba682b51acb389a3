"""Runs refreshes on a background thread, one at a time in this process.

The cross-process guarantee comes from the refresh lock that
:meth:`~tracker.app.Tracker.refresh` takes; the in-process flag here only
lets the daemon answer "busy" at once, without a thread, and tells the
shutdown code whether there is a refresh to wait for.

The thread is a daemon thread on purpose: if a refresh hangs past the
shutdown deadline the process can still exit, and SQLite's transactions keep
the database consistent; the unfinished run record is closed as interrupted
by the next refresh.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from logging import DEBUG, ERROR, INFO, WARNING

from tracker.app import Tracker
from tracker.daemon.logging import log_event
from tracker.errors import LockError
from tracker.types import RunSummary


@dataclass
class Attempt:
    """One requested refresh: settles when its run record exists or it failed to start."""

    trigger: str
    requested_at: datetime
    settled: threading.Event = field(default_factory=threading.Event)
    run_id: int | None = None
    error: BaseException | None = None


class _LogEvents:
    """Refresh progress as debug log lines (a progress bar makes no sense in a journal)."""

    def __init__(self, trigger: str) -> None:
        self.trigger = trigger

    def stage(self, name: str, total: int) -> None:
        log_event(DEBUG, "refresh.stage", stage=name, total=total, trigger=self.trigger)

    def advance(self, name: str, detail: str = "") -> None:
        pass


class RefreshWorker:
    """Starts refreshes on a thread of their own; never two at once in this process."""

    def __init__(
        self,
        tracker: Callable[[], Tracker],
        on_finished: Callable[[], None] = lambda: None,
    ) -> None:
        self._tracker = tracker
        self._on_finished = on_finished
        self._busy = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.current: Attempt | None = None

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def try_start(
        self,
        *,
        trigger: str,
        feed_names: Sequence[str] | None = None,
        due_only: bool = False,
    ) -> Attempt | None:
        """Start a refresh now; None when this process already runs one."""
        if not self._busy.acquire(blocking=False):
            return None
        attempt = Attempt(trigger=trigger, requested_at=datetime.now(UTC))
        self.current = attempt
        tracker = self._tracker()  # the config of the moment, for the whole run
        thread = threading.Thread(
            target=self._run,
            args=(attempt, tracker, feed_names, due_only),
            name=f"refresh-{trigger}",
            daemon=True,
        )
        self._thread = thread
        try:
            thread.start()
        except BaseException:
            self._busy.release()
            raise
        return attempt

    def cancel(self) -> None:
        """Ask the running refresh to end at its next stage boundary."""
        self._stop.set()

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; True when no refresh is running any more."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _run(
        self,
        attempt: Attempt,
        tracker: Tracker,
        feed_names: Sequence[str] | None,
        due_only: bool,
    ) -> None:
        began = time.monotonic()

        def started(run_id: int) -> None:
            attempt.run_id = run_id
            attempt.settled.set()
            log_event(
                INFO,
                "refresh.started",
                run=run_id,
                trigger=attempt.trigger,
                feeds=",".join(feed_names) if feed_names else "all",
            )

        try:
            summary = tracker.refresh(
                trigger=attempt.trigger,
                wait=False,
                events=_LogEvents(attempt.trigger),
                due_only=due_only,
                feed_names=feed_names,
                should_stop=self._stop.is_set,
                on_started=started,
            )
            _log_finished(summary, time.monotonic() - began)
        except LockError as exc:
            attempt.error = exc
            log_event(
                WARNING,
                "refresh.skipped",
                trigger=attempt.trigger,
                reason="another refresh holds the lock",
                holder_pid=exc.holder_pid,
                holder_since=exc.since,
            )
        except Exception as exc:
            attempt.error = exc
            log_event(
                ERROR,
                "refresh.error",
                exc_info=True,
                trigger=attempt.trigger,
                run=attempt.run_id,
                error=str(exc),
            )
        finally:
            attempt.settled.set()
            self.current = None
            self._busy.release()
            self._on_finished()


def _log_finished(summary: RunSummary, seconds: float) -> None:
    level = INFO if summary.outcome == "ok" else WARNING
    log_event(
        level,
        "refresh.finished",
        run=summary.run_id,
        outcome=summary.outcome,
        duration=seconds,
        sources_ok=summary.sources_ok,
        sources_failed=summary.sources_failed,
        new_articles=summary.new_articles,
        new_suggestions=summary.new_suggestions,
        editions=len(summary.editions),
    )
    for failure in summary.failures:
        log_event(
            WARNING,
            "source.failed",
            run=summary.run_id,
            source=failure.source,
            url=failure.url,
            reason=failure.reason,
        )
