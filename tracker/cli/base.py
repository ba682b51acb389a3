"""What every command shares: the typer app, the consoles, the one :class:`Tracker`
built from ``--config``, and the translation of tracker's errors into one
line and an exit code.

Exit codes: 0 success (a refresh whose sources partly failed still
succeeded), 2 a bad config or bad arguments, 1 anything else. Errors are one
line on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from tracker.app import Tracker
from tracker.errors import ConfigError, TrackerError
from tracker.jsonout import to_json

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    help="Keep a research report current: watch its sources, suggest edits, publish editions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_options: dict[str, str | None] = {"config": None}


@app.callback()
def main_options(
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
            metavar="PATH",
            help="Config file \\[default: $TRACKER_CONFIG, then ./sources.yaml].",
        ),
    ] = None,
) -> None:
    _options["config"] = config


def config_path() -> str | None:
    """``--config`` as given (the daemon re-reads the file itself on SIGHUP)."""
    return _options["config"]


# rich is imported when something is first printed through it: a
# `tracker refresh --json` never is, and skips its import time.
@cache
def out() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


@cache
def err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err().print(f"tracker: {message}", markup=False)
    raise typer.Exit(code)


def open_tracker() -> Tracker:
    """The :class:`Tracker` for ``--config``; a bad config ends the command with exit 2."""
    try:
        return Tracker.from_file(_options["config"])
    except ConfigError as exc:
        fail(f"bad config {exc.path}: {'; '.join(exc.problems)}", 2)


@contextmanager
def errors() -> Iterator[None]:
    """Translate tracker's errors into one line and an exit code."""
    try:
        yield
    except ConfigError as exc:
        fail(f"bad config {exc.path}: {'; '.join(exc.problems)}", 2)
    except TrackerError as exc:
        fail(str(exc), 1)


def print_json(value: Any) -> None:
    sys.stdout.write(to_json(value) + "\n")
