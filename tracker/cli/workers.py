"""``tracker worker``: a refresh worker on the shared task queue (PostgreSQL store only);
and ``tracker refresh``'s round on that queue."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.base import app, errors, open_tracker

if TYPE_CHECKING:
    from tracker.store import RunRecord
    from tracker.types import RunSummary


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


def refresh_on_queue(timeout: float | None, *, show_progress: bool) -> RunSummary:
    """``tracker refresh`` with a PostgreSQL store: a round queued and waited for."""
    from tracker.cli.base import err
    from tracker.tasks.request import RoundWait

    class Shown(RoundWait):
        """Plain lines on stderr: the round queued, started, and its figures as they grow."""

        def queued(self, job_id: int, already_waiting: bool) -> None:
            what = "a round was already waiting: following it" if already_waiting else "queued"
            self._say(f"round {what} (job {job_id})")

        def no_workers(self) -> None:
            self._say("no worker is running: the round waits until `tracker worker` starts")

        def started(self, run_id: int) -> None:
            self._say(f"round started: run {run_id}")

        def progress(self, run: RunRecord) -> None:
            counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in run.counts.items() if v)
            self._say(f"run {run.id} {run.outcome}" + (f": {counts}" if counts else ""))

        def _say(self, line: str) -> None:
            if show_progress:
                err().print(line, markup=False, highlight=False)

    tracker = open_tracker()
    with errors():
        return tracker.refresh_on_queue(timeout=timeout, seen=Shown())
