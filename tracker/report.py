"""Parse a report's Markdown into sections and a reference list.

``parse_report`` is pure (text in, :class:`~tracker.types.Report` out);
``load_report`` only adds reading the file. Neither looks at the network.

Headings
    The document's own headings, as :mod:`tracker.markdown` reads them: ATX
    (``#`` … ``######``) and setext (text underlined with ``===`` or ``---``),
    not those inside code blocks, block quotes or list items, and not empty
    ones. The first heading is the document title, not a section, when it is
    level 1 and carries no number. The reference list heading (``参考文献``, ``参考资料``,
    ``References``, ``Bibliography``, ``Sources``, ``Works cited`` …) and what
    follows it up to the next heading of the same or a higher level are the
    reference list, not sections.

Section ids (DESIGN.md: "a heading's own number, otherwise its position")
    * A heading's own number: Chinese numerals (``二、`` → ``2``, ``十一、``
      → ``11``, ``第三章`` → ``3``, ``（一）`` → a child number), Arabic
      (``1.``, ``2.1``, ``2.1.3``), Roman (``II.``, ``iv)``).
    * A single number on a nested heading is read relative to its parent
      (``### 1.`` under ``## 2.`` → ``2.1``); a dotted number is kept as is.
    * A heading without a number gets its position among its siblings (1-based,
      counting every sibling). When *none* of the siblings is numbered the id
      is that position, prefixed by the parent's id (``1``, ``2`` / ``3.1``);
      when some siblings are numbered it is ``x<position>`` (``摘要`` before
      ``一、引言`` → ``x1``) so it can never collide with a numbered sibling.
    * Should two headings still end up with one id (a document numbered
      inconsistently), the later one gets the ``x<position>`` form.

Section bodies
    ``text`` is everything between the heading and the next heading of any
    level (lists and tables included), with leading/trailing blank lines and
    trailing thematic breaks (``---``) removed; ``end_line`` points just after
    the last line of that trimmed body (so content inserted at ``end_line``
    lands before a section separator). ``citations`` are the sorted distinct
    reference numbers used in the body: ``[1]``, ``[1,2]``, ``[1][3]``,
    ``[1-3]``, full-width brackets too — outside code blocks.

Reference list
    Its entries are the list items and the paragraph lines that begin with a
    number: ``1. …``, ``[1] …``, ``[^1]: …``, ``- [1] …``, ``1、…``. A list
    item's entry spans the whole item; a paragraph line's entry runs on over
    the lines that follow it without a number, and over an indented paragraph
    after a blank line. Any other paragraph (a footer) is not an entry.
    :func:`reference_entries` says where each entry is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from tracker.citations import citations_in
from tracker.errors import ReportError
from tracker.markdown import Block, parse_blocks
from tracker.types import Reference, Report, Section

_REFERENCE_TITLES = re.compile(
    r"^(参考文献|参考资料|引用文献|引用来源|资料来源|文献|来源|"
    r"references?|bibliography|sources?|works cited|citations|"
    r"notes and references|references and notes|literature cited)$",
    re.IGNORECASE,
)

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_NUM = "零〇一二两三四五六七八九十"
# "二、", "二．", "二. ", "第二章", "第二节", "第二部分", "（二）", "(二)"
_CN_HEADING = re.compile(
    rf"^(?:第([{_CN_NUM}]+)[章节部篇]分?|[（(]([{_CN_NUM}]+)[）)]|([{_CN_NUM}]+)[、．.])\s*"
)
# "2.1 ", "2.1. ", "1. ", "1) ", "2、", "（1）", "(1)"
_ARABIC_HEADING = re.compile(
    r"^(?:[（(](\d{1,2})[）)]|(\d{1,2}(?:\.\d{1,3})*)(?:[.)、．]|(?=\s)|$))\s*"
)
_ROMAN_HEADING = re.compile(r"^([IVXLC]+|[ivxlc]+)[.)、]\s+")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}


# "[1] …", "[^1]: …", "1. …", "1、…", "^1: …", optionally after a bullet; group 4 is the text.
_REF_ENTRY = re.compile(
    r"^ {0,3}(?:[-*+][ \t]+)?"
    r"(?:[\[［]\^?(\d{1,4})[\]］]:?|(\d{1,4})[.)、．]|\^(\d{1,4}):?)[ \t]*(.*)$"
)
_URL = re.compile(r"https?://[^\s<>\"'）)\]]+[^\s<>\"'）)\].,;:，。；：!?]")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+)\)")
_APA = re.compile(r"^(?P<author>.+?)\s*[(（](?P<year>\d{4}[a-z]?|n\.d\.)[)）][.,]?\s*(?P<rest>.+)$")
_QUOTED = re.compile(r"[\"“]([^\"”]{3,})[\"”]")

_DATE_LINE = re.compile(
    r"(?:日期|时间|date|updated|published|as of)[^0-9\n]{0,20}"
    r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})",
    re.IGNORECASE,
)


@dataclass
class _Heading:
    line: int
    level: int
    text: str
    body_start: int  # line after the heading (after a setext heading's underline)
    body_end: int = 0  # line of the next heading (exclusive end of the raw body)


@dataclass(frozen=True)
class ReferenceEntry:
    """Where one entry of the reference list is written.

    ``prefix`` is its number as written, with what surrounds it up to the
    entry's text (``"1. "``, ``"[1] "``, ``"- [1] "``, ``"[^1]: "``).
    """

    number: int
    first_line: int
    last_line: int  # inclusive
    prefix: str


@dataclass
class _Outline:
    """The document's headings sorted into title, sections and reference list."""

    lines: list[str]
    blocks: tuple[Block, ...]
    title: str
    sections: list[_Heading]
    references_start: int | None
    entries: list[ReferenceEntry]


