"""Rendering: editions, diffs, HTML escaping, changelog and atomic publishing.

Inputs are the real seed report and the suggestions in tests/data/render/;
every expectation is derived from those inputs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.errors import RenderError
from tracker.render import (
    EditionToRecord,
    EntryToRecord,
    UnwrittenEntry,
    changelog_entry,
    prepend_changelog,
    render_edition,
    render_html,
    unified_diff,
    unreported_cited,
    write_atomic,
    write_edition,
)
from tracker.report import parse_report
from tracker.types import (
    CitedCheck,
    CitedStatus,
    Report,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
)

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "data" / "reports" / "seed.md"
DATA = ROOT / "tests" / "data" / "render"
DAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def report() -> Report:
    return parse_report(
        SEED.read_text(encoding="utf-8"),
        report_id="ai-2024-2025",
        path="reports/ai-2024-2025/report.md",
        language="zh",
    )


@pytest.fixture(scope="module")
def fixtures() -> dict[int, Suggestion]:
    rows = yaml.safe_load((DATA / "suggestions.yaml").read_text(encoding="utf-8"))
    out = {}
    for row in rows:
        out[row["id"]] = Suggestion(
            report="ai-2024-2025",
            section=row["section"],
            section_title=row["section_title"],
            kind=SuggestionKind(row["kind"]),
            score=0.8,
            title=row["title"],
            url=row["url"],
            published=_when(row["published"]),
            source=row["source"],
            excerpt=row["excerpt"],
            proposed_text=row["proposed_text"],
            created_at=_when(row["created_at"]) or datetime.now(),
            status=SuggestionStatus(row["status"]),
            reference=row["reference"],
            id=row["id"],
        )
    return out


def _when(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _with_status(s: Suggestion, status: SuggestionStatus) -> Suggestion:
    return dataclasses.replace(s, status=status)


def _section_lines(edition_md: str, report_id: str, section_id: str) -> list[str]:
    """The lines of a section (own body) as the parser sees them in the edition."""
    parsed = parse_report(edition_md, report_id=report_id, path="e.md", language="zh")
    section = parsed.section(section_id)
    assert section is not None
    return edition_md.split("\n")[section.start_line : section.end_line]


def _marker_stripped(text: str) -> str:
    return re.sub(r"\s*\[\d+\]\s*$", "", text)


def _changed_lines(diff: str, sign: str) -> list[str]:
    return [
        ln[1:]
        for ln in diff.splitlines()
        if ln.startswith(sign) and not ln.startswith(sign * 3) and ln[1:].strip()
    ]


# --------------------------------------------------------------------------
# the edition's Markdown


def test_accepted_addition_lands_in_its_section_with_a_new_reference(report, fixtures):
    accepted = fixtures[7]
    edition = render_edition(report, [accepted], edition_date=DAY)

    new_number = max(r.number for r in report.references) + 1
    expected_line = f"{_marker_stripped(accepted.proposed_text)} [{new_number}]"
    assert expected_line in _section_lines(edition, report.id, accepted.section)
    assert edition.count(expected_line) == 1

    reparsed = parse_report(edition, report_id=report.id, path="e.md", language="zh")
    assert [r.number for r in reparsed.references] == [
        *(r.number for r in report.references),
        new_number,
    ]
    assert reparsed.references[-1].url == accepted.url
    assert f"{new_number}. {accepted.reference}" in edition.split("\n")
    # the list keeps its blank-line spacing and stays before the closing rule
    lines = edition.split("\n")
    at = lines.index(f"{new_number}. {accepted.reference}")
    assert lines[at - 1] == "" and lines[at - 2] == report.references[-1].raw


def test_addition_goes_before_the_sections_closing_rule(report, fixtures):
    # 3.3 ends with a paragraph and a "---" rule before the next chapter
    accepted = dataclasses.replace(fixtures[7], section="3.3")
    edition = render_edition(report, [accepted], edition_date=DAY)
    lines = edition.split("\n")
    inserted = next(i for i, ln in enumerate(lines) if ln.startswith(accepted.proposed_text[:20]))
    following = [ln for ln in lines[inserted + 1 :] if ln.strip()]
    assert following[0] == "---"
    assert lines[inserted - 1] == ""  # after a paragraph: its own block
    assert inserted - 2 == report.markdown.split("\n").index(
        next(
            ln
            for ln in _section_lines(report.markdown, report.id, "3.3")[::-1]
            if ln.strip() and ln != "---"
        )
    )


def test_addition_continues_the_sections_bullet_list(report, fixtures):
    accepted = fixtures[7]  # 3.2 ends with a bullet list
    edition = render_edition(report, [accepted], edition_date=DAY)
    lines = edition.split("\n")
    inserted = next(i for i, ln in enumerate(lines) if ln.startswith(accepted.proposed_text[:20]))
    last_bullet = [
        ln for ln in _section_lines(report.markdown, report.id, "3.2") if ln.startswith("- ")
    ][-1]
    assert lines[inserted - 1] == last_bullet


def test_rejected_suggestion_is_absent(report, fixtures):
    rejected = fixtures[8]
    assert rejected.status is SuggestionStatus.REJECTED
    edition = render_edition(report, [rejected], edition_date=DAY)
    assert edition == report.markdown


def test_pending_suggestion_is_in_the_review_block_of_its_section(report, fixtures):
    pending = fixtures[9]
    edition = render_edition(report, [pending], edition_date=DAY)
    body = _section_lines(edition, report.id, pending.section)
    block_start = body.index("> **待审更新**")
    items = [ln for ln in body[block_start:] if ln.startswith("> - ")]
    assert len(items) == 1
    item = items[0]
    assert f"`tracker accept {pending.id}`" in item
    assert f"(<{pending.url}>)" in item
    assert _marker_stripped(pending.proposed_text)[2:] in item
    # no provisional reference number and no reference entry until accepted
    assert not re.search(r"\[\d+\]", item.split(" — ")[0])
    assert [
        r.number for r in parse_report(edition, report_id="x", path="e", language="zh").references
    ] == [r.number for r in report.references]


def test_two_accepted_additions_get_consecutive_numbers_by_id(report, fixtures):
    first, second = sorted([fixtures[11], fixtures[7]], key=lambda s: s.id or 0)
    edition = render_edition(report, [fixtures[11], fixtures[7]], edition_date=DAY)
    top = max(r.number for r in report.references)
    assert f"{_marker_stripped(first.proposed_text)} [{top + 1}]" in edition
    assert f"{_marker_stripped(second.proposed_text)} [{top + 2}]" in edition
    reparsed = parse_report(edition, report_id=report.id, path="e.md", language="zh")
    assert [(r.number, r.url) for r in reparsed.references[-2:]] == [
        (top + 1, first.url),
        (top + 2, second.url),
    ]


def test_accepted_source_gone_swaps_the_url_for_the_archive(report, fixtures):
    gone = fixtures[12]
    edition = render_edition(report, [gone], edition_date=DAY)
    archive = re.search(r"https://web\.archive\.org/\S+", gone.proposed_text)
    assert archive is not None
    reparsed = parse_report(edition, report_id=report.id, path="e.md", language="zh")
    number = next(r.number for r in report.references if r.url == gone.url)
    assert next(r.url for r in reparsed.references if r.number == number) == archive.group(0)
    assert f" {gone.url}" not in edition  # only inside the archive URL now
    assert unified_diff(report.markdown, edition, from_name="a", to_name="b").count("\n+") == 2


def test_accepted_source_changed_adds_a_dated_note(report, fixtures):
    changed = fixtures[13]
    edition = render_edition(report, [changed], edition_date=DAY)
    raw = next(r.raw for r in report.references if r.url == changed.url)
    note = f"（来源已于 {changed.created_at.date().isoformat()} 更新）"
    assert f"{raw}{note}" in edition.split("\n")


def test_english_report_keeps_its_reference_style_and_labels():
    text = (DATA / "report-en.md").read_text(encoding="utf-8")
    en = parse_report(text, report_id="en", path="report-en.md", language="en")
    make: dict[str, Any] = dict(
        report="en",
        section="2.1",
        section_title="Benchmarks",
        kind=SuggestionKind.ADDITION,
        score=0.9,
        source="Blog",
        excerpt="",
        created_at=datetime(2026, 11, 20, 10, 0),
        published=None,
    )
    accepted = Suggestion(
        **make,
        title="Phi-5",
        url="https://example.org/phi-5",
        proposed_text="- 2026-11-20, Blog reports: Phi-5 tops math. [3]",
        reference="Blog. (2026). Phi-5. https://example.org/phi-5",
        status=SuggestionStatus.ACCEPTED,
        id=1,
    )
    pending = dataclasses.replace(
        accepted, id=2, status=SuggestionStatus.PENDING, url="https://example.org/p"
    )
    edition = render_edition(en, [accepted, pending], edition_date=DAY)
    lines = edition.split("\n")
    last_ref = en.references[-1].raw
    assert lines[lines.index(last_ref) + 1] == f"[3] {accepted.reference}"
    assert "> **Pending review**" in lines
    assert lines[-2:] == text.split("\n")[-2:]  # the closing "Updated:" line stays last


def _english_suggestion(**fields: Any) -> Suggestion:
    made: dict[str, Any] = dict(
        report="en",
        section="3",
        section_title="Outlook",
        kind=SuggestionKind.ADDITION,
        score=0.9,
        title="Phi-5",
        url="https://example.org/phi-5",
        published=None,
        source="Blog",
        excerpt="",
        proposed_text="Phi-5 tops math. [6]",
        created_at=datetime(2026, 11, 20, 10, 0),
        status=SuggestionStatus.ACCEPTED,
        reference="Blog. (2026). Phi-5. https://example.org/phi-5",
        id=1,
    )
    made.update(fields)
    return Suggestion(**made)


def test_edition_and_report_agree_on_the_reference_list():
    text = (ROOT / "tests" / "data" / "reports" / "english.md").read_text(encoding="utf-8")
    en = parse_report(text, report_id="en", path="english.md", language="en")
    wrapped = next(r for r in en.references if "\n" in r.raw)
    changed = _english_suggestion(
        kind=SuggestionKind.SOURCE_CHANGED, url=wrapped.url, proposed_text="", id=2
    )
    addition = _english_suggestion()
    edition = render_edition(en, [changed, addition], edition_date=DAY)
    reparsed = parse_report(edition, report_id="en", path="e.md", language="en")
    numbers = [r.number for r in en.references]
    assert [r.number for r in reparsed.references] == [*numbers, max(numbers) + 1]
    # The note goes at the end of the wrapped entry; the entry after it is untouched.
    note = " (source updated 2026-11-20)"
    at = numbers.index(wrapped.number)
    assert reparsed.references[at].raw == wrapped.raw + note
    assert reparsed.references[at + 1] == en.references[at + 1]
    # The new entry follows the last one, in its style ("[5]: …" → "[6]: …").
    assert en.references[-1].raw.startswith("[5]: ")
    lines = edition.split("\n")
    assert lines[lines.index(en.references[-1].raw) + 1] == f"[6]: {addition.reference}"
    assert reparsed.references[-1].url == addition.url


def test_an_addition_continues_a_list_whose_last_item_runs_on():
    markdown = (
        "# T\n\n## 1. Agents\n\n- first item [1]\n- second item, its line\n"
        "running on lazily [1]\n\n---\n\n## References\n\n1. X. https://example.org/x\n"
    )
    en = parse_report(markdown, report_id="en", path="r.md", language="en")
    addition = _english_suggestion(section="1", proposed_text="- third item [2]")
    lines = render_edition(en, [addition], edition_date=DAY).split("\n")
    at = lines.index("- third item [2]")
    assert lines[at - 1] == "running on lazily [1]"  # the same list, no blank line
    assert lines[at + 1 : at + 3] == ["", "---"]
    paragraph = _english_suggestion(section="1", proposed_text="A paragraph of its own. [2]")
    lines = render_edition(en, [paragraph], edition_date=DAY).split("\n")
    at = lines.index("A paragraph of its own. [2]")
    assert lines[at - 2 : at] == ["running on lazily [1]", ""]


# --------------------------------------------------------------------------
# diffs


def test_unified_diff_shows_exactly_the_accepted_insertion(report, fixtures):
    accepted = fixtures[7]
    edition = render_edition(report, [accepted, fixtures[8]], edition_date=DAY)
    diff = unified_diff(report.markdown, edition, from_name="report.md", to_name="editions/x.md")
    number = max(r.number for r in report.references) + 1
    assert _changed_lines(diff, "+") == [
        f"{_marker_stripped(accepted.proposed_text)} [{number}]",
        f"{number}. {accepted.reference}",
    ]
    assert _changed_lines(diff, "-") == []
    assert unified_diff(edition, edition, from_name="a", to_name="b") == ""


_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr"})


class _Collector(HTMLParser):
    """What the page holds: tags, attributes, text inside ``<ins>``/``<del>``, and where.

    Also checks the markup is well-formed: every end tag closes the innermost
    open element.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.texts: dict[str, list[str]] = {"ins": [], "del": []}
        self.all_text: list[str] = []
        self.main_text: list[str] = []
        self.lang: str | None = None
        self.misnested: list[str] = []
        # For each <ins>/<del>: the heading it follows and the list it sits in.
        self.places: dict[str, list[tuple[str, int | None]]] = {"ins": [], "del": []}
        self.heading = ""
        self.lists: list[int] = []
        self.list_count = 0
        self.list_items: list[tuple[int, str]] = []  # (list number, item text)
        self.element_text: dict[str, list[str]] = {}  # tag -> texts of such elements

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in _VOID:
            return
        self.stack.append(tag)
        self.element_text.setdefault(tag, []).append("")
        if tag in ("ul", "ol"):
            self.list_count += 1
            self.lists.append(self.list_count)
        if tag == "li":
            self.list_items.append((self.lists[-1] if self.lists else 0, ""))
        if re.fullmatch(r"h[1-6]", tag) and "main" in self.stack:
            self.heading = ""
        if tag in self.texts and "main" in self.stack:
            self.texts[tag].append("")
            self.places[tag].append((self.heading, self.lists[-1] if self.lists else None))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.misnested.append(tag)
            return
        self.stack.pop()
        if tag in ("ul", "ol"):
            self.lists.pop()

    def handle_data(self, data: str) -> None:
        self.all_text.append(data)
        if "main" not in self.stack:
            return
        self.main_text.append(data)
        for tag in set(self.stack):
            if tag in self.element_text:
                self.element_text[tag][-1] += data
        if any(re.fullmatch(r"h[1-6]", t) for t in self.stack):
            self.heading += data
        if "li" in self.stack:
            number, text = self.list_items[-1]
            self.list_items[-1] = (number, text + data)
        for tag in ("ins", "del"):
            if tag in self.stack:
                self.texts[tag][-1] += data


