"""Small text helpers shared by the feed and page stages: choosing a document's
character encoding, HTML to plain text, whitespace normalisation, content
hashing and a script-based language guess.

Standard library plus charset_normalizer (the only importer of it), so any
stage may use these without pulling in a feed or page parser.
``html_to_text`` is for short feed fragments (summaries, titles); it is not an
article extractor — ``tracker.pages`` uses trafilatura for that.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser

import charset_normalizer

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


# --------------------------------------------------------------------------
# Character encodings

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Labels that mean a superset in practice (as browsers treat them): GB2312/GBK
# pages routinely use GBK/GB18030 characters; "Latin-1" pages use cp1252 quotes.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "latin_1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "big5": "big5hkscs",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}
_SINGLE_BYTE_LATIN = re.compile(r"^(cp125[0-8]|iso8859[-_]\d+|latin_\d|mac_\w+|cp850|cp437)$")


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
    except LookupError:
        return None
    if name in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        return None  # without a BOM these labels are almost always wrong on the web
    return _SUPERSETS.get(name, name)


# Bytes the UTF-8 decoder could not place come back, one each, as the lone
# surrogates U+DC80..U+DCFF ("surrogateescape"); valid UTF-8 never yields those.
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")
_ESCAPED_AS_CP1252 = {
    0xDC00 + byte: bytes([byte]).decode("cp1252", errors="replace") for byte in range(0x80, 0x100)
}


def _utf8_with_fallback(body: bytes) -> tuple[str, int]:
    """Decode as UTF-8, reading each invalid byte as cp1252; return text and bad-byte count.

    Pages stitched from UTF-8 templates and Latin-1 snippets exist; this keeps
    both halves readable instead of replacing the odd bytes with U+FFFD.
    One decoding pass and one substitution pass: linear however many bytes are bad.
    """
    bad = 0

    def as_cp1252(run: re.Match[str]) -> str:
        nonlocal bad
        escaped = run.group()
        bad += len(escaped)
        return escaped.translate(_ESCAPED_AS_CP1252)

    text = _ESCAPED_BYTES.sub(as_cp1252, body.decode("utf-8", errors="surrogateescape"))
    return text, bad


def decode_document(body: bytes, declared: Iterable[str | None]) -> tuple[str, str]:
    """Decode ``body`` to text; return ``(text, encoding used)``.

    ``declared`` lists charset labels in order of authority (HTTP header, then
    the document's own declaration). Order of evidence: a BOM; bytes that are
    valid UTF-8 and contain non-ASCII (a declaration claiming otherwise is
    wrong far more often than such bytes are a coincidence); the declared
    labels, each tried strictly; mostly-valid UTF-8 with stray Latin-1 bytes;
    statistical detection; finally UTF-8 with replacement characters.
    Never raises.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body.decode(name, errors="replace"), name
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return text, "utf-8"
    labels = [name for name in (_codec_name(label) for label in declared) if name]
    for name in labels:
        try:
            return body.decode(name), name
        except (UnicodeDecodeError, LookupError):
            if name == "cp1252":  # five bytes cp1252 leaves undefined; Latin-1 has them
                return body.decode("latin-1"), "latin-1"
    text, bad = _utf8_with_fallback(body)
    multibyte = len(re.findall(rb"[\xc2-\xf4][\x80-\xbf]+", body))
    if multibyte and bad <= max(8, multibyte // 10):
        return text, "utf-8"
    guess = charset_normalizer.from_bytes(body[:200_000]).best()
    if guess is not None and guess.encoding:
        name = _codec_name(guess.encoding) or "utf-8"
        if _SINGLE_BYTE_LATIN.match(name):
            # Detectors cannot tell Western code pages apart on short text;
            # cp1252 is what an undeclared Western page almost always is.
            name = "cp1252"
        try:
            return body.decode(name), name
        except (UnicodeDecodeError, LookupError):
            pass
    return body.decode("utf-8", errors="replace"), "utf-8"


def header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive header lookup ("" when absent)."""
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), "")


_SENTENCE_BREAK = re.compile(r"(?<=[。！？；])|(?<=[.!?])\s+(?=[A-Z0-9\"“'(])|\n+")


def split_sentences(text: str) -> list[str]:
    """Sentences of Chinese or English text (a line break also ends one); fragments
    shorter than six characters are dropped."""
    parts = (p.strip() for p in _SENTENCE_BREAK.split(text) if p)
    return [p for p in parts if len(p) >= 6]
