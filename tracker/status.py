"""What ``tracker status`` and the daemon's ``/api/status`` report, as data.

:func:`collect_status` reads the store, the refresh lock and the daemon's
state file into one :class:`Status`; the CLI prints it as tables and the
control API serves it as JSON (:func:`tracker.jsonout.to_jsonable`), so the
two can never disagree. Nothing here prints or formats for people.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tracker.config import Config
from tracker.lock import LockHolder, is_locked, read_holder
from tracker.store import FeedCandidate, RunRecord, SourceHealth, open_store
from tracker.store.location import describe as describe_store
from tracker.triggers import next_fire_times
from tracker.types import SuggestionStatus

DAEMON_STATE = "daemon.json"


@dataclass(frozen=True)
class DaemonInfo:
    """A running daemon's self-description, from ``<state_dir>/daemon.json``."""

    pid: int
    listen: str
    started_at: str
    config: str
    next_run_times: dict[str, str | None]


@dataclass(frozen=True)
class QueueWorker:
    """A worker registered with the shared task queue (PostgreSQL store only)."""

    id: int
    last_heartbeat: datetime
    running: int  # jobs it is running now


@dataclass(frozen=True)
class QueueJob:
    id: int
    task: str
    lock: str | None
    waiting_since: datetime
    waited_seconds: float


@dataclass(frozen=True)
class QueueStatus:
    """The shared task queue: its workers, jobs waiting per task, the oldest waiting."""

    workers: tuple[QueueWorker, ...]
    waiting: dict[str, int]  # task name → jobs waiting to run
    running: int
    failed: int  # jobs that used up their retries
    oldest_waiting: QueueJob | None

    @property
    def depth(self) -> int:
        return sum(self.waiting.values())


@dataclass(frozen=True)
class Status:
    now: datetime
    config: str
    database: str
    daemon: DaemonInfo | None
    refresh_running: LockHolder | None  # who holds the refresh lock, if anybody
    # Job name → next run: from the running daemon, else when a daemon started
    # now would run it.
    next_runs: dict[str, datetime | str | None]
    runs: list[RunRecord]
    sources: list[SourceHealth]  # named as the config names them
    feed_candidates: list[FeedCandidate]
    pending_suggestions: dict[str, int]  # report id → count
    counts: dict[str, int]
    queue: QueueStatus | None = None  # with a PostgreSQL store: tracker.tasks.monitor


def collect_status(config: Config, *, now: datetime, runs: int = 10) -> Status:
    with open_store(config.store_location) as store:
        recent = store.runs(limit=runs)
        sources = store.sources()
        candidates = store.feed_candidates()
        pending = store.suggestions(status=SuggestionStatus.PENDING)
        counts = store.counts()

    daemon = daemon_state(config)
    next_runs: dict[str, datetime | str | None]
    if daemon and daemon.next_run_times:
        next_runs = dict(daemon.next_run_times)
    else:
        next_runs = dict(next_fire_times(config, now))
    names = {f.url: f.name for f in config.feeds}
    pending_by_report: dict[str, int] = {}
    for suggestion in pending:
        pending_by_report[suggestion.report] = pending_by_report.get(suggestion.report, 0) + 1
    holder = read_holder(config.state_dir) if is_locked(config.state_dir) else None
    return Status(
        now=now,
        config=str(config.source_path),
        database=describe_store(config.store_location),
        daemon=daemon,
        refresh_running=holder,
        next_runs=next_runs,
        runs=recent,
        sources=[replace(s, name=names.get(s.url, s.name)) for s in sources],
        feed_candidates=candidates,
        pending_suggestions=pending_by_report,
        counts=counts,
    )


def daemon_state(config: Config) -> DaemonInfo | None:
    """The running daemon's self-description, or None when no live daemon wrote one."""
    try:
        data = json.loads((config.state_dir / DAEMON_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    pid = data.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        return None
    next_runs = data.get("next_run_times")
    return DaemonInfo(
        pid=pid,
        listen=_text(data.get("listen")),
        started_at=_text(data.get("started_at")),
        config=_text(data.get("config")),
        next_run_times=(
            {str(k): v if isinstance(v, str) else None for k, v in next_runs.items()}
            if isinstance(next_runs, dict)
            else {}
        ),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
