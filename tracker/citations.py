"""Citation markers in report text: "[1]", "[1, 3]", "［2］", "[4-6]", "[1、3]".

One pattern, so that what a sentence cites and the sentence without its
markers are read the same way everywhere (the report model, its statements,
claim checks). A marker followed by a colon ("[1]: https://…") is a link
definition, not a citation. Pure.
"""

from __future__ import annotations

import re

_CITATION = re.compile(r"[\[［]\s*(\d{1,4}(?:\s*[,，、;；–—\-~]\s*\d{1,4})*)\s*[\]］](?!\s*:)")
_CITATION_PART = re.compile(r"(\d+)\s*[–—\-~]\s*(\d+)|(\d+)")
_MAX_RANGE = 50  # a "[1-3000]" is not a citation range


def without_citations(text: str) -> str:
    """``text`` without the citation markers :func:`citations_in` reads ("[1]", "[1、3]")."""
    return _CITATION.sub("", text)


def citations_in(text: str) -> tuple[int, ...]:
    """Sorted distinct reference numbers cited in ``text``."""
    found: set[int] = set()
    for match in _CITATION.finditer(text):
        for part in _CITATION_PART.finditer(match.group(1)):
            if part.group(3):
                found.add(int(part.group(3)))
                continue
            low, high = int(part.group(1)), int(part.group(2))
            if low <= high and high - low <= _MAX_RANGE:
                found.update(range(low, high + 1))
            else:
                found.update((low, high))
    found.discard(0)
    return tuple(sorted(found))