def read_report(path: Path) -> str:
    """A report file's text. Raises :class:`ReportError` naming the path."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read report: {exc}") from exc


def load_report(path: Path, *, report_id: str, language: str) -> Report:
    """Read and parse a report file. Raises :class:`ReportError` naming the path."""
    markdown = read_report(path)
    try:
        return parse_report(markdown, report_id=report_id, path=str(path), language=language)
    except ReportError as exc:
        raise ReportError(f"{path}: {exc}") from exc


def parse_report(markdown: str, *, report_id: str, path: str, language: str) -> Report:
    """Parse report Markdown into a :class:`Report`.

    Raises :class:`ReportError` when the document has no section at all.
    Does not validate that cited numbers exist in the reference list.
    """
    outline = _outline(markdown)
    if not outline.sections:
        raise ReportError("no sections found (no Markdown headings besides the title)")
    return Report(
        id=report_id,
        path=path,
        language=language,
        title=outline.title,
        markdown=markdown,
        sections=tuple(_build_sections(outline)),
        references=tuple(_reference(outline.lines, e) for e in outline.entries),
        references_start_line=outline.references_start,
    )


def reference_entries(report: Report) -> tuple[ReferenceEntry, ...]:
    """Where each of ``report.references`` is written, in the same order."""
    return tuple(_outline(report.markdown).entries)


def report_date(report: Report) -> date | None:
    """The report's own date when it states one ("报告生成时间: 2026-02-11", "Updated: …")."""
    found: date | None = None
    for match in _DATE_LINE.finditer(report.markdown):
        try:
            found = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
    return found


PARSER_VERSION = "1"  # bump when parsing changes: the store's cached parses are redone

REFERENCES_SECTION = "references"  # section id of edits to the reference list itself


def section_label(section_id: str, title: str) -> str:
    """How a section is named to people: once, as a reader knows it.

    A heading that carries its own number (``3.2 编码智能体的崛起``, ``一、引言``,
    ``II. Releases``) is shown as written; an unnumbered one gets its id in
    front (``2.1 Notable models``); positional ids (``x1``) and the reference
    list are never shown, only their title.
    """
    if not title:
        return section_id
    if not section_id or section_id.startswith("x") or section_id == REFERENCES_SECTION:
        return title
    if title.startswith(section_id) or strip_heading_number(title) != title:
        return title
    return f"{section_id} {title}"


def strip_heading_number(text: str) -> str:
    """A heading's text without its leading number (``二、引言`` → ``引言``)."""
    for pattern in (_CN_HEADING, _ARABIC_HEADING, _ROMAN_HEADING):
        match = pattern.match(text)
        if match and match.end() < len(text):
            return text[match.end() :].strip()
    return text.strip()


# --------------------------------------------------------------------------
# Headings and ids


