"""The HTML edition: the report rendered as a document, changes highlighted inline.

Both editions are parsed into blocks (headings, paragraphs, list items, table
rows, …; see :mod:`tracker.render.markdown`) and diffed block by block with
diff-match-patch. Unchanged blocks are shown as they are; added or removed
blocks are shown whole inside ``<ins>`` / ``<del>``; a block edited in place
(same kind and place, enough text in common) gets a character diff of its
Markdown source with ``diff_cleanupSemantic``. Chinese has no spaces, so a
character diff would read as a salad of single changed characters; each
change is therefore grown to whole phrases — small unchanged islands between
two changes are absorbed, and the change is widened to the nearest
punctuation or space on both sides. A replacement that shares little with
its original is shown as the old block deleted and the new block inserted.

The source diff is mapped onto the rendered text through each visible
character's source offset, so inline markup (bold, code, links) is rendered
from the whole old or new block and stays well-formed whatever the diff cut
through; only markup characters that changed alone are not highlighted.

All HTML is written here, from data: every character of text and every
attribute value is escaped (markupsafe), links are only emitted for
http(s)/mailto URLs, and nothing from the Markdown passes through as markup.
The page template keeps jinja2's autoescaping for everything else.
"""

from __future__ import annotations

import difflib
import itertools
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import jinja2
from diff_match_patch import diff_match_patch
from markupsafe import Markup, escape

from tracker.render.labels import labels_for
from tracker.render.markdown import PLAIN, Block, Glyph, parse_blocks, parse_inline

EQUAL, INSERT, DELETE = 0, 1, -1
CHANGED = 2  # a block edited in place: shown once, with its inline changes
# Below this share of unchanged characters a replaced block is shown whole.
_MIN_SHARED = 0.4
_BOUNDARY_PUNCT = frozenset("，。；：！？、（）【】《》「」“”‘’…—,;:!?()[]\"'|")
_MARK = {EQUAL: None, INSERT: "ins", DELETE: "del"}

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
class _Shown:
    """A block as the page shows it: unchanged, inserted, deleted or edited in place.

    For an edited block, ``pieces`` holds the phrase diff of its text (one
    entry) or of each table cell (one entry per cell).
    """

    op: int
    block: Block
    old: Block | None = None
    pieces: tuple[tuple[Piece, ...], ...] = ()


def render_html(
    edition_md: str, previous_md: str | None, *, title: str, edition_date: date, language: str
) -> str:
    """A standalone page of ``edition_md`` with changes from ``previous_md`` marked.

    With no ``previous_md`` the document is shown without highlighting.
    """
    labels = labels_for(language)
    current = parse_blocks(edition_md)
    if previous_md is None:
        shown = [_Shown(EQUAL, block) for block in current]
    else:
        shown = _diff_blocks(parse_blocks(previous_md), current)
    insertions, deletions = _count_changes(shown)
    template = _ENV.get_template("edition.html.j2")
    return template.render(
        title=title,
        edition_date=edition_date.isoformat(),
        language=language,
        labels=labels,
        compared=previous_md is not None,
        insertions=insertions,
        deletions=deletions,
        blocks=_write_blocks(shown, depth=0),
    )


# --------------------------------------------------------------------------
# diffing


