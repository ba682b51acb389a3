"""Revisions and citations: where their target is in the report, and what replaces it.

A revision replaces its ``target`` — a sentence or a whole table row, exactly
as the report writes it — with its proposed text (the editor's wording when
they edited it); a citation replaces its target sentence with the same
sentence carrying one more citation marker. Either text carries the
provisional marker ``[P]`` that additions carry too; the edition renumbers it
to the reference the article gets. A ``claim-changed`` that proposes its
claim revised (a figure its cited page changed) is placed like a revision;
its text keeps the claim's own citation and gets no new reference.

A target is looked for verbatim: in the suggestion's own section first, then
anywhere before the reference list (the editor may have moved it). It is
placed only when found exactly once there, when no edit placed before it
(in suggestion-id order) already covers the same text, and — for a table row
— when its replacement is a row with as many cells. Otherwise it is not
placed, with the reason, and the edition shows it for review instead: a
target is never guessed at. A table row must be a whole line; a sentence may
sit anywhere in a paragraph, list item or cell.

What is not here: which suggestions are accepted, the numbering order and
the reference list (:mod:`tracker.render.edition`). Pure: no I/O.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tracker.render.mdtext import md_drafted
from tracker.types import Report, Suggestion, SuggestionKind

EDIT_KINDS = frozenset({SuggestionKind.REVISION, SuggestionKind.CITATION})


def is_edit(s: Suggestion) -> bool:
    """Whether accepting ``s`` replaces its target: a revision, a citation, or a
    ``claim-changed`` that proposes the claim revised (one without text changes nothing)."""
    if s.kind is SuggestionKind.CLAIM_CHANGED:
        return bool(s.edited_text or s.proposed_text)
    return s.kind in EDIT_KINDS


_MARKER = re.compile(r"\[(\d+)\]")
_SENTENCE_END = re.compile(r"[。！？.!?]+$")
_CELL_BAR = re.compile(r"(?<!\\)\|")

Unplaced = Literal["not-found", "not-a-row"]


@dataclass(frozen=True)
class Span:
    """Where a target was found: character offsets into the report's Markdown."""

    start: int
    end: int


@dataclass(frozen=True)
class Placement:
    """The edits that were placed (each with its span) and why the others were not."""

    placed: tuple[tuple[Suggestion, Span], ...]
    unplaced: tuple[tuple[Suggestion, Unplaced], ...]


def place_edits(report: Report, edits: Sequence[Suggestion]) -> Placement:
    """Find each edit's target in ``report`` (``edits`` in suggestion-id order)."""
    placed: list[tuple[Suggestion, Span]] = []
    unplaced: list[tuple[Suggestion, Unplaced]] = []
    for s in edits:
        span = _find(report, s)
        if span is None or any(span.start < o.end and o.start < span.end for _, o in placed):
            unplaced.append((s, "not-found"))
        elif _is_row(_target(s)) and not _same_width(_target(s), replacement_text(s, 0)):
            unplaced.append((s, "not-a-row"))
        else:
            placed.append((s, span))
    return Placement(tuple(placed), tuple(unplaced))


def provisional_number(s: Suggestion) -> int | None:
    """The number of the provisional marker in the proposed text.

    That is the marker the target does not carry (the report's own markers
    are ``<= max``, the provisional one is ``max + 1`` of the report it was
    made for); None when there is none. Tracker writes it after the feed's
    words, so it is the last such marker: a ``[9]`` quoted from a headline
    comes before it.
    """
    own = {int(n) for n in _MARKER.findall(s.target or "")}
    new = [int(n) for n in _MARKER.findall(s.proposed_text) if int(n) not in own]
    return new[-1] if new else None


def replacement_text(s: Suggestion, number: int) -> str:
    """The text that replaces the target, its provisional marker now ``[number]``.

    When the editor's wording dropped the marker, ``[number]`` is added at
    the end of the sentence (before its closing punctuation) or of a row's
    last cell, so the new reference is always cited.
    """
    text = drafted_text(s)
    provisional = provisional_number(s)
    marker = f"[{number}]"
    if provisional is not None and (last := text.rfind(f"[{provisional}]")) >= 0:
        return f"{text[:last]}{marker}{text[last + len(f'[{provisional}]') :]}"
    if provisional is None and marker in text:
        return text  # it already cites that reference (a claim revised against its own page)
    if _is_row(text):
        return f"{text[:-1].rstrip()}{marker} |"
    end = _SENTENCE_END.search(text)
    return f"{text[: end.start()]}{marker}{end.group()}" if end else f"{text}{marker}"


