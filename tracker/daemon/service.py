"""``tracker daemon``: the scheduler, the control API and their lifecycle.

One foreground process:

* an APScheduler ``BackgroundScheduler`` fires the refresh job (from
  ``schedule.refresh``), one job per group of feeds with their own ``every``,
  and the digest job (``schedule.digest``). Jobs coalesce, never overlap and
  have the configured misfire grace time;
* a job does not refresh on the scheduler's thread: it hands the run to the
  :class:`~tracker.daemon.worker.RefreshWorker`, which runs one refresh at a
  time on a thread of its own; a refresh held up by another process's lock
  is logged and skipped. With a PostgreSQL store a job only queues a task
  for ``tracker worker`` instead (:mod:`tracker.daemon.scheduler`);
* at start, when the schedule should have fired since the last completed full
  refresh (the daemon was down, the machine slept), one catch-up refresh runs
  at once, then the schedule carries on;
* the control API (:mod:`tracker.daemon.api`) serves health, status, metrics
  and "refresh now", and beside it the review pages (:mod:`tracker.daemon.pages`),
  for which the daemon is the backend: each call goes to its ``Tracker``;
* ``<state_dir>/daemon.json`` tells ``tracker status`` the daemon's pid,
  address and next run times; it is rewritten after every job and removed on
  exit.

Signals: SIGTERM/SIGINT stop scheduling, wait up to
``daemon.shutdown_grace_seconds`` for a running refresh, then ask it to end at
its next stage boundary (a second signal asks at once); the process exits 0
once the run is recorded. SIGHUP reloads the config; an invalid one is logged
and the running one kept.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from logging import ERROR, INFO, WARNING
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from apscheduler.schedulers.background import BackgroundScheduler

from tracker.app import Tracker
from tracker.atomic import replace_file
from tracker.config import Config, load_config, resolve_config_path
from tracker.daemon.api import ApiServer
from tracker.daemon.errors import RefreshBusy, ShuttingDown
from tracker.daemon.logging import configure_logging, log_event, set_level
from tracker.daemon.metrics import Gauges, RunMetrics
from tracker.daemon.review import ReviewMethods
from tracker.daemon.scheduler import QueueScheduler
from tracker.daemon.worker import RefreshWorker
from tracker.errors import ConfigError, LockError, TrackerError
from tracker.jsonout import to_jsonable
from tracker.lock import read_holder
from tracker.schedule import parse_schedule
from tracker.status import DAEMON_STATE
from tracker.store import RunRecord
from tracker.triggers import fire_missed, trigger_for

# Triggers written into run records. Only full refreshes count as "the last
# refresh" when deciding on a catch-up; per-feed jobs poll a subset.
SCHEDULED = "schedule"
FEED_GROUP = "schedule-feeds"
API = "api"
FULL_RUN_TRIGGERS = frozenset({SCHEDULED, API, "cli"})

# After the grace period the refresh is asked to stop at its next stage
# boundary; a stage is bounded by fetch timeouts, so this is generous.
CANCEL_WAIT_SECONDS = 60.0
# How long POST /api/refresh waits for the run record to appear.
START_WAIT_SECONDS = 60.0
_HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def run_daemon(config_path: str | None) -> int:
    """Run the daemon in the foreground until SIGTERM/SIGINT; return the exit code."""
    path = resolve_config_path(config_path)
    try:
        config = load_config(path)
    except ConfigError as exc:
        configure_logging("info")
        log_event(ERROR, "config.invalid", path=exc.path, problems="; ".join(exc.problems))
        return 2
    return Daemon(path, config).run()


class Daemon(ReviewMethods):
    """The running service. Built by :func:`run_daemon`; used from the main thread.

    It is the backend of the control API and (through :class:`ReviewMethods`)
    of the review pages.
    """

    def __init__(self, config_path: Path, config: Config) -> None:
        self.config_path = config_path
        self.tracker = Tracker(config)
        self.pid = os.getpid()
        self.started_at = datetime.now(UTC)
        self._started_monotonic = time.monotonic()
        self._signals: deque[int] = deque()
        self._stopping = False
        self.worker = RefreshWorker(lambda: self.tracker, on_finished=self._after_refresh)
        self.metrics_state = RunMetrics()
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.api: ApiServer | None = None
        self.queue: QueueScheduler | None = None  # with a PostgreSQL store: see scheduler.py

    @property
    def config(self) -> Config:
        return self.tracker.config

    # -- lifecycle -------------------------------------------------------------

    def run(self, on_listening: Callable[[str], None] | None = None) -> int:
        """Serve until stopped; ``on_listening`` gets the pages' address once bound."""
        configure_logging(self.config.daemon.log_level)
        settings = self.config.daemon
        token = os.environ.get(settings.token_env) or None
        if not settings.is_loopback and not token:
            log_event(
                ERROR,
                "daemon.refused",
                listen=settings.listen,
                reason=f"listening beyond loopback needs a token in ${settings.token_env}",
            )
            return 2
        try:
            recent = self._recent_runs()
            self.queue = QueueScheduler.open(self.tracker)
        except TrackerError as exc:
            log_event(ERROR, "daemon.store_failed", error=str(exc))
            return 1
        last_full = last_full_run(recent)
        # Counters start at zero: runs that finished before this start are not counted.
        self.metrics_state = RunMetrics(after_run_id=max((r.id for r in recent), default=0))

        for signum in _HANDLED_SIGNALS:
            signal.signal(signum, self._on_signal)
        now = datetime.now(UTC)
        schedule = parse_schedule(self.config.schedule.refresh)
        catch_up = fire_missed(schedule, self.config.schedule.timezone, last_full, now)
        self._schedule_jobs(anchor=now if catch_up else last_full)
        self.scheduler.add_listener(
            self._after_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
        )
        self.scheduler.start()

        self.api = ApiServer(self, settings.host, settings.port, token, review=self)
        try:
            self.api.start()
        except OSError as exc:
            log_event(ERROR, "api.bind_failed", listen=settings.listen, error=str(exc))
            self.scheduler.shutdown(wait=False)
            return 1
        self._write_state()
        log_event(
            INFO,
            "daemon.started",
            pid=self.pid,
            listen=self._listening(),
            config=str(self.config_path),
            refresh=self.config.schedule.refresh,
            digest=self.config.schedule.digest,
            auth="token" if token else "none",
        )
        if on_listening is not None:
            on_listening(f"http://{self._listening()}/")
        if catch_up:
            log_event(INFO, "refresh.catch_up", last_full_run=last_full or "never")
            self._scheduled_refresh(None)
        last_digest = self.tracker.last_digest_sent()
        digest_schedule = parse_schedule(self.config.schedule.digest)
        # A digest that should have gone out while the daemon was down goes out
        # once now. A store that never sent one waits for the schedule: a new
        # install should not mail its editor the moment it starts.
        if last_digest is not None and fire_missed(
            digest_schedule, self.config.schedule.timezone, last_digest, now
        ):
            log_event(INFO, "digest.catch_up", last_digest=last_digest)
            threading.Thread(target=self._digest, name="digest-catch-up", daemon=True).start()

        try:
            return self._serve_until_stopped()
        finally:
            self._remove_state()

    def _serve_until_stopped(self) -> int:
        while True:
            while self._signals:
                signum = self._signals.popleft()
                if signum == signal.SIGHUP:
                    self.reload()
                else:
                    log_event(INFO, "daemon.stopping", signal=signal.Signals(signum).name)
                    return self._shutdown()
            time.sleep(0.1)

    def _shutdown(self) -> int:
        self._stopping = True
        self.scheduler.shutdown(wait=False)
        code = 0
        if self.worker.running:
            grace = self.config.daemon.shutdown_grace_seconds
            log_event(INFO, "shutdown.waiting", grace_seconds=grace)
            if not self._wait_for_refresh(grace, interruptible=True):
                log_event(
                    WARNING,
                    "refresh.cancelling",
                    reason="grace period over; stopping at the next stage boundary",
                )
                self.worker.cancel()
                if not self._wait_for_refresh(CANCEL_WAIT_SECONDS, interruptible=False):
                    log_event(
                        ERROR,
                        "refresh.abandoned",
                        reason="the refresh did not reach a stage boundary in time",
                    )
                    code = 1
        if self.api is not None:
            self.api.stop()
        if self.queue is not None:
            self.queue.close()
        log_event(INFO, "daemon.stopped", exit_code=code)
        return code

    def _wait_for_refresh(self, seconds: float, *, interruptible: bool) -> bool:
        """Wait for the running refresh; a second stop signal cuts the wait short."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.worker.join(min(0.2, max(0.0, deadline - time.monotonic()))):
                return True
            if interruptible and any(s != signal.SIGHUP for s in self._signals):
                self._signals.clear()
                return False
        return self.worker.join(0)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only record it: the main loop acts, outside the signal handler.
        self._signals.append(signum)

    # -- configuration ---------------------------------------------------------

    def request_reload(self) -> None:
        """Reload the config on the main thread, as SIGHUP does (safe from any thread)."""
        self._signals.append(signal.SIGHUP)

    def reload(self) -> None:
        """Re-read the config; keep the running one when the new one is invalid."""
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            log_event(
                ERROR,
                "config.reload_failed",
                path=exc.path,
                problems="; ".join(exc.problems),
                kept="previous config",
            )
            return
        old = self.config
        if (new.daemon.listen, new.daemon.token_env) != (old.daemon.listen, old.daemon.token_env):
            log_event(
                WARNING,
                "config.restart_needed",
                reason="daemon.listen and daemon.token_env change only on restart",
            )
        self.tracker = Tracker(new)
        set_level(new.daemon.log_level)
        try:
            last_full = last_full_run(self._recent_runs())
        except TrackerError:
            last_full = None
        self.scheduler.remove_all_jobs()
        self._schedule_jobs(anchor=last_full)
        self._write_state()
        log_event(
            INFO,
            "config.reloaded",
            path=str(self.config_path),
            refresh=new.schedule.refresh,
            digest=new.schedule.digest,
        )

    # -- jobs ------------------------------------------------------------------

    def _schedule_jobs(self, *, anchor: datetime | None) -> None:
        config = self.config
        zone = config.schedule.timezone
        options: dict[str, Any] = {
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": config.schedule.misfire_grace_seconds,
            "replace_existing": True,
        }
        self.scheduler.add_job(
            self._scheduled_refresh,
            args=[None],
            id="refresh",
            name="refresh",
            trigger=trigger_for(parse_schedule(config.schedule.refresh), zone, anchor=anchor),
            **options,
        )
        groups: dict[str, list[str]] = {}
        for feed in config.feeds:
            if feed.enabled and feed.every:
                groups.setdefault(feed.every, []).append(feed.name)
        for every, names in groups.items():
            self.scheduler.add_job(
                self._scheduled_refresh,
                args=[names],
                id=f"feeds {every}",
                name=f"feeds {every}",
                trigger=trigger_for(parse_schedule(every), zone),
                **options,
            )
        self.scheduler.add_job(
            self._digest,
            id="digest",
            name="digest",
            trigger=trigger_for(parse_schedule(config.schedule.digest), zone),
            **options,
        )

    def _scheduled_refresh(self, feed_names: list[str] | None) -> None:
        trigger = SCHEDULED if feed_names is None else FEED_GROUP
        if self._stopping:
            return
        if self.queue is not None:
            return self.queue.defer_round(trigger, feed_names)
        attempt = self.worker.try_start(trigger=trigger, feed_names=feed_names, due_only=True)
        if attempt is None:
            log_event(
                INFO,
                "refresh.skipped",
                trigger=trigger,
                reason="a refresh is already running in the daemon",
            )

    def _digest(self) -> None:
        if self.queue is not None:
            return self.queue.defer_digest()
        try:
            result = self.tracker.digest(send=True)
        except Exception as exc:
            log_event(
                ERROR, "digest.failed", exc_info=not isinstance(exc, TrackerError), error=str(exc)
            )
            return
        log_event(
            INFO,
            "digest.finished",
            sent=result.sent,
            suggestions=result.suggestions,
            skipped=result.skipped_reason,
            outbox=result.outbox_path,
        )

    def _after_job(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log_event(
                WARNING,
                "job.missed",
                job=event.job_id,
                scheduled=getattr(event, "scheduled_run_time", None),
            )
        if not self._stopping:
            self._write_state()

    def _after_refresh(self) -> None:
        try:
            self._ingest_runs()
        except TrackerError as exc:
            log_event(WARNING, "metrics.store_failed", error=str(exc))
        if not self._stopping:
            self._write_state()

    # -- the store -------------------------------------------------------------

    def _recent_runs(self) -> list[RunRecord]:
        return self.tracker.runs(limit=50)

    def _ingest_runs(self) -> None:
        self.metrics_state.ingest(self.tracker.runs(limit=200))

    # -- the control API backend -----------------------------------------------

    def uptime(self) -> float:
        return time.monotonic() - self._started_monotonic

    def health(self) -> dict[str, Any]:
        return {
            "status": "stopping" if self._stopping else "ok",
            "pid": self.pid,
            "uptime": round(self.uptime(), 3),
            "refresh_running": self.worker.running,
        }

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = to_jsonable(self.tracker.status())
        return result

    def start_refresh(self) -> int:
        if self._stopping:
            raise ShuttingDown
        if self.queue is not None:
            return self.queue.refresh_now()
        attempt = self.worker.try_start(trigger=API)
        if attempt is None:
            raise RefreshBusy(self._holder())
        if not attempt.settled.wait(START_WAIT_SECONDS):
            raise TimeoutError("the refresh did not start in time")
        if attempt.run_id is not None:
            return attempt.run_id
        if isinstance(attempt.error, LockError):
            raise RefreshBusy(
                {
                    "pid": attempt.error.holder_pid,
                    "since": attempt.error.since,
                    "trigger": read_holder(self.config.state_dir).trigger,
                }
            )
        raise RuntimeError(f"the refresh failed to start: {attempt.error}")

    def _holder(self) -> dict[str, Any]:
        # Our own refresh: describe it directly, the lock file may not be rewritten yet.
        current = self.worker.current
        if current is None:
            holder = read_holder(self.config.state_dir)
            return {"pid": holder.pid, "since": holder.since, "trigger": holder.trigger}
        return {
            "pid": self.pid,
            "since": current.requested_at.isoformat(timespec="seconds"),
            "trigger": current.trigger,
        }

    def metrics(self) -> str:
        snapshot = self.tracker.metrics()
        self.metrics_state.ingest(snapshot.runs)
        gauges = Gauges(
            pending_suggestions=snapshot.pending_suggestions,
            sources_failing=snapshot.sources_failing,
            refresh_running=snapshot.refresh_running,
            uptime_seconds=round(self.uptime(), 3),
            queue=snapshot.queue,
        )
        return self.metrics_state.render(gauges)

    # -- daemon.json -------------------------------------------------------------

    def _state_path(self) -> Path:
        return self.config.state_dir / DAEMON_STATE

    def _listening(self) -> str:
        """``daemon.listen`` with the bound port (they differ when it asks for port 0)."""
        settings = self.config.daemon
        if self.api is None:
            return settings.listen
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        return f"{host}:{self.api.port}"

    def _write_state(self) -> None:
        next_runs = {
            job.id: job.next_run_time.isoformat() if job.next_run_time else None
            for job in self.scheduler.get_jobs()
        }
        data = {
            "pid": self.pid,
            "listen": self._listening(),
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "config": str(self.config_path),
            "next_run_times": next_runs,
        }
        # replace_file gives each writer its own temporary: the scheduler and
        # worker threads may both write.
        # 0600 like the database: it names the config file and where the API listens.
        replace_file(self._state_path(), json.dumps(data, indent=2).encode("utf-8"), mode=0o600)

    def _remove_state(self) -> None:
        path = self._state_path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if data.get("pid") == self.pid:
            path.unlink(missing_ok=True)


def last_full_run(runs: Iterable[RunRecord]) -> datetime | None:
    """Start of the newest full refresh that completed, whoever ran it."""
    for record in sorted(runs, key=lambda r: r.id, reverse=True):
        if record.trigger in FULL_RUN_TRIGGERS and record.outcome == "ok":
            return record.started_at
    return None
