"""Statements to re-check: the report's dated statements past their age, once each.

:mod:`tracker.claims.dated` finds the statements that say how things stand
as of a date; those at least ``digest.recheck_after_months`` old and not yet
listed by a sent digest (the store's ``recheck_statements``) are listed,
each with its age and the newest articles already matched to its section
that speak of the same subject.

"Same subject" is kept cheap: no model is loaded. An article's title, excerpt
and proposed text share terms with the statement: a Latin name (``GLM-4.7``,
``Claude``) counts one, a pair of Chinese characters a third. Bare numbers are
no terms: the statement's own date gives it a year, a month and a day, and
unrelated news shares those by chance (a "30" is no subject). The articles
with the most shared weight, published after the statement's date, are
shown, at most ``NEWS_PER_STATEMENT`` of them, newest first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from tracker.claims.dated import DatedStatement, age_in_months, dated_statements, due_for_recheck
from tracker.config import ReportConfig
from tracker.notify.text import one_line, safe_url
from tracker.notify.wording import Wording, day_label
from tracker.report import section_label
from tracker.store import Store
from tracker.store.rechecks import statement_key
from tracker.types import Report, Suggestion, SuggestionKind, SuggestionStatus

NEWS_PER_STATEMENT = 3
MIN_SHARED = 1.0  # one Latin name, or three Chinese character pairs
_NEWS_KINDS = frozenset({SuggestionKind.ADDITION, SuggestionKind.REVISION, SuggestionKind.CITATION})
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[.\-][A-Za-z0-9]+)*")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "in",
        "on",
        "and",
        "or",
        "to",
        "for",
        "is",
        "are",
        "was",
        "with",
        "by",
        "as",
        "at",
        "from",
        "its",
        "it",
        "this",
        "that",
        "model",
        "models",
        "ai",
        "llm",
        "new",
    ]
)


@dataclass(frozen=True)
class RecheckNews:
    title: str
    url: str  # "" when not http(s)
    published: str  # day label, or ""


@dataclass(frozen=True)
class RecheckItem:
    """One dated statement past its age, worded for the digest."""

    section: str
    section_label: str
    text: str  # the statement as the report writes it, on one line
    age: str  # "已过 7 个月（截至2025年12月30日）" / "7 months old (as of 30 Dec 2025)"
    news: tuple[RecheckNews, ...]


def due_rechecks(
    report: Report,
    config: ReportConfig,
    store: Store,
    *,
    today: date,
    after_months: int,
    w: Wording,
    timezone: tzinfo,
) -> list[tuple[DatedStatement, RecheckItem]]:
    """The report's dated statements at least ``after_months`` old on ``today`` that no sent
    digest listed yet, each with its wording for the digest."""
    listed = store.rechecks_listed(report.id)
    due = [
        d
        for d in due_for_recheck(
            dated_statements(report, fallback=config.since), today=today, after_months=after_months
        )
        if statement_key(d.text) not in listed
    ]
    if not due:
        return []
    candidates: dict[str, list[Suggestion]] = {}
    titles = {s.id: s.title for s in report.sections}
    items = []
    for d in due:
        assert d.as_of is not None  # due_for_recheck keeps dated ones only
        if d.section_id not in candidates:
            candidates[d.section_id] = [
                s
                for s in store.suggestions(report=report.id, section=d.section_id)
                if s.kind in _NEWS_KINDS and s.status is not SuggestionStatus.REJECTED
            ]
        news = related_news(d, candidates[d.section_id])
        title = one_line(titles.get(d.section_id, ""))
        items.append(
            (
                d,
                RecheckItem(
                    section=d.section_id,
                    section_label=section_label(d.section_id, title),
                    text=one_line(d.text),
                    age=w.recheck_age.format(
                        months=age_in_months(d.as_of, today), day=day_label(w, d.as_of)
                    ),
                    news=tuple(_news(s, w, timezone) for s in news),
                ),
            )
        )
    return items


def related_news(statement: DatedStatement, suggestions: Sequence[Suggestion]) -> list[Suggestion]:
    """Of ``suggestions`` (articles matched to the statement's section), those published after
    its date that share its subject, the closest ones, newest first."""
    terms = _terms(statement.text)
    scored = []
    for s in suggestions:
        when = s.published or s.created_at
        if statement.as_of is not None and when.date() <= statement.as_of:
            continue
        shared = _weight(terms & _terms(f"{s.title} {s.excerpt} {s.proposed_text}"))
        if shared >= MIN_SHARED:
            scored.append((shared, when, s))
    scored.sort(key=lambda t: (-t[0], -t[1].timestamp()))
    chosen = scored[:NEWS_PER_STATEMENT]
    return [s for _, _, s in sorted(chosen, key=lambda t: t[1], reverse=True)]


def _terms(text: str) -> frozenset[str]:
    latin = {t.lower() for t in _LATIN.findall(text) if len(t) > 1}
    han = {run[i : i + 2] for run in _HAN.findall(text) for i in range(len(run) - 1)}
    return frozenset((latin - _STOP) | han)


def _weight(shared: frozenset[str]) -> float:
    return sum(1.0 if t.isascii() else 1 / 3 for t in shared)


def _news(s: Suggestion, w: Wording, timezone: tzinfo) -> RecheckNews:
    when: datetime | None = s.published
    return RecheckNews(
        title=one_line(s.title) or w.untitled,
        url=safe_url(s.url),
        published=day_label(w, when.astimezone(timezone).date()) if when else "",
    )
