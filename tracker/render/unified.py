"""The plain unified diff written beside each edition (``editions/<day>.diff``)."""

from __future__ import annotations

import difflib


def unified_diff(previous_md: str, edition_md: str, *, from_name: str, to_name: str) -> str:
    """A ``diff -u`` style text of the two documents; empty when they are equal."""
    before = _lines(previous_md)
    after = _lines(edition_md)
    return "".join(difflib.unified_diff(before, after, fromfile=from_name, tofile=to_name))


def _lines(text: str) -> list[str]:
    # difflib glues a last line without "\n" onto the next hunk line; give every line one.
    return [line if line.endswith("\n") else line + "\n" for line in text.splitlines(keepends=True)]
