"""A report's statements: every sentence and table row, with its section and citations.

A :class:`Statement` is text exactly as the report's Markdown writes it (so
an edit can find and replace it verbatim), the section it sits in, the
reference numbers it cites, and, for a table row, its cells and the table's
header. Sentences are cut at Chinese and English sentence ends inside
paragraphs and list items; a citation marker after the full stop
(``…里程碑。[1]``) stays with its sentence, and a list item is one statement
however it is punctuated.

This is what novelty checks, revisions and (later) claim checks read the
report as. Pure: no I/O. Which statement a piece of news concerns is not
decided here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.citations import citations_in, without_citations
from tracker.markdown import parse_blocks
from tracker.types import Report, Section

# A sentence ends after 。！？ (or . ! ? followed by a space), plus any closing
# quotes/brackets and citation markers that follow it.
_SENTENCE = re.compile(
    r".+?(?:[。！？]|[.!?](?=\s)|$)[”’」』）)]*(?:\s*[\[［]\d{1,4}(?:[,，\-–]\s*\d{1,4})*[\]］])*",
    re.DOTALL,
)


@dataclass(frozen=True)
class Statement:
    section_id: str
    text: str  # verbatim from the Markdown source: a sentence, a list item's text, a table row
    citations: tuple[int, ...]
    kind: str  # "sentence", "item" (a list item), "row" (a table body row)
    line: int  # 0-based source line the statement starts on
    cells: tuple[str, ...] = ()  # a row's cells
    header: tuple[str, ...] = ()  # a row's table header cells

    @property
    def plain(self) -> str:
        """The statement without citation markers and Markdown emphasis, for comparing."""
        return re.sub(r"[*_`]+", "", without_citations(self.text)).strip(" |")


def statements(report: Report) -> list[Statement]:
    """Every statement of the report's sections, in reading order (not the reference list)."""
    lines = report.markdown.split("\n")
    found: list[Statement] = []
    for section in report.sections:
        found.extend(_section_statements(section, lines))
    return found


def _section_statements(section: Section, lines: list[str]) -> list[Statement]:
    body_start = section.start_line + 1
    body = "\n".join(lines[body_start : section.end_line])
    out: list[Statement] = []
    header: tuple[str, ...] = ()
    for block in parse_blocks(body):
        line = body_start + block.start_line
        if block.kind == "row":
            raw = lines[line].strip()
            if block.header:
                header = block.cells
                continue
            out.append(
                Statement(section.id, raw, citations_in(raw), "row", line, block.cells, header)
            )
        elif block.kind == "item":
            text = block.text.split("\n")[0].strip()
            out.append(Statement(section.id, text, citations_in(text), "item", line))
        elif block.kind == "paragraph":
            for sentence in _sentences(block.text):
                out.append(
                    Statement(section.id, sentence, citations_in(sentence), "sentence", line)
                )
    return out


def _sentences(paragraph: str) -> list[str]:
    # Lines of a paragraph are kept as written: a sentence never spans a line break
    # here, so each one is a substring of one source line and can be replaced there.
    found: list[str] = []
    for line in paragraph.split("\n"):
        for match in _SENTENCE.finditer(line.strip()):
            sentence = match.group(0).strip()
            if len(sentence) >= 4:
                found.append(sentence)
    return found


def general_references(report: Report, *, min_sections: int = 3) -> frozenset[int]:
    """References cited across many chapters: a year-in-review source behind much
    of the report is "general", and a sentence citing only those can take a more
    specific citation."""
    chapters: dict[int, set[str]] = {}
    for section in report.sections:
        chapter = section.id.split(".")[0]
        for number in section.citations:
            chapters.setdefault(number, set()).add(chapter)
    return frozenset(n for n, seen in chapters.items() if len(seen) >= min_sections)
