"""New articles → suggested edits, one report at a time.

For each report: the matcher scores the new articles against its sections;
each match becomes at most one proposal (:func:`tracker.suggest.propose`: a
revision, a citation or an addition; nothing when the report already states
the news with a source of its own). What must not become a second
suggestion is settled first: an article the report already cites is
skipped, and another copy of a story already proposed — from another feed,
in either language — only adds its URL to the first. Copies in the report's
own language are taken first, so the story is drafted from them and they
are cited first.

With a model configured (``draft:``), the proposals of the run are then
offered to it for better wording; every failure falls back to the offline
draft and becomes a warning of the run, never a lost suggestion.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from tracker.config import DraftConfig, ReportConfig
from tracker.refresh.cited import store_suggestion
from tracker.refresh.state import RefreshEvents, RunState
from tracker.store import Store
from tracker.types import Article, Match, Report, SourceFailure, Suggestion

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from tracker.suggest.names import NameBook

# Two copies of one story in different languages share little text; their
# embeddings and their key facts agree. Cosine of title + lede above which two
# articles naming the same thing, with the same kind of news, are taken as one story.
_CROSS_LANGUAGE_COSINE = 0.5
_RELEASES = frozenset({"release", "open-source"})


@dataclass
class _Pending:
    suggestion: Suggestion
    article: Article
    text: str  # the story's text, for near-duplicate checks


def match_and_suggest(
    store: Store,
    reports: Sequence[tuple[ReportConfig, Report]],
    state: RunState,
    *,
    threshold: float | None,
    clock: Callable[[], datetime],
    events: RefreshEvents,
    draft: DraftConfig | None = None,
) -> None:
    articles = store.unmatched_articles()
    if not articles or not reports:
        return  # nothing new: the embedding model is never loaded
    from tracker.match import Matcher

    events.stage("matching", len(articles) * len(reports))
    for report_config, report in reports:
        matcher = Matcher(report, cache=store, threshold=threshold, exclude=report_config.exclude)
        candidates = _candidates(report, report_config.since, articles)
        if candidates:
            matches = matcher.match(candidates)
            pending = _propose(
                store, report, list(zip(candidates, matches, strict=True)), state, events
            )
            if draft is not None and pending:
                pending = _draft_with_model(store, report, pending, draft, state, clock)
            for item in pending:
                state.suggestions.append(store_suggestion(store, item.suggestion))
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


def _propose(
    store: Store,
    report: Report,
    matched: list[tuple[Article, Match | None]],
    state: RunState,
    events: RefreshEvents,
) -> list[_Pending]:
    from tracker.match import embed
    from tracker.suggest import near_duplicate
    from tracker.suggest.propose import ReportView, propose

    view = ReportView.of(report, embed=embed)
    # Stories already behind this report's suggestions, for near-duplicate checks.
    seen: list[tuple[int, str]] = []
    for existing in store.suggestions(report=report.id):
        if existing.id is not None:
            story = store.article(existing.url)
            if story is not None:
                seen.append((existing.id, story.text or story.title))
    in_language = report.language.lower()[:2]
    matched = sorted(matched, key=lambda pair: (pair[0].language or "")[:2] != in_language)
    same_story = _StoryIndex([a for a, m in matched if m is not None])
    pending: list[_Pending] = []
    for article, match in matched:
        events.advance("matching", article.url)
        if match is None:
            continue
        if store.suggestion_for_url(report.id, article.url) is not None:
            continue  # matched by a refresh that was killed before it marked the article
        text = article.text or article.title
        duplicate_of = near_duplicate(text, seen)
        if duplicate_of is not None:
            store.add_suggestion_url(duplicate_of, article.url)
            continue
        twin = next(
            (
                p
                for p in pending
                if near_duplicate(text, [(0, p.text)]) is not None
                or same_story.same(p.article, article, p.suggestion, view.names)
            ),
            None,
        )
        if twin is not None:
            twin.suggestion = replace(twin.suggestion, urls=(*twin.suggestion.urls, article.url))
            continue
        sources = [name for name, _ in store.entry_sources(article.url)]
        proposal = propose(view, article, match, now=state.now, source_names=sources)
        if proposal is not None:
            pending.append(_Pending(proposal, article, text))
    return pending


class _StoryIndex:
    """Cross-language copies of one story: the same thing named, and close in the
    multilingual embedding space (title and lede)."""

    def __init__(self, articles: Sequence[Article]) -> None:
        self._articles = list(articles)
        self._vectors: dict[str, NDArray[np.float32]] | None = None

    def same(self, first: Article, second: Article, proposal: Suggestion, names: NameBook) -> bool:
        """Whether ``second`` is ``first``'s story in another language (``proposal`` is
        what ``first`` became)."""
        from tracker.suggest.facts import key_fact
        from tracker.suggest.novelty import object_key

        if (first.language or "")[:2] == (second.language or "")[:2] or proposal.fact is None:
            return False
        other = key_fact(second, names)
        # The same thing and the same kind of news; a release that one outlet calls
        # open-sourcing is still one release.
        kinds = {other.event, proposal.fact.event}
        if not proposal.fact.object or (len(kinds) > 1 and kinds != _RELEASES):
            return False
        if object_key(other.object) != object_key(proposal.fact.object):
            return False
        return self._cosine(first, second) >= _CROSS_LANGUAGE_COSINE

    def _cosine(self, first: Article, second: Article) -> float:
        from tracker.match import embed

        if self._vectors is None:
            texts = [_lede(a) for a in self._articles]
            self._vectors = dict(zip((a.url for a in self._articles), embed(texts), strict=True))
        a, b = self._vectors.get(first.url), self._vectors.get(second.url)
        if a is None or b is None:
            return 0.0
        return float(a @ b)


def _lede(article: Article) -> str:
    return f"{article.title}\n{(article.text or '')[:300]}"


def _draft_with_model(
    store: Store,
    report: Report,
    pending: list[_Pending],
    settings: DraftConfig,
    state: RunState,
    clock: Callable[[], datetime],
) -> list[_Pending]:
    from tracker.draft import DraftRequest, ModelDrafter
    from tracker.statements import statements
    from tracker.store import DraftCacheView

    by_section: dict[str, tuple[str, ...]] = {}
    for statement in statements(report):
        by_section.setdefault(statement.section_id, ())
        by_section[statement.section_id] += (statement.text,)
    marker = f"[{max((r.number for r in report.references), default=0) + 1}]"
    example = report.references[0].raw if report.references else ""
    requests = []
    for item in pending:
        section = report.section(item.suggestion.section)
        requests.append(
            DraftRequest(
                suggestion=item.suggestion,
                report_language=report.language,
                section_title=section.title if section else "",
                section_text=section.text if section else "",
                article_title=item.article.title,
                article_url=item.article.url,
                article_text=item.article.text,
                citation_marker=marker,
                reference_example=example,
                candidate_targets=by_section.get(item.suggestion.section, ()),
            )
        )
    drafter = ModelDrafter(settings, DraftCacheView(store), environ=os.environ, clock=clock)
    for item, outcome in zip(pending, drafter.draft(requests), strict=True):
        item.suggestion = outcome.suggestion
        if outcome.error is not None:
            state.warnings.append(
                SourceFailure("drafter", item.article.url, f"offline draft kept: {outcome.error}")
            )
    return pending
