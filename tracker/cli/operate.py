"""Commands that run tracker: refresh, status, digest, daemon, demo and migrate-store."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.base import app, config_path, err, errors, fail, open_tracker, out, print_json
from tracker.types import RunSummary

if TYPE_CHECKING:
    from tracker.refresh import RefreshEvents


@app.command()
def refresh(
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for a running refresh instead of exiting.")
    ] = False,
    via_daemon: Annotated[
        bool, typer.Option("--via-daemon", help="Ask the running daemon to refresh now.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Poll every feed now, even one waiting out its backoff, Retry-After or max-age.",
        ),
    ] = False,
    in_process: Annotated[
        bool,
        typer.Option(
            "--in-process",
            help="With a PostgreSQL store: refresh in this process, as with SQLite, "
            "instead of queueing a round for the workers. The engine's host and "
            "report locks that the workers take do not apply to it.",
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0,
            metavar="SECONDS",
            help="With a PostgreSQL store: give up waiting for the queued round "
            "after this long (exit 1; the round goes on). Default: wait.",
        ),
    ] = None,
) -> None:
    """Run one full cycle for every report: fetch, extract, match, suggest, publish.

    With a PostgreSQL store the cycle is a round queued for `tracker worker`
    (or the round already waiting), and this waits for its run to finish."""
    tracker = open_tracker()
    if not (via_daemon or in_process) and tracker.uses_task_queue():
        if force:  # a round polls what is due after backoff; forcing is in-process only
            fail("--force refreshes in-process: add --in-process", 2)
        from tracker.cli.workers import refresh_on_queue

        summary = refresh_on_queue(timeout, show_progress=not as_json)
        _print_result(summary, as_json)
        return
    if via_daemon:
        with errors():
            run_id = tracker.refresh_via_daemon()
        if as_json:
            print_json({"run_id": run_id})
        else:
            out().print(f"daemon started refresh run {run_id}")
        return

    # --json shows no progress: no display to set up, and rich is never imported.
    display: AbstractContextManager[RefreshEvents | None] = nullcontext()
    if not as_json:
        from tracker.cli.progress import progress_events

        display = progress_events(err())
    with errors(), display as events:
        summary = tracker.refresh(trigger="cli", wait=wait, events=events, force=force)
    _print_result(summary, as_json)


def _print_result(summary: RunSummary, as_json: bool) -> None:
    if as_json:
        print_json(summary)
    else:
        _print_summary(summary)
    if summary.outcome == "failed":
        raise typer.Exit(1)


def _print_summary(summary: RunSummary) -> None:
    console = out()
    requests = ", ".join(f"{n}×{status}" for status, n in sorted(summary.requests.items()))
    console.print(
        f"run {summary.run_id} {summary.outcome}: "
        f"{summary.sources_ok} sources ok, {summary.sources_failed} failed; "
        f"{summary.new_entries} new entries, {summary.new_articles} new articles; "
        f"cited sources: {summary.cited_changed} changed, {summary.cited_gone} gone; "
        f"{summary.new_suggestions} new suggestions"
        + (f"; requests {requests}" if requests else ""),
        markup=False,
    )
    for failure in summary.failures:
        console.print(f"  failed  {failure.source}: {failure.url} — {failure.reason}", markup=False)
    for warning in summary.warnings:
        console.print(f"  warning {warning.source}: {warning.url} — {warning.reason}", markup=False)
    if summary.editions:
        for path in summary.editions:
            console.print(f"  wrote {path}", markup=False)
    elif summary.outcome == "ok":
        console.print("  no new edition: nothing changed", markup=False)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Runs, sources' health, next scheduled jobs and pending suggestions."""
    tracker = open_tracker()
    with errors():
        found = tracker.status()
    if as_json:
        print_json(found)
    else:
        from tracker.cli.tables import print_status

        print_status(out(), found)