def _outline(markdown: str) -> _Outline:
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    blocks = parse_blocks(text)
    headings: list[_Heading] = []
    for block in blocks:
        if block.kind == "heading" and block.quote == block.depth == 0:
            words = _clean_heading(block.text)
            if words:
                headings.append(_Heading(block.start_line, block.level, words, block.end_line))
    for i, heading in enumerate(headings):
        heading.body_end = headings[i + 1].line if i + 1 < len(headings) else len(lines)

    title = ""
    if headings and headings[0].level == 1 and _own_number(headings[0].text) is None:
        title = headings.pop(0).text

    references_start: int | None = None
    entries: list[ReferenceEntry] = []
    sections: list[_Heading] = []
    skip_below: int | None = None  # level of the reference heading we are inside
    for heading in headings:
        if skip_below is not None:
            if heading.level > skip_below:
                entries += _entries(lines, blocks, heading.body_start, heading.body_end)
                continue
            skip_below = None
        if references_start is None and _is_reference_heading(heading.text):
            references_start = heading.line
            entries += _entries(lines, blocks, heading.body_start, heading.body_end)
            skip_below = heading.level
            continue
        sections.append(heading)
    return _Outline(lines, blocks, title, sections, references_start, entries)


def _clean_heading(text: str) -> str:
    # Headings sometimes carry emphasis or an anchor; the id and title want the words.
    text = text.replace("\n", " ")  # a setext heading may span lines
    text = re.sub(r"\{#[^}]*\}\s*$", "", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return text.strip()


def _is_reference_heading(text: str) -> bool:
    words = strip_heading_number(text).strip(" :：")
    return bool(_REFERENCE_TITLES.match(words))


def _cn_value(numeral: str) -> int | None:
    """Chinese numeral 0–99 (``十一`` → 11, ``二十`` → 20, ``九十九`` → 99)."""
    if "十" in numeral:
        tens_text, _, units_text = numeral.partition("十")
        if len(tens_text) > 1 or len(units_text) > 1:
            return None
        tens = _CN_DIGITS.get(tens_text, -1) if tens_text else 1
        units = _CN_DIGITS.get(units_text, -1) if units_text else 0
        if tens < 0 or units < 0:
            return None
        return tens * 10 + units
    if len(numeral) == 1:
        return _CN_DIGITS.get(numeral)
    return None


def _roman_value(numeral: str) -> int | None:
    values = [_ROMAN_VALUES[ch] for ch in numeral.lower()]
    total = 0
    for i, value in enumerate(values):
        total += -value if i + 1 < len(values) and values[i + 1] > value else value
    # Reject non-canonical spellings ("IIII", "VX") by round-tripping.
    return total if 0 < total < 100 and _to_roman(total) == numeral.upper() else None


def _to_roman(value: int) -> str:
    out = []
    for number, letters in ((90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V")):
        while value >= number:
            out.append(letters)
            value -= number
    out.append("I" * value if value < 4 else "IV")
    return "".join(out)


def _own_number(text: str) -> tuple[str, bool] | None:
    """The heading's own number as ``(dotted id, is_relative)``, or None.

    ``is_relative`` marks forms that only say "n-th child" (``（一）``, ``(1)``,
    a lone ``1.`` under a parent), which are prefixed with the parent's id.
    """
    cn = _CN_HEADING.match(text)
    if cn:
        numeral = cn.group(1) or cn.group(2) or cn.group(3)
        value = _cn_value(numeral)
        if value:
            return str(value), bool(cn.group(2))
    arabic = _ARABIC_HEADING.match(text)
    if arabic:
        if arabic.group(1):
            return str(int(arabic.group(1))), True
        parts = arabic.group(2).split(".")
        if all(int(p) > 0 for p in parts):
            return ".".join(str(int(p)) for p in parts), False
    roman = _ROMAN_HEADING.match(text)
    if roman:
        value = _roman_value(roman.group(1))
        if value:
            return str(value), False
    return None


def _build_sections(outline: _Outline) -> list[Section]:
    lines, headings = outline.lines, outline.sections
    # Parent of each heading: the nearest earlier heading with a lower level.
    parents: list[int | None] = []
    stack: list[int] = []
    for i, heading in enumerate(headings):
        while stack and headings[stack[-1]].level >= heading.level:
            stack.pop()
        parents.append(stack[-1] if stack else None)
        stack.append(i)

    children: dict[int | None, list[int]] = {}
    for i, parent in enumerate(parents):
        children.setdefault(parent, []).append(i)

    ids: list[str] = [""] * len(headings)
    used: set[str] = set()

    def assign(parent: int | None) -> None:
        siblings = children.get(parent, [])
        numbers = [_own_number(headings[i].text) for i in siblings]
        any_numbered = any(n is not None for n in numbers)
        prefix = f"{ids[parent]}." if parent is not None else ""
        for position, (i, number) in enumerate(zip(siblings, numbers, strict=True), start=1):
            candidate: str
            if number is None:
                candidate = f"{prefix}x{position}" if any_numbered else f"{prefix}{position}"
            else:
                own, relative = number
                nested_single = parent is not None and "." not in own
                candidate = f"{prefix}{own}" if relative or nested_single else own
            if candidate in used:
                candidate = f"{prefix}x{position}"
            used.add(candidate)
            ids[i] = candidate
        for i in siblings:
            assign(i)

    assign(None)

    # Section separators (top-level thematic breaks) and code, as the model sees them.
    rules = {b.start_line for b in outline.blocks if b.kind == "rule" and b.quote == b.depth == 0}
    code = {i for b in outline.blocks if b.kind == "code" for i in range(b.start_line, b.end_line)}
    sections = []
    for i, heading in enumerate(headings):
        body_start, end = heading.body_start, heading.body_end
        while end > body_start and (not lines[end - 1].strip() or end - 1 in rules):
            end -= 1
        prose = "\n".join(lines[k] for k in range(body_start, end) if k not in code)
        parent = parents[i]
        sections.append(
            Section(
                id=ids[i],
                title=heading.text,
                level=heading.level,
                text="\n".join(lines[body_start:end]).strip(),
                citations=citations_in(prose),
                parent_id=ids[parent] if parent is not None else None,
                start_line=heading.line,
                end_line=max(end, heading.line + 1),
            )
        )
    return sections


# --------------------------------------------------------------------------
# Reference list


def _entries(
    lines: list[str], blocks: tuple[Block, ...], start: int, end: int
) -> list[ReferenceEntry]:
    """The entries written in lines ``start`` to ``end`` (see the module docstring)."""
    # Each line belongs to the innermost block written on it; a list item's own
    # lines are those of its first paragraph (lazy continuation lines included).
    owner: dict[int, Block] = {}
    for written in blocks:
        if start <= written.start_line < end:
            owner.update(
                dict.fromkeys(range(written.start_line, min(written.end_line, end)), written)
            )
    entries: list[ReferenceEntry] = []
    running = False  # whether the last entry may continue
    for number in range(start, end):
        if number not in owner:
            continue  # a blank line
        block = owner[number]
        line = lines[number]
        top = block.quote == block.depth == 0 and block.kind in ("item", "paragraph")
        match = _REF_ENTRY.match(line) if top else None
        if match:
            entries.append(_entry(match, number))
            running = True
        elif (
            running
            and (
                number != block.start_line  # the entry's own block goes on
                or block.depth > 0  # inside the entry's list item
                or line[:1] in " \t"  # an indented continuation
            )
        ):
            entries[-1] = replace(entries[-1], last_line=number)
        else:
            running = False  # a footer, a rule, another block
    return entries


def _entry(match: re.Match[str], line: int) -> ReferenceEntry:
    number = int(match.group(1) or match.group(2) or match.group(3))
    return ReferenceEntry(number, line, line, prefix=match.string[: match.start(4)])


def _reference(lines: list[str], entry: ReferenceEntry) -> Reference:
    raw_lines = [
        line.rstrip() for line in lines[entry.first_line : entry.last_line + 1] if line.strip()
    ]
    text = " ".join([raw_lines[0][len(entry.prefix) :], *raw_lines[1:]])
    text = re.sub(r"\s+", " ", text).strip()
    title, url = _reference_title_url(text)
    return Reference(number=entry.number, title=title or url, url=url, raw="\n".join(raw_lines))


def _reference_title_url(text: str) -> tuple[str, str]:
    link = _MD_LINK.search(text)
    if link:
        return link.group(1).strip(), link.group(2)
    url_match = _URL.search(text)
    url = url_match.group(0) if url_match else ""
    rest = text.replace(url, " ") if url else text
    rest = re.sub(r"[<>]", " ", rest)
    rest = re.sub(r"\b(?:Retrieved|Accessed|Available at|访问于|检索于)\b.*$", "", rest)
    rest = re.sub(r"\s+", " ", rest).strip(" .,;:，。")
    quoted = _QUOTED.search(rest)
    if quoted:
        return quoted.group(1).strip(" .,"), url
    apa = _APA.match(rest)
    if apa:
        # "Author. (Year). Title. Site." — the title is the first sentence after the year.
        return _first_sentence(apa.group("rest")), url
    return rest, url


def _first_sentence(text: str) -> str:
    # Split at ". " followed by an upper-case letter or CJK, not inside "4.5" or "Jr. x".
    match = re.search(r"(?<=[^\s.])[.。](?=\s+[A-Z\u4e00-\u9fff]|$)", text)
    return (text[: match.start()] if match else text).strip(" .")
