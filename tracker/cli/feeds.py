"""``tracker feeds``: the feeds of ``sources.yaml`` in and out as OPML."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tracker.atomic import replace_file
from tracker.cli.base import app, errors, fail, open_tracker, out
from tracker.errors import ConfigError

feeds_app = typer.Typer(
    help="The feeds in sources.yaml: import and export OPML.", no_args_is_help=True
)
app.add_typer(feeds_app, name="feeds")


@feeds_app.command("import")
def import_opml(
    file: Annotated[Path, typer.Argument(metavar="FILE.opml", help="An OPML subscription list.")],
) -> None:
    """Add an OPML file's feeds to sources.yaml (comments kept; known URLs skipped)."""
    tracker = open_tracker()
    try:
        result = tracker.import_opml(file)
    except ConfigError as exc:
        # The problem may be the OPML file or the config it would have made: the
        # message names which.
        fail(str(exc), 2)
    added, skipped = len(result.added), len(result.skipped_existing)
    out().print(
        f"{tracker.config.source_path}: added {added} feed{'s' * (added != 1)}, "
        f"skipped {skipped} already configured",
        markup=False,
    )


@feeds_app.command("export")
def export_opml(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write here instead of stdout."),
    ] = None,
) -> None:
    """Every configured feed as OPML 2.0."""
    tracker = open_tracker()
    with errors():
        data = tracker.export_opml()
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        replace_file(output, data)
    except OSError as exc:
        fail(f"{output}: cannot be written: {exc.strerror or exc}", 1)
