"""The small Markdown subset tracker's reports are written in, parsed for display.

Blocks: ATX headings, paragraphs (a line break inside one is kept), bullet and
numbered lists (nested by indentation), block quotes (nested), GFM pipe
tables, fenced code and horizontal rules. Inline: backslash escapes,
``code``, ``**strong**``, ``*emphasis*``, ``[text](url)`` / ``[text](<url>)``,
``<url>`` and bare http(s) URLs.

The parse is flat on purpose: a document becomes a list of :class:`Block`
(one heading, paragraph, list item, table row, …) that carries its
containers (quote depth, list depth) as fields, so two editions can be
diffed block by block; inline text becomes a list of :class:`Glyph` — one
visible character each, with its style and its offset in the block's source
text, so a diff of the source can be mapped onto what is shown.

Deliberately not here: raw HTML (``<b>`` is four characters of text),
entity references, setext headings, link titles and reference-style links.
Only http, https and mailto destinations become links; any other (e.g.
``javascript:``) leaves just the link text. Nothing is escaped here — this
module produces data, and the HTML writer escapes every character of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_LINK_SCHEMES = ("http://", "https://", "mailto:")

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_QUOTE = re.compile(r"^ {0,3}> ?")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ITEM = re.compile(r"^( *)([-*+]|(\d{1,9})[.)])(?:[ \t]+|$)")
_DELIMITER_CELL = re.compile(r"^\s*(:?)-+(:?)\s*$")
_BARE_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_URL_TRAILING = ".,:;!?'\"*"


@dataclass(frozen=True)
class Block:
    """One unit of the document: the thing a block-level diff compares.

    ``text`` is the block's inline Markdown (a heading's title, a list item's
    text without its marker, a code block's content, a table row's source
    line); ``cells`` holds a table row's cells and ``aligns`` a delimiter
    row's column alignments (``"left"``, ``"center"``, ``"right"`` or ``""``).
    """

    kind: str  # "heading", "paragraph", "item", "row", "delimiter", "code", "rule"
    text: str = ""
    quote: int = 0  # block-quote nesting depth
    level: int = 0  # heading level; list-item nesting depth (0 = top)
    ordered: bool = False
    number: int | None = None  # an ordered item's own number
    header: bool = False  # a table's header row
    cells: tuple[str, ...] = ()
    aligns: tuple[str, ...] = ()

    @property
    def container(self) -> tuple[str, int, int, bool]:
        """What must match for two blocks to be shown as one edited block."""
        return (self.kind, self.quote, self.level, self.ordered)


@dataclass(frozen=True)
class Style:
    strong: bool = False
    em: bool = False
    code: bool = False
    href: str | None = None


PLAIN = Style()


@dataclass(frozen=True)
class Glyph:
    """One visible character, where it came from in the source, and how it looks."""

    offset: int
    char: str
    style: Style


# --------------------------------------------------------------------------
# blocks


def parse_blocks(markdown: str) -> list[Block]:
    """The document's blocks in reading order (blank lines only separate)."""
    return _parse_lines(markdown.split("\n"), quote=0)


def _parse_lines(lines: list[str], quote: int) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[str] = []
    # Content columns of the open list items, outermost first: decides nesting.
    open_items: list[int] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("paragraph", "\n".join(s.strip() for s in paragraph), quote))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            flush()
            open_items.clear()
            marker, body = fence.group(1), []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                body.append(lines[i])
                i += 1
            blocks.append(Block("code", "\n".join(body), quote))
            i += 1
            continue
        if _QUOTE.match(line):
            flush()
            open_items.clear()
            inner = []
            while i < len(lines) and _QUOTE.match(lines[i]):
                inner.append(_QUOTE.sub("", lines[i], count=1))
                i += 1
            blocks += _parse_lines(inner, quote + 1)
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            open_items.clear()
            blocks.append(Block("heading", heading.group(2) or "", quote, len(heading.group(1))))
            i += 1
            continue
        if _RULE.match(line):
            flush()
            open_items.clear()
            blocks.append(Block("rule", "", quote))
            i += 1
            continue
        item = _ITEM.match(line)
        if item:
            flush()
            indent, content_column = len(item.group(1)), item.end()
            while open_items and indent < open_items[-1]:
                open_items.pop()
            depth = len(open_items)
            open_items.append(content_column)
            text = [line[item.end() :].strip()]
            i += 1
            # Continuation lines: indented or lazy, until a blank line or a new block.
            while i < len(lines) and lines[i].strip() and not _starts_block(lines, i):
                text.append(lines[i].strip())
                i += 1
            number = int(item.group(3)) if item.group(3) else None
            blocks.append(Block("item", "\n".join(text), quote, depth, number is not None, number))
            continue
        if _is_table_start(lines, i):
            flush()
            open_items.clear()
            header = _cells(line)
            blocks.append(Block("row", line.strip(), quote, header=True, cells=header))
            aligns = tuple(_align(cell) for cell in _cells(lines[i + 1]))
            blocks.append(Block("delimiter", lines[i + 1].strip(), quote, aligns=aligns))
            i += 2
            while i < len(lines) and "|" in lines[i] and not _starts_block(lines, i):
                blocks.append(Block("row", lines[i].strip(), quote, cells=_cells(lines[i])))
                i += 1
            continue
        if not paragraph:
            open_items.clear()
        paragraph.append(line)
        i += 1
    flush()
    return blocks


