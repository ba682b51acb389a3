"""The ``tracker`` command: a thin layer over the library.

Exit codes: 0 success (a refresh whose sources partly failed still
succeeded), 2 a bad config or bad arguments, 1 anything else. Errors are one
line on stderr, never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from tracker.config import Config, load_config
from tracker.errors import ConfigError, LockError, TrackerError
from tracker.jsonout import to_json, to_jsonable
from tracker.types import RunSummary, Suggestion, SuggestionStatus

if TYPE_CHECKING:
    from rich.console import Console

    from tracker.store import Store

app = typer.Typer(
    help="Keep a research report current: watch its sources, suggest edits, publish editions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# rich is imported when something is first printed through it: a
# `tracker refresh --json` never is, and skips its import time.
@cache
def _out() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


@cache
def _err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


_state: dict[str, str | None] = {"config": None}


def _fail(message: str, code: int = 1) -> NoReturn:
    _err().print(f"tracker: {message}", markup=False)
    raise typer.Exit(code)


def _config() -> Config:
    try:
        return load_config(_state["config"])
    except ConfigError as exc:
        detail = "; ".join(exc.problems)
        _fail(f"bad config {exc.path}: {detail}", 2)


@contextmanager
def _errors() -> Iterator[None]:
    """Translate tracker's errors into one line and an exit code."""
    try:
        yield
    except ConfigError as exc:
        _fail(f"bad config {exc.path}: {'; '.join(exc.problems)}", 2)
    except LockError as exc:
        _fail(str(exc), 1)
    except TrackerError as exc:
        _fail(str(exc), 1)


def _open_store(config: Config) -> Store:
    from tracker.store import open_store

    return open_store(config.database_path)


def _print_json(value: Any) -> None:
    sys.stdout.write(to_json(value) + "\n")


@app.callback()
def main_options(
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
            metavar="PATH",
            help="Config file [default: $TRACKER_CONFIG, then ./sources.yaml].",
        ),
    ] = None,
) -> None:
    _state["config"] = config


# --------------------------------------------------------------------------
# refresh


@app.command()
def refresh(
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for a running refresh instead of exiting.")
    ] = False,
    via_daemon: Annotated[
        bool, typer.Option("--via-daemon", help="Ask the running daemon to refresh now.")
    ] = False,
) -> None:
    """Run one full cycle for every report: fetch, extract, match, suggest, publish."""
    config = _config()
    if via_daemon:
        from tracker.control import request_refresh

        with _errors():
            reply = request_refresh(config)
        if as_json:
            _print_json(reply)
        else:
            _out().print(f"daemon started refresh run {reply['run_id']}")
        return

    from tracker.refresh import RefreshEvents, run_refresh

    # --json shows no progress: no display to set up, and rich is never imported.
    display: AbstractContextManager[RefreshEvents | None] = nullcontext()
    if not as_json:
        from tracker.progress import progress_events

        display = progress_events(_err())
    with _errors(), display as events:
        summary = run_refresh(config, trigger="cli", wait=wait, events=events)
    if as_json:
        _print_json(summary)
    else:
        _print_summary(summary)
    if summary.outcome == "failed":
        raise typer.Exit(1)


def _print_summary(summary: RunSummary) -> None:
    requests = ", ".join(f"{n}×{status}" for status, n in sorted(summary.requests.items()))
    _out().print(
        f"run {summary.run_id} {summary.outcome}: "
        f"{summary.sources_ok} sources ok, {summary.sources_failed} failed; "
        f"{summary.new_entries} new entries, {summary.new_articles} new articles; "
        f"cited sources: {summary.cited_changed} changed, {summary.cited_gone} gone; "
        f"{summary.new_suggestions} new suggestions"
        + (f"; requests {requests}" if requests else ""),
        markup=False,
    )
    for failure in summary.failures:
        _out().print(f"  failed  {failure.source}: {failure.url} — {failure.reason}", markup=False)
    for warning in summary.warnings:
        _out().print(f"  warning {warning.source}: {warning.url} — {warning.reason}", markup=False)
    if summary.editions:
        for path in summary.editions:
            _out().print(f"  wrote {path}", markup=False)
    elif summary.outcome == "ok":
        _out().print("  no new edition: nothing changed", markup=False)


