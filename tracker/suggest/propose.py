"""From a matched article to the edit the editor should see: revision, citation or addition.

In this order, for the article's key fact (:mod:`tracker.suggest.facts`):

1. a statement of the report the news makes stale (a ranking row, a figure)
   → a ``revision`` replacing that statement;
2. a statement that already states the news → a ``citation`` of the article
   for it when that statement cites nothing or only general sources, else
   nothing at all (the report says it, with its own source);
3. news whose headline says a statement no longer holds, where no rule of step 1
   knows the statement's form → a ``revision`` appending the news to the
   statement it reads most like (:mod:`tracker.suggest.updates`; only when the
   view was given an embedding function), tried before step 2's citation: news
   of a change is no restatement;
4. commentary (an essay, interview, round-up … announcing nothing,
   :mod:`tracker.suggest.commentary`) → a ``citation`` for the statement of its
   section it discusses (only with embeddings), when one is close enough;
5. otherwise → an ``addition`` in the report's language.

:class:`ReportView` holds what this needs of a report (its statements, its
names, its general references) so it is worked out once per report, not once
per article. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from tracker.statements import Statement, general_references, statements
from tracker.suggest.additions import addition, feeds_of, from_article
from tracker.suggest.aliases import aliases_of
from tracker.suggest.citing import cite_after, may_cite, overview_references, summary_sections
from tracker.suggest.commentary import discussed_statement, is_commentary
from tracker.suggest.facts import key_fact
from tracker.suggest.name_runs import product_names
from tracker.suggest.names import NameBook
from tracker.suggest.naming import names_object
from tracker.suggest.novelty import REFERS_BACK, covering_statement
from tracker.suggest.phrasing import draft_news
from tracker.suggest.revisions import find_revision
from tracker.suggest.updates import (
    signals_change,
    update_text,
    updated_statement,
    with_update,
)
from tracker.textutil import split_sentences
from tracker.types import Article, Fact, Match, Report, Suggestion, SuggestionKind

# Texts → their L2-normalised embeddings, one row each (tracker.match.embed).
Embed = Callable[[Sequence[str]], NDArray[np.float32]]


@dataclass(frozen=True)
class ReportView:
    report: Report
    names: NameBook
    statements: tuple[Statement, ...]
    general: frozenset[int]  # reference numbers cited across the report
    summaries: frozenset[str]  # abstract, introduction, conclusion
    overview: frozenset[tuple[str, int]]  # (chapter, reference) of a chapter's survey source
    # Not compared: a view is its report's; an array has no single truth value.
    embed: Embed | None = field(default=None, compare=False)
    vectors: NDArray[np.float32] | None = field(default=None, compare=False)  # in order

    @classmethod
    def of(cls, report: Report, embed: Embed | None = None) -> ReportView:
        """The view of ``report``; with ``embed``, news can be placed against the
        statement it reads most like (the statements are embedded once, here)."""
        found = tuple(statements(report))
        return cls(
            report=report,
            names=NameBook.for_report(report.markdown),
            statements=found,
            overview=overview_references(found),
            general=general_references(report),
            summaries=summary_sections({s.id: s.title for s in report.sections}),
            embed=embed,
            vectors=None if embed is None or not found else embed(_in_context(found)),
        )

    def cosines(self, text: str) -> list[float] | None:
        """``text``'s similarity to each statement, in order; None without embeddings."""
        if self.embed is None or self.vectors is None:
            return None
        return [float(c) for c in self.vectors @ self.embed([text])[0]]

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
    # News that says a statement changed is no restatement of it, even when the rules
    # above find the statement that names its thing.
    placed = _Placed(view, article, match.section_id)
    update = _claim_update(view, placed, article, match, fact, now, source_names, covering)
    if update is not None:
        return update
    if covering is None and is_commentary(article.title):
        # Commentary near no statement stays an addition: the section may lack what it says.
        covering = _discussed(view, placed, match)
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


class _Placed:
    """Where the news stands against the statements, worked out once and only when a
    step asks: its headline and lede's cosine to each statement (None without
    embeddings), and the statements of its section naming what the headline names."""

    def __init__(self, view: ReportView, article: Article, section_id: str) -> None:
        self._view, self._article, self._section_id = view, article, section_id

    @cached_property
    def cosines(self) -> list[float] | None:
        return self._view.cosines(_headline_and_lede(self._article))

    @cached_property
    def naming(self) -> list[Statement]:
        said = product_names(self._article.title, self._view.names)
        return [
            s
            for s in self._view.statements
            if s.section_id == self._section_id and any(names_object(s.plain, p) for p in said)
        ]


def _discussed(view: ReportView, placed: _Placed, match: Match) -> Statement | None:
    """The statement of the matched section a commentary discusses, or None (always
    without embeddings: then nothing says which)."""
    if placed.cosines is None:
        return None
    return discussed_statement(
        view.statements, placed.cosines, section_id=match.section_id, named=placed.naming
    )


def _claim_update(
    view: ReportView,
    placed: _Placed,
    article: Article,
    match: Match,
    fact: Fact,
    now: datetime,
    source_names: Sequence[str],
    named: Statement | None,
) -> Suggestion | None:
    """A revision appending the news to the statement of its section it changes
    (:mod:`tracker.suggest.updates`), or None. Only news that can be written in the
    report's language qualifies."""
    if not signals_change(article.title) or placed.cosines is None:
        return None
    # The statements naming what the headline names: the name rules' evidence of which.
    statement = updated_statement(
        view.statements,
        placed.cosines,
        section_id=match.section_id,
        headline=article.title,
        named=[*placed.naming, *([named] if named is not None else [])],
    )
    if statement is None:
        return None
    report = view.report
    chinese = report.language.lower().startswith("zh")
    news = update_text(article.title, chinese=chinese)
    if news is None:
        # A headline in another language: the news as drafted from its key fact.
        draft = draft_news(
            fact, language=report.language, names=view.names, headline=article.title,
            source=("、" if chinese else " and ").join(feeds_of(article, source_names)),
        )  # fmt: skip
        if draft.needs_translation:
            return None  # an English quote is no update of a Chinese sentence
        news = _DAY_PREFIX.sub("", draft.text)
    # Dated as reported: the fact's date may be one the news announces ("7月31日后停更").
    day = article.published.date() if article.published else (fact.date or now.date())
    replacement = with_update(statement, news, day, view.marker, chinese=chinese)
    return _edit(
        view, article, match, fact, statement, replacement,
        SuggestionKind.REVISION, now, source_names,
    )  # fmt: skip


# The ISO date draft_news puts before a statement ("2025-11-18，…"); an update writes
# the date its own way.
_DAY_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}(?:，|: )")


def _in_context(found: Sequence[Statement]) -> list[str]:
    """Each statement as it is read: one that refers back ("其可在…硬件上运行") with the
    statement before it, whose thing it is about; alone it is about nothing."""
    texts = []
    for i, statement in enumerate(found):
        before = found[i - 1] if i else None
        if (
            before is not None
            and before.section_id == statement.section_id
            and REFERS_BACK.match(statement.plain)
        ):
            texts.append(f"{before.plain} {statement.plain}")
        else:
            texts.append(statement.plain)
    return texts


# What of a news story is compared with the statements: its headline and lede, cut
# where a sentence of any length would end (a page without sentence ends is one lede).
_NEWS_CHARS = 600


def _headline_and_lede(article: Article) -> str:
    return f"{article.title} {_lede(article)}"[:_NEWS_CHARS]


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
