"""Report model: sections, ids, citations and the reference list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracker.citations import citations_in
from tracker.errors import ReportError
from tracker.markdown import parse_blocks
from tracker.report import (
    load_report,
    parse_report,
    reference_entries,
    report_date,
)

ROOT = Path(__file__).resolve().parents[1]
SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
ENGLISH = Path(__file__).parent / "data" / "reports" / "english.md"


@pytest.fixture(scope="module")
def seed():
    return load_report(SEED, report_id="ai-2024-2025", language="zh")


@pytest.fixture(scope="module")
def english():
    return load_report(ENGLISH, report_id="open-models", language="en")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def test_seed_title_and_sections(seed):
    assert seed.title == _lines(SEED)[0].lstrip("# ").strip()
    ids = [s.id for s in seed.sections]
    assert len(ids) == len(set(ids))
    # Every "## 一、…" chapter is numbered from its Chinese numeral.
    numerals = "一二三四五六七八九"
    for i, numeral in enumerate(numerals, start=1):
        section = seed.section(str(i))
        assert section is not None and section.title.startswith(f"{numeral}、")
        assert section.level == 2 and section.parent_id is None
    assert "编码智能体" in seed.section("3.2").title
    assert seed.section("3.2").parent_id == "3"
    assert seed.section("6.1").citations == (3,)
    assert seed.section("2.1").citations == (1, 2)


def test_seed_unnumbered_abstract_gets_position_id(seed):
    first = seed.sections[0]
    assert first.title == "摘要"
    assert first.id == "x1"  # position 1 among siblings that are otherwise numbered
    assert first.citations == ()


def test_seed_line_spans_match_the_file(seed):
    lines = _lines(SEED)
    for section in seed.sections:
        assert lines[section.start_line].lstrip("#").strip() == section.title
        body = "\n".join(lines[section.start_line + 1 : section.end_line]).strip()
        assert body == section.text
    table = seed.section("5.1")
    assert "| 1 | GLM-4.7 | 智谱AI |" in table.text
    assert "- Claude Code（Anthropic）[1]" in seed.section("3.2").text
    # The separator "---" after a section is not part of its body.
    assert not seed.section("2.3").text.endswith("---")


def test_seed_references(seed):
    urls = re.findall(r"^\d+\. .*?(https://\S+)$", SEED.read_text(encoding="utf-8"), re.M)
    assert len(urls) == 5
    assert [r.number for r in seed.references] == [1, 2, 3, 4, 5]
    assert [r.url for r in seed.references] == urls
    assert seed.references[0].title == "2025: The year in LLMs"
    assert seed.references[2].title == "Meet the new biologists treating LLMs like aliens"
    assert seed.references[3].title.endswith("Claude Opus 4.5")
    assert all(r.raw.startswith(f"{r.number}. ") for r in seed.references)
    # The reference list is not a section, and the footer is not an entry.
    assert all("参考文献" not in s.title for s in seed.sections)
    assert _lines(SEED)[seed.references_start_line] == "## 参考文献"


def test_seed_report_date(seed):
    assert str(report_date(seed)) == "2026-02-11"


def test_english_numbering_styles(english):
    by_title = {s.title: s for s in english.sections}
    assert by_title["1. Introduction"].id == "1"
    assert by_title["1.1 Scope"].id == "1.1" and by_title["1.1 Scope"].parent_id == "1"
    assert by_title["II. Releases"].id == "2"
    assert by_title["3. Outlook"].id == "3"
    # Unnumbered headings among numbered siblings: "x<position>".
    assert by_title["Executive Summary"].id == "x1"
    assert by_title["Background"].id == "x3"
    assert by_title["Tooling"].id == "x5"  # a setext heading
    # Unnumbered children of a numbered chapter, none of them numbered: plain positions.
    assert by_title["Notable models"].id == "2.1"
    assert by_title["Licences"].id == "2.2"


def test_english_citation_forms(english):
    by_title = {s.title: s for s in english.sections}
    assert by_title["Executive Summary"].citations == (1, 3)  # [1][3]
    assert by_title["1. Introduction"].citations == (1, 2)  # [1, 2]
    assert by_title["1.1 Scope"].citations == (2, 3, 4)  # [2-4]
    assert by_title["3. Outlook"].citations == (1, 2)  # [1–2]
    # "[9]" inside a fenced code block is neither a citation nor a heading.
    assert by_title["Licences"].citations == (1, 4)
    assert all("Not a heading" not in s.title for s in english.sections)
    assert "| GLM-4.7 | Zhipu [1] |" in by_title["Notable models"].text


def test_english_references(english):
    refs = {r.number: r for r in english.references}
    assert sorted(refs) == [1, 2, 3, 4, 5]
    assert refs[1].title == "2025: The year in LLMs"
    assert (
        refs[2].title == "A survey of open models" and refs[2].url == "https://example.org/survey"
    )
    assert refs[3].title == "Kimi K2 release notes"
    assert refs[3].url == "https://example.com/kimi-k2?utm_source=rss"
    assert refs[4].title == "Licensing open weights"  # wrapped over two lines
    assert refs[4].url == "https://example.net/licensing"
    assert refs[5].url == "https://example.org/open-weights-vs-open-source"
    assert str(report_date(english)) == "2026-03-01"


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("## 十一、十一章", "11"),
        ("## 二十、二十章", "20"),
        ("## 九十九、最后", "99"),
        ("## 第三章 方法", "3"),
        ("## IV. Four", "4"),
        ("## XIV) Fourteen", "14"),
        ("## 12 Twelve", "12"),
        ("## 2024 in review", "x2"),  # a year is not a section number
        ("## I think so", "x2"),  # "I" without a dot is a word
    ],
)
def test_heading_numbers(heading, expected):
    markdown = f"# T\n\n## 一、First\n\n{heading}\n\nbody\n"
    report = parse_report(markdown, report_id="r", path="r.md", language="zh")
    assert report.sections[1].id == expected


def test_relative_child_numbers():
    markdown = (
        "## 2. Two\n\n### 1. One\n\n### 2. Two\n\n## 三、三\n\n### （一）甲\n\n### （二）乙\n"
    )
    report = parse_report(markdown, report_id="r", path="r.md", language="en")
    assert [s.id for s in report.sections] == ["2", "2.1", "2.2", "3", "3.1", "3.2"]
    assert report.title == ""


def test_duplicate_numbers_do_not_collide():
    markdown = "## 1. A\n\n## 1. B\n"
    report = parse_report(markdown, report_id="r", path="r.md", language="en")
    assert [s.id for s in report.sections] == ["1", "x2"]


def test_all_unnumbered_siblings_are_positions():
    markdown = "# Title\n\n## Alpha\n\ntext\n\n### Deep\n\n## Beta\n\n## Gamma\n"
    report = parse_report(markdown, report_id="r", path="r.md", language="en")
    assert [(s.id, s.parent_id) for s in report.sections] == [
        ("1", None), ("1.1", "1"), ("2", None), ("3", None)
    ]  # fmt: skip


def test_citation_forms():
    assert citations_in("a[1] b[1,2] c[3][5] d［6］ e[7-9] f[10, 11]") == (
        1,
        2,
        3,
        5,
        6,
        7,
        8,
        9,
        10,
        11,
    )
    assert citations_in("[x] [a link](http://e.org) [1]: http://e.org") == ()
    assert citations_in("[2-1000]") == (2, 1000)  # not expanded into a thousand numbers


def test_load_errors_name_the_path(tmp_path):
    missing = tmp_path / "missing.md"
    with pytest.raises(ReportError, match=r"missing\.md"):
        load_report(missing, report_id="r", language="zh")
    empty = tmp_path / "empty.md"
    empty.write_text("just text, no headings\n", encoding="utf-8")
    with pytest.raises(ReportError, match=r"empty\.md"):
        load_report(empty, report_id="r", language="zh")
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\xff\xfe\xfa bad")
    with pytest.raises(ReportError, match=r"binary\.md"):
        load_report(binary, report_id="r", language="zh")


def test_crlf_and_bom(tmp_path):
    path = tmp_path / "r.md"
    path.write_bytes(
        "\ufeff# T\r\n\r\n## 1. A\r\n\r\ntext [1]\r\n\r\n## References\r\n\r\n1. X. https://e.org/x\r\n".encode()
    )
    report = load_report(path, report_id="r", language="en")
    assert report.title == "T"
    assert report.sections[0].text == "text [1]" and report.sections[0].citations == (1,)
    assert report.references[0].url == "https://e.org/x"


def test_headings_are_the_block_models_top_level_headings(seed, english):
    for report, path in ((seed, SEED), (english, ENGLISH)):
        blocks = parse_blocks(path.read_text(encoding="utf-8"))
        top = [b for b in blocks if b.kind == "heading" and b.quote == b.depth == 0]
        starts = [s.start_line for s in report.sections]
        assert starts == sorted(starts)
        assert set(starts) < {b.start_line for b in top}
        assert report.references_start_line in {b.start_line for b in top}


def test_only_the_documents_own_headings_are_sections():
    markdown = (
        "# T\n\n## 1. A\n\n> ## Quoted\n\n- ## Listed\n\n```\n## Fenced\n```\n\n"
        "Two lines of\nsetext heading\n---\n\nbody [2]\n"
    )
    report = parse_report(markdown, report_id="r", path="r.md", language="en")
    assert [(s.title, s.start_line) for s in report.sections] == [
        ("1. A", 2),
        ("Two lines of setext heading", 12),
    ]
    assert report.sections[0].text.startswith("> ## Quoted")
    assert report.sections[1].text == "body [2]" and report.sections[1].citations == (2,)


def test_citations_in_any_code_block_do_not_count():
    markdown = "## A\n\ntext [1]\n\n    indented code [8]\n\n~~~\n[9]\n~~~\n\n- `[7]` [2]\n"
    (section,) = parse_report(markdown, report_id="r", path="r.md", language="en").sections
    assert section.citations == (1, 2, 7)  # an inline code span is prose to the citation rule


def test_reference_entries_say_where_each_entry_is_written(seed, english):
    seed_lines = _lines(SEED)
    entries = reference_entries(seed)
    assert [e.number for e in entries] == [r.number for r in seed.references]
    for entry, reference in zip(entries, seed.references, strict=True):
        assert entry.first_line == entry.last_line
        assert seed_lines[entry.first_line] == reference.raw
        assert entry.prefix == f"{entry.number}. "
    lines = _lines(ENGLISH)
    entries = reference_entries(english)
    assert [e.prefix for e in entries] == ["[1] ", "[2] ", "3. ", "4) ", "[5]: "]
    wrapped = entries[3]
    assert lines[wrapped.last_line].strip().startswith("weights.")
    assert wrapped.last_line == wrapped.first_line + 1


def test_reference_list_forms():
    markdown = (
        "## A\n\nx\n\n## References\n\n"
        "1. Loose item.\n\n   https://a.org/one\n"
        "2. Next. https://b.org/two\n   - a note under it\n\n"
        "- [3] Bulleted. https://c.org/three\n"
        "[^4]: Footnote. https://d.org/four\n"
        "5、中文编号。https://e.org/five\n\n"
        "Not an entry: a footer.\n"
    )
    report = parse_report(markdown, report_id="r", path="r.md", language="en")
    assert [(r.number, r.url) for r in report.references] == [
        (1, "https://a.org/one"),
        (2, "https://b.org/two"),
        (3, "https://c.org/three"),
        (4, "https://d.org/four"),
        (5, "https://e.org/five"),
    ]
    assert report.references[0].raw == "1. Loose item.\n   https://a.org/one"
    assert report.references[1].raw.endswith("- a note under it")
    assert [e.prefix for e in reference_entries(report)] == [
        "1. ",
        "2. ",
        "- [3] ",
        "[^4]: ",
        "5、",
    ]
