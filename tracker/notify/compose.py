"""Turn pending suggestions into the digest's content: data, subject, text and HTML.

Everything here is pure: suggestions, report outlines and the period come in;
frozen dataclasses and strings go out. The store, the clock and the network
are the caller's business (:mod:`tracker.notify.digest`).

Text from feeds is untrusted. It is reduced to single lines where a line is
expected (titles, sources), URLs are kept only when they are http(s), and the
HTML template is autoescaped, so nothing a feed says can become markup or a
header. The subject is built from counts, the report title and dates only.

The digest's own wording follows each report's language (``wording``); the
parts shared by all reports (subject, heading, summary) follow the first
configured report's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal
from urllib.parse import quote, urlsplit

from tracker.notify.claims import ClaimSection, claim_sections
from tracker.notify.rechecks import RecheckItem
from tracker.notify.text import display_text, one_line, safe_url, shorten
from tracker.notify.wording import (
    EN,
    Wording,
    day_label,
    edits_phrase,
    item_count,
    period_label,
    subject_line,
    summary_line,
    wording_for,
)
from tracker.report import REFERENCES_SECTION, section_label
from tracker.types import CLAIM_KINDS, Suggestion, SuggestionKind

__all__ = [
    "DigestData",
    "DigestItem",
    "HealthChange",
    "KindGroup",
    "ReportDigest",
    "ReportOutline",
    "SectionGroup",
    "SourceAlert",
    "compose_digest",
    "display_text",
    "one_line",
    "period_label",
    "section_label",
]

EXCERPT_CHARS = 480
SUBJECT_TITLE_CHARS = 80
# The section id tracker.suggest gives edits to the reference list itself.
_CITED_KINDS = frozenset({SuggestionKind.SOURCE_CHANGED, SuggestionKind.SOURCE_GONE})
# How a section's suggestions are grouped, in this order.
_SECTION_KINDS = (SuggestionKind.ADDITION, SuggestionKind.REVISION, SuggestionKind.CITATION)


@dataclass(frozen=True)
class ReportOutline:
    """What the digest needs to know about a report: title, sections, references, language."""

    id: str
    title: str
    # (section id, heading text as written, e.g. "3.2 编码智能体的崛起") in report order
    sections: tuple[tuple[str, str], ...]
    language: str = "en"
    references: tuple[tuple[str, int], ...] = ()  # (cited URL, reference number)


@dataclass(frozen=True)
class DigestItem:
    """One suggestion, cleaned for display."""

    id: int | None
    kind: str
    section: str
    section_title: str
    section_label: str  # see section_label()
    title: str
    url: str  # "" when the suggestion's URL is not http(s)
    source: str  # the feed; for a cited source "参考文献 [4]" / "Reference [4]", else its host
    published: str  # "2026年11月28日" / "28 Nov 2026" in the digest's time zone, or ""
    excerpt: str
    proposed_text: str  # for display: list markers ("- ") taken off each line
    accept: str  # the command that accepts it
    reject: str
    link: str | None  # the daemon's page for it, when digest.base_url is set
    # The report text a revision replaces or a citation cites the article for ("" otherwise).
    target: str = ""
    needs_translation: bool = False  # the text keeps the headline's language


@dataclass(frozen=True)
class KindGroup:
    """A section's suggestions of one kind: additions, revisions or citations."""

    kind: str
    title: str  # "新增" / "Additions" …, in the report's language
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class SectionGroup:
    id: str
    title: str
    label: str  # see DigestItem.section_label
    kinds: tuple[KindGroup, ...]  # additions, then revisions, then citations; none empty

    @property
    def items(self) -> tuple[DigestItem, ...]:
        return tuple(item for group in self.kinds for item in group.items)


@dataclass(frozen=True)
class ReportDigest:
    id: str
    title: str
    groups: tuple[SectionGroup, ...]  # additions, revisions, citations by section in report order
    cited: tuple[DigestItem, ...]  # cited sources that changed or went away, in report order
    w: Wording = EN  # this report's wording
    claims: tuple[ClaimSection, ...] = ()  # claim checks by section, in report order
    rechecks: tuple[RecheckItem, ...] = ()  # dated statements past their age, listed once

    @property
    def count(self) -> int:
        """Everything listed: suggestions of every kind and statements to re-check."""
        claims = sum(len(c.items) for c in self.claims)
        edits = sum(len(g.items) for g in self.groups) + len(self.cited) + claims
        return edits + len(self.rechecks)

    @property
    def count_label(self) -> str:
        return item_count(self.w, self.count)


@dataclass(frozen=True)
class HealthChange:
    """A configured feed whose health differs between the period's start and end."""

    name: str
    url: str
    state: Literal["failing", "recovered"]
    since: datetime  # when the failing streak began
    back_at: datetime | None  # when it recovered (recovered only)
    error: str | None  # why the first check of the streak failed (failing only)


@dataclass(frozen=True)
class SourceAlert:
    """A feed that started failing or came back in the period, worded for the digest."""

    name: str
    url: str
    state: str  # "failing" or "recovered"
    note: str  # "failing since 24 Nov" / "自11月24日起无法获取"
    error: str | None


