"""What the review pages show, as plain data built from the facade's results.

Pure: suggestions and parsed reports in, grouped queues and previews out; no
HTTP, no templates, no store. The templates (autoescaped) turn these into
HTML, so nothing here escapes or marks anything safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tracker.types import CLAIM_KINDS, Report, Suggestion, SuggestionKind

KIND_LABELS = {
    SuggestionKind.ADDITION: "addition",
    SuggestionKind.REVISION: "revision",
    SuggestionKind.CITATION: "citation",
    SuggestionKind.SOURCE_CHANGED: "source changed",
    SuggestionKind.SOURCE_GONE: "source gone",
    SuggestionKind.CLAIM_CHANGED: "claim: passage changed",
    SuggestionKind.CLAIM_ORPHANED: "claim: passage gone",
    SuggestionKind.UNSUPPORTED_CLAIM: "claim: not in its source",
}
# Suggestions that replace their target sentence with their text (when they have one).
_REPLACING = frozenset({SuggestionKind.REVISION, SuggestionKind.CLAIM_CHANGED})


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) link, else None (shown as text, not linked)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


@dataclass
class SectionGroup:
    id: str
    title: str
    items: list[Suggestion] = field(default_factory=list)


@dataclass
class ReportGroup:
    id: str
    title: str
    sections: list[SectionGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(s.items) for s in self.sections)


def group_queue(
    report_ids: Sequence[str],
    reports: dict[str, Report],
    suggestions: Sequence[Suggestion],
) -> list[ReportGroup]:
    """Suggestions grouped by report (config order) and section (report order).

    A section the report no longer has (renamed since) comes after the
    report's own sections; a report that failed to parse is ordered by
    section id.
    """
    groups: list[ReportGroup] = []
    for report_id in report_ids:
        mine = [s for s in suggestions if s.report == report_id]
        if not mine:
            continue
        report = reports.get(report_id)
        order = {sec.id: n for n, sec in enumerate(report.sections)} if report else {}
        by_section: dict[str, SectionGroup] = {}
        for s in sorted(mine, key=lambda s: (-s.score, s.id or 0)):
            group = by_section.get(s.section)
            if group is None:
                group = by_section[s.section] = SectionGroup(s.section, s.section_title)
            group.items.append(s)
        sections = sorted(
            by_section.values(), key=lambda g: (order.get(g.id, len(order)), _id_key(g.id))
        )
        groups.append(ReportGroup(report_id, report.title if report else report_id, sections))
    return groups


def _id_key(section_id: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (1 << 30, p) for p in section_id.split("."))


@dataclass(frozen=True)
class Piece:
    """A run of section text in a preview: kept, removed or inserted."""

    text: str
    change: str  # "same", "del", "ins", or "mark" (the sentence a claim check concerns)


def preview(section_text: str | None, s: Suggestion) -> list[Piece]:
    """The section's text with the suggestion applied, changes marked.

    A revision (and a changed claim's proposed revision) replaces its target
    sentence where it stands; a citation adds its text after the target; an
    addition (and anything else) goes at the end of the section. A claim
    check with no revision changes nothing: its sentence is only marked. The
    editor's wording wins over the proposed text. An approximation of the
    edition (no reference renumbering), for review.
    """
    text = section_text or ""
    new = s.edited_text or s.proposed_text
    target = s.target or ""
    if s.kind in CLAIM_KINDS and not new:
        if target and target in text:
            before, _, after = text.partition(target)
            marked = (Piece(before, "same"), Piece(target, "mark"), Piece(after, "same"))
            return [p for p in marked if p.text]
        return [Piece(text, "same")] if text else []
    if target and target in text:
        before, _, after = text.partition(target)
        if s.kind in _REPLACING:
            middle = [Piece(target, "del"), Piece(new, "ins")]
        else:
            middle = [Piece(target, "same"), Piece(" " + new, "ins")]
        return [p for p in (Piece(before, "same"), *middle, Piece(after, "same")) if p.text]
    pieces = [Piece(text, "same")] if text else []
    if s.kind in _REPLACING and target:
        pieces.append(Piece("\n\n" + target, "del"))
    pieces.append(Piece(("\n\n" if text else "") + new, "ins"))
    return pieces
