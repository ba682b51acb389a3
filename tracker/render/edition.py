"""Merge a report's suggestions into its Markdown: the refreshed edition.

* accepted additions go at the end of their section's own body (before a
  closing ``---`` rule), their provisional ``[N]`` marker rewritten to the
  final reference number: max(existing) + 1, + 2, … in suggestion-id order;
  their reference entries are appended to the reference list in the list's
  own numbering and spacing style;
* an accepted ``source-gone`` swaps the cited URL for the archived copy it
  proposes; an accepted ``source-changed`` appends a dated note to the entry;
* pending suggestions are listed in a quoted "待审更新" / "Pending review"
  block at the end of their section, with source link and id;
* rejected ones (and other reports' suggestions) never appear.

The report's own text is otherwise left byte-for-byte as written — no
edition stamp is added, so an edition with nothing merged equals the report
and a diff shows only merged suggestions. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tracker.render.labels import Labels, labels_for
from tracker.render.mdtext import md_link, md_text, safe_url
from tracker.types import Report, Suggestion, SuggestionKind, SuggestionStatus
from tracker.urls import canonical_url

_TRAILING_MARKER = re.compile(r"\s*\[\d+\]\s*[。.]?\s*$")
_REF_ENTRY = re.compile(r"^(\s*)(\[?)(\d+)([.)\]])(\s+)")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_HEADING = re.compile(r"^#{1,6}\s")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
_LIST_MARKER = re.compile(r"^[-*+]\s+")
_ARCHIVE_URL = re.compile(r"https?://web\.archive\.org/web/[^\s<>\"'（）「」，。；、“”]+")


def render_edition(report: Report, suggestions: Sequence[Suggestion], *, edition_date: date) -> str:
    """The report's Markdown with ``suggestions`` merged as described above.

    ``edition_date`` is accepted for symmetry with the other renderers; the
    Markdown itself carries no edition stamp (see the module docstring).
    """
    del edition_date  # the date lives in the file name and the HTML header
    labels = labels_for(report.language)
    lines = report.markdown.split("\n")
    edits = _Edits()
    # An addition whose article the report already cites has been folded into
    # the report by hand (an editor who copies an edition over the report does
    # exactly that): merging it again would duplicate the text and the reference.
    cited = {canonical_url(r.url) for r in report.references if r.url}
    mine = sorted(
        (
            s
            for s in suggestions
            if s.report == report.id
            and s.status is not SuggestionStatus.REJECTED
            and not (
                s.kind is SuggestionKind.ADDITION
                and cited.intersection(canonical_url(u) for u in (s.url, *s.urls))
            )
        ),
        key=suggestion_order,
    )
    references = _ReferenceList.scan(lines, report)
    first_new = max((r.number for r in report.references), default=0)
    first_new = max(first_new, max((e.number for e in references.entries), default=0)) + 1

    accepted_additions = [
        s
        for s in mine
        if s.status is SuggestionStatus.ACCEPTED and s.kind is SuggestionKind.ADDITION
    ]
    numbers = {id(s): first_new + i for i, s in enumerate(accepted_additions)}

    by_anchor: dict[int, list[Suggestion]] = {}
    for s in mine:
        if s.status is SuggestionStatus.PENDING or s.kind is SuggestionKind.ADDITION:
            by_anchor.setdefault(_section_anchor(lines, report, s.section), []).append(s)
    for anchor, group in by_anchor.items():
        edits.insert_after(anchor, _section_block(lines, anchor, group, numbers, labels))

    for s in mine:
        if s.status is not SuggestionStatus.ACCEPTED:
            continue
        if s.kind is SuggestionKind.SOURCE_GONE:
            references.swap_url(edits, report, s)
        elif s.kind is SuggestionKind.SOURCE_CHANGED:
            day = s.created_at.date().isoformat()
            references.append_note(edits, report, s, labels.source_updated.format(day=day))
    new_entries = [_reference_text(s) for s in accepted_additions]
    references.add_entries(edits, new_entries, first_new, labels)
    return edits.apply(lines)


def suggestion_order(s: Suggestion) -> tuple[int, int, str]:
    """Suggestion-id order; suggestions not yet stored (no id) after, by creation time."""
    return (0, s.id, "") if s.id is not None else (1, 0, s.created_at.isoformat())


def final_addition_text(s: Suggestion, number: int) -> str:
    """An accepted addition's line, its provisional ``[N]`` replaced by ``[number]``."""
    text = md_text(s.proposed_text or s.title)
    stripped = _TRAILING_MARKER.sub("", text)
    return f"{stripped} [{number}]"


def pending_item_text(s: Suggestion, labels: Labels) -> str:
    """One line of the review block: kind, text (no provisional number), source, id."""
    text = _LIST_MARKER.sub("", md_text(s.proposed_text or s.title))
    if s.kind is SuggestionKind.ADDITION:
        # The provisional number would clash with numbers given to accepted additions.
        text = _TRAILING_MARKER.sub("", text)
    parts = [f"**{labels.kinds[s.kind]}** {text}", f"{labels.source}{md_link(s.title, s.url)}"]
    if s.id is not None:
        parts.append(labels.accept_hint.format(id=s.id))
    return " — ".join(parts)


class _Edits:
    """Line edits against the original line numbers, applied in one pass."""

    def __init__(self) -> None:
        self.after: dict[int, list[str]] = {}
        self.replaced: dict[int, str] = {}

    def insert_after(self, line: int, new_lines: list[str]) -> None:
        self.after.setdefault(line, []).extend(new_lines)

    def replace(self, line: int, text: str) -> None:
        self.replaced[line] = text

    def current(self, lines: list[str], line: int) -> str:
        return self.replaced.get(line, lines[line])

    def apply(self, lines: list[str]) -> str:
        out: list[str] = list(self.after.get(-1, []))
        for i, line in enumerate(lines):
            out.append(self.replaced.get(i, line))
            out.extend(self.after.get(i, []))
        return "\n".join(out)