def _diff_blocks(previous: Sequence[Block], current: Sequence[Block]) -> list[_Shown]:
    """``current`` in order, interleaved with what was removed from ``previous``."""
    dmp = _differ()
    codes: dict[Block, str] = {}

    def encode(blocks: Sequence[Block]) -> str:
        # One character per distinct block (skipping the surrogate range), as
        # diff_linesToChars does for lines.
        return "".join(
            codes.setdefault(b, chr(0x100 + len(codes) + (0x800 if len(codes) > 0xD6FF else 0)))
            for b in blocks
        )

    diffs = dmp.diff_main(encode(previous), encode(current), False)
    out: list[_Shown] = []
    at_old = at_new = 0
    i = 0
    while i < len(diffs):
        if diffs[i][0] == EQUAL:
            count = len(diffs[i][1])
            out += [_Shown(EQUAL, b) for b in current[at_new : at_new + count]]
            at_old, at_new = at_old + count, at_new + count
            i += 1
            continue
        removed, added = 0, 0
        while i < len(diffs) and diffs[i][0] != EQUAL:
            if diffs[i][0] == DELETE:
                removed += len(diffs[i][1])
            else:
                added += len(diffs[i][1])
            i += 1
        out += _pair_up(
            previous[at_old : at_old + removed],
            current[at_new : at_new + added],
            out[-1].block if out else None,
            dmp,
        )
        at_old, at_new = at_old + removed, at_new + added
    return out


def _pair_up(
    removed: Sequence[Block], added: Sequence[Block], before: Block | None, dmp: diff_match_patch
) -> list[_Shown]:
    """Show replaced blocks as edits where kind and place match, else whole."""
    matcher = difflib.SequenceMatcher(
        None, [b.container for b in removed], [b.container for b in added], autojunk=False
    )
    out: list[_Shown] = []
    for tag, r0, r1, a0, a1 in matcher.get_opcodes():
        if tag == "equal":
            for old, new in zip(removed[r0:r1], added[a0:a1], strict=True):
                out += _edit(old, new, dmp)
            continue
        deleted = [_Shown(DELETE, b) for b in removed[r0:r1]]
        inserted = [_Shown(INSERT, b) for b in added[a0:a1]]
        last = out[-1].block if out else before
        # A new list item or table row right after its list/table goes before
        # the removed blocks, so it joins that list instead of starting one.
        if (
            inserted
            and _continues(last, inserted[0].block)
            and not (deleted and _continues(last, deleted[0].block))
        ):
            out += inserted + deleted
        else:
            out += deleted + inserted
    return out


def _continues(last: Block | None, block: Block) -> bool:
    if last is None or last.quote != block.quote:
        return False
    return (last.kind == block.kind == "item") or (
        last.kind in ("row", "delimiter") and block.kind == "row" and not block.header
    )


def _edit(old: Block, new: Block, dmp: diff_match_patch) -> list[_Shown]:
    if new.kind in ("rule", "delimiter"):
        return [_Shown(EQUAL, new)]
    if new.kind == "row":
        if len(old.cells) != len(new.cells):
            return [_Shown(DELETE, old), _Shown(INSERT, new)]
        cells = tuple(
            tuple(_phrase_diff(dmp, a, b)) if a != b else (Piece(EQUAL, b),)
            for a, b in zip(old.cells, new.cells, strict=True)
        )
        return [_Shown(CHANGED, new, old, cells)]
    pieces = _phrase_diff(dmp, old.text, new.text)
    if not any(p.op == EQUAL for p in pieces):
        return [_Shown(DELETE, old), _Shown(INSERT, new)]
    return [_Shown(CHANGED, new, old, (tuple(pieces),))]


def _differ() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 5.0
    return dmp


def _count_changes(shown: Sequence[_Shown]) -> tuple[int, int]:
    """Insertions and deletions as a reader counts them: a run of whole blocks is one."""
    counts = {INSERT: 0, DELETE: 0}
    previous = EQUAL
    for s in shown:
        if s.op in counts and s.op != previous:
            counts[s.op] += 1
        for pieces in s.pieces:
            for piece in pieces:
                if piece.op in counts:
                    counts[piece.op] += 1
        previous = s.op
    return counts[INSERT], counts[DELETE]


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


# --------------------------------------------------------------------------
# writing HTML