def _parse_day(value: str | None) -> datetime | None:
    """``--since DATE`` as a naive midnight: the digest reads it in ``schedule.timezone``."""
    if value is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time.min)
    except ValueError:
        fail(f"--since {value!r} is not a date (YYYY-MM-DD)", 2)


@app.command()
def digest(
    send: Annotated[
        bool, typer.Option("--send", help="Mail it (or write it to the outbox).")
    ] = False,
    since: Annotated[str | None, typer.Option("--since", metavar="DATE")] = None,
    to: Annotated[list[str] | None, typer.Option("--to", metavar="ADDR")] = None,
) -> None:
    """The weekly digest of suggested edits; prints it unless --send."""
    tracker = open_tracker()
    start = _parse_day(since)
    with errors():
        result = tracker.digest(send=send, since=start, to=to)
    if not send:
        sys.stdout.write(result.text + ("" if result.text.endswith("\n") else "\n"))
        return
    if result.sent and result.outbox_path:
        out().print(f"digest written to {result.outbox_path}", markup=False)
    elif result.sent:
        out().print(
            f"digest sent: {result.suggestions} suggestions, {result.message_id}", markup=False
        )
    else:
        out().print(f"digest not sent: {result.skipped_reason}", markup=False)


@app.command()
def daemon() -> None:
    """Run the scheduler and control API in the foreground (SIGTERM/SIGINT stop it)."""
    from tracker.daemon import run_daemon

    open_tracker()  # fail fast, with exit code 2, on a bad config
    with errors():
        code = run_daemon(config_path())
    raise typer.Exit(code)


@app.command()
def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to put the demo [default: ./tracker-demo].")
    ] = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve", help="Then keep the daemon running on the demo's state (Ctrl-C stops it)."
        ),
    ] = False,
) -> None:
    """The whole cycle offline, on bundled fixture sources served from 127.0.0.1."""
    from tracker.demo.run import run_demo, serve_demo

    with errors():
        if not serve:
            run_demo(directory or Path("tracker-demo"), out())
            return
        code = serve_demo(directory or Path("tracker-demo"), out())
    raise typer.Exit(code)


@app.command("migrate-store")
def migrate_store(
    source: Annotated[
        str, typer.Option("--from", metavar="sqlite:PATH", help="The SQLite store to copy.")
    ],
    target: Annotated[
        str,
        typer.Option("--to", metavar="postgresql://…", help="The PostgreSQL database to fill."),
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Delete the rows the target already holds first.")
    ] = False,
) -> None:
    """Copy a SQLite store into PostgreSQL, then compare every table's rows and content hash."""
    if not source.startswith("sqlite:"):
        fail(f"--from {source!r}: expected sqlite:PATH", 2)
    path = source.removeprefix("sqlite:")
    path = path[2:] if path.startswith("//") else path  # sqlite:///abs/path as well
    from tracker.store.location import is_postgres_url, redact_url

    if not is_postgres_url(target):
        fail(f"--to {redact_url(target)!r}: expected a postgresql:// URL", 2)
    from tracker.store.postgres_copy import copy_store

    with errors():
        checks = copy_store(Path(path), target, replace=replace, now=datetime.now(UTC))
    from rich.table import Table

    table = Table(title=f"{path} → {redact_url(target)}")
    for heading in ("table", "rows (SQLite)", "rows (PostgreSQL)", "content hash", "check"):
        table.add_column(heading, justify="right" if heading.startswith("rows") else "left")
    for check in checks:
        hashes = check.source_hash[:16]
        if check.target_hash != check.source_hash:
            hashes += f" ≠ {check.target_hash[:16]}"
        table.add_row(
            check.table,
            str(check.source_rows),
            str(check.target_rows),
            hashes,
            "ok" if check.ok else "[bold red]MISMATCH[/]",
        )
    out().print(table)
    bad = [c.table for c in checks if not c.ok]
    if bad:
        fail(f"the copy differs from the source in {', '.join(bad)}", 1)
    rows = sum(c.source_rows for c in checks)
    out().print(f"copied {len(checks)} tables, {rows} rows: every count and hash matches")
