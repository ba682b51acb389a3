"""The HTML edition: the report rendered as a document, changes highlighted inline.

Both editions are parsed into blocks (:mod:`tracker.markdown`, the same model
the report parser and the edition writer read) and diffed block by block
(:mod:`tracker.render.blockdiff`). Unchanged blocks are shown as they are;
added or removed blocks are shown whole inside ``<ins>`` / ``<del>``; a block
edited in place shows the phrase diff of its text.

The source diff is mapped onto the rendered text through each visible
character's source offset (:mod:`tracker.render.inline`), so inline markup
(bold, code, links) is rendered from the whole old or new block and stays
well-formed whatever the diff cut through; only markup characters that
changed alone are not highlighted.

An unchanged block is rendered as CommonMark would render it (a test holds
this against markdown-it-py), with GFM's ``~~strikethrough~~`` as ``<s>``
(not ``<del>``, which marks what an edition deleted), except on purpose: a line break inside a
paragraph is kept (``<br>``); list items are always tight (no ``<p>`` around
an item's first paragraph) and a numbered item shows its own number; bare
http(s) URLs become links; entity references are shown as written.

All HTML is written here, from data: every character of text and every
attribute value is escaped (markupsafe), links are only emitted for
http(s)/mailto URLs, and nothing from the Markdown passes through as markup.
The page template keeps jinja2's autoescaping for everything else.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections.abc import Sequence
from datetime import date

import jinja2
from markupsafe import Markup, escape

from tracker.markdown import Block, parse_blocks
from tracker.render.blockdiff import (
    CHANGED,
    DELETE,
    EQUAL,
    INSERT,
    Piece,
    Shown,
    count_changes,
    diff_blocks,
)
from tracker.render.inline import PLAIN, Glyph, parse_inline
from tracker.render.labels import labels_for

_MARK = {EQUAL: None, INSERT: "ins", DELETE: "del"}

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("tracker.render", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(
    edition_md: str, previous_md: str | None, *, title: str, edition_date: date, language: str
) -> str:
    """A standalone page of ``edition_md`` with changes from ``previous_md`` marked.

    With no ``previous_md`` the document is shown without highlighting.
    """
    labels = labels_for(language)
    current = parse_blocks(edition_md)
    if previous_md is None:
        shown = [Shown(EQUAL, block) for block in current]
    else:
        shown = diff_blocks(parse_blocks(previous_md), current)
    insertions, deletions = count_changes(shown)
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
# writing HTML


def _write_blocks(shown: Sequence[Shown], depth: int) -> list[Markup]:
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
            while j < len(shown) and _in_list(block, shown[j].block):
                j += 1
            out.append(_write_list(shown[i:j], depth))
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


def _in_list(first: Block, block: Block) -> bool:
    """Whether ``block`` belongs to the list that the item ``first`` starts."""
    if block.depth > first.depth:
        return block.quote >= first.quote  # inside one of the list's items
    return (
        block.kind == "item"
        and block.depth == first.depth
        and block.quote == first.quote
        and block.marker == first.marker
    )


def _op_class(op: int) -> Markup:
    mark = _MARK.get(op)
    return Markup(' class="{}"').format(mark) if mark else Markup("")


def _whole(group: Sequence[Shown]) -> Markup:
    """A container's class when everything in it was inserted (or deleted)."""
    ops = {s.op for s in group}
    return _op_class(ops.pop()) if len(ops) == 1 else Markup("")


def _write_single(s: Shown) -> Markup:
    block = s.block
    if block.kind == "rule":
        return Markup("<hr{}>").format(_op_class(s.op))
    if block.kind == "heading":
        tag = Markup(f"h{block.level}")
        return Markup("<{0}{1}>{2}</{0}>").format(tag, _op_class(s.op), _content(s))
    if block.kind == "code":
        return Markup("<pre{}><code>{}</code></pre>").format(_op_class(s.op), _content(s))
    return Markup("<p{}>{}</p>").format(_op_class(s.op), _content(s))


def _write_list(group: Sequence[Shown], quote: int) -> Markup:
    """A list from its items and the blocks inside them, nested lists included."""
    base = group[0].block.depth
    # The list's own items (not items of a list quoted inside one of them), and their
    # nesting level: a list cannot skip a level, so deeper jumps are clamped.
    own = [s.block.kind == "item" and s.block.quote == quote for s in group]
    levels: list[int] = []
    level = -1
    for s, is_item in zip(group, own, strict=True):
        if is_item:
            level = min(s.block.depth - base, level + 1)
        levels.append(level)

    def write(k: int, level: int) -> tuple[Markup, int]:
        first = group[k].block
        tag = Markup("ol" if first.ordered else "ul")
        html = Markup("<{}>").format(tag)
        while k < len(group) and own[k] and levels[k] == level:
            s = group[k]
            if s.block.marker != first.marker:
                break  # another bullet or delimiter: a list of its own
            value = Markup("")
            if s.block.number is not None:
                value = Markup(' value="{}"').format(s.block.number)
            html += Markup("<li{}{}>{}").format(_op_class(s.op), value, _content(s))
            k += 1
            while k < len(group):  # what else is inside this item
                if own[k]:
                    if levels[k] <= level:
                        break
                    nested, k = write(k, level + 1)
                    html += nested
                    continue
                j = k
                while j < len(group) and not own[j] and group[j].block.depth - base > level:
                    j += 1
                if j == k:
                    break
                html += Markup("").join(_write_blocks(group[k:j], quote))
                k = j
            html += Markup("</li>")
        return html + Markup("</{}>").format(tag), k

    html, k = write(0, 0)
    if k < len(group):  # not with a group made by _in_list; but never drop a block
        html += Markup("").join(_write_blocks(group[k:], quote))
    return html


def _write_tables(rows: Sequence[Shown]) -> list[Markup]:
    tables: list[list[Shown]] = []
    for s in rows:
        starts_table = s.block.header and (not tables or not tables[-1][-1].block.header)
        if starts_table or not tables:
            tables.append([])
        tables[-1].append(s)
    return [_write_table(t) for t in tables]


def _write_table(rows: Sequence[Shown]) -> Markup:
    delimiters = sorted(
        (s for s in rows if s.block.kind == "delimiter"), key=lambda s: s.op == DELETE
    )
    aligns = delimiters[0].block.aligns if delimiters else ()
    head = [s for s in rows if s.block.kind == "row" and s.block.header]
    body = [s for s in rows if s.block.kind == "row" and not s.block.header]
    width = max((len(s.block.cells) for s in head), default=0)

    def write_row(s: Shown, cell_tag: str) -> Markup:
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


def _content(s: Shown) -> Markup:
    literal = s.block.kind == "code"
    if s.op == CHANGED and s.old is not None:
        return _inline(_marked(s.old.text, s.block.text, s.pieces[0], literal))
    return _inline([(_MARK[s.op], g) for g in _glyphs(s.block.text, literal)])


def _cell_content(s: Shown, k: int) -> Markup:
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
    """Escaped HTML for marked glyphs: ``<ins>``/``<del>`` outermost, then ``<s>``,
    then links, then styles."""
    html = Markup("")
    for mark, run in itertools.groupby(marked, key=lambda m: m[0]):
        inner = Markup("")
        for strike, struck in itertools.groupby((g for _, g in run), key=lambda g: g.style.strike):
            links = _links(list(struck))
            inner += Markup("<s>{}</s>").format(links) if strike else links
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
