"""The claim index: every report statement that cites a reference, as a :class:`Claim`.

A claim is a sentence, list item or table row of the report (as
:mod:`tracker.statements` cuts them) that carries at least one citation
marker. Its id is a short hash of the report id, the section and the text,
so it stays the same while the sentence does and follows the sentence, not
its position; a second identical statement in the same section gets an id
of its own. Each claim lists what a source must agree with: its figures
(:mod:`tracker.figures`: dates apart from other numbers) and its names —
Latin-script names as the report writes them inside Chinese text, Chinese
spellings of the field's actors, and the Chinese side of the zh↔en pairs
the report spells out.

What it does not do: judge a claim against its source (``support``,
``verdict``), or store anything. Pure: a report in, claims out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from tracker.figures import figures_in
from tracker.glossary import report_entities, report_pairs
from tracker.statements import Statement, statements
from tracker.suggest.names import NameBook
from tracker.types import Claim, Report

# Bump when what a claim holds, or how it is cut, changes: a stored index made
# by another version is rebuilt even though the report did not change.
INDEX_VERSION = "2"

_ID_LENGTH = 12
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# A Latin name stands alone when no letter, digit or joining hyphen touches it.
_WORD_EDGE = r"(?<![A-Za-z0-9\-])"
_WORD_END = r"(?![A-Za-z0-9]|-[A-Za-z0-9])"


def claims_of(report: Report) -> list[Claim]:
    """The report's claims, in reading order (sections only, never the reference list)."""
    book = NameBook.for_report(report.markdown)
    pairs = [pair[0] for pair in report_pairs(report.markdown) if _CJK.search(pair[0])]
    seen: dict[tuple[str, str], int] = {}
    claims: list[Claim] = []
    for statement in statements(report):
        if not statement.citations:
            continue
        key = (statement.section_id, statement.text)
        seen[key] = seen.get(key, 0) + 1
        claims.append(_claim(report.id, statement, seen[key], book, pairs))
    return claims


def claim_id(report_id: str, section: str, text: str, occurrence: int = 1) -> str:
    """The stable id of a claim: a short hex digest of report, section and text."""
    parts = [report_id, section, text] + ([str(occurrence)] if occurrence > 1 else [])
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:_ID_LENGTH]


def _claim(
    report_id: str, statement: Statement, occurrence: int, book: NameBook, pairs: list[str]
) -> Claim:
    plain = statement.plain
    figures = figures_in(plain)
    return Claim(
        id=claim_id(report_id, statement.section_id, statement.text, occurrence),
        report=report_id,
        section=statement.section_id,
        text=statement.text,
        references=tuple(dict.fromkeys(statement.citations)),
        kind=statement.kind,
        numbers=_unique(f.text for f in figures if f.kind != "date"),
        dates=_unique(f.text for f in figures if f.kind == "date"),
        names=_names(plain, {f.text for f in figures}, book, pairs),
    )


def _names(text: str, figures: set[str], book: NameBook, pairs: list[str]) -> tuple[str, ...]:
    """Names in the claim, in order of appearance, each once.

    Chinese spellings of known actors come first (``智谱AI`` is one name, not
    a stray ``AI``); then Latin runs, longest first, a shorter one counting
    only where it stands on its own (``GPT-5 Thinking`` is not also ``GPT-5``,
    but ``Qwen`` beside ``Qwen-Image`` is a name); then the Chinese side of
    the report's zh↔en pairs.
    """
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []

    def take(start: int, name: str) -> None:
        found.append((start, name))
        taken.append((start, start + len(name)))

    for hit in book.find(text):
        if _CJK.search(hit.form) and _free(hit.start, hit.start + len(hit.form), taken):
            take(hit.start, hit.form)
    latin = [n for n in report_entities(text) if not n.startswith("$") and n not in figures]
    for name in sorted(latin, key=len, reverse=True):
        for match in re.finditer(_WORD_EDGE + re.escape(name) + _WORD_END, text):
            if _free(match.start(), match.end(), taken):
                take(match.start(), name)
                break
    for form in pairs:
        at = text.find(form)
        if at >= 0 and _free(at, at + len(form), taken):
            take(at, form)
    return _unique(name for _, name in sorted(found))


def _free(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return all(end <= a or start >= b for a, b in taken)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
