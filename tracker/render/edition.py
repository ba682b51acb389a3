"""Merge a report's suggestions into its Markdown: the refreshed edition.

* accepted additions go at the end of their section's own body (before a
  closing ``---`` rule; a list item joins the list the section ends with);
* an accepted revision or citation replaces its target — a sentence or a
  table row as the report writes it — with its proposed text (or the
  editor's); where the target is no longer in the report as written, it is
  shown for review with a note instead (:mod:`tracker.render.edits`);
* every accepted addition, revision and citation that is merged gets a new
  reference: max(existing) + 1, + 2, … in suggestion-id order, its
  provisional ``[N]`` marker rewritten to that number; the entries are
  appended to the reference list in the list's own numbering and spacing
  style. A revision or citation of an article the report already cites (a
  cited page that now gives a newer figure) cites that entry's number instead;
  one whose target is gone as well was folded in by hand and is left out;
* an accepted ``source-gone`` swaps the cited URL for the archived copy it
  proposes; an accepted ``source-changed`` appends a dated note to the entry;
* pending suggestions are listed in a quoted "待审更新" / "Pending review"
  block at the end of their section, with source link and id: a revision as
  a tracked change (``~~old~~ → new``), a citation with the sentence it
  cites the article for, a claim check with its cited passage before and
  now (:mod:`tracker.render.claimtext`), and those still to be translated
  marked so;
* rejected ones (and other reports' suggestions) never appear.

The report's own text is otherwise left byte-for-byte as written — no
edition stamp is added, so an edition with nothing merged equals the report
and a diff shows only merged suggestions. Pure: no I/O, no clock.

Where things are written is not scanned for here: a section's end comes from
the report (:mod:`tracker.report`), whether it ends in a list from the block
model (:mod:`tracker.markdown`), and the reference list's entries (number,
lines, prefix) from :func:`tracker.report.reference_entries` — the same
reading the report parser and the HTML renderer have.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tracker.markdown import Block, parse_blocks
from tracker.render.claimtext import claim_parts
from tracker.render.edits import (
    Unplaced,
    apply_spans,
    drafted_text,
    is_edit,
    place_edits,
    provisional_number,
    replacement_text,
    shown_replacement,
)
from tracker.render.labels import Labels, labels_for
from tracker.render.mdtext import (
    md_drafted,
    md_link,
    md_reference,
    md_report_text,
    md_struck,
    md_text,
    md_url,
    safe_url,
)
from tracker.report import ReferenceEntry, reference_entries
from tracker.types import CLAIM_KINDS, Report, Suggestion, SuggestionKind, SuggestionStatus
from tracker.urls import canonical_url

_TRAILING_MARKER = re.compile(r"\s*\[\d+\]\s*[。.]?\s*$")
_LIST_MARKER = re.compile(r"^[-*+]\s+")
_ENTRY_NUMBER = re.compile(r"\d+")
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
    # So has an accepted revision or citation whose target is gone and whose
    # article is cited; one whose target is still there cites the existing entry.
    cited = {canonical_url(r.url): r.number for r in report.references if r.url}

    def cited_as(s: Suggestion) -> int | None:
        return next((cited[u] for u in map(canonical_url, (s.url, *s.urls)) if u in cited), None)

    mine = sorted(
        (
            s
            for s in suggestions
            if s.report == report.id
            and s.status is not SuggestionStatus.REJECTED
            and not (s.kind is SuggestionKind.ADDITION and cited_as(s) is not None)
        ),
        key=suggestion_order,
    )
    blocks = parse_blocks(report.markdown)
    references = _ReferenceList(lines, report.references_start_line, reference_entries(report))
    first_new = max((r.number for r in report.references), default=0) + 1

    accepted = [s for s in mine if s.status is SuggestionStatus.ACCEPTED]
    placement = place_edits(report, [s for s in accepted if is_edit(s)])
    placed = {id(s) for s, _ in placement.placed}
    merged = [
        s
        for s in accepted
        if s.kind is SuggestionKind.ADDITION or (id(s) in placed and cited_as(s) is None)
    ]
    # Numbered in the order they were accepted: a reference an earlier edition already
    # published keeps its number when later acceptances are merged after it.
    merged.sort(
        key=lambda s: (s.decided_at is None, s.decided_at or s.created_at, suggestion_order(s))
    )
    numbers = {id(s): first_new + i for i, s in enumerate(merged)}
    replacements = [
        (span, replacement_text(s, numbers.get(id(s)) or cited_as(s) or 0))
        for s, span in placement.placed
    ]
    for line, text in apply_spans(report.markdown, replacements).items():
        edits.replace(line, text)
    notes = {
        id(s): _unplaced_note(reason, labels)
        for s, reason in placement.unplaced
        if cited_as(s) is None
    }
    folded = {id(s) for s, _ in placement.unplaced if cited_as(s) is not None}

    by_anchor: dict[int, list[Suggestion]] = {}
    for s in mine:
        if id(s) in folded:
            continue
        if (
            s.status is SuggestionStatus.PENDING
            or s.kind is SuggestionKind.ADDITION
            or id(s) in notes
        ):
            by_anchor.setdefault(_section_anchor(blocks, report, s.section), []).append(s)
    for anchor, group in by_anchor.items():
        in_list = _in_list(blocks, anchor)
        edits.insert_after(
            anchor, _section_block(lines, anchor, in_list, group, numbers, notes, labels)
        )

    for s in accepted:
        if s.kind is SuggestionKind.SOURCE_GONE:
            references.swap_url(edits, report, s)
        elif s.kind is SuggestionKind.SOURCE_CHANGED:
            day = s.created_at.date().isoformat()
            references.append_note(edits, report, s, labels.source_updated.format(day=day))
    new_entries = [_reference_text(s) for s in merged]
    references.add_entries(edits, new_entries, first_new, labels)
    return edits.apply(lines)


def suggestion_order(s: Suggestion) -> tuple[int, int, str]:
    """Suggestion-id order; suggestions not yet stored (no id) after, by creation time."""
    return (0, s.id, "") if s.id is not None else (1, 0, s.created_at.isoformat())


def final_addition_text(s: Suggestion, number: int) -> str:
    """An accepted addition's line (the editor's wording when they edited it), its
    provisional ``[N]`` replaced by ``[number]`` (added when the editor dropped it)."""
    text = drafted_text(s) if s.edited_text or s.proposed_text else md_text(s.title)
    stripped = _TRAILING_MARKER.sub("", text)
    return f"{stripped} [{number}]"


def pending_item_text(s: Suggestion, labels: Labels, note: str | None = None) -> str:
    """One line of the review block: kind, text (no provisional number), source, id.

    A revision reads as a tracked change (``~~old~~ → new``), a citation as
    the sentence it cites the article for (``sentence ← source``). ``note``
    (an accepted edit that could not be merged) takes the place of the
    accept hint.
    """
    kind = f"**{labels.kinds[s.kind]}**"
    if s.needs_translation:
        kind += labels.needs_translation
    source = f"{labels.source}{md_link(s.title, s.url)}"
    if s.kind is SuggestionKind.REVISION:
        parts = [f"{kind} {md_struck(s.target or '')} → {shown_replacement(s)}", source]
    elif s.kind is SuggestionKind.CITATION:
        parts = [f"{kind} {md_report_text(s.target or '')} ← {source}"]
    elif s.kind in CLAIM_KINDS:
        parts = claim_parts(s, labels, kind)
    else:
        provisional = provisional_number(s)
        shown = (
            md_drafted(s.proposed_text, provisional=provisional)
            if s.proposed_text
            else md_text(s.title)
        )
        text = _LIST_MARKER.sub("", shown)
        if s.kind is SuggestionKind.ADDITION:
            # The provisional number would clash with numbers given to accepted additions.
            text = _TRAILING_MARKER.sub("", text)
        parts = [f"{kind} {text}", source]
    if note is not None:
        parts.append(note)
    elif s.id is not None:
        parts.append(labels.accept_hint.format(id=s.id))
    return " — ".join(parts)


def _unplaced_note(reason: Unplaced, labels: Labels) -> str:
    return labels.not_a_row if reason == "not-a-row" else labels.not_applied


class _Edits:
    """Line edits against the original line numbers, applied in one pass."""

    def __init__(self) -> None:
        self.after: dict[int, list[str]] = {}
        self.replaced: dict[int, str | None] = {}

    def insert_after(self, line: int, new_lines: list[str]) -> None:
        self.after.setdefault(line, []).extend(new_lines)

    def replace(self, line: int, text: str | None) -> None:
        """Give ``line`` new text; None drops it (what is inserted after it stays)."""
        self.replaced[line] = text

    def current(self, lines: list[str], line: int) -> str:
        return self.replaced.get(line, lines[line]) or ""

    def apply(self, lines: list[str]) -> str:
        out: list[str] = list(self.after.get(-1, []))
        for i, line in enumerate(lines):
            text = self.replaced.get(i, line)
            if text is not None:
                out.append(text)
            out.extend(self.after.get(i, []))
        return "\n".join(out)


def _section_anchor(blocks: tuple[Block, ...], report: Report, section_id: str) -> int:
    """The last line of the section's own body (before a closing rule); its heading if empty.

    A suggestion for a section the report no longer has goes to the last
    section before the reference list, so it is never silently dropped.
    """
    section = report.section(section_id)
    if section is None:
        limit = report.references_start_line
        candidates = [s for s in report.sections if limit is None or s.start_line < limit]
        if limit is not None and not candidates:
            # No section before the reference list: after whatever comes before it.
            ends = [b.end_line for b in blocks if b.end_line <= limit and b.kind != "rule"]
            return max(ends, default=0) - 1
        section = max(candidates, key=lambda s: s.start_line)
    return section.end_line - 1


def _in_list(blocks: tuple[Block, ...], line: int) -> bool:
    """Whether ``line`` is part of a list item outside any block quote."""
    return any(
        b.kind == "item" and b.quote == 0 and b.start_line <= line < b.end_line for b in blocks
    )


def _is_item(text: str) -> bool:
    blocks = parse_blocks(text)
    return bool(blocks) and blocks[0].kind == "item" and blocks[0].quote == 0


def _section_block(
    lines: list[str],
    anchor: int,
    in_list: bool,
    group: list[Suggestion],
    numbers: dict[int, int],
    notes: dict[int, str],
    labels: Labels,
) -> list[str]:
    block: list[str] = []
    for s in group:
        if s.status is SuggestionStatus.ACCEPTED and s.kind is SuggestionKind.ADDITION:
            text = final_addition_text(s, numbers[id(s)])
            # A list item continues the list it follows; anything else is its own paragraph.
            item = _is_item(text)
            if not (in_list and item):
                block.append("")
            block.append(text)
            in_list = item
    review = [s for s in group if s.status is SuggestionStatus.PENDING or id(s) in notes]
    if review:
        block += ["", f"> **{labels.pending_heading}**", ">"]
        block += [f"> - {pending_item_text(s, labels, notes.get(id(s)))}" for s in review]
    following = lines[anchor + 1] if anchor + 1 < len(lines) else ""
    if block and following.strip():
        block.append("")
    return block


def _reference_text(s: Suggestion) -> str:
    if s.reference.strip():
        return md_reference(s.reference, s.url)
    year = f" ({s.published.year})." if s.published else ""
    return f"{md_text(s.source)}.{year} {md_text(s.title)}. {md_url(s.url)}"


@dataclass
class _ReferenceList:
    """Where the reference list's numbered entries sit in the Markdown lines."""

    lines: list[str]
    heading: int | None
    entries: tuple[ReferenceEntry, ...]

    def _find(self, report: Report, s: Suggestion) -> tuple[ReferenceEntry, str] | None:
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
        for i in range(entry.first_line, entry.last_line + 1):
            text = edits.current(self.lines, i)
            if old in text:
                edits.replace(i, text.replace(old, safe_url(new)))

    def append_note(self, edits: _Edits, report: Report, s: Suggestion, note: str) -> None:
        """Add ``note`` at the end of the cited entry (e.g. "source updated <day>")."""
        found = self._find(report, s)
        if found is None:
            return
        entry, _ = found
        last = entry.last_line
        edits.replace(last, edits.current(self.lines, last).rstrip() + note)

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
        first, second, last = self.entries[0], self.entries[1:2], self.entries[-1]
        spaced = not second or second[0].first_line - first.last_line > 1
        new = []
        for offset, text in enumerate(texts):
            if spaced:
                new.append("")
            number = str(first_number + offset)
            prefix = _ENTRY_NUMBER.sub(number, last.prefix, count=1)
            if prefix[-1].isascii() and not prefix[-1].isspace():
                prefix += " "  # "1." of an empty entry; "1、" needs no space
            new.append(f"{prefix}{text}")
        edits.insert_after(last.last_line, new)
