"""Where an article may go as a citation: which statements may take it, and how.

A statement already stating the news may take the article as its citation when
it cites nothing, or only general references (sources behind much of the
report, such as a year in review) and its chapter's overview source (one cited
for every claim of the chapter). Summaries (abstract, introduction, conclusion)
are the last place to look. The marker goes after the statement's last citation,
or before its full stop; in a table row, at the end of the cell that names the
thing. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracker.statements import Statement

_SUMMARY_TITLES = re.compile(r"摘要|引言|结论|总结|summary|introduction|conclusion", re.I)


def summary_sections(titles: dict[str, str]) -> frozenset[str]:
    """Ids of the sections that summarise the report rather than state news, and the
    subsections of a summarising chapter ("八、技术趋势总结" → 8.1)."""
    summaries = {i for i, title in titles.items() if _SUMMARY_TITLES.search(title)}
    return frozenset(i for i in titles if i in summaries or i.split(".")[0] in summaries)


def overview_references(statements: Sequence[Statement]) -> frozenset[tuple[str, int]]:
    """(chapter, reference) pairs for a chapter's overview source: a reference behind
    every cited statement of a chapter with at least three, such as a magazine piece
    surveying the field the chapter covers. The primary source of one of those
    claims is a better citation for it."""
    cited: dict[str, list[set[int]]] = {}
    for statement in statements:
        if statement.citations:
            chapter = statement.section_id.split(".")[0]
            cited.setdefault(chapter, []).append(set(statement.citations))
    return frozenset(
        (chapter, number)
        for chapter, sets in cited.items()
        if len(sets) >= 3
        for number in set.intersection(*sets)
    )


def may_cite(
    statement: Statement,
    general: frozenset[int],
    overview: frozenset[tuple[str, int]] = frozenset(),
) -> bool:
    """Whether the article may become this statement's citation: it cites nothing, or
    only general references and its chapter's overview source."""
    chapter = statement.section_id.split(".")[0]
    return all(n in general or (chapter, n) in overview for n in statement.citations)


def cite_after(statement: Statement, marker: str) -> str:
    """The statement with ``marker`` placed after its last citation marker, or before
    its closing full stop when it has none: ``…能力[1]。`` → ``…能力[1][7]。``; in a
    table row, at the end of the cell that names the thing."""
    if statement.kind == "row":
        cells = list(statement.cells)
        column = next(
            (
                i
                for i, h in enumerate(statement.header)
                if re.search(r"模型|model|产品|product", h, re.I)
            ),
            next((i for i, c in enumerate(cells) if not c.strip().isdigit()), 0),
        )
        cells[column] = f"{cells[column]} {marker}"
        return "| " + " | ".join(cells) + " |"
    text = statement.text
    citations = list(re.finditer(r"[\[［]\d{1,4}(?:[,，\-–]\s*\d{1,4})*[\]］]", text))
    if citations:
        end = citations[-1].end()
        return text[:end] + marker + text[end:]
    stripped = text.rstrip()
    if stripped and stripped[-1] in "。！？.!?":
        return stripped[:-1] + marker + stripped[-1]
    return stripped + marker
