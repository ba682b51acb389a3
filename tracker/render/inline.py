"""Inline Markdown as the HTML renderer shows it: styled characters with source offsets.

:func:`parse_inline` turns one block's inline Markdown (see
:class:`tracker.markdown.Block`) into :class:`Glyph` — one visible character
each, with its style and its offset in the block's text — so a character
diff of the source can be mapped onto what is shown. markdown-it-py parses
the blocks but gives no such offsets, hence this small parser of its own.

Supported: backslash escapes, ``code``, ``**strong**``, ``*emphasis*``,
``~~strikethrough~~`` (as markdown-it-py's strikethrough rule reads it: runs
of two or more tildes, an odd run's first tilde being text),
``[text](url)`` / ``[text](<url>)``, ``<url>`` autolinks and bare http(s)
URLs. Deliberately not: raw HTML (``<b>`` is three characters of text and
its brackets), entity references (``&lt;`` is shown as written), images,
link titles and reference-style links, ``_`` emphasis. Only http, https and
mailto destinations become links; any other (e.g. ``javascript:``) leaves
just the link text. Nothing is escaped here — this module produces data, and
the HTML writer escapes every character of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_BARE_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_URL_TRAILING = ".,:;!?'\"*"


@dataclass(frozen=True)
class Style:
    strong: bool = False
    em: bool = False
    code: bool = False
    href: str | None = None
    strike: bool = False


PLAIN = Style()


@dataclass(frozen=True)
class Glyph:
    """One visible character, where it came from in the source, and how it looks."""

    offset: int
    char: str
    style: Style


@dataclass
class _Delimiter:
    """A run of ``*`` that may open or close emphasis, or a ``~~`` pair (strikethrough)."""

    offset: int
    length: int
    can_open: bool
    can_close: bool
    remaining: int = 0
    closed: bool = False  # closed a span: its leftover stars are its last ones
    char: str = "*"


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
        elif ch == "~":
            k = _tildes(text, k, base, items)
        else:
            items.append(Glyph(base + k, ch, PLAIN))
            k += 1
    return _resolve_emphasis(items)


def _tildes(text: str, k: int, base: int, items: list[Glyph | _Delimiter]) -> int:
    """A run of ``~``: each pair may open or close strikethrough; a lone one is text."""
    end = k
    while end < len(text) and text[end] == "~":
        end += 1
    if end - k < 2:
        items.append(Glyph(base + k, "~", PLAIN))
        return end
    before = text[k - 1] if k else " "
    after = text[end] if end < len(text) else " "
    start = k
    if (end - k) % 2:
        items.append(Glyph(base + k, "~", PLAIN))
        start += 1
    for pair in range(start, end, 2):
        items.append(
            _Delimiter(base + pair, 2, not after.isspace(), not before.isspace(), 2, char="~")
        )
    return end


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
    items.extend(Glyph(g.offset, g.char, replace(g.style, href=link)) for g in label)
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
    """Pair ``*`` runs into ``<em>``/``<strong>`` spans and ``~~`` pairs into
    strikethrough; unpaired stars and tildes stay text."""
    strong = [0] * (len(items) + 1)  # +1 at a span's start index, -1 at its end
    em = [0] * (len(items) + 1)
    strike = [0] * (len(items) + 1)
    openers: list[int] = []
    for index, item in enumerate(items):
        if not isinstance(item, _Delimiter):
            continue
        if item.can_close:
            at = len(openers) - 1
            while at >= 0 and item.remaining:
                opener = items[openers[at]]
                assert isinstance(opener, _Delimiter)
                if opener.char != item.char:
                    at -= 1
                    continue
                used = 2 if opener.remaining >= 2 and item.remaining >= 2 else 1
                marks = {"~": strike, "*": strong if used == 2 else em}[item.char]
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
    in_strong = in_em = in_strike = 0
    for index, item in enumerate(items):
        in_strong += strong[index]
        in_em += em[index]
        in_strike += strike[index]
        if isinstance(item, Glyph):
            if in_strong or in_em or in_strike:
                # Constructors, not dataclasses.replace: this runs for every character.
                was = item.style
                style = Style(
                    was.strong or in_strong > 0,
                    was.em or in_em > 0,
                    was.code,
                    was.href,
                    was.strike or in_strike > 0,
                )
                item = Glyph(item.offset, item.char, style)
            glyphs.append(item)
        else:
            # Markers used by a pair are markup; leftovers are shown as themselves.
            style = Style(strong=in_strong > 0, em=in_em > 0, strike=in_strike > 0)
            first = item.offset + (item.length - item.remaining if item.closed else 0)
            glyphs += [Glyph(first + j, item.char, style) for j in range(item.remaining)]
    return glyphs