def _starts_block(lines: list[str], i: int) -> bool:
    line = lines[i]
    return bool(
        _FENCE.match(line)
        or _QUOTE.match(line)
        or _HEADING.match(line)
        or _RULE.match(line)
        or _ITEM.match(line)
        or _is_table_start(lines, i)
    )


def _is_table_start(lines: list[str], i: int) -> bool:
    if i + 1 >= len(lines) or "|" not in lines[i] or "|" not in lines[i + 1]:
        return False
    delimiter = _cells(lines[i + 1])
    return all(_DELIMITER_CELL.match(c) for c in delimiter) and len(delimiter) == len(
        _cells(lines[i])
    )


def _cells(line: str) -> tuple[str, ...]:
    """A table row's cells: split on unescaped pipes, outer pipes optional."""
    row = line.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    cells, current, k = [], "", 0
    while k < len(row):
        if row[k] == "\\" and k + 1 < len(row) and row[k + 1] == "|":
            current += "|"
            k += 2
            continue
        if row[k] == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += row[k]
        k += 1
    cells.append(current.strip())
    return tuple(cells)


def _align(cell: str) -> str:
    found = _DELIMITER_CELL.match(cell)
    if not found:
        return ""
    left, right = bool(found.group(1)), bool(found.group(2))
    return "center" if left and right else "right" if right else "left" if left else ""


# --------------------------------------------------------------------------
# inline


@dataclass
class _Delimiter:
    """A run of ``*`` that may open or close emphasis."""

    offset: int
    length: int
    can_open: bool
    can_close: bool
    remaining: int = 0
    closed: bool = False  # closed a span: its leftover stars are its last ones


def parse_inline(text: str, base: int = 0) -> list[Glyph]:
    """The visible characters of ``text`` (inline Markdown), styled, with source offsets."""
    items: list[Glyph | _Delimiter] = []
    k = 0
    while k < len(text):
        ch = text[k]
        if ch == "\\" and k + 1 < len(text) and text[k + 1] in _ASCII_PUNCT:
            items.append(Glyph(base + k + 1, text[k + 1], PLAIN))
            k += 2
        elif ch == "`":
            k = _code_span(text, k, base, items)
        elif ch == "[":
            k = _link(text, k, base, items)
        elif ch == "<":
            k = _angle_autolink(text, k, base, items)
        elif ch in "hH" and (k == 0 or not text[k - 1].isalnum()) and _BARE_URL.match(text, k):
            k = _bare_url(text, k, base, items)
        elif ch == "*":
            end = k
            while end < len(text) and text[end] == "*":
                end += 1
            before = text[k - 1] if k else " "
            after = text[end] if end < len(text) else " "
            items.append(
                _Delimiter(base + k, end - k, not after.isspace(), not before.isspace(), end - k)
            )
            k = end
        else:
            items.append(Glyph(base + k, ch, PLAIN))
            k += 1
    return _resolve_emphasis(items)


def _code_span(text: str, k: int, base: int, items: list[Glyph | _Delimiter]) -> int:
    end = k
    while end < len(text) and text[end] == "`":
        end += 1
    ticks = text[k:end]
    close = re.compile(r"(?<!`)" + ticks + r"(?!`)").search(text, end)
    if close is None:
        items.extend(Glyph(base + j, "`", PLAIN) for j in range(k, end))
        return end
    start, stop = end, close.start()
    body = text[start:stop]
    if len(body) >= 2 and body[0] == " " and body[-1] == " " and body.strip():
        start, stop = start + 1, stop - 1
    code = Style(code=True)
    items.extend(
        Glyph(base + j, " " if text[j] == "\n" else text[j], code) for j in range(start, stop)
    )
    return close.end()


