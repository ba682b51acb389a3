"""Parse a report's Markdown into sections and a reference list.

``parse_report`` is pure (text in, :class:`~tracker.types.Report` out);
``load_report`` only adds reading the file. Neither looks at the network.

Headings
    ATX headings (``#`` … ``######``) and setext headings (a text line
    underlined with ``===`` or ``---``) outside fenced code blocks. The first
    heading is the document title, not a section, when it is level 1 and
    carries no number. The reference list heading (``参考文献``, ``参考资料``,
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
    ``[1-3]``, full-width brackets too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tracker.errors import ReportError
from tracker.types import Reference, Report, Section

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_ATX_EMPTY = re.compile(r"^ {0,3}(#{1,6})[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_THEMATIC = re.compile(r"^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$")

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

_CITATION = re.compile(r"[\[［]\s*(\d{1,4}(?:\s*[,，、;；–—\-~]\s*\d{1,4})*)\s*[\]］](?!\s*:)")
_CITATION_PART = re.compile(r"(\d+)\s*[–—\-~]\s*(\d+)|(\d+)")
_MAX_RANGE = 50  # a "[1-3000]" is not a citation range

_REF_ENTRY = re.compile(
    r"^ {0,3}(?:[-*+][ \t]+)?(?:[\[［](\d{1,4})[\]］]:?|(\d{1,4})[.)、．]|\^(\d{1,4}):?)[ \t]*(.*)$"
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
    body_end: int = 0  # line of the next heading (exclusive end of the raw body)


def load_report(path: Path, *, report_id: str, language: str) -> Report:
    """Read and parse a report file. Raises :class:`ReportError` naming the path."""
    try:
        markdown = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read report: {exc}") from exc
    try:
        return parse_report(markdown, report_id=report_id, path=str(path), language=language)
    except ReportError as exc:
        raise ReportError(f"{path}: {exc}") from exc


def parse_report(markdown: str, *, report_id: str, path: str, language: str) -> Report:
    """Parse report Markdown into a :class:`Report`.

    Raises :class:`ReportError` when the document has no section at all.
    Does not validate that cited numbers exist in the reference list.
    """
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headings = _find_headings(lines)
    for i, heading in enumerate(headings):
        heading.body_end = headings[i + 1].line if i + 1 < len(headings) else len(lines)

    title = ""
    if headings and headings[0].level == 1 and _own_number(headings[0].text) is None:
        title = headings.pop(0).text

    references: tuple[Reference, ...] = ()
    references_start: int | None = None
    section_headings: list[_Heading] = []
    skip_below: int | None = None  # level of the reference heading we are inside
    for heading in headings:
        if skip_below is not None:
            if heading.level > skip_below:
                references += _parse_references(lines, heading.line, heading.body_end)
                continue
            skip_below = None
        if references_start is None and _is_reference_heading(heading.text):
            references_start = heading.line
            references += _parse_references(lines, heading.line + 1, heading.body_end)
            skip_below = heading.level
            continue
        section_headings.append(heading)

    if not section_headings:
        raise ReportError("no sections found (no Markdown headings besides the title)")
    sections = _build_sections(lines, section_headings)
    return Report(
        id=report_id,
        path=path,
        language=language,
        title=title,
        markdown=markdown,
        sections=tuple(sections),
        references=references,
        references_start_line=references_start,
    )


def report_date(report: Report) -> date | None:
    """The report's own date when it states one ("报告生成时间: 2026-02-11", "Updated: …")."""
    found: date | None = None
    for match in _DATE_LINE.finditer(report.markdown):
        try:
            found = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
    return found


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