def _write_blocks(shown: Sequence[_Shown], depth: int) -> list[Markup]:
    """One HTML fragment per block at quote ``depth``; lists and tables grouped."""
    out: list[Markup] = []
    i = 0
    while i < len(shown):
        block = shown[i].block
        j = i + 1
        if block.quote > depth:
            while j < len(shown) and shown[j].block.quote > depth:
                j += 1
            inner = Markup("").join(_write_blocks(shown[i:j], depth + 1))
            out.append(Markup("<blockquote{}>{}</blockquote>").format(_whole(shown[i:j]), inner))
        elif block.kind == "item":
            while j < len(shown) and _same_list(block, shown[j].block):
                j += 1
            out.append(_write_list(shown[i:j]))
        elif block.kind in ("row", "delimiter"):
            while j < len(shown) and shown[j].block.kind in ("row", "delimiter"):
                if shown[j].block.quote != depth:
                    break
                j += 1
            out += _write_tables(shown[i:j])
        else:
            out.append(_write_single(shown[i]))
        i = j
    return out


def _same_list(first: Block, block: Block) -> bool:
    return (
        block.kind == "item"
        and block.quote == first.quote
        and (block.level > 0 or block.ordered == first.ordered)
    )


def _op_class(op: int) -> Markup:
    mark = _MARK.get(op)
    return Markup(' class="{}"').format(mark) if mark else Markup("")


def _whole(group: Sequence[_Shown]) -> Markup:
    """A container's class when everything in it was inserted (or deleted)."""
    ops = {s.op for s in group}
    return _op_class(ops.pop()) if len(ops) == 1 else Markup("")


def _write_single(s: _Shown) -> Markup:
    block = s.block
    if block.kind == "rule":
        return Markup("<hr{}>").format(_op_class(s.op))
    if block.kind == "heading":
        tag = Markup(f"h{block.level}")
        return Markup("<{0}{1}>{2}</{0}>").format(tag, _op_class(s.op), _content(s))
    if block.kind == "code":
        return Markup("<pre{}><code>{}</code></pre>").format(_op_class(s.op), _content(s))
    return Markup("<p{}>{}</p>").format(_op_class(s.op), _content(s))


def _write_list(items: Sequence[_Shown]) -> Markup:
    levels: list[int] = []
    for s in items:  # a list cannot skip a level; clamp deeper jumps
        levels.append(min(s.block.level, levels[-1] + 1 if levels else 0))

    def write(k: int, level: int) -> tuple[Markup, int]:
        tag = Markup("ol" if items[k].block.ordered else "ul")
        html = Markup("<{}>").format(tag)
        while k < len(items) and levels[k] >= level:
            s = items[k]
            value = Markup("")
            if s.block.number is not None:
                value = Markup(' value="{}"').format(s.block.number)
            html += Markup("<li{}{}>{}").format(_op_class(s.op), value, _content(s))
            k += 1
            if k < len(items) and levels[k] > level:
                nested, k = write(k, level + 1)
                html += nested
            html += Markup("</li>")
        return html + Markup("</{}>").format(tag), k

    return write(0, 0)[0]


def _write_tables(rows: Sequence[_Shown]) -> list[Markup]:
    tables: list[list[_Shown]] = []
    for s in rows:
        starts_table = s.block.header and (not tables or not tables[-1][-1].block.header)
        if starts_table or not tables:
            tables.append([])
        tables[-1].append(s)
    return [_write_table(t) for t in tables]


def _write_table(rows: Sequence[_Shown]) -> Markup:
    delimiters = sorted(
        (s for s in rows if s.block.kind == "delimiter"), key=lambda s: s.op == DELETE
    )
    aligns = delimiters[0].block.aligns if delimiters else ()
    head = [s for s in rows if s.block.kind == "row" and s.block.header]
    body = [s for s in rows if s.block.kind == "row" and not s.block.header]
    width = max((len(s.block.cells) for s in head), default=0)

    def write_row(s: _Shown, cell_tag: str) -> Markup:
        cells = Markup("")
        count = max(width, len(s.block.cells))
        for k in range(count):
            align = aligns[k] if k < len(aligns) else ""
            cls = Markup(' class="{}"').format(align) if align else Markup("")
            content = _cell_content(s, k) if k < len(s.block.cells) else Markup("")
            cells += Markup("<{0}{1}>{2}</{0}>").format(Markup(cell_tag), cls, content)
        return Markup("<tr{}>{}</tr>").format(_op_class(s.op), cells)

    html = Markup('<div class="table"><table>')
    if head:
        html += Markup("<thead>{}</thead>").format(
            Markup("").join(write_row(s, "th") for s in head)
        )
    html += Markup("<tbody>{}</tbody>").format(Markup("").join(write_row(s, "td") for s in body))
    return html + Markup("</table></div>")