@dataclass(frozen=True)
class DigestData:
    """Everything the templates show; ``reports`` lists only reports with news."""

    period_start: datetime
    period_end: datetime
    period_label: str  # "22–29 Nov" / "11月22日–29日"
    reports: tuple[ReportDigest, ...]
    additions: int
    changed: int
    gone: int
    subject: str
    summary: str
    w: Wording = EN  # wording of the shared parts: the first configured report's language
    revisions: int = 0
    citations: int = 0
    queue_link: str | None = None  # the daemon's review queue, when digest.base_url is set
    sources: tuple[SourceAlert, ...] = ()  # feeds that started failing or recovered
    claims: int = 0  # claim checks: passages changed or gone, claims their source lacks
    rechecks: int = 0  # dated statements to re-check

    @property
    def total(self) -> int:
        edits = self.additions + self.revisions + self.citations
        return edits + self.changed + self.gone + self.claims

    @property
    def empty(self) -> bool:
        return self.total == 0 and not self.sources and not self.rechecks

    @property
    def headline(self) -> str:
        """``7 suggested edits`` / ``7 条修改建议`` (or the empty-period phrase)."""
        return edits_phrase(self.w, self.total)


def compose_digest(
    suggestions: Sequence[Suggestion],
    outlines: Sequence[ReportOutline],
    *,
    period_start: datetime,
    period_end: datetime,
    timezone: tzinfo,
    base_url: str | None = None,
    health: Sequence[HealthChange] = (),
    rechecks: Mapping[str, Sequence[RecheckItem]] | None = None,
) -> DigestData:
    """Group ``suggestions`` per report (in ``outlines`` order) and per section;
    word the feeds' ``health`` changes; list each report's ``rechecks`` (by report id).

    Suggestions of reports missing from ``outlines`` are left out; sections
    the outline does not know come after the known ones, ordered by id, and
    the reference list comes last. Does not filter by status or period: the
    caller passes what belongs in.
    """
    by_report: dict[str, list[Suggestion]] = {}
    for suggestion in suggestions:
        by_report.setdefault(suggestion.report, []).append(suggestion)

    reports: list[ReportDigest] = []
    for outline in outlines:
        own = by_report.get(outline.id, [])
        due = tuple((rechecks or {}).get(outline.id, ()))
        if own or due:
            reports.append(_report_digest(outline, own, timezone, base_url, due))

    in_sections = [i.kind for r in reports for g in r.groups for i in g.items]
    additions, revisions, citations = (in_sections.count(kind) for kind in _SECTION_KINDS)
    changed = sum(1 for r in reports for i in r.cited if i.kind == SuggestionKind.SOURCE_CHANGED)
    gone = sum(1 for r in reports for i in r.cited if i.kind == SuggestionKind.SOURCE_GONE)
    claims = sum(len(c.items) for r in reports for c in r.claims)
    shared = wording_for(outlines[0].language if outlines else None)
    label = period_label(period_start, period_end, timezone, shared.language)
    total = len(in_sections) + changed + gone + claims
    return DigestData(
        period_start=period_start,
        period_end=period_end,
        period_label=label,
        reports=tuple(reports),
        additions=additions,
        revisions=revisions,
        citations=citations,
        changed=changed,
        gone=gone,
        subject=_subject(shared, total, reports, label),
        summary=summary_line(
            shared,
            reports=len(reports),
            sections=sum(len(r.groups) for r in reports),
            additions=additions,
            revisions=revisions,
            citations=citations,
            changed=changed,
            gone=gone,
            label=label,
            claims=claims,
            rechecks=sum(len(r.rechecks) for r in reports),
        ),
        w=shared,
        queue_link=f"{base_url.rstrip('/')}/" if base_url else None,
        sources=tuple(_source_alert(change, shared, timezone) for change in health),
        claims=claims,
        rechecks=sum(len(r.rechecks) for r in reports),
    )


def _source_alert(change: HealthChange, w: Wording, timezone: tzinfo) -> SourceAlert:
    def day(moment: datetime) -> str:
        return day_label(w, moment.astimezone(timezone).date(), with_year=False)

    if change.state == "failing":
        note = w.source_failing.format(day=day(change.since))
    else:
        assert change.back_at is not None
        note = w.source_recovered.format(day=day(change.back_at), since=day(change.since))
    error = one_line(change.error) if change.error else None
    return SourceAlert(one_line(change.name), safe_url(change.url), change.state, note, error)


