"""The refresh: one full cycle for every report.

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
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Protocol

from tracker.config import Config, FeedConfig, ReportConfig
from tracker.errors import ExtractError, ReportError, TrackerError
from tracker.fetch import Fetcher, FetchPolicy
from tracker.lock import refresh_lock
from tracker.store import Store, open_store
from tracker.types import (
    Article,
    CitedCheck,
    CitedStatus,
    FeedEntry,
    FetchOutcome,
    FetchRequest,
    FetchResult,
    Reference,
    Report,
    RunSummary,
    SourceFailure,
    Suggestion,
    Validators,
)

if TYPE_CHECKING:
    from tracker.match import Matcher

log = logging.getLogger(__name__)

USER_AGENT = "tracker/{version} (report watcher; +https://github.com/tracker-project/tracker)"


class RefreshEvents(Protocol):
    """What a front end (CLI progress bar, daemon log) hears about a refresh."""

    def stage(self, name: str, total: int) -> None: ...
    def advance(self, name: str, detail: str = "") -> None: ...


class _Silent:
    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, name: str, detail: str = "") -> None:
        pass


@dataclass
class _RunState:
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


def fetch_policy(config: Config) -> FetchPolicy:
    from tracker import __version__

    fetch = config.fetch
    return FetchPolicy(
        user_agent=fetch.user_agent or USER_AGENT.format(version=__version__),
        connect_timeout=fetch.connect_timeout,
        read_timeout=fetch.read_timeout,
        max_body_bytes=int(fetch.max_body_mb * 1024 * 1024),
        max_redirects=fetch.max_redirects,
        max_connections=fetch.concurrency,
        max_per_host=fetch.per_host,
        allow_private_networks=fetch.allow_private_networks,
        allowed_networks=tuple(fetch.allowed_networks),
    )


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
) -> RunSummary:
    """Run one refresh under the state folder's lock and return its summary.

    ``due_only`` (scheduled runs) skips feeds whose own ``every`` interval has
    not elapsed since their last check; ``feed_names`` limits the run to some
    feeds. ``should_stop`` is polled between stages: when it turns true the
    run ends early, recorded as interrupted, with everything done so far kept.
    Raises :class:`~tracker.errors.LockError` when another refresh is running.
    """
    with refresh_lock(config.state_dir, trigger=trigger, wait=wait):
        store = open_store(config.database_path)
        try:
            return _Refresh(config, store, events or _Silent(), clock, should_stop).run(
                trigger=trigger, due_only=due_only, feed_names=feed_names, on_started=on_started
            )
        finally:
            store.close()


class _Stopped(Exception):
    pass


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
    ) -> RunSummary:
        started = self.clock()
        state = _RunState(now=started)
        # Holding the lock, any run still marked as running died with its process.
        self.store.interrupt_stale_runs(started)
        run_id = self.store.start_run(started, trigger=trigger, pid=os.getpid())
        if on_started:
            on_started(run_id)
        outcome = "ok"
        try:
            reports = self._load_reports(state)
            feeds = self._feeds_to_poll(feed_names, due_only, started)
            asyncio.run(self._collect(reports, feeds, state))
            self._checkpoint()
            with state.timed("match"):
                self._match_and_suggest(reports, state)
            self._checkpoint()
            with state.timed("publish"):
                self._publish(reports, state)
        except _Stopped:
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
            raise _Stopped

    def _load_reports(self, state: _RunState) -> list[tuple[ReportConfig, Report]]:
        from tracker.report import load_report

        loaded = []
        for report_config in self.config.reports:
            try:
                report = load_report(
                    report_config.path, report_id=report_config.id, language=report_config.language
                )
            except ReportError as exc:
                state.fail(f"report {report_config.id}", str(report_config.path), str(exc))
                continue
            loaded.append((report_config, report))
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
            if isinstance(schedule, IntervalSchedule) and checked is not None:
                # A little slack so a feed polled "every 6h" by a 6-hourly job is not skipped
                # because the previous run finished a few seconds late.
                if now - checked < timedelta(seconds=schedule.seconds * 0.95):
                    continue
            due.append(feed)
        return due

    async def _collect(
        self,
        reports: list[tuple[ReportConfig, Report]],
        feeds: list[FeedConfig],
        state: _RunState,
    ) -> None:
        cited_urls: dict[str, None] = {}
        if self.config.watch_cited:
            for _, report in reports:
                cited_urls.update(dict.fromkeys(report.cited_urls))
        feed_by_url = {f.url: f for f in feeds}
        validators = self.store.validators_for([*feed_by_url, *cited_urls])
        requests = [FetchRequest(url, validators.get(url) or Validators()) for url in feed_by_url]
        requests += [
            FetchRequest(url, validators.get(url) or Validators()) for url in cited_urls
        ]
        since = _earliest_since(self.config.reports)

        async with Fetcher(fetch_policy(self.config)) as fetcher:
            self.events.stage("sources", len(requests))
            with state.timed("fetch"):
                results = await fetcher.fetch_many(requests, on_result=self._advance("sources"))
            records = []
            feed_results, cited_results = [], []
            for result in results:
                kind = "feed" if result.url in feed_by_url else "cited"
                name = feed_by_url[result.url].name if kind == "feed" else "cited"
                records.append((result, kind, name))
                (feed_results if kind == "feed" else cited_results).append(result)
            with state.timed("store"):
                self._record_fetches(records, state)
            self._checkpoint()

            with state.timed("parse"):
                new_entries = self._parse_feeds(feed_results, feed_by_url, since, state)
            state.new_entries += len(new_entries)
            self._checkpoint()

            # Pending entries include those a killed refresh stored but never fetched.
            pending = self.store.entries_without_article()
            if pending:
                with state.timed("articles"):
                    await self._collect_articles(fetcher, pending, state)
            self._checkpoint()
            with state.timed("cited"):
                self._check_cited(reports, cited_results, state)
            state.requests.update(fetcher.stats)

    def _advance(self, stage: str) -> Callable[[FetchResult], None]:
        def advance(result: FetchResult) -> None:
            self.events.advance(stage, result.url)

        return advance

    def _record_fetches(
        self, records: list[tuple[FetchResult, str, str]], state: _RunState
    ) -> None:
        now = self.clock()
        batch = []
        for result, kind, name in records:
            healthy = result.outcome in (FetchOutcome.OK, FetchOutcome.NOT_MODIFIED)
            if kind == "feed":
                if healthy:
                    state.sources_ok += 1
                else:
                    state.fail(name, result.url, _reason(result))
            batch.append(
                {
                    "url": result.url,
                    "kind": kind,
                    "name": name,
                    "outcome": result.outcome,
                    "status": result.status,
                    "validators": result.validators if healthy else None,
                    "error": None if healthy else _reason(result),
                    "at": now,
                }
            )
        self.store.record_fetches(batch)

    def _parse_feeds(
        self,
        results: list[FetchResult],
        feed_by_url: dict[str, FeedConfig],
        since: date | None,
        state: _RunState,
    ) -> list[FeedEntry]:
        fresh = [r for r in results if r.outcome is FetchOutcome.OK]
        if not fresh:
            return []
        from tracker.feeds import filter_since, parse_feed

        entries: list[FeedEntry] = []
        self.events.stage("feeds", len(fresh))
        for result in fresh:
            feed = feed_by_url[result.url]
            try:
                parsed = parse_feed(
                    result.body, url=result.final_url or result.url, headers=result.headers,
                    source_name=feed.name,
                )
            except ExtractError as exc:
                state.sources_ok -= 1
                state.fail(feed.name, result.url, exc.reason)
                self._record_parse_failure(feed, result, exc.reason)
                continue
            finally:
                self.events.advance("feeds", result.url)
            if parsed.warning:
                state.warnings.append(SourceFailure(feed.name, result.url, parsed.warning))
            found = parsed.entries if since is None else filter_since(parsed.entries, since)
            entries.extend(found)
        return self.store.add_entries(entries, self.clock())

    def _record_parse_failure(self, feed: FeedConfig, result: FetchResult, reason: str) -> None:
        # The document arrived but is not a feed: count it as a failure of the
        # source and forget its validators, so the next refresh fetches it whole.
        self.store.record_fetch(
            result.url, kind="feed", name=feed.name, outcome=FetchOutcome.HTTP_ERROR,
            status=result.status, validators=Validators(), error=f"not a feed: {reason}",
            at=self.clock(),
        )

    async def _collect_articles(
        self, fetcher: Fetcher, entries: list[FeedEntry], state: _RunState
    ) -> None:
        from tracker.pages import article_from_entry, article_from_page, extract_page

        self.events.stage("articles", len(entries))
        by_url = {e.url: e for e in entries}
        requests = [
            FetchRequest(e.link or e.url, respect_robots=self.config.fetch.respect_robots)
            for e in entries
        ]
        link_to_entry = {r.url: by_url[e.url] for r, e in zip(requests, entries, strict=True)}

        loop = asyncio.get_running_loop()
        results = await fetcher.fetch_many(requests)
        for result in results:
            entry = link_to_entry[result.url]
            article: Article
            if result.ok:
                try:
                    page = await loop.run_in_executor(
                        None,
                        lambda r=result: extract_page(  # type: ignore[misc]
                            r.body, url=r.final_url or r.url, headers=r.headers
                        ),
                    )
                    article = article_from_page(entry, page)
                except ExtractError as exc:
                    state.warnings.append(SourceFailure(entry.source_name, result.url, exc.reason))
                    article = article_from_entry(entry)
            else:
                state.warnings.append(
                    SourceFailure(entry.source_name, result.url, _reason(result))
                )
                article = article_from_entry(entry)
            self.store.add_article(article, self.clock())
            state.new_articles += 1
            self.events.advance("articles", result.url)

    def _check_cited(
        self,
        reports: list[tuple[ReportConfig, Report]],
        results: list[FetchResult],
        state: _RunState,
    ) -> None:
        from tracker.suggest import source_changed, source_gone

        if not results:
            return
        self.events.stage("cited", len(results))
        for result in results:
            check, old_text, new_text = self._cited_snapshot(result)
            state.cited.append(check)
            failures = self.store.record_cited_check(
                result.url, check.status, self.clock(), error=check.error
            )
            self.events.advance("cited", result.url)
            for report, ref in _references_to(reports, result.url):
                suggestion: Suggestion | None = None
                if check.text_changed and old_text is not None and new_text is not None:
                    suggestion = source_changed(report, ref, old_text, new_text, now=state.now)
                elif check.status in (CitedStatus.GONE, CitedStatus.UNREACHABLE):
                    if not self._has_open_suggestion(report.id, result.url, "source-gone"):
                        suggestion = source_gone(
                            report, ref, consecutive_failures=failures, status=check.status,
                            now=state.now, min_failures=self.config.match.gone_after,
                        )
                if suggestion is not None:
                    stored = self._store_suggestion(suggestion)
                    state.suggestions.append(stored)

    def _cited_snapshot(self, result: FetchResult) -> tuple[CitedCheck, str | None, str | None]:
        """Classify one cited URL and keep a snapshot when its text changed."""
        if result.outcome is FetchOutcome.NOT_MODIFIED:
            return CitedCheck(result.url, CitedStatus.OK, result.final_url, False), None, None
        if result.outcome is FetchOutcome.GONE:
            return (
                CitedCheck(result.url, CitedStatus.GONE, result.final_url, False, _reason(result)),
                None,
                None,
            )
        if not result.ok:
            return (
                CitedCheck(
                    result.url, CitedStatus.UNREACHABLE, result.final_url, False, _reason(result)
                ),
                None,
                None,
            )
        from tracker.pages import extract_page
        from tracker.textutil import content_hash

        status = CitedStatus.REDIRECTED if result.redirects else CitedStatus.OK
        try:
            page = extract_page(result.body, url=result.final_url or result.url,
                                headers=result.headers)
        except ExtractError as exc:
            return CitedCheck(result.url, status, result.final_url, False, exc.reason), None, None
        now = self.clock()
        for feed_url in page.feed_links:
            self.store.add_feed_candidate(result.url, feed_url, page.title, now)
        digest = content_hash(page.text)
        previous = self.store.latest_snapshot(result.url)
        if previous is not None and previous.content_hash == digest:
            return CitedCheck(result.url, status, result.final_url, False), None, None
        self.store.add_snapshot(
            result.url, final_url=result.final_url, text=page.text, content_hash=digest, at=now
        )
        old_text = previous.text if previous is not None else None
        changed = previous is not None
        return CitedCheck(result.url, status, result.final_url, changed), old_text, page.text

    def _has_open_suggestion(self, report_id: str, url: str, kind: str) -> bool:
        existing = self.store.suggestion_for_url(report_id, url)
        return existing is not None and existing.kind == kind and existing.status == "pending"

    def _store_suggestion(self, suggestion: Suggestion) -> Suggestion:
        suggestion_id = self.store.add_suggestion(suggestion)
        stored = self.store.suggestion(suggestion_id)
        assert stored is not None
        return stored

    def _match_and_suggest(
        self, reports: list[tuple[ReportConfig, Report]], state: _RunState
    ) -> None:
        articles = self.store.unmatched_articles()
        if not articles or not reports:
            return
        from tracker.match import Matcher

        self.events.stage("matching", len(articles) * len(reports))
        for report_config, report in reports:
            matcher = Matcher(report, cache=self.store, threshold=self.config.match.threshold)
            self._suggest_for_report(report_config, report, matcher, articles, state)
        self.store.mark_matched([a.id for a in articles if a.id is not None], self.clock())

    def _suggest_for_report(
        self,
        report_config: ReportConfig,
        report: Report,
        matcher: Matcher,
        articles: list[Article],
        state: _RunState,
    ) -> None:
        from tracker.suggest import addition, is_already_cited, near_duplicate

        since = _since_datetime(report_config.since)
        candidates = [
            a
            for a in articles
            if not is_already_cited(report, a.url)
            and (since is None or a.published is None or a.published >= since)
        ]
        if not candidates:
            return
        matches = matcher.match(candidates)
        # Earlier stories behind this report's suggestions, for near-duplicate checks.
        seen: list[tuple[int, str]] = []
        for existing in self.store.suggestions(report=report.id):
            story = self.store.article(existing.url) if existing.kind == "addition" else None
            if story is not None and existing.id is not None:
                seen.append((existing.id, story.text or story.title))
        for article, match in zip(candidates, matches, strict=True):
            self.events.advance("matching", article.url)
            if match is None:
                continue
            if self.store.suggestion_for_url(report.id, article.url) is not None:
                continue  # matched before a crash; already suggested
            duplicate_of = near_duplicate(article.text or article.title, seen)
            if duplicate_of is not None:
                self.store.add_suggestion_url(duplicate_of, article.url)
                continue
            sources = [name for name, _ in self.store.entry_sources(article.url)]
            suggestion = addition(report, article, match, now=state.now, source_names=sources)
            stored = self._store_suggestion(suggestion)
            state.suggestions.append(stored)
            if stored.id is not None:
                seen.append((stored.id, article.text or article.title))

    def _publish(self, reports: list[tuple[ReportConfig, Report]], state: _RunState) -> None:
        from tracker.render import publish

        today = state.now.date()
        for report_config, report in reports:
            suggestions = self.store.suggestions(report=report.id)
            new = [s for s in state.suggestions if s.report == report.id]
            cited = [c for c in state.cited if c.url in report.cited_urls and _noteworthy(c)]
            previous = self.store.last_edition(report.id)
            previous_path = Path(previous.path) if previous else None
            if previous_path is not None and not previous_path.exists():
                previous_path = None
            publication = publish(
                report,
                suggestions,
                new_suggestions=new,
                cited=cited,
                editions_dir=report_config.editions_path,
                changelog_path=report_config.output_dir / "CHANGELOG.md",
                previous_edition=previous_path,
                day=today,
            )
            if publication.changed and publication.edition_md is not None:
                from tracker.textutil import content_hash

                text = publication.edition_md.read_text(encoding="utf-8")
                self.store.record_edition(
                    report.id, today.isoformat(), str(publication.edition_md),
                    content_hash(text), self.clock(),
                )
                state.editions.extend(
                    str(p)
                    for p in (publication.edition_md, publication.edition_html,
                              publication.edition_diff)
                    if p is not None
                )

    def _summary(
        self, run_id: int, started: datetime, state: _RunState, outcome: str
    ) -> RunSummary:
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


def _reason(result: FetchResult) -> str:
    if result.error:
        return result.error
    if result.status is not None:
        return f"HTTP {result.status}"
    return str(result.outcome)


def _noteworthy(check: CitedCheck) -> bool:
    return check.text_changed or check.status is not CitedStatus.OK


def _earliest_since(reports: Sequence[ReportConfig]) -> date | None:
    dates = [r.since for r in reports]
    if any(d is None for d in dates):
        return None
    return min(d for d in dates if d is not None)


def _since_datetime(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)


def _references_to(
    reports: list[tuple[ReportConfig, Report]], url: str
) -> list[tuple[Report, Reference]]:
    return [(report, ref) for _, report in reports for ref in report.references if ref.url == url]
