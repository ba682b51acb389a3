"""Putting untrusted text (feed titles, excerpts, URLs) into Markdown safely.

Text from feeds is collapsed to one line, so it cannot start a heading or a
block of its own, and ``<``/``>`` are backslash-escaped, so a Markdown
renderer shows ``<script>`` as text instead of passing it through as HTML;
so are runs of tildes, so feed text cannot strike anything through (a single
``~``, as in ``/~user/``, is left alone: it is no markup).
Links are written as ``[text](<url>)`` and only for http(s) URLs.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_WHITESPACE = re.compile(r"\s+")
_ANGLE = re.compile(r"(?<!\\)([<>])")
_TILDES = re.compile(r"(?<!\\)~~+")
_LINK_TEXT = re.compile(r"(?<!\\)([\[\]])")


def one_line(text: str) -> str:
    """All whitespace runs (newlines included) become one space."""
    return _WHITESPACE.sub(" ", text).strip()


def md_text(text: str) -> str:
    """One line of untrusted text, safe to place in Markdown prose."""
    escaped = _ANGLE.sub(r"\\\1", one_line(text))
    return _TILDES.sub(lambda run: "\\~" * len(run.group()), escaped)


def md_struck(text: str) -> str:
    """``~~text~~``: untrusted text, struck through ("" for no text)."""
    inner = md_text(text)
    if not inner:
        return ""
    if (len(inner) - len(inner.rstrip("\\"))) % 2:
        inner += "\\"  # a last lone backslash would escape the closing tilde
    return f"~~{inner}~~"


def md_link(text: str, url: str) -> str:
    """``[text](<url>)`` for an http(s) URL; just the escaped text otherwise."""
    label = _LINK_TEXT.sub(r"\\\1", md_text(text)) or safe_url(url)
    if not url.lower().startswith(("http://", "https://")):
        return label
    return f"[{label}](<{safe_url(url)}>)"


def safe_url(url: str) -> str:
    """The URL with whitespace and angle brackets percent-encoded, so it stays one token."""
    return quote(url.strip(), safe="/:?#[]@!$&'()*+,;=%~-._")