def _link(text: str, k: int, base: int, items: list[Glyph | _Delimiter]) -> int:
    """``[label](dest)``; on no match, ``[`` is a literal character."""
    depth, j = 0, k
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == "[":
            depth += 1
        elif text[j] == "]":
            depth -= 1
            if depth == 0:
                break
        j += 1
    parsed = _destination(text, j + 1) if j < len(text) else None
    if parsed is None:
        items.append(Glyph(base + k, "[", PLAIN))
        return k + 1
    href, end = parsed
    label = parse_inline(text[k + 1 : j], base + k + 1)
    link = href.strip() if _linkable(href) else None
    items.extend(replace(g, style=replace(g.style, href=link)) for g in label)
    return end


def _destination(text: str, k: int) -> tuple[str, int] | None:
    """The URL of ``(<url>)`` or ``(url)`` starting at ``k``, and the index after ``)``."""
    if not text.startswith("(", k):
        return None
    j = k + 1
    while j < len(text) and text[j] in " \t":
        j += 1
    if text.startswith("<", j):
        close = text.find(">", j + 1)
        if close < 0 or "<" in text[j + 1 : close] or "\n" in text[j + 1 : close]:
            return None
        url, j = text[j + 1 : close], close + 1
    else:
        start, depth = j, 0
        while j < len(text) and not text[j].isspace():
            if text[j] == "(":
                depth += 1
            elif text[j] == ")":
                if depth == 0:
                    break
                depth -= 1
            j += 1
        url = text[start:j]
    while j < len(text) and text[j] in " \t":
        j += 1
    if not text.startswith(")", j):
        return None
    return url, j + 1


def _angle_autolink(text: str, k: int, base: int, items: list[Glyph | _Delimiter]) -> int:
    close = text.find(">", k + 1)
    url = text[k + 1 : close] if close > 0 else ""
    if not _linkable(url) or any(c.isspace() or c == "<" for c in url):
        items.append(Glyph(base + k, "<", PLAIN))
        return k + 1
    link = Style(href=url)
    items.extend(Glyph(base + k + 1 + j, c, link) for j, c in enumerate(url))
    return close + 1


def _bare_url(text: str, k: int, base: int, items: list[Glyph | _Delimiter]) -> int:
    found = _BARE_URL.match(text, k)
    assert found is not None
    url = found.group(0)
    # Sentence punctuation and unbalanced closing brackets end the URL, not belong to it.
    while url and (
        url[-1] in _URL_TRAILING
        or (url[-1] == ")" and url.count(")") > url.count("("))
        or (url[-1] == "]" and url.count("]") > url.count("["))
    ):
        url = url[:-1]
    link = Style(href=url)
    items.extend(Glyph(base + k + j, c, link) for j, c in enumerate(url))
    return k + len(url)


def _linkable(url: str) -> bool:
    return url.strip().lower().startswith(_LINK_SCHEMES)


def _resolve_emphasis(items: list[Glyph | _Delimiter]) -> list[Glyph]:
    """Pair ``*`` runs into ``<em>``/``<strong>`` spans; unpaired stars stay text."""
    strong = [0] * (len(items) + 1)  # +1 at a span's start index, -1 at its end
    em = [0] * (len(items) + 1)
    openers: list[int] = []
    for index, item in enumerate(items):
        if not isinstance(item, _Delimiter):
            continue
        if item.can_close:
            at = len(openers) - 1
            while at >= 0 and item.remaining:
                opener = items[openers[at]]
                assert isinstance(opener, _Delimiter)
                used = 2 if opener.remaining >= 2 and item.remaining >= 2 else 1
                marks = strong if used == 2 else em
                marks[openers[at] + 1] += 1
                marks[index] -= 1
                opener.remaining -= used
                item.remaining -= used
                item.closed = True
                del openers[at + 1 :]  # openers inside a closed span can no longer close
                if opener.remaining == 0:
                    del openers[at]
                    at -= 1
        if item.can_open and item.remaining:
            openers.append(index)
    glyphs: list[Glyph] = []
    in_strong = in_em = 0
    for index, item in enumerate(items):
        in_strong += strong[index]
        in_em += em[index]
        if isinstance(item, Glyph):
            style = item.style
            if in_strong or in_em:
                style = replace(
                    style, strong=style.strong or in_strong > 0, em=style.em or in_em > 0
                )
            glyphs.append(replace(item, style=style))
        else:
            # Stars used by a pair are markup; leftovers are shown as themselves.
            style = Style(strong=in_strong > 0, em=in_em > 0)
            first = item.offset + (item.length - item.remaining if item.closed else 0)
            glyphs += [Glyph(first + j, "*", style) for j in range(item.remaining)]
    return glyphs