def shown_replacement(s: Suggestion) -> str:
    """The replacement for review (the editor's wording once they gave one):
    escaped, without its provisional marker."""
    text = drafted_text(s)
    provisional = provisional_number(s)
    if provisional is None:
        return text
    last = text.rfind(f"[{provisional}]")
    if last < 0:
        return text
    return f"{text[:last].rstrip()}{text[last + len(f'[{provisional}]') :]}"


def drafted_text(s: Suggestion) -> str:
    """The proposed text (the editor's once they gave one) as Markdown: feed words
    escaped; the report's own markup of its target and its citation markers kept,
    with the provisional one."""
    own = {int(n) for n in _MARKER.findall(s.target or "")}
    provisional = provisional_number(s)
    return md_drafted(
        s.edited_text or s.proposed_text,
        markers=own,
        provisional=provisional,
        target=s.target or "",
    )


def apply_spans(markdown: str, replacements: Sequence[tuple[Span, str]]) -> dict[int, str | None]:
    """Line edits that make the replacements: a line's new text, or None to drop it.

    Lines are ``markdown.split("\\n")``; a target that spans lines (a wrapped
    paragraph) leaves its first line holding the joined result.
    """
    lines = markdown.split("\n")
    starts = _line_starts(lines)

    def line_of(offset: int) -> int:
        return bisect_right(starts, offset) - 1

    ranged = sorted(
        (line_of(span.start), line_of(max(span.start, span.end - 1)), span, text)
        for span, text in replacements
    )
    changes: dict[int, str | None] = {}
    groups: list[list[tuple[int, int, Span, str]]] = []
    for item in ranged:
        if groups and item[0] <= max(g[1] for g in groups[-1]):
            groups[-1].append(item)
        else:
            groups.append([item])
    for group in groups:
        first, last = group[0][0], max(g[1] for g in group)
        base = starts[first]
        text = "\n".join(lines[first : last + 1])
        for _, _, span, new in sorted(group, key=lambda g: g[2].start, reverse=True):
            text = text[: span.start - base] + new + text[span.end - base :]
        changes[first] = text
        changes.update((i, None) for i in range(first + 1, last + 1))
    return changes


def _target(s: Suggestion) -> str:
    return (s.target or "").strip()


def _find(report: Report, s: Suggestion) -> Span | None:
    target = _target(s)
    if not target:
        return None
    markdown = report.markdown
    starts = _line_starts(markdown.split("\n"))
    section = report.section(s.section)
    limit = report.references_start_line
    body_end = starts[limit] if limit is not None else len(markdown)
    ranges = []
    if section is not None:
        ranges.append((starts[section.start_line + 1], starts[section.end_line] - 1))
    ranges.append((0, body_end))
    for start, end in ranges:
        found = _occurrences(markdown, target, start, end)
        if len(found) == 1:
            return found[0]
        if found:
            return None  # ambiguous: never guess which one was meant
    return None


def _line_starts(lines: list[str]) -> list[int]:
    """The offset of each line, and one past the end."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    return starts


def _occurrences(markdown: str, target: str, start: int, end: int) -> list[Span]:
    row = _is_row(target)
    found = []
    at = markdown.find(target, start, end)
    while at >= 0:
        span = Span(at, at + len(target))
        if not row or _whole_line(markdown, span):
            found.append(span)
        at = markdown.find(target, at + 1, end)
    return found


def _whole_line(markdown: str, span: Span) -> bool:
    line_start = markdown.rfind("\n", 0, span.start) + 1
    line_end = markdown.find("\n", span.end)
    line_end = len(markdown) if line_end < 0 else line_end
    return (
        not markdown[line_start : span.start].strip() and not markdown[span.end : line_end].strip()
    )


def _is_row(text: str) -> bool:
    stripped = text.strip()
    return len(stripped) > 1 and stripped.startswith("|") and stripped.endswith("|")


def _same_width(row: str, replacement: str) -> bool:
    return _is_row(replacement) and len(_CELL_BAR.split(row.strip())) == len(
        _CELL_BAR.split(replacement.strip())
    )
