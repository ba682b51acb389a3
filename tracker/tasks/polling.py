"""One poll job's work: the feeds of one host batch fetched, parsed and stored.

The feeds' requests stream, ``fetch.per_host`` at a time (the most the
fetcher sends one host at once), and every :data:`STORE_EVERY` answers land
in one store transaction: their entries, their feeds' health and
validators, their next poll times. A worker killed mid-batch therefore
leaves every chunk either wholly stored or not at all, and the retried job
skips the feeds already stored in this round (their ``last_checked`` is at
or after the round's start), so a feed's answer is stored once per round.
Requests in flight at the kill are sent again by the retry: fetching is at
least once, storing exactly once.

This module fetches and stores; it does not decide which feeds are due (the
round task does) nor fetch article pages (the extract task does).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from tracker.config import Config, FeedConfig
from tracker.errors import ExtractError
from tracker.fetch import Fetcher, FetchPolicy
from tracker.refresh import backoff
from tracker.refresh.articles import store_new_entries
from tracker.refresh.deadline import stage_deadline_reason
from tracker.refresh.reports import earliest_since
from tracker.refresh.source_health import fetch_record
from tracker.refresh.state import failure_reason
from tracker.store import FetchRecord, Store
from tracker.types import (
    FeedEntry,
    FetchOutcome,
    FetchRequest,
    FetchResult,
    SourceFailure,
    Validators,
)

_HEALTHY = (FetchOutcome.OK, FetchOutcome.NOT_MODIFIED)
# Answers stored per transaction: each costs a few milliseconds of the shared
# database's one write lock, so fewer and larger is faster; a worker killed
# mid-batch sends at most this many requests again.
STORE_EVERY = 20


@dataclass
class PollOutcome:
    """What one poll job did, for its log line and the extract jobs it defers."""

    polled: int = 0
    already_polled: int = 0  # stored by an earlier attempt of this round
    failed: int = 0
    new_entries: list[FeedEntry] = field(default_factory=list)
    warnings: list[SourceFailure] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)


def poll_feeds(
    config: Config,
    store: Store,
    urls: Sequence[str],
    *,
    round_started: datetime,
    clock: Callable[[], datetime],
) -> PollOutcome:
    """Poll the configured feeds among ``urls`` not yet stored since ``round_started``."""
    by_url = {f.url: f for f in config.feeds if f.enabled}
    outcome = PollOutcome()
    feeds: list[FeedConfig] = []
    validators: dict[str, Validators] = {}
    health = store.sources_for(urls)
    for url in dict.fromkeys(urls):
        feed = by_url.get(url)
        if feed is None:
            continue  # dropped from the config since the round was planned
        known = health.get(url)
        if known is not None and known.last_checked and known.last_checked >= round_started:
            outcome.already_polled += 1
            continue
        feeds.append(feed)
        validators[url] = known.validators if known is not None else Validators()
    if feeds:
        asyncio.run(_poll(config, store, feeds, validators, outcome, clock))
    return outcome


async def _poll(
    config: Config,
    store: Store,
    feeds: list[FeedConfig],
    validators: dict[str, Validators],
    outcome: PollOutcome,
    clock: Callable[[], datetime],
) -> None:
    # Requests stream: as one answers the next starts, up to the host's limit, and
    # every STORE_EVERY answers are stored together. No barrier waits for a chunk's
    # slowest feed, and a kill loses at most the answers not yet stored.
    chunk, window = STORE_EVERY, max(1, config.fetch.per_host)
    since = earliest_since(config.reports)
    by_url = {f.url: f for f in feeds}
    requests = [FetchRequest(f.url, validators[f.url]) for f in feeds]
    done: list[tuple[FeedConfig, FetchResult]] = []
    async with Fetcher(FetchPolicy.from_config(config.fetch)) as fetcher:
        try:
            async with (
                asyncio.timeout(config.fetch.stage_timeout),
                aclosing(fetcher.fetch_each(requests, window=window)) as results,
            ):
                async for result in results:
                    done.append((by_url[result.url], result))
                    if len(done) >= chunk:
                        _store_chunk(config, store, done, since, outcome, clock())
                        done = []
        except TimeoutError:
            # The feeds not answered by then are not recorded: the next round polls them.
            waiting = len(feeds) - outcome.polled - len(done)
            outcome.warnings.append(
                SourceFailure(
                    "poll",
                    "",
                    f"{stage_deadline_reason(config.fetch.stage_timeout)}: "
                    f"{waiting} feeds wait for the next round",
                )
            )
        if done:
            _store_chunk(config, store, done, since, outcome, clock())
        outcome.requests = dict(fetcher.stats)


def _store_chunk(
    config: Config,
    store: Store,
    fetched: list[tuple[FeedConfig, FetchResult]],
    since: date | None,
    outcome: PollOutcome,
    now: datetime,
) -> None:
    """Parse the chunk's new documents and store everything they brought in one transaction."""
    records: list[FetchRecord] = []
    not_feeds: set[str] = set()
    entries: list[FeedEntry] = []
    for feed, result in fetched:
        outcome.polled += 1
        if result.outcome is FetchOutcome.OK:
            try:
                entries.extend(_entries(result, feed, since, outcome, now))
            except ExtractError as exc:
                # A document that is not a feed: a failure of its source, and none of
                # its validators kept, so the next poll fetches it whole.
                outcome.failed += 1
                outcome.warnings.append(SourceFailure(feed.name, feed.url, exc.reason))
                not_feeds.add(feed.url)
                records.append(
                    _record(result, feed, Validators(), f"not a feed: {exc.reason}", now)
                )
                continue
            records.append(_record(result, feed, result.validators, None, now))
        elif result.outcome is FetchOutcome.NOT_MODIFIED:
            records.append(_record(result, feed, result.validators, None, now))
        else:
            outcome.failed += 1
            reason = failure_reason(result)
            outcome.warnings.append(SourceFailure(feed.name, feed.url, reason))
            records.append(_record(result, feed, None, reason, now))
    with store.transaction():
        new, capped = store_new_entries(
            store, entries, per_feed=config.fetch.max_entries_per_feed, now=now
        )
        store.record_fetches(records)
        # The health rows as just recorded: their failure streaks count this poll.
        health = store.sources_for(r.url for _, r in fetched)
        store.plan_polls(
            [backoff.plan(r, health.get(r.url), now, failed=r.url in not_feeds) for _, r in fetched]
        )
    outcome.new_entries.extend(new)
    outcome.warnings.extend(capped)


def _entries(
    result: FetchResult, feed: FeedConfig, since: date | None, outcome: PollOutcome, now: datetime
) -> list[FeedEntry]:
    from tracker.feeds import filter_since, parse_feed

    parsed = parse_feed(
        result.body,
        url=result.final_url or result.url,
        headers=result.headers,
        source_name=feed.name,
    )
    if parsed.warning:
        outcome.warnings.append(SourceFailure(feed.name, feed.url, parsed.warning))
    found = list(parsed.entries)
    return list(filter_since(found, since, undated_at=now)) if since is not None else found


def _record(
    result: FetchResult,
    feed: FeedConfig,
    validators: Validators | None,
    error: str | None,
    now: datetime,
) -> FetchRecord:
    record = fetch_record(result, "feed", feed.name, validators=validators, error=error, at=now)
    if error and result.outcome in _HEALTHY:
        # Answered, but not a feed: a failure of its source, as record_parsed records it.
        return replace(record, outcome=FetchOutcome.HTTP_ERROR)
    return record


def host_of(urls: Sequence[str]) -> str:
    """The host a batch polls (a batch holds one host's feeds), for log lines."""
    from tracker.tasks.plan import host_key

    return host_key(urls[0]) if urls else ""
