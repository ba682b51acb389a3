"""Turn pending suggestions into the digest's content: data, subject, text and HTML.

Everything here is pure: suggestions, report outlines and the period come in;
frozen dataclasses and strings go out. The store, the clock and the network
are the caller's business (``tracker.digest``).

Text from feeds is untrusted. It is reduced to single lines where a line is
expected (titles, sources), URLs are kept only when they are http(s), and the
HTML template is autoescaped, so nothing a feed says can become markup or a
header. The subject is built from counts, the report title and dates only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from urllib.parse import quote, urlsplit

import jinja2
import markupsafe

from tracker.types import Suggestion, SuggestionKind

EXCERPT_CHARS = 480
SUBJECT_TITLE_CHARS = 80
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CITED_KINDS = frozenset({SuggestionKind.SOURCE_CHANGED, SuggestionKind.SOURCE_GONE})
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ReportOutline:
    """What the digest needs to know about a report: its title and section order."""

    id: str
    title: str
    sections: tuple[tuple[str, str], ...]  # (section id, section title) in report order


@dataclass(frozen=True)
class DigestItem:
    """One suggestion, cleaned for display."""

    id: int | None
    kind: str
    section: str
    section_title: str
    section_label: str  # "2.1 推理模型的兴起"; the title alone for unnumbered sections
    title: str
    url: str  # "" when the suggestion's URL is not http(s)
    source: str
    published: str  # YYYY-MM-DD in the digest's time zone, or ""
    excerpt: str
    proposed_text: str
    accept: str  # the command that accepts it
    reject: str
    link: str | None  # the daemon's page for it, when digest.base_url is set


@dataclass(frozen=True)
class SectionGroup:
    id: str
    title: str
    label: str  # see DigestItem.section_label
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class ReportDigest:
    id: str
    title: str
    groups: tuple[SectionGroup, ...]  # additions, by section in report order
    cited: tuple[DigestItem, ...]  # cited sources that changed or went away

    @property
    def count(self) -> int:
        return sum(len(g.items) for g in self.groups) + len(self.cited)


@dataclass(frozen=True)
class DigestData:
    """Everything the templates show; ``reports`` lists only reports with news."""

    period_start: datetime
    period_end: datetime
    period_label: str  # "22–29 Nov"
    reports: tuple[ReportDigest, ...]
    additions: int
    changed: int
    gone: int
    subject: str
    summary: str

    @property
    def total(self) -> int:
        return self.additions + self.changed + self.gone

    @property
    def empty(self) -> bool:
        return self.total == 0


@dataclass(frozen=True)
class RenderedDigest:
    data: DigestData
    text: str
    html: str


def compose_digest(
    suggestions: Sequence[Suggestion],
    outlines: Sequence[ReportOutline],
    *,
    period_start: datetime,
    period_end: datetime,
    timezone: tzinfo,
    base_url: str | None = None,
) -> DigestData:
    """Group ``suggestions`` per report (in ``outlines`` order) and per section.

    Suggestions of reports missing from ``outlines`` are left out; sections
    the outline does not know come after the known ones, ordered by id.
    Does not filter by status or period: the caller passes what belongs in.
    """
    by_report: dict[str, list[Suggestion]] = {}
    for suggestion in suggestions:
        by_report.setdefault(suggestion.report, []).append(suggestion)

    reports: list[ReportDigest] = []
    for outline in outlines:
        own = by_report.get(outline.id, [])
        if own:
            reports.append(_report_digest(outline, own, timezone, base_url))

    additions = sum(len(g.items) for r in reports for g in r.groups)
    changed = sum(1 for r in reports for i in r.cited if i.kind == SuggestionKind.SOURCE_CHANGED)
    gone = sum(1 for r in reports for i in r.cited if i.kind == SuggestionKind.SOURCE_GONE)
    label = period_label(period_start, period_end, timezone)
    total = additions + changed + gone
    return DigestData(
        period_start=period_start,
        period_end=period_end,
        period_label=label,
        reports=tuple(reports),
        additions=additions,
        changed=changed,
        gone=gone,
        subject=_subject(total, reports, label),
        summary=_summary(reports, additions, changed, gone, label),
    )


def render_digest(data: DigestData) -> RenderedDigest:
    """Render the plain-text and HTML bodies from the packaged templates."""
    env = _environment()
    text = env.get_template("digest.txt").render(d=data)
    html = env.get_template("digest.html").render(d=data)
    return RenderedDigest(data=data, text=text, html=html)


def period_label(start: datetime, end: datetime, timezone: tzinfo) -> str:
    """``22–29 Nov``, ``28 Nov – 5 Dec``, ``28 Dec 2025 – 4 Jan 2026`` (dates in ``timezone``)."""
    a, b = start.astimezone(timezone).date(), end.astimezone(timezone).date()
    if a == b:
        return f"{a.day} {_MONTHS[a.month - 1]}"
    if a.year != b.year:
        return f"{a.day} {_MONTHS[a.month - 1]} {a.year} – {b.day} {_MONTHS[b.month - 1]} {b.year}"
    if a.month != b.month:
        return f"{a.day} {_MONTHS[a.month - 1]} – {b.day} {_MONTHS[b.month - 1]}"
    return f"{a.day}–{b.day} {_MONTHS[b.month - 1]}"


def one_line(text: str) -> str:
    """Collapse every kind of line break, control character and space run into one space."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    return _SPACES.sub(" ", cleaned).strip()


