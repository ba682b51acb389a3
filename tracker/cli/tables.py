"""``tracker status`` for people: a few lines and rich tables over :class:`Status`."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tracker.status import QueueStatus, Status
from tracker.store import SourceHealth


def print_status(console: Console, status: Status) -> None:
    daemon = status.daemon
    holder = status.refresh_running
    console.print(
        f"daemon: {f'running, pid {daemon.pid}' if daemon else 'not running'}"
        + (f" · refresh in progress since {holder.since}" if holder else ""),
        markup=False,
    )
    for job, when in status.next_runs.items():
        console.print(f"next {job}: {_when(when) or '—'}", markup=False)
    pending = status.pending_suggestions
    console.print(
        "pending suggestions: "
        + (", ".join(f"{report} {n}" for report, n in pending.items()) or "none"),
        markup=False,
    )
    if status.queue is not None:
        _print_queue(console, status.queue)

    runs = Table(
        "run",
        "started",
        "trigger",
        "outcome",
        "ok",
        "failed",
        "new articles",
        "suggestions",
        title="recent runs",
    )
    for run in status.runs:
        counts = run.counts
        runs.add_row(
            str(run.id),
            _when(run.started_at)[:19],
            run.trigger or "",
            run.outcome or "running",
            str(counts.get("sources_ok", "")),
            str(counts.get("sources_failed", "")),
            str(counts.get("new_articles", "")),
            str(counts.get("new_suggestions", "")),
        )
    console.print(runs)

    sources = Table(
        "source", "kind", "last success", "failures", "next poll", "last error", title="sources"
    )
    for source in status.sources:
        # Cells are rich markup; names, URLs and errors come from outside.
        sources.add_row(
            escape(source.name or source.url),
            source.kind,
            (_when(source.last_success) or "never")[:19],
            str(source.consecutive_failures),
            _next_poll(source, status.now),
            escape(source.last_error or ""),
        )
    console.print(sources)

    if status.feed_candidates:
        candidates = Table("feed", "advertised by", title="feeds advertised by cited pages")
        for candidate in status.feed_candidates:
            candidates.add_row(escape(candidate.feed_url), escape(candidate.page_url))
        console.print(candidates)


def _next_poll(source: SourceHealth, now: datetime) -> str:
    """When a feed is polled next, or a cited page checked next: a time held back (and why),
    or with the next refresh."""
    if source.kind not in ("feed", "cited"):
        return ""
    if source.next_poll is None or source.next_poll <= now:
        return "next refresh"
    return f"{source.next_poll.isoformat()[:19]} ({source.next_poll_reason or ''})"


def _when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, datetime) else value


def _print_queue(console: Console, queue: QueueStatus) -> None:
    """The shared task queue (PostgreSQL store): workers, depth, the oldest waiting job."""
    waiting = ", ".join(f"{task} {n}" for task, n in sorted(queue.waiting.items()))
    console.print(
        f"task queue: workers {len(queue.workers)}; jobs waiting {queue.depth}"
        + (f" ({waiting})" if waiting else "")
        + f", running {queue.running}, failed {queue.failed}",
        markup=False,
    )
    for worker in queue.workers:
        console.print(
            f"  worker {worker.id}: {worker.running} running, "
            f"last heartbeat {_when(worker.last_heartbeat)[:19]}",
            markup=False,
        )
    if (oldest := queue.oldest_waiting) is not None:
        console.print(
            f"  oldest waiting: job {oldest.id} {oldest.task}"
            + (f" ({oldest.lock})" if oldest.lock else "")
            + f", waiting {oldest.waited_seconds:.0f} s",
            markup=False,
        )
