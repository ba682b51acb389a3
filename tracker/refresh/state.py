"""Shared pieces of a refresh: what front ends hear, and what one run gathers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter
from typing import Protocol

from tracker.types import CitedCheck, FetchResult, SourceFailure, Suggestion


class RefreshEvents(Protocol):
    """What a front end (CLI progress bar, daemon log) hears about a refresh."""

    def stage(self, name: str, total: int) -> None: ...
    def advance(self, name: str, detail: str = "") -> None: ...


class SilentEvents:
    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, name: str, detail: str = "") -> None:
        pass


class Stopped(Exception):
    """Raised at a stage boundary when the caller asked the run to stop."""


@dataclass
class RunState:
    """Counters and findings gathered while one refresh runs."""

    now: datetime
    failures: list[SourceFailure] = field(default_factory=list)
    warnings: list[SourceFailure] = field(default_factory=list)
    sources_ok: int = 0
    new_entries: int = 0
    new_articles: int = 0
    cited: list[CitedCheck] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    editions: list[str] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    durations: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        start = perf_counter()
        try:
            yield
        finally:
            self.durations[stage] = self.durations.get(stage, 0.0) + perf_counter() - start

    def fail(self, source: str, url: str, reason: str) -> None:
        self.failures.append(SourceFailure(source, url, reason))


def failure_reason(result: FetchResult) -> str:
    if result.error:
        return result.error
    if result.status is not None:
        return f"HTTP {result.status}"
    return str(result.outcome)