def _find_headings(lines: list[str]) -> list[_Heading]:
    headings: list[_Heading] = []
    fence: str | None = None
    for number, line in enumerate(lines):
        fence_match = _FENCE.match(line)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0]:
                fence = None
            continue
        if fence_match:
            fence = fence_match.group(1)
            continue
        atx = _ATX.match(line)
        if atx:
            headings.append(_Heading(number, len(atx.group(1)), _clean_heading(atx.group(2))))
            continue
        if _ATX_EMPTY.match(line):
            continue
        setext = _SETEXT.match(line)
        if setext and number > 0 and _is_paragraph_line(lines, number - 1):
            level = 1 if setext.group(1)[0] == "=" else 2
            # The text line was counted as body of the previous heading; it is a heading.
            headings.append(_Heading(number - 1, level, _clean_heading(lines[number - 1])))
    return headings


def _is_paragraph_line(lines: list[str], number: int) -> bool:
    """Whether ``lines[number]`` is a single plain text line a setext underline can turn
    into a heading (not blank, not a list item, table row, quote or heading itself)."""
    text = lines[number].strip()
    if not text or text.startswith(("#", ">", "|", "- ", "* ", "+ ", "<")):
        return False
    if _THEMATIC.match(lines[number]) or re.match(r"^\d+[.)]\s", text):
        return False
    return number == 0 or not lines[number - 1].strip()


def _clean_heading(text: str) -> str:
    # Headings sometimes carry emphasis or an anchor; the id and title want the words.
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


def _build_sections(lines: list[str], headings: list[_Heading]) -> list[Section]:
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

    sections = []
    for i, heading in enumerate(headings):
        body_start = heading.line + 2 if _is_setext(lines, heading) else heading.line + 1
        end = _trimmed_end(lines, body_start, heading.body_end)
        text = "\n".join(lines[body_start:end]).strip("\n")
        parent = parents[i]
        sections.append(
            Section(
                id=ids[i],
                title=heading.text,
                level=heading.level,
                text=text.strip(),
                citations=citations_in(_without_code(text)),
                parent_id=ids[parent] if parent is not None else None,
                start_line=heading.line,
                end_line=max(end, heading.line + 1),
            )
        )
    return sections


def _without_code(text: str) -> str:
    """``text`` without fenced code blocks (a ``[9]`` in sample code is not a citation)."""
    kept: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)[0]
        elif fence is not None:
            if match and match.group(1)[0] == fence:
                fence = None
        else:
            kept.append(line)
    return "\n".join(kept)


def _is_setext(lines: list[str], heading: _Heading) -> bool:
    following = heading.line + 1
    return (
        following < len(lines)
        and not _ATX.match(lines[heading.line])
        and bool(_SETEXT.match(lines[following]))
    )


def _trimmed_end(lines: list[str], start: int, end: int) -> int:
    while end > start and (not lines[end - 1].strip() or _THEMATIC.match(lines[end - 1])):
        end -= 1
    return end


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


# --------------------------------------------------------------------------
# Reference list


def _parse_references(lines: list[str], start: int, end: int) -> tuple[Reference, ...]:
    """Entries ``1. …``, ``[1] …``, ``[^1]: …``, ``- [1] …`` with indented or wrapped
    continuation lines. Unnumbered lines after a blank line (a footer) are ignored."""
    entries: list[tuple[int, list[str]]] = []
    open_entry = False
    for line in lines[start:end]:
        match = _REF_ENTRY.match(line)
        if match:
            number = int(match.group(1) or match.group(2) or match.group(3))
            entries.append((number, [line.rstrip()]))
            open_entry = True
        elif not line.strip() or _THEMATIC.match(line):
            open_entry = False
        elif entries and (open_entry or line.startswith((" ", "\t"))):
            entries[-1][1].append(line.rstrip())
            open_entry = True
    references = []
    for number, raw_lines in entries:
        raw = "\n".join(raw_lines)
        body = _REF_ENTRY.match(raw_lines[0])
        text = " ".join([body.group(4) if body else raw_lines[0], *raw_lines[1:]])
        text = re.sub(r"\s+", " ", text).strip()
        title, url = _reference_title_url(text)
        title = title or url
        references.append(Reference(number=number, title=title, url=url, raw=raw))
    return tuple(references)


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