# --------------------------------------------------------------------------
# articles


@app.command()
def articles(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Include the extracted text.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
) -> None:
    """List the articles collected so far, newest first."""
    config = _config()
    with _errors(), _open_store(config) as store:
        found = store.articles(source=source, limit=limit)
    rows = []
    for article in found:
        row: dict[str, Any] = {
            "id": article.id,
            "title": article.title,
            "url": article.url,
            "source": article.source,
            "published": article.published,
            "language": article.language,
            "text_length": len(article.text),
            "from_feed_only": article.from_feed_only,
        }
        if full:
            row["text"] = article.text
        rows.append(row)
    if as_json:
        _print_json(rows)
        return
    from rich.markup import escape
    from rich.table import Table

    # Table cells are read as rich markup: feed text is escaped, or a title
    # such as "[/b]" would abort the listing.
    table = Table("published", "source", "lang", "chars", "title / url", show_lines=False)
    for row in rows:
        published = row["published"].date().isoformat() if row["published"] else "—"
        table.add_row(
            published,
            escape(row["source"]),
            escape(row["language"] or "?"),
            str(row["text_length"]),
            f"{escape(row['title'])}\n[dim]{escape(row['url'])}[/dim]",
        )
    _out().print(table)
    if full:
        for row in rows:
            _out().rule(row["title"])
            _out().print(row["text"], markup=False)


# --------------------------------------------------------------------------
# suggestions


@app.command()
def suggestions(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    status: Annotated[SuggestionStatus | None, typer.Option("--status")] = None,
    section: Annotated[
        str | None, typer.Option("--section", help="A section id, e.g. 3.2.")
    ] = None,
    report: Annotated[str | None, typer.Option("--report", help="A report id.")] = None,
) -> None:
    """List suggested edits."""
    from tracker.report import section_label

    config = _config()
    with _errors(), _open_store(config) as store:
        found = store.suggestions(
            report=report,
            status=status,
            section=section,
        )
    if as_json:
        _print_json([_suggestion_json(s) for s in found])
        return
    from rich.markup import escape
    from rich.table import Table

    # Cells are rich markup: everything from feeds and reports is escaped.
    table = Table("id", "status", "section", "kind", "score", "title / source")
    for s in found:
        table.add_row(
            str(s.id),
            s.status,
            escape(section_label(s.section, s.section_title)),
            s.kind,
            f"{s.score:.2f}",
            f"{escape(s.title)}\n[dim]{escape(s.source)} · {escape(s.url)}[/dim]",
        )
    _out().print(table)


def _suggestion_json(s: Suggestion) -> dict[str, Any]:
    data = to_jsonable(s)
    data["urls"] = list(s.urls) or [s.url]
    return data


@app.command()
def show(suggestion_id: Annotated[int, typer.Argument(help="A suggestion id.")]) -> None:
    """Show one suggestion and why it was made."""
    from tracker.report import section_label

    config = _config()
    with _errors(), _open_store(config) as store:
        s = store.suggestion(suggestion_id)
    if s is None:
        _fail(f"no suggestion {suggestion_id}")
    from rich.markup import escape

    _out().print(f"[bold]#{s.id}[/bold] {s.kind} · {s.status} · report {escape(s.report)}")
    _out().print(f"section {section_label(s.section, s.section_title)}", markup=False)
    _out().print(f"title   {s.title}", markup=False)
    _out().print(f"source  {s.source} · {s.published or 'undated'}", markup=False)
    for url in s.urls or (s.url,):
        _out().print(f"url     {url}", markup=False)
    _out().print(f"score   {s.score:.3f}", markup=False)
    for name, value in sorted(s.features.items()):
        _out().print(f"  {name:<18} {value:.3f}", markup=False)
    _out().print("\n[bold]why[/bold] (closest sentence):")
    _out().print(s.excerpt, markup=False)
    _out().print("\n[bold]proposed text[/bold]:")
    _out().print(s.proposed_text, markup=False)
    if s.reference:
        _out().print("\n[bold]new reference[/bold]:")
        _out().print(s.reference, markup=False)


