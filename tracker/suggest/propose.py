"""From a matched article to the edit the editor should see: revision, citation or addition.

In this order, for the article's key fact (:mod:`tracker.suggest.facts`):

1. a statement of the report the news makes stale (a ranking row, a figure)
   → a ``revision`` replacing that statement;
2. a statement that already states the news → a ``citation`` of the article
   for it when that statement cites nothing or only general sources, else
   nothing at all (the report says it, with its own source);
3. otherwise → an ``addition`` in the report's language.

:class:`ReportView` holds what this needs of a report (its statements, its
names, its general references) so it is worked out once per report, not once
per article. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tracker.statements import Statement, general_references, statements
from tracker.suggest.additions import addition, feeds_of, from_article
from tracker.suggest.aliases import aliases_of
from tracker.suggest.citing import cite_after, may_cite, overview_references, summary_sections
from tracker.suggest.facts import key_fact
from tracker.suggest.names import NameBook
from tracker.suggest.novelty import covering_statement
from tracker.suggest.revisions import find_revision
from tracker.textutil import split_sentences
from tracker.types import Article, Fact, Match, Report, Suggestion, SuggestionKind


@dataclass(frozen=True)
class ReportView:
    report: Report
    names: NameBook
    statements: tuple[Statement, ...]
    general: frozenset[int]  # reference numbers cited across the report
    summaries: frozenset[str]  # abstract, introduction, conclusion
    overview: frozenset[tuple[str, int]]  # (chapter, reference) of a chapter's survey source

    @classmethod
    def of(cls, report: Report) -> ReportView:
        found = tuple(statements(report))
        return cls(
            report=report,
            names=NameBook.for_report(report.markdown),
            statements=found,
            overview=overview_references(found),
            general=general_references(report),
            summaries=summary_sections({s.id: s.title for s in report.sections}),
        )

    @property
    def marker(self) -> str:
        """The provisional citation marker of a new reference (the renderer renumbers it)."""
        return f"[{max((r.number for r in self.report.references), default=0) + 1}]"


def propose(
    view: ReportView,
    article: Article,
    match: Match,
    *,
    now: datetime,
    source_names: Sequence[str] = (),
) -> Suggestion | None:
    """The suggestion ``article`` deserves for ``view.report``, or None when the report
    already states its news with a source of its own."""
    report = view.report
    fact = key_fact(article, view.names, evidence=match.evidence)
    revision = find_revision(
        fact,
        view.statements,
        view.names,
        section_id=match.section_id,
        marker=view.marker,
        headline=article.title,
        lede=_lede(article),
        section_titles={s.id: s.title for s in report.sections},
    )
    if revision is not None:
        return _edit(
            view, article, match, fact, revision.target, revision.replacement,
            SuggestionKind.REVISION, now, source_names,
        )  # fmt: skip
    covering = covering_statement(
        fact,
        view.statements,
        view.names,
        section_id=match.section_id,
        summaries=view.summaries,
        headline=article.title,
        aliases=aliases_of(fact.object, f"{article.title}\n{article.text or ''}"),
    )
    if covering is not None:
        if not may_cite(covering, view.general, view.overview):
            return None
        return _edit(
            view, article, match, fact, covering, cite_after(covering, view.marker),
            SuggestionKind.CITATION, now, source_names,
        )  # fmt: skip
    return addition(
        report, article, match, now=now, source_names=source_names, names=view.names, fact=fact
    )


def _lede(article: Article) -> str:
    """The article's first sentence after its headline."""
    text = (article.text or "").strip()
    if text.startswith(article.title.strip()):
        text = text[len(article.title.strip()) :]
    sentences = split_sentences(text)
    return sentences[0] if sentences else ""


def _edit(
    view: ReportView,
    article: Article,
    match: Match,
    fact: Fact,
    target: Statement,
    replacement: str,
    kind: SuggestionKind,
    now: datetime,
    source_names: Sequence[str],
) -> Suggestion:
    section = view.report.section(target.section_id)
    return from_article(
        view.report,
        article,
        match,
        fact,
        kind=kind,
        section=section,
        proposed_text=replacement,
        now=now,
        sources=feeds_of(article, source_names),
        target=target.text,
    )
