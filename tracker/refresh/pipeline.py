"""The refresh pipeline: one full cycle for every report.

This is the only module that knows the order of the stages::

    lock → store → reports → fetch feeds + cited pages → parse entries
         → fetch + extract article pages → cited snapshots
         → match → suggest → render editions → run record

Each stage is called with plain data and returns plain data; the store is
written between stages, in small transactions, so a refresh killed at any
point leaves a consistent database and the next refresh picks up where it
stopped: entries without articles get their pages fetched, articles not yet
matched get matched, and an edition is rewritten whole.

A failing source never stops the run: it becomes a line in the summary.

Heavy modules (trafilatura, feedparser, the embedding model) are imported
only when there is work for them, so a refresh in which nothing changed costs
little more than its conditional requests.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from tracker.config import Config, FeedConfig, ReportConfig
from tracker.errors import ExtractError, TrackerError
from tracker.fetch import Fetcher, FetchPolicy
from tracker.lock import refresh_lock
from tracker.refresh import backoff, recheck
from tracker.refresh.articles import collect_articles, store_new_entries, take_newest
from tracker.refresh.cited import check_cited
from tracker.refresh.deadline import fetch_all_within
from tracker.refresh.publish import publish_editions
from tracker.refresh.reports import earliest_since, load_reports
from tracker.refresh.source_health import record_fetched, record_parsed, record_validators
from tracker.refresh.state import RefreshEvents, RunState, SilentEvents, Stopped
from tracker.refresh.suggesting import match_and_suggest
from tracker.store import Store, open_store
from tracker.types import (
    CitedStatus,
    FeedEntry,
    FetchOutcome,
    FetchRequest,
    FetchResult,
    Report,
    RunSummary,
    SourceFailure,
    Validators,
)

log = logging.getLogger(__name__)


def run_refresh(
    config: Config,
    *,
    trigger: str = "cli",
    wait: bool = False,
    events: RefreshEvents | None = None,
    due_only: bool = False,
    feed_names: Sequence[str] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    should_stop: Callable[[], bool] = lambda: False,
    on_started: Callable[[int], None] | None = None,
    force: bool = False,
) -> RunSummary:
    """Run one refresh under the state folder's lock and return its summary.

    ``due_only`` (scheduled runs) skips feeds whose own ``every`` interval has
    not elapsed since their last check; ``feed_names`` limits the run to some
    feeds. A feed waiting out its backoff, ``Retry-After``, max-age or ttl
    (:mod:`tracker.refresh.backoff`), and a healthy cited page checked less than
    ``match.cited_recheck_days`` ago (:mod:`tracker.refresh.recheck`), are skipped
    unless ``force``. ``should_stop``
    is polled between stages: when it turns true the run ends early, recorded
    as interrupted, with everything done so far kept.
    Raises :class:`~tracker.errors.LockError` when another refresh is running.
    """
    with refresh_lock(config.state_dir, trigger=trigger, wait=wait):
        store = open_store(config.store_location)
        try:
            return _Refresh(config, store, events or SilentEvents(), clock, should_stop).run(
                trigger=trigger,
                due_only=due_only,
                feed_names=feed_names,
                on_started=on_started,
                force=force,
            )
        finally:
            store.close()


class _Refresh:
    def __init__(
        self,
        config: Config,
        store: Store,
        events: RefreshEvents,
        clock: Callable[[], datetime],
        should_stop: Callable[[], bool],
    ) -> None:
        self.config = config
        self.store = store
        self.events = events
        self.clock = clock
        self.should_stop = should_stop

    # -- the stages, in order ------------------------------------------------

    def run(
        self,
        *,
        trigger: str,
        due_only: bool,
        feed_names: Sequence[str] | None,
        on_started: Callable[[int], None] | None,
        force: bool = False,
    ) -> RunSummary:
        started = self.clock()
        state = RunState(now=started)
        # Holding the lock, any run still marked as running died with its process.
        self.store.interrupt_stale_runs(started)
        run_id = self.store.start_run(started, trigger=trigger, pid=os.getpid())
        if on_started:
            on_started(run_id)
        outcome = "ok"
        try:
            reports = self._load_reports(state)
            feeds = self._feeds_to_poll(feed_names, due_only, started)
            if not force:
                feeds = self._hold_back(feeds, started, state)
            asyncio.run(self._collect(reports, feeds, state, force=force))
            self._checkpoint()
            with state.timed("match"):
                match_and_suggest(
                    self.store,
                    reports,
                    state,
                    threshold=self.config.match.threshold,
                    clock=self.clock,
                    events=self.events,
                    draft=self.config.draft,
                )
            self._checkpoint()
            with state.timed("publish"):
                publish_editions(self.store, reports, state, clock=self.clock)
        except Stopped:
            outcome = "interrupted"
        except TrackerError as exc:
            outcome = "failed"
            state.fail("tracker", "", str(exc))
        except BaseException:
            summary = self._summary(run_id, started, state, "failed")
            self.store.finish_run(run_id, summary)
            raise
        summary = self._summary(run_id, started, state, outcome)
        self.store.finish_run(run_id, summary)
        return summary

    def _checkpoint(self) -> None:
        if self.should_stop():
            raise Stopped

    def _load_reports(self, state: RunState) -> list[tuple[ReportConfig, Report]]:
        """Every report, parsed (or read back from the store's cache: ``refresh.reports``);
        one that cannot be read is a failure of this run, the others go on."""
        loaded, failures = load_reports(self.config, self.store, self.clock)
        state.failures.extend(failures)
        return loaded

    def _feeds_to_poll(
        self, names: Sequence[str] | None, due_only: bool, now: datetime
    ) -> list[FeedConfig]:
        feeds = [f for f in self.config.feeds if f.enabled]
        if names is not None:
            feeds = [f for f in feeds if f.name in names]
        if not due_only:
            return feeds
        from tracker.schedule import IntervalSchedule, parse_schedule

        last_checked = {s.url: s.last_checked for s in self.store.sources(kind="feed")}
        due = []
        for feed in feeds:
            schedule = parse_schedule(feed.every) if feed.every else None
            checked = last_checked.get(feed.url)
            # A little slack so a feed polled "every 6h" by a 6-hourly job is not skipped
            # because the previous run finished a few seconds late.
            if (
                isinstance(schedule, IntervalSchedule)
                and checked is not None
                and now - checked < timedelta(seconds=schedule.seconds * 0.95)
            ):
                continue
            due.append(feed)
        return due

    def _hold_back(
        self, feeds: list[FeedConfig], now: datetime, state: RunState
    ) -> list[FeedConfig]:
        """The feeds whose next poll time has come; failing ones held back are one warning."""
        health = {s.url: s for s in self.store.sources(kind="feed")}
        if waiting := backoff.waiting([health[f.url] for f in feeds if f.url in health], now):
            first = min(h.next_poll for h in waiting if h.next_poll)
            state.warnings.append(
                SourceFailure(
                    "backoff",
                    "",
                    f"{len(waiting)} failing feeds wait for their next poll, the first at "
                    f"{first.isoformat(timespec='seconds')}; refresh --force polls them now",
                )
            )
        return [f for f in feeds if backoff.due(health.get(f.url), now)]

    @property
    def _recheck(self) -> timedelta:
        return timedelta(days=self.config.match.cited_recheck_days)

    def _cited_to_check(
        self, reports: list[tuple[ReportConfig, Report]], force: bool, now: datetime
    ) -> dict[str, None]:
        """The reports' cited URLs due for a check (:mod:`tracker.refresh.recheck`)."""
        if not self.config.watch_cited:
            return {}
        cited = dict.fromkeys(url for _, report in reports for url in report.cited_urls)
        if force:
            return cited
        health = {s.url: s for s in self.store.sources(kind="cited")}
        return {url: None for url in cited if recheck.due(health.get(url), now, self._recheck)}

    async def _collect(
        self,
        reports: list[tuple[ReportConfig, Report]],
        feeds: list[FeedConfig],
        state: RunState,
        *,
        force: bool,
    ) -> None:
        cited_urls = self._cited_to_check(reports, force, state.now)
        feed_by_url = {f.url: f for f in feeds}
        validators = self.store.validators_for([*feed_by_url, *cited_urls])
        requests = [FetchRequest(url, validators.get(url) or Validators()) for url in feed_by_url]
        requests += [FetchRequest(url, validators.get(url) or Validators()) for url in cited_urls]
        since = earliest_since(self.config.reports)

        async with Fetcher(FetchPolicy.from_config(self.config.fetch)) as fetcher:
            self.events.stage("sources", len(requests))
            with state.timed("fetch"):
                results = await fetch_all_within(
                    fetcher,
                    requests,
                    self.config.fetch.stage_timeout,
                    on_result=self._advance("sources"),
                )
            records = []
            feed_results: list[FetchResult] = []
            cited_results: list[FetchResult] = []
            for result in results:
                kind = "feed" if result.url in feed_by_url else "cited"
                name = feed_by_url[result.url].name if kind == "feed" else "cited"
                records.append((result, kind, name))
                (feed_results if kind == "feed" else cited_results).append(result)
            with state.timed("store"):
                record_fetched(
                    self.store, records, state, now=self.clock(), recheck_interval=self._recheck
                )
            self._checkpoint()

            with state.timed("parse"):
                new_entries = self._parse_feeds(feed_results, feed_by_url, since, state)
            state.new_entries += len(new_entries)
            self._checkpoint()

            offline = len(results) > 1 and all(
                r.outcome is FetchOutcome.UNREACHABLE for r in results
            )
            # Pending entries include those a killed refresh stored but never fetched.
            pending = self.store.entries_without_article()
            if offline:
                state.warnings.append(
                    SourceFailure(
                        "network",
                        "",
                        "every source was unreachable, the network looks down: "
                        f"{len(pending)} article pages wait for the next refresh, "
                        "and this run does not count against the cited sources",
                    )
                )
            elif pending:
                pending, waiting = take_newest(pending, self.config.fetch.max_entries_per_run)
                state.warnings.extend(waiting)
                with state.timed("articles"):
                    await collect_articles(
                        fetcher,
                        pending,
                        state,
                        store=self.store,
                        events=self.events,
                        clock=self.clock,
                        respect_robots=self.config.fetch.respect_robots,
                        deadline=self.config.fetch.stage_timeout,
                    )
            self._checkpoint()
            with state.timed("cited"):
                check_cited(
                    self.store,
                    [report for _, report in reports],
                    cited_results,
                    state,
                    gone_after=self.config.match.gone_after,
                    gone_after_days=self.config.match.gone_after_days,
                    check_claims=self.config.match.check_claims,
                    clock=self.clock,
                    events=self.events,
                    offline=offline,
                )
            record_validators(
                self.store, [(r, "cited", "cited") for r in cited_results if r.ok], now=self.clock()
            )
            state.requests.update(fetcher.stats)

    def _advance(self, stage: str) -> Callable[[FetchResult], None]:
        def advance(result: FetchResult) -> None:
            self.events.advance(stage, result.url)

        return advance

    def _parse_feeds(
        self,
        results: list[FetchResult],
        feed_by_url: dict[str, FeedConfig],
        since: date | None,
        state: RunState,
    ) -> list[FeedEntry]:
        fresh = [r for r in results if r.outcome is FetchOutcome.OK]
        if not fresh:
            return []
        from tracker.feeds import filter_since, parse_feed

        entries: list[FeedEntry] = []
        parsed_ok: list[tuple[FetchResult, str, str]] = []
        not_feeds: list[tuple[FetchResult, str, str]] = []
        self.events.stage("feeds", len(fresh))
        for result in fresh:
            feed = feed_by_url[result.url]
            try:
                parsed = parse_feed(
                    result.body,
                    url=result.final_url or result.url,
                    headers=result.headers,
                    source_name=feed.name,
                )
            except ExtractError as exc:
                state.sources_ok -= 1
                state.fail(feed.name, result.url, exc.reason)
                not_feeds.append((result, feed.name, exc.reason))
                continue
            finally:
                self.events.advance("feeds", result.url)
            if parsed.warning:
                state.warnings.append(SourceFailure(feed.name, result.url, parsed.warning))
            found = parsed.entries
            if since is not None:
                found = filter_since(found, since, undated_at=self.clock())
            entries.extend(found)
            parsed_ok.append((result, "feed", feed.name))
        with self.store.transaction():
            new, capped = store_new_entries(
                self.store,
                entries,
                per_feed=self.config.fetch.max_entries_per_feed,
                now=self.clock(),
            )
            # Each feed's one health record of this refresh, now that its fate is known.
            record_parsed(self.store, parsed_ok, not_feeds, now=self.clock())
        state.warnings.extend(capped)
        return new

    def _summary(self, run_id: int, started: datetime, state: RunState, outcome: str) -> RunSummary:
        return RunSummary(
            run_id=run_id,
            started_at=started,
            finished_at=self.clock(),
            outcome=outcome,
            sources_ok=state.sources_ok,
            sources_failed=sum(1 for f in state.failures if f.source != "cited"),
            failures=tuple(state.failures),
            warnings=tuple(state.warnings),
            requests=dict(state.requests),
            new_entries=state.new_entries,
            new_articles=state.new_articles,
            cited_changed=sum(1 for c in state.cited if c.text_changed),
            cited_gone=sum(1 for c in state.cited if c.status is CitedStatus.GONE),
            new_suggestions=len(state.suggestions),
            editions=tuple(state.editions),
            durations={k: round(v, 4) for k, v in state.durations.items()},
        )