def _parse_html(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    collector.close()
    assert collector.misnested == [] and collector.stack == []
    return collector


def _main_changes(collector: _Collector, tag: str) -> list[str]:
    return [t for t in collector.texts[tag] if t]


_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def _item_text(markdown_line: str) -> str:
    """A list item's text as shown: without its bullet or number."""
    return _LIST_MARKER.sub("", markdown_line)


def test_html_highlights_exactly_the_accepted_insertion(report, fixtures):
    accepted = fixtures[7]
    edition = render_edition(report, [accepted], edition_date=DAY)
    page = render_html(
        edition, report.markdown, title=report.title, edition_date=DAY, language="zh"
    )
    parsed = _parse_html(page)
    number = max(r.number for r in report.references) + 1
    inserted = [t.strip() for t in _main_changes(parsed, "ins")]
    # list items are shown without their "- " / "7. " markers (the number is the <li value>)
    assert inserted == [
        _item_text(f"{_marker_stripped(accepted.proposed_text)} [{number}]"),
        accepted.reference,
    ]
    assert ("li", {"class": "ins", "value": str(number)}) in parsed.attrs
    assert _main_changes(parsed, "del") == []
    assert parsed.lang == "zh"


def test_hostile_feed_text_is_escaped_in_the_html(report, fixtures):
    hostile = fixtures[14]
    edition = render_edition(report, [hostile], edition_date=DAY)
    page = render_html(
        edition, report.markdown, title=hostile.title, edition_date=DAY, language="zh"
    )
    parsed = _parse_html(page)
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert "b" not in parsed.tags
    text = "".join(parsed.all_text)
    assert "<script>alert(1)</script>" in text
    assert "<img src=x onerror=alert(2)>" in text
    assert hostile.title in text  # the page title, as text
    # the Markdown itself neutralises the markup for other Markdown renderers
    assert "<script>" not in edition and "\\<script\\>" in edition


@pytest.mark.parametrize(
    ("old_clause", "new_clause"),
    [
        ("训练成本仅约550万美元", "训练成本约600万美元"),
        # two edits with an unchanged run between them: still one phrase
        ("NVIDIA市值一度缩水5930亿美元", "NVIDIA市值曾一度缩水约6000亿美元"),
    ],
)
def test_html_groups_a_chinese_edit_into_a_phrase(report, old_clause, new_clause):
    assert old_clause in report.markdown
    edited = report.markdown.replace(old_clause, new_clause)
    parsed = _parse_html(
        render_html(edited, report.markdown, title=report.title, edition_date=DAY, language="zh")
    )
    # the whole clause between the surrounding punctuation (or citation), once each way
    line = next(ln for ln in report.markdown.split("\n") if old_clause in ln)
    clause = next(c for c in re.split(r"[，。—\[]", line) if old_clause in c)
    assert _main_changes(parsed, "del") == [clause]
    assert _main_changes(parsed, "ins") == [clause.replace(old_clause, new_clause)]


def test_html_without_previous_has_no_highlighting(report):
    parsed = _parse_html(
        render_html(report.markdown, None, title=report.title, edition_date=DAY, language="zh")
    )
    assert _main_changes(parsed, "ins") == [] and _main_changes(parsed, "del") == []
    assert report.sections[3].title in "".join(parsed.all_text)


def _page(edition: str, previous: str | None, title: str = "t") -> _Collector:
    return _parse_html(render_html(edition, previous, title=title, edition_date=DAY, language="zh"))


def _markdown_tables(markdown: str) -> list[list[list[str]]]:
    """Each pipe table of the Markdown as rows of cells (delimiter row included)."""
    tables: list[list[list[str]]] = []
    previous = ""
    for line in markdown.split("\n"):
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append([c.strip() for c in line.strip().strip("|").split("|")])
        previous = line
    return tables


def test_html_renders_markdown_as_elements(report, fixtures):
    pending = fixtures[9]
    edition = render_edition(report, [pending], edition_date=DAY)
    parsed = _page(edition, None)
    main = "".join(parsed.main_text)
    # **bold**, `code` and [text](<url>) become elements, their markup disappears
    assert "待审更新" in parsed.element_text["strong"]
    assert f"tracker accept {pending.id}" in parsed.element_text["code"]
    anchors = [a for tag, a in parsed.attrs if tag == "a"]
    assert {"href": pending.url, "rel": "nofollow noopener"} in anchors
    assert pending.title in parsed.element_text["a"]
    assert "**" not in main and "`" not in main and "](" not in main
    # the ranking table is a real table with the report's header and cells
    tables = _markdown_tables(report.markdown)
    assert len(tables) >= 2 and parsed.tags.count("table") == len(tables)
    assert parsed.element_text["th"] == [cell for t in tables for cell in t[0]]
    assert parsed.element_text["td"] == [cell for t in tables for row in t[2:] for cell in row]
    assert "|" not in main
    # headings keep their level; bullets and references are list items without markers
    for section in report.sections:
        assert section.title in parsed.element_text[f"h{section.level}"]
    assert not any(_LIST_MARKER.match(text) for _, text in parsed.list_items)
    assert [a for tag, a in parsed.attrs if tag == "li" and "value" in a] == [
        {"value": str(r.number)} for r in report.references
    ]
    assert "hr" in parsed.tags and "blockquote" in parsed.tags


def test_setext_headings_are_headings_in_the_html_as_in_the_report():
    markdown = (
        "Small report\n============\n\nIntro.\n\nFirst part\n----------\n\nText [1].\n\n"
        "## Second part\n\nMore.\n"
    )
    report = parse_report(markdown, report_id="r", path="r.md", language="en")
    parsed = _page(markdown, None)
    assert parsed.element_text["h1"] == [report.title] == ["Small report"]
    assert parsed.element_text["h2"] == [s.title for s in report.sections]
    assert "hr" not in parsed.tags
    assert not any(set(t) <= set("=-") for t in parsed.element_text["p"])


def test_hostile_markup_and_links_stay_text(fixtures, report):
    hostile = fixtures[14]
    edition = render_edition(report, [hostile], edition_date=DAY)
    extra = (
        "\n\n[click me](javascript:alert(1)) [and me](<JaVaScRiPt:alert(2)>)"
        " [data](data:text/html,hi) <javascript:alert(3)>"
        ' [quote](<https://example.org/a"onmouseover="alert(4)>)'
        " [mail](mailto:editor@example.org) <b onclick=x>bold</b> &lt;i&gt;\n"
    )
    parsed = _page(edition + extra, report.markdown, title=hostile.title)
    assert not {"script", "img", "b", "i"} & set(parsed.tags)
    hrefs = [a.get("href") or "" for tag, a in parsed.attrs if tag == "a"]
    assert hrefs and all(h.startswith(("http://", "https://", "mailto:")) for h in hrefs)
    assert 'https://example.org/a"onmouseover="alert(4)' in hrefs  # one attribute value
    assert "mailto:editor@example.org" in hrefs
    allowed = {"href", "rel", "class", "value", "lang", "charset", "name", "content"}
    assert {name for _, a in parsed.attrs for name in a} <= allowed
    main = "".join(parsed.main_text)
    for shown in ("<img src=x onerror=alert(2)>", "<script>alert(1)</script>", "click me"):
        assert shown in main
    assert "<b onclick=x>bold</b>" in main and "&lt;i&gt;" in main
    assert "javascript:alert(3)" in main  # an unlinkable autolink stays as its text


def test_accepted_suggestion_is_inserted_into_its_sections_list(report, fixtures):
    accepted = fixtures[7]
    before = render_edition(
        report, [_with_status(accepted, SuggestionStatus.PENDING)], edition_date=DAY
    )
    after = render_edition(report, [accepted], edition_date=DAY)
    parsed = _page(after, before)
    number = max(r.number for r in report.references) + 1
    expected = _item_text(f"{_marker_stripped(accepted.proposed_text)} [{number}]")
    at = _main_changes(parsed, "ins").index(expected)
    heading, list_number = parsed.places["ins"][at]
    section = report.section(accepted.section)
    assert section is not None and heading == section.title
    assert list_number is not None
    # the same list as the section's existing bullets, after the last of them
    last_bullet = [
        ln
        for ln in _section_lines(report.markdown, report.id, accepted.section)
        if ln.startswith("- ")
    ][-1]
    items = parsed.list_items
    last = items.index((list_number, _item_text(last_bullet)))
    assert items[last + 1] == (list_number, expected)
    # the pending block it came from is shown wholly deleted
    deleted = "".join(_main_changes(parsed, "del"))
    assert "待审更新" in deleted and accepted.title in deleted
    assert all(h.startswith(accepted.section) for h, _ in parsed.places["del"])


def test_new_pending_block_is_wholly_inserted(report, fixtures):
    pending = fixtures[9]
    edition = render_edition(report, [pending], edition_date=DAY)
    page = render_html(edition, report.markdown, title="t", edition_date=DAY, language="zh")
    parsed = _parse_html(page)
    (quote,) = parsed.element_text["blockquote"]
    inserted = "".join(_main_changes(parsed, "ins"))
    assert quote.strip() and "".join(quote.split()) == "".join(inserted.split())
    assert pending.title in inserted and "待审更新" in inserted
    assert _main_changes(parsed, "del") == []
    assert '<blockquote class="ins">' in page
    assert all(h.startswith(pending.section) for h, _ in parsed.places["ins"])


def test_markup_spanning_an_edit_stays_well_formed():
    previous = (
        "# T\n\nSee **the old bold claim** in [the first report](<https://example.org/a>)"
        " and `run old`.\n\n- one\n  - nested\n- two\n"
    )
    current = (
        "# T\n\nSee **the new bold** claim in [the second report](<https://example.org/b>)"
        " and `run new`.\n\n- one\n  - nested, changed\n- two\n- three\n"
    )
    parsed = _page(current, previous)  # asserts proper nesting
    main = "".join(parsed.main_text)
    assert "**" not in main and "`" not in main
    assert "https://example.org/b" in [a.get("href") for t, a in parsed.attrs if t == "a"]
    assert any("new" in t for t in _main_changes(parsed, "ins"))
    assert any("old" in t for t in _main_changes(parsed, "del"))
    assert "three" in _main_changes(parsed, "ins")
    # the nested item stays nested: a list inside a list item
    assert parsed.tags.count("ul") == 2


# --------------------------------------------------------------------------
# changelog


def test_changelog_entry_lists_suggestions_and_cited_changes(report, fixtures):
    cited = [
        CitedCheck(
            url=report.references[0].url, status=CitedStatus.OK, final_url=None, text_changed=True
        ),
        CitedCheck(
            url=report.references[1].url,
            status=CitedStatus.GONE,
            final_url=None,
            text_changed=False,
        ),
        CitedCheck(
            url=report.references[2].url,
            status=CitedStatus.REDIRECTED,
            final_url="https://example.org/moved",
            text_changed=False,
        ),
        CitedCheck(
            url=report.references[3].url, status=CitedStatus.OK, final_url=None, text_changed=False
        ),
    ]
    entry = changelog_entry(report, day=DAY, suggestions=[fixtures[9], fixtures[7]], cited=cited)
    lines = entry.splitlines()
    assert lines[0] == f"## {DAY.isoformat()}"
    items = [ln for ln in lines if ln.startswith("- ")]
    for s in (fixtures[7], fixtures[9]):
        (line,) = [ln for ln in items if f"(<{s.url}>)" in ln]
        assert line.startswith(f"- {s.section} {s.section_title}")
        assert s.title in line
    # id order
    assert items.index(next(ln for ln in items if fixtures[7].url in ln)) < items.index(
        next(ln for ln in items if fixtures[9].url in ln)
    )
    for check in cited[:3]:
        assert any(check.url in ln for ln in items)
    assert not any(cited[3].url in ln for ln in items)
    assert any("https://example.org/moved" in ln for ln in items)


def test_changelog_is_newest_first_and_same_day_reruns_do_not_duplicate(report, fixtures):
    older = changelog_entry(report, day=date(2026, 11, 18), suggestions=[fixtures[9]], cited=[])
    newer = changelog_entry(report, day=date(2026, 11, 20), suggestions=[fixtures[7]], cited=[])
    log = prepend_changelog(None, older, title="更新记录")
    log = prepend_changelog(log, newer, title="更新记录")
    headings = [ln for ln in log.splitlines() if ln.startswith("#")]
    assert headings[0] == "# 更新记录"
    dated = [h for h in headings if h.startswith("## ")]
    assert dated == ["## 2026-11-20", "## 2026-11-18"]
    assert prepend_changelog(log, newer, title="更新记录") == log
    # a second, different refresh on the same day is stacked on top
    again = changelog_entry(report, day=date(2026, 11, 20), suggestions=[fixtures[11]], cited=[])
    stacked = prepend_changelog(log, again, title="更新记录")
    assert [h for h in stacked.splitlines() if h.startswith("## ")] == [
        "## 2026-11-20",
        "## 2026-11-20",
        "## 2026-11-18",
    ]
    assert stacked.index(fixtures[11].url) < stacked.index(fixtures[7].url)


_A, _B, _C = "https://a.example/p", "https://b.example/p", "https://c.example/p"
_GONE = CitedCheck(_A, CitedStatus.GONE, None, False)
_MOVED_B = CitedCheck(_A, CitedStatus.REDIRECTED, _B, False)
_MOVED_C = CitedCheck(_A, CitedStatus.REDIRECTED, _C, False)
_CHANGED = CitedCheck(_A, CitedStatus.OK, None, True)
_MOVED_B_CHANGED = CitedCheck(_A, CitedStatus.REDIRECTED, _B, True)


@pytest.mark.parametrize(
    ("check", "last_reported", "listed"),
    [
        pytest.param(_GONE, None, True, id="gone-first-time"),
        pytest.param(_GONE, _GONE, False, id="still-gone"),
        pytest.param(_GONE, _MOVED_B, True, id="moved-then-gone"),
        pytest.param(_MOVED_B, _MOVED_B, False, id="still-moved-there"),
        pytest.param(_MOVED_C, _MOVED_B, True, id="moved-elsewhere"),
        pytest.param(_MOVED_B, _MOVED_B_CHANGED, False, id="move-reported-with-new-text"),
        pytest.param(_MOVED_B, _CHANGED, True, id="changed-then-moved"),
        pytest.param(_CHANGED, _CHANGED, True, id="a-new-text-each-time"),
        pytest.param(CitedCheck(_A, CitedStatus.OK, None, False), None, False, id="no-change"),
        pytest.param(
            CitedCheck(_A, CitedStatus.UNREACHABLE, None, False), None, False, id="unreachable"
        ),
    ],
)
def test_a_cited_change_is_listed_unless_the_changelog_last_said_the_same(
    check: CitedCheck, last_reported: CitedCheck | None, listed: bool
) -> None:
    reported = {_A: last_reported} if last_reported else {}
    # Another URL's report says nothing about this one, even when one URL starts the other.
    reported[_A + "x"] = CitedCheck(_A + "x", check.status, check.final_url, False)
    assert unreported_cited([check], reported) == ([check] if listed else [])


# --------------------------------------------------------------------------
# files and publishing


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_write_atomic_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "out" / "edition.md"
    write_atomic(target, "第一版\n")
    write_atomic(target, "第二版\n")
    assert target.read_text(encoding="utf-8") == "第二版\n"
    assert _files(tmp_path) == ["edition.md"]
    blocked = tmp_path / "out" / "adir"
    blocked.mkdir()
    with pytest.raises(RenderError):
        write_atomic(blocked, "x")
    assert _files(tmp_path) == ["edition.md"]


@dataclasses.dataclass
class _Store:
    """What the store keeps for the publish stage, for one test folder."""

    editions: list[EditionToRecord] = dataclasses.field(default_factory=list)
    entries: list[EntryToRecord] = dataclasses.field(default_factory=list)  # id: index + 1
    written: set[int] = dataclasses.field(default_factory=set)
    announced: tuple[frozenset[int], frozenset[int]] = (frozenset(), frozenset())

    def record_entry(self, entry: EntryToRecord) -> int:
        self.entries.append(entry)
        self.announced = (entry.pending, entry.merged)
        return len(self.entries)

    def record(self, edition: EditionToRecord) -> None:
        self.editions.append(edition)
        self.announced = (edition.pending, edition.merged)


_STORES: dict[Path, _Store] = {}


def _publish(report: Report, suggestions: Iterable[Suggestion], tmp: Path, day: date, **kw):
    """``write_edition`` as the publish stage calls it, with lists for the store."""
    store = _STORES.setdefault(tmp, _Store())
    # The last record: the latest day, the latest recorded among equals.
    last = sorted(store.editions, key=lambda e: e.day)[-1] if store.editions else None
    args: dict[str, Any] = dict(
        new_suggestions=[],
        cited=[],
        editions_dir=tmp / "editions",
        changelog_path=tmp / "CHANGELOG.md",
        previous_edition=last.path if last else None,
        previously_pending=store.announced[0],
        previously_merged=store.announced[1],
        # What the changelog last said about each URL: the latest entry's line wins.
        reported_cited={c.url: c for entry in store.entries for c in entry.cited},
        unwritten=[
            UnwrittenEntry(i, e.text)
            for i, e in enumerate(store.entries, 1)
            if i not in store.written
        ],
        day=day,
        record_entry=store.record_entry,
        entry_written=store.written.add,
        record=store.record,
    )
    args.update(kw)
    return write_edition(report, list(suggestions), **args)


def test_publish_writes_nothing_when_nothing_changed(report, fixtures, tmp_path):
    result = _publish(report, [fixtures[8]], tmp_path, DAY)
    assert not result.changed
    assert _files(tmp_path) == []


def test_publish_then_accept_and_reject_next_day(report, fixtures, tmp_path):
    day1, day2 = date(2026, 11, 20), date(2026, 11, 21)
    first = [
        _with_status(fixtures[7], SuggestionStatus.PENDING),
        _with_status(fixtures[8], SuggestionStatus.PENDING),
    ]
    result = _publish(report, first, tmp_path, day1, new_suggestions=first)
    assert result.changed and result.edition_md and result.edition_html and result.edition_diff
    assert _files(tmp_path) == [
        "2026-11-20.diff",
        "2026-11-20.html",
        "2026-11-20.md",
        "CHANGELOG.md",
    ]
    # same inputs again: nothing new
    assert not _publish(report, first, tmp_path, day1).changed

    second = [fixtures[7], fixtures[8]]  # 7 accepted, 8 rejected
    result = _publish(report, second, tmp_path, day2)
    assert result.changed and result.edition_md is not None
    edition = result.edition_md.read_text(encoding="utf-8")
    assert edition == render_edition(report, second, edition_date=day2)
    diff = (tmp_path / "editions" / "2026-11-21.diff").read_text(encoding="utf-8")
    number = max(r.number for r in report.references) + 1
    assert _changed_lines(diff, "+") == [
        f"{_marker_stripped(fixtures[7].proposed_text)} [{number}]",
        f"{number}. {fixtures[7].reference}",
    ]
    day1_text = (tmp_path / "editions" / "2026-11-20.md").read_text(encoding="utf-8")
    assert _changed_lines(diff, "-") == [ln for ln in day1_text.split("\n") if ln.startswith(">")]
    log = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    dated = [ln for ln in log.splitlines() if ln.startswith("## ")]
    assert dated == ["## 2026-11-21", "## 2026-11-20"]
    newest = log.split("## 2026-11-20")[0]
    assert "已采纳" in newest and "已拒绝" in newest


def test_second_publish_same_day_diffs_against_the_previous_day(report, fixtures, tmp_path):
    day1, day2 = date(2026, 11, 20), date(2026, 11, 21)
    _publish(report, [fixtures[9]], tmp_path, day1, new_suggestions=[fixtures[9]])
    _publish(report, [fixtures[9], fixtures[7]], tmp_path, day2, new_suggestions=[fixtures[7]])
    result = _publish(
        report,
        [fixtures[9], fixtures[7], fixtures[11]],
        tmp_path,
        day2,
        new_suggestions=[fixtures[11]],
    )
    assert result.changed
    diff = (tmp_path / "editions" / "2026-11-21.diff").read_text(encoding="utf-8")
    assert diff.splitlines()[0].startswith("--- editions/2026-11-20.md")
    added = _changed_lines(diff, "+")
    assert any(fixtures[7].url in ln for ln in added) and any(
        fixtures[11].url in ln for ln in added
    )
    assert _files(tmp_path / "editions") == [
        "2026-11-20.diff", "2026-11-20.html", "2026-11-20.md",
        "2026-11-21.diff", "2026-11-21.html", "2026-11-21.md",
    ]  # fmt: skip


def test_publish_interrupted_before_the_edition_is_completed_by_a_rerun(report, fixtures, tmp_path):
    new = [fixtures[9]]
    first = _publish(report, new, tmp_path, DAY, new_suggestions=new)
    assert first.edition_md is not None
    log_before = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    first.edition_md.unlink()  # killed after recording, before the final write: .md missing
    rerun = _publish(report, new, tmp_path, DAY, new_suggestions=new)
    assert rerun.edition_md is not None and rerun.edition_md.exists()
    assert (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8") == log_before


def test_publish_reports_a_gone_source_once(report, tmp_path):
    gone = [
        CitedCheck(
            url=report.references[1].url,
            status=CitedStatus.GONE,
            final_url=None,
            text_changed=False,
        )
    ]
    first = _publish(report, [], tmp_path, date(2026, 11, 20), cited=gone)
    assert first.changed and first.changelog is not None and first.edition_md is None
    again = _publish(report, [], tmp_path, date(2026, 11, 21), cited=gone)
    assert not again.changed


def test_the_edition_is_recorded_after_its_other_files_and_before_its_md(
    report, fixtures, tmp_path
):
    seen: list[tuple[list[str], EditionToRecord]] = []

    def record(edition: EditionToRecord) -> None:
        seen.append((_files(tmp_path), edition))

    new = [fixtures[9], fixtures[11]]
    result = _publish(
        report, [*new, fixtures[8]], tmp_path, DAY, new_suggestions=new, record=record
    )
    assert result.edition_md is not None
    ((files, edition),) = seen
    assert files == ["2026-11-20.diff", "2026-11-20.html", "CHANGELOG.md"]
    assert (edition.path, edition.day) == (result.edition_md, DAY)
    assert edition.text == result.edition_md.read_text(encoding="utf-8")
    # By status: 9 pending, 11 accepted (merged); 8 was rejected and is not shown.
    assert (edition.pending, edition.merged) == (frozenset({9}), frozenset({11}))


def test_an_edition_whose_record_failed_is_not_marked_complete(report, fixtures, tmp_path):
    def fail(edition: EditionToRecord) -> None:
        raise RuntimeError("the store is gone")

    new = [fixtures[9]]
    with pytest.raises(RuntimeError):
        _publish(report, new, tmp_path, DAY, new_suggestions=new, record=fail)
    assert not (tmp_path / "editions" / "2026-11-20.md").exists()
    log_before = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    rerun = _publish(report, new, tmp_path, DAY, new_suggestions=new)
    assert rerun.edition_md is not None and rerun.edition_md.exists()
    assert (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8") == log_before


def test_what_the_changelog_lists_follows_the_record_not_the_files(report, fixtures, tmp_path):
    pending = [_with_status(fixtures[7], SuggestionStatus.PENDING)]
    _publish(report, pending, tmp_path, date(2026, 11, 20), new_suggestions=pending)
    log = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    # The edition files are lost; the record still says 7 was shown pending.
    for path in (tmp_path / "editions").iterdir():
        path.unlink()
    again = _publish(report, pending, tmp_path, date(2026, 11, 21))
    assert again.edition_md is not None  # the edition is written again ...
    assert (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8") == log  # ... not announced
    # Once decided, 7 is announced, and the addition it became is not announced again.
    accepted = [fixtures[7]]
    _publish(report, accepted, tmp_path, date(2026, 11, 22))
    newest = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8").split("## 2026-11-20")[0]
    assert "## 2026-11-22" in newest and "已采纳" in newest and fixtures[7].url in newest
    log = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert not _publish(report, accepted, tmp_path, date(2026, 11, 23)).changed
    assert (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8") == log


def test_an_entry_killed_before_the_file_got_it_is_written_next_time_under_its_own_date(
    report, fixtures, tmp_path
):
    day1, day2 = date(2026, 11, 20), date(2026, 11, 21)
    store = _STORES.setdefault(tmp_path, _Store())
    pending = [_with_status(fixtures[7], SuggestionStatus.PENDING)]

    def killed_once_recorded(entry: EntryToRecord) -> int:
        store.record_entry(entry)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _publish(report, pending, tmp_path, day1, new_suggestions=pending,
                 record_entry=killed_once_recorded)  # fmt: skip
    assert not (tmp_path / "CHANGELOG.md").exists()

    accepted = [fixtures[7]]  # decided before the next refresh, a day later
    assert _publish(report, accepted, tmp_path, day2).changed
    log = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert [ln for ln in log.splitlines() if ln.startswith("## ")] == [
        "## 2026-11-21",
        "## 2026-11-20",
    ]
    newer, older = log.split("## 2026-11-20")
    assert "已采纳" in newer and "待审" in older and fixtures[7].url in older
    assert store.written == {1, 2}
    assert not _publish(report, accepted, tmp_path, day2 + timedelta(days=1)).changed


def test_an_entry_killed_before_it_was_marked_written_is_not_written_again(
    report, fixtures, tmp_path
):
    day1, day2 = date(2026, 11, 20), date(2026, 11, 21)
    pending = [_with_status(fixtures[7], SuggestionStatus.PENDING)]
    gone = [CitedCheck(report.references[1].url, CitedStatus.GONE, None, False)]

    def killed(entry_id: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _publish(report, pending, tmp_path, day1, new_suggestions=pending, cited=gone,
                 entry_written=killed)  # fmt: skip
    log = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## 2026-11-20" in log and report.references[1].url in log

    rerun = _publish(report, pending, tmp_path, day2, cited=gone)  # still gone a day later
    assert rerun.edition_md is not None and rerun.edition_md.name == "2026-11-21.md"
    assert (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8") == log
    assert _STORES[tmp_path].written == {1}
