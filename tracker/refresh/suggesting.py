"""New articles → suggested additions, one report at a time.

An article becomes at most one suggestion per report: one the report
already cites is skipped, and a second copy of a story already suggested
(near-duplicate text from another feed) only adds its URL to the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time

from tracker.config import ReportConfig
from tracker.refresh.cited import store_suggestion
from tracker.refresh.state import RefreshEvents, RunState
from tracker.store import Store
from tracker.types import Article, Match, Report, SuggestionKind


def match_and_suggest(
    store: Store,
    reports: Sequence[tuple[ReportConfig, Report]],
    state: RunState,
    *,
    threshold: float | None,
    clock: Callable[[], datetime],
    events: RefreshEvents,
) -> None:
    articles = store.unmatched_articles()
    if not articles or not reports:
        return  # nothing new: the embedding model is never loaded
    from tracker.match import Matcher

    events.stage("matching", len(articles) * len(reports))
    for report_config, report in reports:
        matcher = Matcher(report, cache=store, threshold=threshold)
        candidates = _candidates(report, report_config.since, articles)
        if candidates:
            matches = matcher.match(candidates)
            _suggest(store, report, list(zip(candidates, matches, strict=True)), state, events)
    store.mark_matched([a.id for a in articles if a.id is not None], clock())


def _candidates(report: Report, since: date | None, articles: list[Article]) -> list[Article]:
    from tracker.suggest import is_already_cited

    start = None if since is None else datetime.combine(since, time.min, tzinfo=UTC)
    return [
        a
        for a in articles
        if not is_already_cited(report, a.url)
        and (start is None or a.published is None or a.published >= start)
    ]


def _suggest(
    store: Store,
    report: Report,
    matched: list[tuple[Article, Match | None]],
    state: RunState,
    events: RefreshEvents,
) -> None:
    from tracker.suggest import addition, near_duplicate

    # Stories already behind this report's suggestions, for near-duplicate checks.
    seen: list[tuple[int, str]] = []
    for existing in store.suggestions(report=report.id):
        if existing.kind == SuggestionKind.ADDITION and existing.id is not None:
            story = store.article(existing.url)
            if story is not None:
                seen.append((existing.id, story.text or story.title))
    for article, match in matched:
        events.advance("matching", article.url)
        if match is None:
            continue
        if store.suggestion_for_url(report.id, article.url) is not None:
            continue  # matched by a refresh that was killed before it marked the article
        duplicate_of = near_duplicate(article.text or article.title, seen)
        if duplicate_of is not None:
            store.add_suggestion_url(duplicate_of, article.url)
            continue
        sources = [name for name, _ in store.entry_sources(article.url)]
        stored = store_suggestion(
            store, addition(report, article, match, now=state.now, source_names=sources)
        )
        state.suggestions.append(stored)
        if stored.id is not None:
            seen.append((stored.id, article.text or article.title))
