"""Prometheus text exposition of the daemon's counters and gauges.

Counters count the refresh runs that *finished since this daemon started*,
whoever ran them (the daemon's own jobs, ``tracker refresh`` from a shell):
they are folded in from the store's run records, each run once. A restart
starts them at zero again, which Prometheus' ``rate()`` and ``increase()``
expect of a counter.

This module keeps numbers and prints them; it does not read the store or the
clock itself: the daemon hands it run records and the current gauges.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Refreshes range from a second (nothing changed) to many minutes (a first
# run over a thousand feeds); buckets in seconds.
DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


class FinishedRun(Protocol):
    """The parts of a store run record the metrics need."""

    @property
    def id(self) -> int: ...
    @property
    def outcome(self) -> str: ...
    @property
    def counts(self) -> Mapping[str, int]: ...
    @property
    def requests(self) -> Mapping[str, int]: ...
    @property
    def started_at(self) -> object: ...
    @property
    def finished_at(self) -> object: ...


@dataclass(frozen=True)
class Gauges:
    """Point-in-time values read by the daemon when a scrape arrives."""

    pending_suggestions: Mapping[str, int]  # by report id
    sources_failing: int
    refresh_running: bool
    uptime_seconds: float


class RunMetrics:
    """Counters over finished runs; thread-safe; each run id is counted once."""

    def __init__(self, after_run_id: int = 0) -> None:
        # Runs up to this id finished before the daemon started.
        self._after = after_run_id
        self._seen: set[int] = set()
        self._lock = threading.Lock()
        self.runs: Counter[str] = Counter()
        self.source_failures = 0
        self.requests: Counter[str] = Counter()
        self.bucket_counts = [0] * len(DURATION_BUCKETS)
        self.duration_sum = 0.0
        self.duration_count = 0
        self.last_duration: float | None = None

    def ingest(self, records: Iterable[FinishedRun]) -> int:
        """Count the finished runs not yet counted (oldest first); return how many."""
        added = 0
        with self._lock:
            for record in sorted(records, key=lambda r: r.id):
                if record.id <= self._after or record.id in self._seen:
                    continue
                if record.finished_at is None or record.outcome == "running":
                    continue
                self._seen.add(record.id)
                self._count(record)
                added += 1
        return added

    def _count(self, record: FinishedRun) -> None:
        self.runs[record.outcome] += 1
        self.source_failures += int(record.counts.get("sources_failed", 0))
        for status, n in record.requests.items():
            self.requests[str(status)] += int(n)
        started, finished = record.started_at, record.finished_at
        try:
            seconds = max(0.0, (finished - started).total_seconds())  # type: ignore[operator]
        except (TypeError, AttributeError):
            return
        self.last_duration = seconds
        self.duration_sum += seconds
        self.duration_count += 1
        for i, bound in enumerate(DURATION_BUCKETS):
            if seconds <= bound:
                self.bucket_counts[i] += 1

    def render(self, gauges: Gauges) -> str:
        """The whole exposition, ending with a newline."""
        with self._lock:
            return _render(self, gauges)


def _render(m: RunMetrics, g: Gauges) -> str:
    out = _Exposition()
    out.family("tracker_up", "gauge", "1 while the daemon is serving.")
    out.sample("tracker_up", 1)
    out.family("tracker_uptime_seconds", "gauge", "Seconds since the daemon started.")
    out.sample("tracker_uptime_seconds", g.uptime_seconds)
    out.family(
        "tracker_runs_total",
        "counter",
        "Refresh runs finished since the daemon started, by outcome.",
    )
    for outcome in sorted({"ok", "failed", "interrupted", *m.runs}):
        out.sample("tracker_runs_total", m.runs.get(outcome, 0), outcome=outcome)
    out.family(
        "tracker_source_failures_total",
        "counter",
        "Sources (feeds) that failed in those runs, summed over runs.",
    )
    out.sample("tracker_source_failures_total", m.source_failures)
    out.family(
        "tracker_fetch_requests_total",
        "counter",
        "HTTP requests made by those runs, by response status or error kind.",
    )
    for status, n in sorted(m.requests.items()):
        out.sample("tracker_fetch_requests_total", n, status=status)
    out.family(
        "tracker_refresh_duration_seconds",
        "histogram",
        "Wall-clock duration of finished refresh runs.",
    )
    # Each bucket counts runs <= its bound, so they are cumulative as Prometheus wants.
    for bound, n in zip(DURATION_BUCKETS, m.bucket_counts, strict=True):
        out.sample("tracker_refresh_duration_seconds_bucket", n, le=_number(bound))
    out.sample("tracker_refresh_duration_seconds_bucket", m.duration_count, le="+Inf")
    out.sample("tracker_refresh_duration_seconds_sum", m.duration_sum)
    out.sample("tracker_refresh_duration_seconds_count", m.duration_count)
    if m.last_duration is not None:
        out.family(
            "tracker_last_refresh_duration_seconds",
            "gauge",
            "Duration of the most recently finished refresh run.",
        )
        out.sample("tracker_last_refresh_duration_seconds", m.last_duration)
    out.family("tracker_refresh_running", "gauge", "1 while a refresh holds the lock.")
    out.sample("tracker_refresh_running", int(g.refresh_running))
    out.family("tracker_sources_failing", "gauge", "Sources whose most recent check failed.")
    out.sample("tracker_sources_failing", g.sources_failing)
    out.family(
        "tracker_pending_suggestions", "gauge", "Suggested edits waiting for a decision, by report."
    )
    for report, n in sorted(g.pending_suggestions.items()):
        out.sample("tracker_pending_suggestions", n, report=report)
    return out.text()


class _Exposition:
    def __init__(self) -> None:
        self._lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self._lines.append(f"# HELP {name} {help_text}")
        self._lines.append(f"# TYPE {name} {kind}")

    def sample(self, name: str, value: float, **labels: str) -> None:
        label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        self._lines.append(
            f"{name}{{{label_text}}} {_number(value)}" if labels else f"{name} {_number(value)}"
        )

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))
