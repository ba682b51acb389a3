"""Untrusted text made fit for the digest: one line, paragraphs, short, http(s) URLs only.

Text from feeds and pages is reduced here to what a mail may show: line
breaks and control characters where a single line is expected become one
space, URLs other than http(s) (or carrying spaces or controls) are dropped.
Escaping for HTML is the template's job (autoescape), not this module's.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

_SPACES = re.compile(r"\s+")
_LIST_MARKER = re.compile(r"^[-*+]\s+")


def one_line(text: str) -> str:
    """Collapse every kind of line break, control character and space run into one space."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    return _SPACES.sub(" ", cleaned).strip()


def paragraphs(text: str) -> str:
    """Keep paragraph breaks of a multi-line text but drop control characters and CRs."""
    lines = (one_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.7:  # prefer a word boundary when the text has words
        cut = cut[:space]
    return cut.rstrip(" ,.;:，。；：") + "…"


def safe_url(url: str) -> str:
    """``url`` when it is an http(s) URL with a host and no spaces or controls, else ""."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch == " " for ch in url):
        return ""
    return url


def display_text(text: str) -> str:
    """A proposed text for reading: paragraphs kept, Markdown list markers taken off."""
    return "\n".join(_LIST_MARKER.sub("", line) for line in paragraphs(text).split("\n"))
