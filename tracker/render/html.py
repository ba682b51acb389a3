"""The HTML edition: the report's text with changes highlighted inline.

Differences come from diff-match-patch in two passes: first line by line
(unchanged lines stay whole, added or removed lines are whole ``<ins>`` /
``<del>``), then, inside a block of replaced lines, character by character
with ``diff_cleanupSemantic``. Chinese has no spaces, so a character diff
would read as a salad of single changed characters; each change is therefore
grown to whole phrases — small unchanged islands between two changes are
absorbed, and the change is widened to the nearest punctuation or space on
both sides. A replacement that shares little with its original is shown as
the whole old block deleted and the whole new block inserted.

The page is the Markdown source lightly laid out (headings, lists, quotes,
rules), not a full Markdown rendering, and every character of it is escaped
by the template (jinja2 autoescape): feed text can never become markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import jinja2
from diff_match_patch import diff_match_patch

from tracker.render.labels import labels_for
from tracker.render.mdtext import unescape_for_display

EQUAL, INSERT, DELETE = 0, 1, -1
# Below this share of unchanged characters a replaced block is shown whole.
_MIN_SHARED = 0.4
_BOUNDARY_PUNCT = frozenset("，。；：！？、（）【】《》「」“”‘’…—,;:!?()[]\"'|")
_HEADING = re.compile(r"^(#{1,6})\s+")
_QUOTE = re.compile(r"^>\s?")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("tracker.render", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Piece:
    """A run of text that is unchanged (0), inserted (1) or deleted (-1)."""

    op: int
    text: str


@dataclass(frozen=True)
class _Line:
    kind: str  # "heading", "item", "quote", "table", "rule", "blank", "text"
    level: int  # heading level, else 0
    pieces: tuple[Piece, ...]


def render_html(
    edition_md: str, previous_md: str | None, *, title: str, edition_date: date, language: str
) -> str:
    """A standalone page of ``edition_md`` with changes from ``previous_md`` marked.

    With no ``previous_md`` the text is shown without highlighting.
    """
    labels = labels_for(language)
    pieces = inline_diff(previous_md, edition_md) if previous_md is not None else []
    if previous_md is None:
        pieces = [Piece(EQUAL, edition_md)]
    template = _ENV.get_template("edition.html.j2")
    return template.render(
        title=title,
        edition_date=edition_date.isoformat(),
        language=language,
        labels=labels,
        compared=previous_md is not None,
        insertions=sum(1 for p in pieces if p.op == INSERT),
        deletions=sum(1 for p in pieces if p.op == DELETE),
        lines=_layout(pieces),
    )


def inline_diff(previous: str, current: str) -> list[Piece]:
    """Pieces that spell ``previous`` (equal + deleted) and ``current`` (equal + inserted)."""
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 5.0
    chars_a, chars_b, table = dmp.diff_linesToChars(previous, current)
    diffs = dmp.diff_main(chars_a, chars_b, False)
    dmp.diff_charsToLines(diffs, table)
    out: list[Piece] = []
    i = 0
    while i < len(diffs):
        if diffs[i][0] == EQUAL:
            out.append(Piece(EQUAL, diffs[i][1]))
            i += 1
            continue
        deleted, inserted = "", ""
        while i < len(diffs) and diffs[i][0] != EQUAL:
            if diffs[i][0] == DELETE:
                deleted += diffs[i][1]
            else:
                inserted += diffs[i][1]
            i += 1
        if deleted and inserted:
            out.extend(_phrase_diff(dmp, deleted, inserted))
        elif deleted:
            out.append(Piece(DELETE, deleted))
        else:
            out.append(Piece(INSERT, inserted))
    return _merge(out)


@dataclass
class _Change:
    deleted: str
    inserted: str


def _phrase_diff(dmp: diff_match_patch, old: str, new: str) -> list[Piece]:
    diffs = dmp.diff_main(old, new, False)
    dmp.diff_cleanupSemantic(diffs)
    # Alternate equal strings and changes: [str, _Change, str, _Change, ..., str].
    parts: list[str | _Change] = [""]
    for op, text in diffs:
        if op == EQUAL:
            if isinstance(parts[-1], str):
                parts[-1] += text
            else:
                parts.append(text)
        else:
            if isinstance(parts[-1], str):
                parts.append(_Change("", ""))
            change = parts[-1]
            assert isinstance(change, _Change)
            if op == DELETE:
                change.deleted += text
            else:
                change.inserted += text
    if not isinstance(parts[-1], str):
        parts.append("")
    parts = _absorb_islands(parts)
    _widen_to_phrases(parts)
    parts = _absorb_islands(parts)  # widening can empty the run between two changes
    shared = sum(len(p) for p in parts if isinstance(p, str))
    if shared < _MIN_SHARED * max(len(old), len(new)):
        return [Piece(DELETE, old), Piece(INSERT, new)]
    pieces: list[Piece] = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(Piece(EQUAL, part))
        else:
            pieces += [Piece(DELETE, part.deleted), Piece(INSERT, part.inserted)]
    return [p for p in pieces if p.text]


def _absorb_islands(parts: list[str | _Change]) -> list[str | _Change]:
    """Fold an unchanged run without any phrase boundary into the changes around it."""
    out: list[str | _Change] = [parts[0]]
    i = 1
    while i < len(parts):
        change, equal = parts[i], parts[i + 1]
        assert isinstance(change, _Change) and isinstance(equal, str)
        previous = out[-2] if len(out) >= 2 else None
        island = out[-1]
        if isinstance(previous, _Change) and isinstance(island, str) and not _has_boundary(island):
            previous.deleted += island + change.deleted
            previous.inserted += island + change.inserted
            out[-1] = equal
        else:
            out += [change, equal]
        i += 2
    return out


def _widen_to_phrases(parts: list[str | _Change]) -> None:
    """Grow each change to the phrase boundaries around it, in place."""
    for i in range(1, len(parts), 2):
        change, before, after = parts[i], parts[i - 1], parts[i + 1]
        assert isinstance(change, _Change) and isinstance(before, str) and isinstance(after, str)
        texts = [t for t in (change.deleted, change.inserted) if t]
        if before and not _is_boundary(before[-1]) and not all(_is_boundary(t[0]) for t in texts):
            cut = max((k for k, ch in enumerate(before) if _is_boundary(ch)), default=-1) + 1
            moved = before[cut:]
            change.deleted, change.inserted = moved + change.deleted, moved + change.inserted
            parts[i - 1] = before[:cut]
        if after and not _is_boundary(after[0]) and not all(_is_boundary(t[-1]) for t in texts):
            cut = next((k for k, ch in enumerate(after) if _is_boundary(ch)), len(after))
            moved = after[:cut]
            change.deleted, change.inserted = change.deleted + moved, change.inserted + moved
            parts[i + 1] = after[cut:]


def _is_boundary(ch: str) -> bool:
    return ch.isspace() or ch in _BOUNDARY_PUNCT


def _has_boundary(text: str) -> bool:
    return any(_is_boundary(ch) for ch in text)


def _merge(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for piece in pieces:
        if not piece.text:
            continue
        if out and out[-1].op == piece.op:
            out[-1] = Piece(piece.op, out[-1].text + piece.text)
        else:
            out.append(piece)
    return out


def _layout(pieces: list[Piece]) -> list[_Line]:
    """Split pieces into display lines and give each line its Markdown block kind."""
    rows: list[list[Piece]] = [[]]
    for piece in pieces:
        for k, part in enumerate(piece.text.split("\n")):
            if k:
                rows.append([])
            if part:
                rows[-1].append(Piece(piece.op, unescape_for_display(part)))
    if rows and not rows[-1]:
        rows.pop()  # the file's final newline
    return [_classify(row) for row in rows]


def _classify(row: list[Piece]) -> _Line:
    shown = "".join(p.text for p in row if p.op != DELETE)
    if not shown.strip():
        shown = "".join(p.text for p in row)
    if not shown.strip():
        return _Line("blank", 0, tuple(row))
    plain = all(p.op == EQUAL for p in row)
    if _RULE.match(shown) and plain:
        return _Line("rule", 0, ())
    heading = _HEADING.match(shown)
    if heading:
        return _Line("heading", len(heading.group(1)), _strip_prefix(row, heading.group(0)))
    quote = _QUOTE.match(shown)
    if quote:
        return _Line("quote", 0, _strip_prefix(row, quote.group(0)))
    if _LIST_ITEM.match(shown):
        return _Line("item", 0, tuple(row))
    if shown.lstrip().startswith("|"):
        return _Line("table", 0, tuple(row))
    return _Line("text", 0, tuple(row))


def _strip_prefix(row: list[Piece], prefix: str) -> tuple[Piece, ...]:
    """Drop a Markdown block marker (``## ``, ``> ``) that opens the line's first piece."""
    if row and row[0].text.startswith(prefix):
        rest = row[0].text[len(prefix) :]
        return tuple(([Piece(row[0].op, rest)] if rest else []) + row[1:])
    return tuple(row)
