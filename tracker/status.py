"""What ``tracker status`` and the daemon's ``/api/status`` report.

One plain dictionary, built from the store, the lock and the daemon's state
file, so the CLI table and the JSON API can never disagree.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tracker.config import Config
from tracker.jsonout import to_jsonable
from tracker.lock import is_locked, read_holder
from tracker.types import SuggestionStatus

DAEMON_STATE = "daemon.json"


def daemon_state(config: Config) -> dict[str, Any] | None:
    """The running daemon's self-description, or None when no live daemon wrote one."""
    try:
        data = json.loads((config.state_dir / DAEMON_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pid = data.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        return None
    return data if isinstance(data, dict) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def collect_status(config: Config, *, now: datetime, runs: int = 10) -> dict[str, Any]:
    from tracker.daemon.triggers import next_fire_times
    from tracker.store import open_store

    with open_store(config.database_path) as store:
        recent = store.runs(limit=runs)
        sources = store.sources()
        candidates = store.feed_candidates()
        pending = store.suggestions(status=SuggestionStatus.PENDING)
        counts = store.counts()

    daemon = daemon_state(config)
    if daemon and daemon.get("next_run_times"):
        next_runs = daemon["next_run_times"]
    else:
        next_runs = {k: v for k, v in next_fire_times(config, now).items()}
    holder = read_holder(config.state_dir)
    names = {f.url: f.name for f in config.feeds}
    pending_by_report: dict[str, int] = {}
    for suggestion in pending:
        pending_by_report[suggestion.report] = pending_by_report.get(suggestion.report, 0) + 1
    return to_jsonable(
        {
            "now": now,
            "config": str(config.source_path),
            "database": str(config.database_path),
            "daemon": daemon,
            "refresh_running": (
                {"pid": holder.pid, "since": holder.since, "trigger": holder.trigger}
                if is_locked(config.state_dir)
                else None
            ),
            "next_runs": next_runs,
            "runs": recent,
            "sources": [{**to_jsonable(s), "name": names.get(s.url, s.name)} for s in sources],
            "feed_candidates": candidates,
            "pending_suggestions": pending_by_report,
            "counts": counts,
        }
    )


def print_status(console: Console, data: dict[str, Any]) -> None:
    daemon = data["daemon"]
    console.print(
        f"daemon: {'running, pid ' + str(daemon['pid']) if daemon else 'not running'}"
        + (
            f" · refresh in progress since {data['refresh_running']['since']}"
            if data["refresh_running"]
            else ""
        ),
        markup=False,
    )
    for job, when in data["next_runs"].items():
        console.print(f"next {job}: {when or '—'}", markup=False)
    pending = data["pending_suggestions"]
    console.print(
        "pending suggestions: "
        + (", ".join(f"{report} {n}" for report, n in pending.items()) or "none"),
        markup=False,
    )

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
    for run in data["runs"]:
        counts = run.get("counts") or {}
        runs.add_row(
            str(run["id"]),
            (run["started_at"] or "")[:19],
            run.get("trigger") or "",
            run.get("outcome") or "running",
            str(counts.get("sources_ok", "")),
            str(counts.get("sources_failed", "")),
            str(counts.get("new_articles", "")),
            str(counts.get("new_suggestions", "")),
        )
    console.print(runs)

    sources = Table("source", "kind", "last success", "failures", "last error", title="sources")
    for source in data["sources"]:
        # Cells are rich markup; names, URLs and errors come from outside.
        sources.add_row(
            escape(source["name"] or source["url"]),
            source["kind"],
            (source.get("last_success") or "never")[:19],
            str(source.get("consecutive_failures", 0)),
            escape(source.get("last_error") or ""),
        )
    console.print(sources)

    if data["feed_candidates"]:
        candidates = Table("feed", "advertised by", title="feeds advertised by cited pages")
        for candidate in data["feed_candidates"]:
            candidates.add_row(escape(candidate["feed_url"]), escape(candidate["page_url"]))
        console.print(candidates)