def _content(s: _Shown) -> Markup:
    literal = s.block.kind == "code"
    if s.op == CHANGED and s.old is not None:
        return _inline(_marked(s.old.text, s.block.text, s.pieces[0], literal))
    return _inline([(_MARK[s.op], g) for g in _glyphs(s.block.text, literal)])


def _cell_content(s: _Shown, k: int) -> Markup:
    if s.op == CHANGED and s.old is not None:
        return _inline(_marked(s.old.cells[k], s.block.cells[k], s.pieces[k], False))
    return _inline([(_MARK[s.op], g) for g in _glyphs(s.block.cells[k], False)])


def _glyphs(text: str, literal: bool) -> list[Glyph]:
    if literal:
        return [Glyph(k, ch, PLAIN) for k, ch in enumerate(text)]
    return parse_inline(text)


def _marked(
    old: str, new: str, pieces: Sequence[Piece], literal: bool
) -> list[tuple[str | None, Glyph]]:
    """The glyphs of both texts in diff order, each marked ``ins``, ``del`` or not.

    ``pieces`` diff the *source* texts; a glyph belongs to the piece holding
    its source offset, so markup is parsed once per whole text and never cut.
    """
    sides = {DELETE: _glyphs(old, literal), INSERT: _glyphs(new, literal)}
    offsets = {op: [g.offset for g in glyphs] for op, glyphs in sides.items()}
    position = {DELETE: 0, INSERT: 0}
    out: list[tuple[str | None, Glyph]] = []
    for piece in pieces:
        shown_from = INSERT if piece.op == EQUAL else piece.op
        start = position[shown_from]
        lo = bisect_left(offsets[shown_from], start)
        hi = bisect_left(offsets[shown_from], start + len(piece.text))
        out += [(_MARK[piece.op], g) for g in sides[shown_from][lo:hi]]
        for op in (DELETE, INSERT):
            if piece.op in (EQUAL, op):
                position[op] += len(piece.text)
    return out


def _inline(marked: Sequence[tuple[str | None, Glyph]]) -> Markup:
    """Escaped HTML for marked glyphs: ``<ins>``/``<del>`` outermost, then links, then styles."""
    html = Markup("")
    for mark, run in itertools.groupby(marked, key=lambda m: m[0]):
        inner = _links([g for _, g in run])
        html += Markup("<{0}>{1}</{0}>").format(Markup(mark), inner) if mark else inner
    return html


def _links(glyphs: Sequence[Glyph]) -> Markup:
    html = Markup("")
    for href, run in itertools.groupby(glyphs, key=lambda g: g.style.href):
        inner = _styled(list(run))
        if href:
            html += Markup('<a href="{}" rel="nofollow noopener">{}</a>').format(href, inner)
        else:
            html += inner
    return html


def _styled(glyphs: Sequence[Glyph]) -> Markup:
    html = Markup("")
    key = lambda g: (g.style.strong, g.style.em, g.style.code)  # noqa: E731
    for (strong, em, code), run in itertools.groupby(glyphs, key=key):
        text = "".join(g.char for g in run)
        part = Markup("<br>").join(escape(line) for line in text.split("\n"))
        for wanted, tag in ((code, "code"), (em, "em"), (strong, "strong")):
            if wanted:
                part = Markup("<{0}>{1}</{0}>").format(Markup(tag), part)
        html += part
    return html