def _item(
    s: Suggestion,
    timezone: tzinfo,
    base_url: str | None,
    outline: ReportOutline,
    w: Wording,
) -> DigestItem:
    ident = str(s.id) if s.id is not None else "?"
    link = None
    if base_url and s.id is not None:
        link = f"{base_url.rstrip('/')}/suggestions/{quote(ident)}"
    section_title = one_line(dict(outline.sections).get(s.section) or s.section_title)
    url = safe_url(s.url)
    source = one_line(s.source)
    excerpt = one_line(s.excerpt)
    proposed = display_text(s.proposed_text)
    if s.kind in _CITED_KINDS:
        if excerpt and excerpt in one_line(proposed):
            excerpt = ""  # the proposed note already says what changed: once is enough
        # The host alone ("127.0.0.1") says little: name the entry in the reference list.
        number = dict(outline.references).get(s.url.strip())
        if number is not None:
            source = w.reference.format(number=number)
        elif not source and url:
            source = urlsplit(url).hostname or ""
    return DigestItem(
        id=s.id,
        kind=str(s.kind),
        section=one_line(s.section),
        section_title=section_title,
        section_label=section_label(one_line(s.section), section_title),
        title=one_line(s.title) or w.untitled,
        url=url,
        source=source,
        published=day_label(w, s.published.astimezone(timezone).date()) if s.published else "",
        excerpt=shorten(excerpt, EXCERPT_CHARS),
        proposed_text=proposed,
        accept=f"tracker accept {ident}",
        reject=f"tracker reject {ident}",
        link=link,
        target=one_line(s.target or ""),
        needs_translation=s.needs_translation,
    )


def _section_key(section_id: str) -> tuple[tuple[int, int | str], ...]:
    """Order unknown section ids numerically where they are numbers (2.10 after 2.9)."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in section_id.split("."))


def _section_order(
    outline: ReportOutline,
) -> Callable[[str], tuple[int, int, tuple[tuple[int, int | str], ...]]]:
    """Report order; then sections the outline does not know; the reference list last."""
    position = {sid: i for i, (sid, _) in enumerate(outline.sections)}

    def key(sid: str) -> tuple[int, int, tuple[tuple[int, int | str], ...]]:
        if sid == REFERENCES_SECTION:
            return (2, 0, ())
        if sid in position:
            return (0, position[sid], ())
        return (1, 0, _section_key(sid))

    return key


def _report_digest(
    outline: ReportOutline,
    suggestions: list[Suggestion],
    timezone: tzinfo,
    base_url: str | None,
    rechecks: tuple[RecheckItem, ...] = (),
) -> ReportDigest:
    # Best first inside a section's group of a kind; id breaks ties so the order is stable.
    ordered = sorted(suggestions, key=lambda s: (-s.score, s.id if s.id is not None else 0))
    edits = [s for s in ordered if s.kind not in _CITED_KINDS and s.kind not in CLAIM_KINDS]
    cited = [s for s in suggestions if s.kind in _CITED_KINDS]

    w = wording_for(outline.language)
    section_order = _section_order(outline)
    titles: Mapping[str, str] = dict(outline.sections)
    sections: dict[str, list[Suggestion]] = {}
    for s in edits:
        sections.setdefault(s.section, []).append(s)
    order = sorted(sections, key=section_order)
    groups = []
    for sid in order:
        title = one_line(titles.get(sid) or sections[sid][0].section_title)
        groups.append(
            SectionGroup(
                id=one_line(sid),
                title=title,
                label=section_label(one_line(sid), title),
                kinds=_by_kind(sections[sid], timezone, base_url, outline, w),
            )
        )
    # In report order like the additions; within a section a lost page before a changed one.
    cited.sort(
        key=lambda s: (section_order(s.section), s.kind != SuggestionKind.SOURCE_GONE, s.id or 0)
    )
    return ReportDigest(
        id=outline.id,
        title=one_line(outline.title) or outline.id,
        groups=tuple(groups),
        cited=tuple(_item(s, timezone, base_url, outline, w) for s in cited),
        w=w,
        claims=claim_sections(
            suggestions,
            w=w,
            titles=dict(titles),
            section_order=section_order,
            base_url=base_url,
        ),
        rechecks=rechecks,
    )


def _by_kind(
    suggestions: list[Suggestion],
    timezone: tzinfo,
    base_url: str | None,
    outline: ReportOutline,
    w: Wording,
) -> tuple[KindGroup, ...]:
    """Additions, revisions, citations (each titled in the report's language); any
    other kind after them, under its own name."""
    titles = {
        SuggestionKind.ADDITION: w.additions,
        SuggestionKind.REVISION: w.revisions,
        SuggestionKind.CITATION: w.citations,
    }
    kinds = sorted(
        {s.kind for s in suggestions},
        key=lambda k: (_SECTION_KINDS.index(k) if k in _SECTION_KINDS else len(_SECTION_KINDS), k),
    )
    return tuple(
        KindGroup(
            kind=str(kind),
            title=titles.get(kind, str(kind)),
            items=tuple(
                _item(s, timezone, base_url, outline, w) for s in suggestions if s.kind is kind
            ),
        )
        for kind in kinds
    )


def _subject(w: Wording, total: int, reports: Sequence[ReportDigest], label: str) -> str:
    title = shorten(reports[0].title, SUBJECT_TITLE_CHARS) if reports else ""
    return one_line(subject_line(w, total, title, max(len(reports) - 1, 0), label))