def _section_anchor(lines: list[str], report: Report, section_id: str) -> int:
    """The last content line of the section's own body (before a closing rule).

    A suggestion for a section the report no longer has goes to the last
    section before the reference list, so it is never silently dropped.
    """
    section = report.section(section_id)
    if section is None:
        limit = (
            report.references_start_line if report.references_start_line is not None else len(lines)
        )
        candidates = [s for s in report.sections if s.start_line < limit]
        if not candidates:
            return _last_content(lines, -1, limit)
        section = max(candidates, key=lambda s: s.start_line)
    return _last_content(lines, section.start_line, min(section.end_line, len(lines)))


def _last_content(lines: list[str], start: int, end: int) -> int:
    last = end - 1
    while last > start and not lines[last].strip():
        last -= 1
    if last > start and _RULE.match(lines[last]):
        last -= 1
        while last > start and not lines[last].strip():
            last -= 1
    return last


def _section_block(
    lines: list[str],
    anchor: int,
    group: list[Suggestion],
    numbers: dict[int, int],
    labels: Labels,
) -> list[str]:
    block: list[str] = []
    previous = lines[anchor] if anchor >= 0 else ""
    for s in group:
        if s.status is SuggestionStatus.ACCEPTED and s.kind is SuggestionKind.ADDITION:
            text = final_addition_text(s, numbers[id(s)])
            # Bullets continue a list; anything else is its own paragraph.
            if not (_LIST_ITEM.match(previous) and _LIST_ITEM.match(text)):
                block.append("")
            block.append(text)
            previous = text
    pending = [s for s in group if s.status is SuggestionStatus.PENDING]
    if pending:
        block += ["", f"> **{labels.pending_heading}**", ">"]
        block += [f"> - {pending_item_text(s, labels)}" for s in pending]
    following = lines[anchor + 1] if anchor + 1 < len(lines) else ""
    if block and following.strip():
        block.append("")
    return block


def _reference_text(s: Suggestion) -> str:
    if s.reference.strip():
        return md_text(s.reference)
    year = f" ({s.published.year})." if s.published else ""
    return md_text(f"{s.source}.{year} {s.title}. {safe_url(s.url)}")


@dataclass
class _Entry:
    number: int
    first: int
    last: int


@dataclass
class _ReferenceList:
    """Where the reference list's numbered entries sit in the Markdown lines."""

    lines: list[str]
    heading: int | None
    entries: list[_Entry]

    @classmethod
    def scan(cls, lines: list[str], report: Report) -> _ReferenceList:
        heading = report.references_start_line
        entries: list[_Entry] = []
        if heading is None:
            return cls(lines, None, entries)
        after_blank = False
        for i in range(heading + 1, len(lines)):
            line = lines[i]
            if _HEADING.match(line) or _RULE.match(line):
                break
            match = _REF_ENTRY.match(line)
            if match:
                entries.append(_Entry(int(match.group(3)), i, i))
            elif entries and line.strip():
                if after_blank:
                    break  # prose after the list, e.g. an "Updated:" line
                entries[-1].last = i  # a wrapped entry
            after_blank = not line.strip()
        return cls(lines, heading, entries)

    def _find(self, report: Report, s: Suggestion) -> tuple[_Entry, str] | None:
        urls = {s.url, *s.urls}
        for ref in report.references:
            if ref.url and ref.url in urls:
                entry = next((e for e in self.entries if e.number == ref.number), None)
                if entry is not None:
                    return entry, ref.url
        return None

    def swap_url(self, edits: _Edits, report: Report, s: Suggestion) -> None:
        """Replace the cited URL with the archived copy the suggestion proposes."""
        found = self._find(report, s)
        if found is None:
            return
        entry, old = found
        archived = _ARCHIVE_URL.search(s.proposed_text)
        new = (
            archived.group(0).rstrip(".,;")
            if archived
            else f"https://web.archive.org/web/{s.created_at:%Y%m%d}/{old}"
        )
        for i in range(entry.first, entry.last + 1):
            text = edits.current(self.lines, i)
            if old in text:
                edits.replace(i, text.replace(old, safe_url(new)))

    def append_note(self, edits: _Edits, report: Report, s: Suggestion, note: str) -> None:
        """Add ``note`` at the end of the cited entry (e.g. "source updated <day>")."""
        found = self._find(report, s)
        if found is None:
            return
        entry, _ = found
        edits.replace(entry.last, edits.current(self.lines, entry.last).rstrip() + note)

    def add_entries(
        self, edits: _Edits, texts: list[str], first_number: int, labels: Labels
    ) -> None:
        """Append numbered entries in the list's own style (prefix and spacing)."""
        if not texts:
            return
        if not self.entries:
            anchor = self.heading if self.heading is not None else len(self.lines) - 1
            new: list[str] = []
            if self.heading is None:
                new += ["", f"## {labels.references_heading}"]
            for offset, text in enumerate(texts):
                new += ["", f"{first_number + offset}. {text}"]
            edits.insert_after(anchor, new)
            return
        last = self.entries[-1]
        match = _REF_ENTRY.match(self.lines[last.first])
        assert match is not None  # entries are found by this very pattern
        indent, opening, _, closing, space = match.groups()
        spaced = len(self.entries) < 2 or self.entries[1].first - self.entries[0].last > 1
        new = []
        for offset, text in enumerate(texts):
            if spaced:
                new.append("")
            new.append(f"{indent}{opening}{first_number + offset}{closing}{space}{text}")
        edits.insert_after(last.last, new)
