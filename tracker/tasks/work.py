"""What each task does, as plain functions over a config and a store.

The queue engine (:mod:`tracker.tasks.engine`) wraps these in tasks, takes
their locks and defers what each one says comes next; nothing here knows
about the engine, so each step is also callable (and tested) on its own.
Every step is safe to run twice: a retried task finds what its first attempt
stored and carries on from there.

- :func:`plan_round`: which feeds are due, batched by host; and the entries an
  earlier round stored but never turned into articles (a worker killed after
  storing them), so nothing waits for ever;
- :func:`poll_batch` (in :mod:`tracker.tasks.polling`): fetch, parse, store;
- :func:`extract`: article pages of some entries fetched and extracted;
- :func:`match`: unmatched articles matched to every report and suggested;
- :func:`publish`: one report's edition and changelog, when something changed;
- :func:`send_digest`: the period's digest, unless the store says it went.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tracker.config import Config, FeedConfig
from tracker.fetch import Fetcher, FetchPolicy
from tracker.refresh import backoff
from tracker.refresh.articles import collect_articles
from tracker.refresh.publish import publish_editions
from tracker.refresh.reports import load_reports
from tracker.refresh.state import RunState, SilentEvents
from tracker.refresh.suggesting import match_and_suggest
from tracker.store import SourceHealth, Store
from tracker.tasks.plan import HostBatch, batches_by_host, entries_by_host
from tracker.types import FeedEntry, SourceFailure

if TYPE_CHECKING:
    from tracker.notify.digest import DigestResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoundPlan:
    """A round's work: poll batches, and backlog entries whose pages are still to fetch."""

    started: datetime
    batches: list[HostBatch]
    held_back: int  # failing feeds waiting out their backoff
    backlog: dict[str, list[FeedEntry]]  # host → entries without an article


def plan_round(
    config: Config,
    store: Store,
    now: datetime,
    *,
    due_only: bool = True,
    feed_names: Sequence[str] | None = None,
    batch_size: int,
    backlog_limit: int,
) -> RoundPlan:
    """The feeds due at ``now`` (their own ``every``, then their backoff), in host batches;
    ``feed_names`` limits the round to those feeds (a group with its own ``every``)."""
    health = {s.url: s for s in store.sources(kind="feed")}
    feeds = [f for f in config.feeds if f.enabled]
    if feed_names is not None:
        feeds = [f for f in feeds if f.name in feed_names]
    if due_only:
        feeds = [f for f in feeds if _interval_due(f, health.get(f.url), now)]
    due = [f for f in feeds if backoff.due(health.get(f.url), now)]
    return RoundPlan(
        started=now,
        batches=batches_by_host([f.url for f in due], batch_size),
        held_back=len(feeds) - len(due),
        backlog=entries_by_host(store.entries_without_article(limit=backlog_limit)),
    )


def _interval_due(feed: FeedConfig, health: SourceHealth | None, now: datetime) -> bool:
    """A feed with its own ``every`` is due once that interval (less 5 %) has passed."""
    if not feed.every or health is None or health.last_checked is None:
        return True
    from tracker.schedule import IntervalSchedule, parse_schedule

    schedule = parse_schedule(feed.every)
    if not isinstance(schedule, IntervalSchedule):
        return True
    return now - health.last_checked >= timedelta(seconds=schedule.seconds * 0.95)


@dataclass(frozen=True)
class Extracted:
    articles: int
    already: int  # entries an earlier attempt (or another job) had already extracted
    warnings: list[SourceFailure]


def extract(
    config: Config, store: Store, entries: Sequence[FeedEntry], clock: Callable[[], datetime]
) -> Extracted:
    """Fetch and extract the article page of each entry not yet turned into an article."""
    todo = [e for e in entries if store.article(e.url) is None]
    state = RunState(now=clock())
    if todo:
        asyncio.run(_extract(config, store, todo, state, clock))
    return Extracted(state.new_articles, len(entries) - len(todo), state.warnings)


async def _extract(
    config: Config,
    store: Store,
    entries: list[FeedEntry],
    state: RunState,
    clock: Callable[[], datetime],
) -> None:
    async with Fetcher(FetchPolicy.from_config(config.fetch)) as fetcher:
        await collect_articles(
            fetcher,
            entries,
            state,
            store=store,
            events=SilentEvents(),
            clock=clock,
            respect_robots=config.fetch.respect_robots,
            deadline=config.fetch.stage_timeout,
        )


@dataclass(frozen=True)
class Matched:
    suggestions: int
    reports: list[str]  # the reports whose publish job should run
    failures: list[SourceFailure]


def match(config: Config, store: Store, clock: Callable[[], datetime]) -> Matched:
    """Match every unmatched article to every report and store the suggestions.

    Only one match runs at a time (the engine's lock): two at once would both
    see the same unmatched articles. A retry after a kill finds the suggestions
    its first attempt stored (``suggestion_for_url``) and does not repeat them."""
    reports, failures = load_reports(config, store, clock)
    state = RunState(now=clock())
    match_and_suggest(
        store,
        reports,
        state,
        threshold=config.match.threshold,
        clock=clock,
        events=SilentEvents(),
        draft=config.draft,
    )
    return Matched(len(state.suggestions), [c.id for c, _ in reports], failures)


def publish(
    config: Config, store: Store, report_id: str, clock: Callable[[], datetime]
) -> list[str]:
    """Publish one report's edition and changelog when its store state changed; the files."""
    reports, failures = load_reports(config, store, clock)
    for failure in failures:
        log.warning("publish %s: %s", failure.source, failure.reason)
    chosen = [(c, r) for c, r in reports if c.id == report_id]
    state = RunState(now=clock())
    publish_editions(store, chosen, state, clock=clock)
    return state.editions


def send_digest(config: Config, store: Store, now: datetime) -> DigestResult:
    """The period's digest, sent once: the store's digest record is checked first, and the
    engine runs one digest task at a time, so two workers never both send it."""
    from tracker.notify.digest import run_digest

    return run_digest(config, store, now=now, send=True)
