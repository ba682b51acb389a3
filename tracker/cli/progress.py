"""Refresh progress for people: a rich progress display on a terminal, plain
lines otherwise (logs, pipes, CI)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

STAGE_LABELS = {
    "sources": "checking sources",
    "feeds": "parsing feeds",
    "articles": "fetching articles",
    "cited": "cited sources",
    "matching": "matching",
}


class _RichEvents:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def stage(self, name: str, total: int) -> None:
        label = STAGE_LABELS.get(name, name)
        self.tasks[name] = self.progress.add_task(label, total=total)

    def advance(self, name: str, detail: str = "") -> None:
        if name in self.tasks:
            self.progress.advance(self.tasks[name])


class _LineEvents:
    """One line when a stage starts; nothing per item (a pipe is not a screen)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def stage(self, name: str, total: int) -> None:
        self.console.print(f"{STAGE_LABELS.get(name, name)}: {total}", markup=False)

    def advance(self, name: str, detail: str = "") -> None:
        pass


class _NoEvents:
    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, name: str, detail: str = "") -> None:
        pass


@contextmanager
def progress_events(
    console: Console, *, enabled: bool = True
) -> Iterator[_RichEvents | _LineEvents | _NoEvents]:
    if not enabled:
        yield _NoEvents()
    elif console.is_terminal:
        with Progress(
            TextColumn("{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as progress:
            yield _RichEvents(progress)
    else:
        yield _LineEvents(console)
