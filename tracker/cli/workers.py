"""``tracker worker``: a refresh worker on the shared task queue (PostgreSQL store only)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from tracker.cli.base import app, errors, open_tracker


@app.command()
def worker(
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", "-n", min=1, max=64, help="Jobs this worker runs at once."),
    ] = 4,
    heartbeat: Annotated[
        float,
        typer.Option("--heartbeat", min=0.2, metavar="SECONDS", help="How often it says it lives."),
    ] = 10.0,
    stalled_after: Annotated[
        float,
        typer.Option(
            "--stalled-after",
            min=1.0,
            metavar="SECONDS",
            help="A worker silent this long is taken for dead: its jobs go to another.",
        ),
    ] = 30.0,
) -> None:
    """Take refresh tasks from the shared queue until SIGTERM/SIGINT (PostgreSQL store).

    Run any number, on any machine that reaches the database; with the SQLite
    store there is no queue and this exits 2 (the daemon refreshes in-process).
    """
    from tracker.daemon.logging import configure_logging
    from tracker.tasks.engine import EngineSettings

    tracker = open_tracker()
    if stalled_after <= heartbeat:
        from tracker.cli.base import fail

        fail("--stalled-after must be longer than --heartbeat", 2)
    settings = EngineSettings(
        heartbeat_seconds=heartbeat,
        stalled_after=stalled_after,
        # Look for stalled jobs twice per stalled_after: a dead worker's jobs wait at most 1.5x.
        recover_every=max(1, round(stalled_after / 2)),
    )
    with errors():
        # Jobs, the heartbeat, the listener and the periodic deferrer each hold a connection.
        engine = tracker.task_engine(settings, pool_size=concurrency + 4)
    configure_logging(tracker.config.daemon.log_level)
    if tracker.config.daemon.log_level != "debug":
        # The engine logs every job with its arguments (whole feed entries): too much.
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
    engine.run_worker(concurrency)
