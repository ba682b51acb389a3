"""Prometheus text exposition of the daemon's counters and gauges.

Counters count the refresh runs that *finished since this daemon started*,
whoever ran them (the daemon's own jobs, ``tracker refresh`` from a shell):
they are folded in from the store's run records, each run once. A restart
starts them at zero again, which Prometheus' ``rate()`` and ``increase()``
expect of a counter.

This module keeps numbers and hands them to ``prometheus_client``, which
writes the exposition; it does not read the store or the clock itself: the
daemon hands it run records and the current gauges. It deliberately uses a
registry of its own, never the library's global one, and no instrumented
``Counter``/``Histogram`` objects: the numbers come from the store's run
records, not from code paths being timed, so a custom collector reports them.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from tracker.status import QueueStatus

__all__ = ["CONTENT_TYPE", "DURATION_BUCKETS", "FinishedRun", "Gauges", "RunMetrics"]

try:
    # generate_latest writes text format 0.0.4; since 0.23 CONTENT_TYPE_LATEST
    # names 1.0.0, which the library itself only sends to scrapers asking for it.
    from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4 as CONTENT_TYPE
except ImportError:  # prometheus_client < 0.23, where LATEST is still 0.0.4
    from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE

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
    queue: QueueStatus | None = None  # with a PostgreSQL store: the shared task queue


class RunMetrics:
    """Counters over finished runs; thread-safe; each run id is counted once."""

    def __init__(self, after_run_id: int = 0) -> None:
        # Runs up to this id finished before the daemon started.
        self._after = after_run_id
        self._seen: set[int] = set()
        # Re-entrant: render holds it while the registry calls back into collect.
        self._lock = threading.RLock()
        self._gauges: Gauges | None = None  # those of the scrape being rendered
        self.runs: Counter[str] = Counter()
        self.source_failures = 0
        self.requests: Counter[str] = Counter()
        self.bucket_counts = [0] * len(DURATION_BUCKETS)
        self.duration_sum = 0.0
        self.duration_count = 0
        self.last_duration: float | None = None
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(self)

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
            self._gauges = gauges
            try:
                return generate_latest(self._registry).decode("utf-8")
            finally:
                self._gauges = None

    def collect(self) -> Iterator[Metric]:
        """The metric families, for the registry; ``render`` calls it back under the lock.

        Outside ``render`` there is no scrape, hence no gauges: nothing is reported.
        """
        with self._lock:
            if self._gauges is not None:
                yield from self._families(self._gauges)

    def _families(self, g: Gauges) -> Iterator[Metric]:
        yield GaugeMetricFamily("tracker_up", "1 while the daemon is serving.", value=1)
        yield GaugeMetricFamily(
            "tracker_uptime_seconds", "Seconds since the daemon started.", value=g.uptime_seconds
        )
        # CounterMetricFamily drops "_total" from the family name and puts it
        # back on the sample; with no ``created`` given it writes no _created series.
        runs = CounterMetricFamily(
            "tracker_runs_total",
            "Refresh runs finished since the daemon started, by outcome.",
            labels=["outcome"],
        )
        for outcome in sorted({"ok", "failed", "interrupted", *self.runs}):
            runs.add_metric([outcome], self.runs.get(outcome, 0))
        yield runs
        yield CounterMetricFamily(
            "tracker_source_failures_total",
            "Sources (feeds) that failed in those runs, summed over runs.",
            value=self.source_failures,
        )
        requests = CounterMetricFamily(
            "tracker_fetch_requests_total",
            "HTTP requests made by those runs, by response status or error kind.",
            labels=["status"],
        )
        for status, n in sorted(self.requests.items()):
            requests.add_metric([status], n)
        yield requests
        # Each bucket counts runs <= its bound, so they are cumulative as Prometheus
        # wants. Bounds are written "5", not the library's "5.0", as this daemon
        # always has: on Prometheus 2 another spelling would start new series.
        buckets = [
            (f"{bound:g}", n) for bound, n in zip(DURATION_BUCKETS, self.bucket_counts, strict=True)
        ]
        yield HistogramMetricFamily(
            "tracker_refresh_duration_seconds",
            "Wall-clock duration of finished refresh runs.",
            buckets=[*buckets, ("+Inf", self.duration_count)],
            sum_value=self.duration_sum,
        )
        if self.last_duration is not None:
            yield GaugeMetricFamily(
                "tracker_last_refresh_duration_seconds",
                "Duration of the most recently finished refresh run.",
                value=self.last_duration,
            )
        yield GaugeMetricFamily(
            "tracker_refresh_running",
            "1 while a refresh holds the lock.",
            value=int(g.refresh_running),
        )
        yield GaugeMetricFamily(
            "tracker_sources_failing",
            "Sources whose most recent check failed.",
            value=g.sources_failing,
        )
        pending = GaugeMetricFamily(
            "tracker_pending_suggestions",
            "Suggested edits waiting for a decision, by report.",
            labels=["report"],
        )
        for report, n in sorted(g.pending_suggestions.items()):
            pending.add_metric([report], n)
        yield pending
        if g.queue is not None:
            yield from _queue_families(g.queue)


def _queue_families(queue: QueueStatus) -> Iterator[Metric]:
    """The shared task queue (PostgreSQL store): workers, jobs, the longest wait."""
    yield GaugeMetricFamily(
        "tracker_queue_workers", "Workers registered with the task queue.", value=len(queue.workers)
    )
    waiting = GaugeMetricFamily(
        "tracker_queue_jobs_waiting",
        "Jobs waiting to run, by task (the queue's depth).",
        labels=["task"],
    )
    for task, n in sorted(queue.waiting.items()):
        waiting.add_metric([task], n)
    yield waiting
    yield GaugeMetricFamily(
        "tracker_queue_jobs_running", "Jobs being run by a worker.", value=queue.running
    )
    yield GaugeMetricFamily(
        "tracker_queue_jobs_failed",
        "Jobs that failed after their last retry, within the week the queue keeps them.",
        value=queue.failed,
    )
    oldest = queue.oldest_waiting
    yield GaugeMetricFamily(
        "tracker_queue_oldest_waiting_seconds",
        "How long the oldest runnable job has waited (0 when none waits).",
        value=oldest.waited_seconds if oldest is not None else 0.0,
    )