def _decide(ids: Sequence[int], status: SuggestionStatus) -> None:
    config = _config()
    with _errors(), _open_store(config) as store:
        done = store.set_suggestion_status(ids, status, datetime.now(UTC))
    missing = sorted(set(ids) - set(done))
    for suggestion_id in done:
        _out().print(f"{status} #{suggestion_id}")
    if missing:
        _fail(f"no suggestion {', '.join(map(str, missing))}")
    _out().print("The next refresh publishes an edition that reflects this.")


@app.command()
def accept(ids: Annotated[list[int], typer.Argument(help="Suggestion ids.")]) -> None:
    """Accept suggestions: the next edition merges them into their sections."""
    _decide(ids, SuggestionStatus.ACCEPTED)


@app.command()
def reject(ids: Annotated[list[int], typer.Argument(help="Suggestion ids.")]) -> None:
    """Reject suggestions: they leave the next edition."""
    _decide(ids, SuggestionStatus.REJECTED)


# --------------------------------------------------------------------------
# status


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Runs, sources' health, next scheduled jobs and pending suggestions."""
    from tracker.status import collect_status, print_status

    config = _config()
    with _errors():
        data = collect_status(config, now=datetime.now(UTC))
    if as_json:
        _print_json(data)
    else:
        print_status(_out(), data)


# --------------------------------------------------------------------------
# digest, daemon, demo


def _parse_day(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    except ValueError:
        _fail(f"--since {value!r} is not a date (YYYY-MM-DD)", 2)


@app.command()
def digest(
    send: Annotated[
        bool, typer.Option("--send", help="Mail it (or write it to the outbox).")
    ] = False,
    since: Annotated[str | None, typer.Option("--since", metavar="DATE")] = None,
    to: Annotated[list[str] | None, typer.Option("--to", metavar="ADDR")] = None,
) -> None:
    """The weekly digest of suggested edits; prints it unless --send."""
    from tracker.notify.digest import run_digest

    config = _config()
    start = _parse_day(since)
    with _errors(), _open_store(config) as store:
        result = run_digest(config, store, now=datetime.now(UTC), send=send, since=start, to=to)
    if not send:
        sys.stdout.write(result.text + ("\n" if not result.text.endswith("\n") else ""))
        return
    if result.sent and result.outbox_path:
        _out().print(f"digest written to {result.outbox_path}", markup=False)
    elif result.sent:
        _out().print(
            f"digest sent: {result.suggestions} suggestions, {result.message_id}", markup=False
        )
    else:
        _out().print(f"digest not sent: {result.skipped_reason}", markup=False)


@app.command()
def daemon() -> None:
    """Run the scheduler and control API in the foreground (SIGTERM/SIGINT stop it)."""
    from tracker.daemon import run_daemon

    config_path = _state["config"]
    _config()  # fail fast, with exit code 2, on a bad config
    with _errors():
        code = run_daemon(config_path)
    raise typer.Exit(code)


@app.command()
def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to put the demo [default: ./tracker-demo].")
    ] = None,
) -> None:
    """The whole cycle offline, on bundled fixture sources served from 127.0.0.1."""
    from tracker.demo.run import run_demo

    with _errors():
        run_demo(directory or Path("tracker-demo"), _out())


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    _run(app, argv)


def _run(command: Callable[..., Any], argv: Sequence[str] | None) -> None:
    try:
        command(args=list(argv) if argv is not None else None, prog_name="tracker")
    except KeyboardInterrupt:
        _err().print("tracker: interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: one line, the traceback on request
        if os.environ.get("TRACKER_DEBUG"):
            raise
        _err().print(
            f"tracker: internal error: {type(exc).__name__}: {exc} "
            "(run with TRACKER_DEBUG=1 for the traceback)",
            markup=False,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
