"""Small text helpers shared by the feed and page stages: HTML to plain text,
whitespace normalisation, content hashing and a script-based language guess.

Standard library only, so any stage may use them without pulling in a parser.
``html_to_text`` is for short feed fragments (summaries, titles); it is not an
article extractor — ``tracker.pages`` uses trafilatura for that.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "table", "tr", "section", "article", "header",
        "footer", "figure", "figcaption", "hr", "dd", "dt", "dl",
    }
)  # fmt: skip
# Elements whose content is never readable text.
_SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "svg", "math", "head"}
)

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_ANY_SPACE = re.compile(r"\s+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """Strip tags from an HTML fragment, decode entities, keep paragraph breaks.

    Never raises on malformed markup; script/style content is dropped.
    """
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return normalise_whitespace(html)
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:  # HTMLParser is lenient, but hostile input must not escape
        return normalise_whitespace(re.sub(r"<[^>]*>", " ", html))
    return normalise_whitespace("".join(collector.chunks))


def normalise_whitespace(text: str) -> str:
    """Collapse runs of spaces within lines and runs of blank lines; trim."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def content_hash(text: str) -> str:
    """sha256 (hex) of ``text`` with Unicode NFC applied and all whitespace collapsed.

    Two extractions that differ only in spacing or line wrapping hash equal.
    """
    canonical = _ANY_SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _count(text: str, low: int, high: int) -> int:
    return sum(1 for ch in text if low <= ord(ch) <= high)


def guess_language(text: str) -> str | None:
    """A coarse guess from the writing system: zh, ja, ko, ru, ar, or en for Latin text.

    Only a fallback when the document does not say; it cannot tell Latin-script
    languages apart and calls them all ``en``.
    """
    sample = text[:5000]
    letters = sum(1 for ch in sample if ch.isalpha())
    if letters < 20:
        return None
    kana = _count(sample, 0x3040, 0x30FF)
    hangul = _count(sample, 0xAC00, 0xD7AF)
    han = _count(sample, 0x4E00, 0x9FFF) + _count(sample, 0x3400, 0x4DBF)
    cyrillic = _count(sample, 0x0400, 0x04FF)
    arabic = _count(sample, 0x0600, 0x06FF)
    if kana > letters * 0.05:
        return "ja"
    if hangul > letters * 0.2:
        return "ko"
    if han > letters * 0.2:
        return "zh"
    if cyrillic > letters * 0.3:
        return "ru"
    if arabic > letters * 0.3:
        return "ar"
    latin = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    if latin > letters * 0.6:
        return "en"
    return None