def _paragraphs(text: str) -> str:
    """Keep paragraph breaks of a multi-line text but drop control characters and CRs."""
    lines = (one_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.7:  # prefer a word boundary when the text has words
        cut = cut[:space]
    return cut.rstrip(" ,.;:，。；：") + "…"


def _safe_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch == " " for ch in url):
        return ""
    return url


def section_label(section_id: str, title: str) -> str:
    """``2.1 推理模型的兴起``; ids the report parser made up (``x1``) are not shown."""
    if not section_id or section_id.startswith("x") or title.startswith(section_id + " "):
        return title or section_id
    return f"{section_id} {title}".strip()


def _item(
    s: Suggestion, timezone: tzinfo, base_url: str | None, titles: Mapping[str, str]
) -> DigestItem:
    ident = str(s.id) if s.id is not None else "?"
    link = None
    if base_url and s.id is not None:
        link = f"{base_url.rstrip('/')}/suggestions/{quote(ident)}"
    section_title = one_line(titles.get(s.section) or s.section_title)
    return DigestItem(
        id=s.id,
        kind=str(s.kind),
        section=one_line(s.section),
        section_title=section_title,
        section_label=section_label(one_line(s.section), section_title),
        title=one_line(s.title) or "(untitled)",
        url=_safe_url(s.url),
        source=one_line(s.source),
        published=s.published.astimezone(timezone).date().isoformat() if s.published else "",
        excerpt=_shorten(one_line(s.excerpt), EXCERPT_CHARS),
        proposed_text=_paragraphs(s.proposed_text),
        accept=f"tracker accept {ident}",
        reject=f"tracker reject {ident}",
        link=link,
    )


def _section_key(section_id: str) -> tuple[tuple[int, int | str], ...]:
    """Order unknown section ids numerically where they are numbers (2.10 after 2.9)."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in section_id.split("."))


def _report_digest(
    outline: ReportOutline,
    suggestions: list[Suggestion],
    timezone: tzinfo,
    base_url: str | None,
) -> ReportDigest:
    # Best first inside a section; id breaks ties so the order is stable.
    ordered = sorted(suggestions, key=lambda s: (-s.score, s.id if s.id is not None else 0))
    additions = [s for s in ordered if s.kind not in _CITED_KINDS]
    cited = [s for s in suggestions if s.kind in _CITED_KINDS]

    position = {sid: i for i, (sid, _) in enumerate(outline.sections)}
    titles: Mapping[str, str] = dict(outline.sections)
    sections: dict[str, list[Suggestion]] = {}
    for s in additions:
        sections.setdefault(s.section, []).append(s)
    order = sorted(
        sections,
        key=lambda sid: (0, position[sid], ()) if sid in position else (1, 0, _section_key(sid)),
    )
    groups = []
    for sid in order:
        title = one_line(titles.get(sid) or sections[sid][0].section_title)
        groups.append(
            SectionGroup(
                id=one_line(sid),
                title=title,
                label=section_label(one_line(sid), title),
                items=tuple(_item(s, timezone, base_url, titles) for s in sections[sid]),
            )
        )
    cited.sort(key=lambda s: (s.kind != SuggestionKind.SOURCE_GONE, s.id or 0))
    return ReportDigest(
        id=outline.id,
        title=one_line(outline.title) or outline.id,
        groups=tuple(groups),
        cited=tuple(_item(s, timezone, base_url, titles) for s in cited),
    )


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _subject(total: int, reports: Sequence[ReportDigest], label: str) -> str:
    if total == 0:
        return f"[tracker] no suggested edits · {label}"
    title = _shorten(reports[0].title, SUBJECT_TITLE_CHARS)
    if len(reports) > 1:
        title += f" +{_plural(len(reports) - 1, 'report')}"
    return one_line(f"[tracker] {_plural(total, 'suggested edit')} · {title} · {label}")


def _summary(
    reports: Sequence[ReportDigest], additions: int, changed: int, gone: int, label: str
) -> str:
    if not reports:
        return f"No suggested edits for {label}."
    sections = sum(len(r.groups) for r in reports)
    parts = [
        f"{_plural(additions, 'suggested addition')} in {_plural(sections, 'section')}"
        f" of {_plural(len(reports), 'report')}"
    ]
    parts.append(f"{_plural(changed, 'cited source')} changed")
    parts.append(f"{gone} gone")
    return f"{label}: " + ", ".join(parts) + "."


def _line_breaks(text: str) -> markupsafe.Markup:
    """Escape, then turn newlines into ``<br>``: Outlook ignores ``white-space: pre-wrap``."""
    return markupsafe.escape(text).replace("\n", markupsafe.Markup("<br>\n"))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tracker.notify", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["line_breaks"] = _line_breaks
    return env
