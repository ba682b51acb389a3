"""How much article work one refresh takes on, and doing it with flat memory.

Three bounds keep one feed (or one busy morning) from making a refresh
unbounded:

* per feed, per refresh: of the entries a feed brings that were never seen,
  only the newest ``fetch.max_entries_per_feed`` are kept; the older ones are
  stored as skipped (known, so they never come back as new, but never
  fetched) and a warning names the feed. A feed offering hundreds of unseen
  entries at once is an archive or a broken feed, and its oldest entries are
  old news: keeping them would only spread the same flood over later runs;
* per refresh: at most ``fetch.max_entries_per_run`` article pages are
  fetched, the newest entries first; the rest stay entries and wait for the
  next refresh (nothing is lost, the next run starts with them), and a
  warning per feed says how many wait;
* memory: pages are extracted as they arrive, at most :data:`WINDOW` bodies
  fetched or in flight at a time, each dropped once extracted.

An entry neither its feed nor its page dates counts as published when a
refresh first stored it, so it sorts among the newest when first seen and is
held to a report's ``since`` like any other, instead of passing it forever.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from tracker.errors import ExtractError
from tracker.fetch import Fetcher
from tracker.refresh.deadline import stage_deadline_reason
from tracker.refresh.network import network_down, probe_first
from tracker.refresh.state import RefreshEvents, RunState, failure_reason
from tracker.store import Store
from tracker.types import Article, FeedEntry, FetchRequest, FetchResult, SourceFailure

# Article pages fetched or in flight, not yet extracted, at any moment: the
# most bodies one refresh holds (each at most fetch.max_body_mb).
WINDOW = 16


def store_new_entries(
    store: Store, entries: Sequence[FeedEntry], *, per_feed: int, now: datetime
) -> tuple[list[FeedEntry], list[SourceFailure]]:
    """Store ``entries``; return the new ones kept (the newest ``per_feed`` of each feed)
    and a warning for each feed whose older new entries were dropped.

    Call it inside the transaction that also keeps the feeds' validators.
    """
    new = store.add_entries(entries, now)
    by_feed: dict[str, list[FeedEntry]] = {}
    for entry in new:
        by_feed.setdefault(entry.feed_url, []).append(entry)
    kept: set[str] = set()
    warnings = []
    for feed_url, found in by_feed.items():
        newest = _newest_first(found, lambda e: e.published or now)
        kept.update(e.url for e in newest[:per_feed])
        if len(found) > per_feed:
            dropped = newest[per_feed:]
            store.mark_entries_skipped([e.url for e in dropped], now)
            warnings.append(
                SourceFailure(
                    found[0].source_name,
                    feed_url,
                    f"{len(found)} new entries, more than fetch.max_entries_per_feed "
                    f"({per_feed}): the newest {per_feed} kept, {len(dropped)} older ones dropped",
                )
            )
    return [e for e in new if e.url in kept], warnings


def take_newest(
    pending: Sequence[FeedEntry], limit: int
) -> tuple[list[FeedEntry], list[SourceFailure]]:
    """The newest ``limit`` entries of the backlog, and a warning per feed for the rest,
    which stay in the backlog for the next refresh."""
    if len(pending) <= limit:
        return list(pending), []
    newest = _newest_first(pending, lambda e: e.published or e.first_seen)
    chosen = {e.url for e in newest[:limit]}
    taken = [e for e in pending if e.url in chosen]  # in the backlog's own order
    left = newest[limit:]
    by_feed = Counter((e.source_name, e.feed_url) for e in left)
    warnings = [
        SourceFailure(
            name,
            feed_url,
            f"{count} new entries wait for the next refresh: this refresh fetched "
            f"fetch.max_entries_per_run ({limit}) article pages, the newest first",
        )
        for (name, feed_url), count in by_feed.items()
    ]
    return taken, warnings


def _newest_first(
    entries: Sequence[FeedEntry], when: Callable[[FeedEntry], datetime | None]
) -> list[FeedEntry]:
    # Stable: entries of one date keep their order (a feed lists its newest first).
    return sorted(entries, key=lambda e: (when(e) or datetime.min).timestamp(), reverse=True)


async def collect_articles(
    fetcher: Fetcher,
    entries: Sequence[FeedEntry],
    state: RunState,
    *,
    store: Store,
    events: RefreshEvents,
    clock: Callable[[], datetime],
    respect_robots: bool,
    deadline: float,
) -> None:
    """Fetch, extract and store the article of every entry, one page at a time,
    within ``deadline`` seconds (``fetch.stage_timeout``): the pages not done
    by then stay entries, fetched by the next refresh.

    One page per host for the first few hosts is tried first; when they all
    fail to answer, the network looks down and the rest stay entries.
    """
    try:
        async with asyncio.timeout(deadline):
            await _collect(fetcher, entries, state, store, events, clock, respect_robots)
    except TimeoutError:
        waiting = len(store.entries_without_article())
        reason = f"{stage_deadline_reason(deadline)}: {waiting} article pages wait"
        state.warnings.append(SourceFailure("articles", "", f"{reason} for the next refresh"))


async def _collect(
    fetcher: Fetcher,
    entries: Sequence[FeedEntry],
    state: RunState,
    store: Store,
    events: RefreshEvents,
    clock: Callable[[], datetime],
    respect_robots: bool,
) -> None:
    events.stage("articles", len(entries))
    by_url = {e.url: e for e in entries}
    requests = [FetchRequest(e.link or e.url, respect_robots=respect_robots) for e in entries]
    link_to_entry = {r.url: by_url[e.url] for r, e in zip(requests, entries, strict=True)}

    probe, rest = probe_first(requests)
    if not rest:  # too few hosts to tell a dead network: no probe, all streamed
        probe, rest = [], probe
    probed = await fetcher.fetch_many(probe)  # one page per host for a few hosts
    if rest and network_down(probed):
        # The rest stay entries, not bare summaries: the next refresh fetches them.
        # The probed few are stored as any failed page is, so a run whose hosts
        # are really all dead still works its way through the backlog.
        hosts = len({urlsplit(r.url).hostname for r in probed})
        state.warnings.append(
            SourceFailure(
                "network",
                "",
                f"no article page answered from {hosts} hosts, the network looks down: "
                f"{len(rest)} article pages wait for the next refresh",
            )
        )
        rest = []
    while probed:
        result = probed.pop(0)
        await _store_article(link_to_entry[result.url], result, state, store, clock)
        events.advance("articles", result.url)
    # aclosing: a stage deadline that cancels this loop cancels the fetches at once.
    async with aclosing(fetcher.fetch_each(rest, window=WINDOW)) as results:
        async for result in results:
            await _store_article(link_to_entry[result.url], result, state, store, clock)
            events.advance("articles", result.url)


async def _store_article(
    entry: FeedEntry,
    result: FetchResult,
    state: RunState,
    store: Store,
    clock: Callable[[], datetime],
) -> None:
    from tracker.pages import article_from_entry, article_from_page, extract_page

    article: Article
    if result.ok:
        loop = asyncio.get_running_loop()
        body, url, headers = result.body, result.final_url or result.url, result.headers
        try:
            page = await loop.run_in_executor(
                None, lambda: extract_page(body, url=url, headers=headers)
            )
            article = article_from_page(entry, page)
        except ExtractError as exc:
            state.warnings.append(SourceFailure(entry.source_name, result.url, exc.reason))
            article = article_from_entry(entry)
    else:
        state.warnings.append(SourceFailure(entry.source_name, result.url, failure_reason(result)))
        article = article_from_entry(entry)
    if article.published is None and entry.first_seen is not None:
        article = replace(article, published=entry.first_seen)
    store.add_article(article, clock())
    state.new_articles += 1
