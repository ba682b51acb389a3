"""The one Markdown block model: what the report parser, the edition writer and
the HTML renderer all read a report as.

:func:`parse_blocks` turns Markdown into a flat list of :class:`Block` — one
heading, paragraph, list item, table row, code block or rule each — in reading
order, every block with the source lines it was written on. Containers are
carried as fields (how many block quotes and list items enclose a block)
rather than as a tree, so two editions can be diffed block by block and a line
can be found by its number.

The grammar is CommonMark as markdown-it-py parses it, plus GFM pipe tables,
with two rules switched off: raw HTML (``<div>`` is a paragraph of text, never
markup) and link reference definitions (``[5]: https://…`` is a line of text:
reports write reference-list entries that way, and reference-style links are
not rendered anyway). markdown-it-py is imported here and nowhere else.

Deliberately not here: inline Markdown. A block's ``text`` is its inline
source, untouched but for each line's surrounding whitespace; the HTML
renderer parses it itself, because it needs each visible character's source
offset, which markdown-it-py does not give. Nor does this module know what a
section or a reference is: that is :mod:`tracker.report`'s business. Pure: no
I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

BlockKind = Literal["heading", "paragraph", "item", "row", "delimiter", "code", "rule"]

_ALIGNS = {"text-align:left": "left", "text-align:center": "center", "text-align:right": "right"}


@dataclass(frozen=True)
class Block:
    """One unit of the document: the thing a block-level diff compares.

    ``text`` is the block's inline Markdown: a heading's title, a paragraph,
    a list item's first paragraph (without its marker), a code block's
    content. A table's header and body rows hold their ``cells`` (``header``
    marks the first); the delimiter row under the header holds the columns'
    ``aligns`` (``"left"``, ``"center"``, ``"right"`` or ``""``).

    ``quote`` is the number of enclosing block quotes. ``depth`` is the number
    of enclosing list items: a list item's own nesting (0 for a top-level
    item), and for any other block the items it sits in (a second paragraph of
    a top-level item has depth 1). A list item's ``marker`` is its bullet
    (``-``, ``*``, ``+``) or, for a numbered item, the delimiter after its
    ``number`` (``.`` or ``)``); a change of marker starts a new list.

    ``start_line`` and ``end_line`` are the 0-based source lines the block
    spans (end exclusive, trailing blank lines left out). A list item spans
    everything in it, nested lists included; a setext heading spans its
    underline. Equality ignores where and how a block is written (its lines,
    ``setext``): two blocks are equal when they show the same thing.
    """

    kind: BlockKind
    text: str = ""
    quote: int = 0
    depth: int = 0
    level: int = 0  # a heading's level, 1-6
    ordered: bool = False
    number: int | None = None  # a numbered item's own number
    marker: str = ""
    header: bool = False
    cells: tuple[str, ...] = ()
    aligns: tuple[str, ...] = ()
    start_line: int = field(default=0, compare=False)
    end_line: int = field(default=0, compare=False)
    setext: bool = field(default=False, compare=False)  # a heading underlined with = or -

    @property
    def container(self) -> tuple[str, int, int, int, bool]:
        """What must match for two blocks to be shown as one edited block."""
        return (self.kind, self.quote, self.depth, self.level, self.ordered)


@cache
def _parser() -> MarkdownIt:
    # Imported on first parse (~20 ms): a refresh whose report is unchanged reads it
    # from the store's cache and never needs the parser.
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False}).enable("table").disable("reference")
    # Blocks only: inline content is kept as source text, never parsed here.
    return parser.disable(["inline", "text_join"])


def parse_blocks(markdown: str) -> tuple[Block, ...]:
    """The blocks of ``markdown`` in reading order (blank lines only separate them).

    Line numbers count ``\\r\\n`` and a lone ``\\r`` as one line break, as
    ``markdown.splitlines()`` would for those.
    """
    tokens = _parser().parse(markdown)
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return tuple(_Walk(tokens, lines).blocks())


class _Walk:
    """One pass over markdown-it's token stream, tracking the open containers."""

    def __init__(self, tokens: list[Token], lines: list[str]) -> None:
        self.tokens = tokens
        self.lines = lines
        self.quote = 0
        self.items = 0
        self.lists: list[Token] = []

    def blocks(self) -> list[Block]:
        out: list[Block] = []
        i = 0
        while i < len(self.tokens):
            token = self.tokens[i]
            kind = token.type
            if kind == "blockquote_open":
                self.quote += 1
            elif kind == "blockquote_close":
                self.quote -= 1
            elif kind in ("bullet_list_open", "ordered_list_open"):
                self.lists.append(token)
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "list_item_open":
                text = ""
                if self.tokens[i + 1].type == "paragraph_open":
                    text = _text(self.tokens[i + 2])
                    i += 3  # the item's first paragraph is the item
                out.append(self._item(token, text))
                self.items += 1
            elif kind == "list_item_close":
                self.items -= 1
            elif kind == "heading_open":
                out.append(self._heading(token, self.tokens[i + 1]))
                i += 2
            elif kind == "paragraph_open":
                out.append(self._block("paragraph", token, text=_text(self.tokens[i + 1])))
                i += 2
            elif kind in ("fence", "code_block"):
                code = token.content[:-1] if token.content.endswith("\n") else token.content
                out.append(self._block("code", token, text=code))
            elif kind == "hr":
                out.append(self._block("rule", token))
            elif kind == "table_open":
                i = self._table(i, out)
            i += 1
        return out

    def _block(self, kind: BlockKind, token: Token, **fields: Any) -> Block:
        start, end = token.map or (0, 0)
        return self._at(kind, start, end, **fields)

    def _at(self, kind: BlockKind, start: int, end: int, **fields: Any) -> Block:
        while end > start + 1 and not self.lines[end - 1].strip(" \t>"):
            end -= 1  # a list item's map runs on over the blank lines after it
        return Block(
            kind, quote=self.quote, depth=self.items, start_line=start, end_line=end, **fields
        )

    def _item(self, token: Token, text: str) -> Block:
        ordered = bool(self.lists) and self.lists[-1].type == "ordered_list_open"
        number = int(token.info) if ordered and token.info.isdigit() else None
        return self._block(
            "item", token, text=text, ordered=ordered, number=number, marker=token.markup
        )

    def _heading(self, token: Token, inline: Token) -> Block:
        level, setext = int(token.tag[1:]), token.markup in ("=", "-")
        return self._block("heading", token, text=_text(inline), level=level, setext=setext)

    def _table(self, i: int, out: list[Block]) -> int:
        """Rows of the table opened at ``tokens[i]``; returns the index of its close."""
        cells: list[str] = []
        aligns: list[str] = []
        row: Token | None = None
        while self.tokens[i].type != "table_close":
            token = self.tokens[i]
            if token.type == "tr_open":
                row, cells, aligns = token, [], []
            elif token.type in ("th_open", "td_open"):
                aligns.append(_ALIGNS.get(str(token.attrs.get("style", "")), ""))
            elif token.type == "inline":
                cells.append(token.content)
            elif token.type == "tr_close" and row is not None:
                header = self.tokens[i - 1].type == "th_close"
                out.append(self._block("row", row, header=header, cells=tuple(cells)))
                if header and row.map is not None:  # the delimiter row is the next line
                    below = row.map[1]
                    out.append(self._at("delimiter", below, below + 1, aligns=tuple(aligns)))
            i += 1
        return i


def _text(inline: Token) -> str:
    # Each line's indentation and trailing spaces are layout, not content.
    return "\n".join(line.strip() for line in inline.content.split("\n"))
