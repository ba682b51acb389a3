"""Revisions and citations in the edition: merged when accepted, tracked changes while
pending, and ``~~strikethrough~~`` in the HTML.

Inputs are the real seed report and the suggestions in tests/data/render/edits.yaml;
every expectation is derived from those inputs.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

from tracker.config import Config, load_config
from tracker.markdown import parse_blocks
from tracker.refresh import run_refresh
from tracker.render import changelog_entry, render_edition, render_html, unified_diff
from tracker.render.inline import parse_inline
from tracker.report import parse_report
from tracker.store import open_store
from tracker.types import Report, Suggestion, SuggestionKind, SuggestionStatus

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "data" / "reports" / "seed.md"
DATA = ROOT / "tests" / "data" / "render"
DAY = date(2026, 11, 20)
DAY_1 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def report() -> Report:
    return parse_report(
        SEED.read_text(encoding="utf-8"),
        report_id="ai-2024-2025",
        path="reports/ai-2024-2025/report.md",
        language="zh",
    )


def load_edits() -> dict[int, Suggestion]:
    rows = yaml.safe_load((DATA / "edits.yaml").read_text(encoding="utf-8"))
    return {
        row["id"]: Suggestion(
            report="ai-2024-2025",
            section=row["section"],
            section_title=row["section_title"],
            kind=SuggestionKind(row["kind"]),
            score=0.8,
            title=row["title"],
            url=row["url"],
            published=datetime.fromisoformat(str(row["published"])),
            source=row["source"],
            excerpt=row["excerpt"],
            proposed_text=row["proposed_text"],
            created_at=datetime.fromisoformat(str(row["created_at"])),
            status=SuggestionStatus(row["status"]),
            reference=row["reference"],
            target=row["target"],
            id=row["id"],
        )
        for row in rows
    }


@pytest.fixture(scope="module")
def edits() -> dict[int, Suggestion]:
    return load_edits()


def pending(s: Suggestion, **changes: Any) -> Suggestion:
    return dataclasses.replace(s, status=SuggestionStatus.PENDING, **changes)


def numbered(text: str, number: int) -> str:
    """``text`` with its provisional marker (the seed's 5 + 1) as ``[number]``."""
    return text.replace("[6]", f"[{number}]")


def changed_lines(diff: str, sign: str) -> list[str]:
    return [
        ln[1:]
        for ln in diff.splitlines()
        if ln.startswith(sign) and not ln.startswith(sign * 3) and ln[1:].strip()
    ]


def review_items(edition: str) -> list[str]:
    return [ln[len("> - ") :] for ln in edition.split("\n") if ln.startswith("> - ")]


def top(report: Report) -> int:
    return max(r.number for r in report.references)


# --------------------------------------------------------------------------
# accepted: merged into the text


def test_accepted_revisions_replace_the_row_and_the_sentence(report, edits):
    row, sentence = edits[21], edits[22]
    assert row.target in report.markdown.split("\n")  # a whole table row of 5.1
    assert sentence.target in report.section("3.3").text  # a sentence of 3.3

    edition = render_edition(report, [sentence, row], edition_date=DAY)

    # By id: the row (21) gets the first new number, the sentence (22) the next.
    new_row, new_sentence = numbered(row.proposed_text, 6), numbered(sentence.proposed_text, 7)
    assert new_row in edition.split("\n")
    assert new_sentence in edition.split("\n")
    assert row.target not in edition and sentence.target not in edition
    reparsed = parse_report(edition, report_id=report.id, path="e.md", language="zh")
    assert [(r.number, r.url) for r in reparsed.references[-2:]] == [
        (top(report) + 1, row.url),
        (top(report) + 2, sentence.url),
    ]
    # The table is still a table, the new row in the old one's place.
    rows = [b.cells for b in parse_blocks(edition) if b.kind == "row"]
    assert ("1", "GLM-5[6]", "智谱AI") in rows and ("排名", "模型", "公司") in rows
    assert rows.index(("1", "GLM-5[6]", "智谱AI")) == rows.index(("排名", "模型", "公司")) + 1

    diff = unified_diff(report.markdown, edition, from_name="report.md", to_name="e.md")
    # In document order: 3.3 comes before 5.1.
    assert changed_lines(diff, "-") == [sentence.target, row.target]
    assert changed_lines(diff, "+") == [
        new_sentence,
        new_row,
        f"{top(report) + 1}. {row.reference}",
        f"{top(report) + 2}. {sentence.reference}",
    ]


def test_an_accepted_citation_adds_the_new_marker_to_its_sentence(report, edits):
    citation = edits[23]
    edition = render_edition(report, [citation], edition_date=DAY)
    lines = edition.split("\n")
    paragraph = next(ln for ln in lines if "Google推出Gemini 2.5和3.0系列" in ln)
    assert "同样具备强大的推理能力[1][6]。" in paragraph
    # The rest of the paragraph is as the report has it.
    original = next(ln for ln in report.markdown.split("\n") if citation.target in ln)
    assert paragraph == original.replace(citation.target, citation.proposed_text)
    diff = unified_diff(report.markdown, edition, from_name="a", to_name="b")
    assert changed_lines(diff, "-") == [original]
    assert changed_lines(diff, "+") == [paragraph, f"6. {citation.reference}"]


def test_additions_revisions_and_citations_share_one_numbering_by_id(report, edits):
    addition = dataclasses.replace(edits[24], id=20)  # before the edits
    chosen = [edits[23], addition, edits[22], edits[21]]
    edition = render_edition(report, chosen, edition_date=DAY)
    n = top(report)
    assert "- 2026-11-20，月之暗面的Kimi CLI新增规划模式 [6]" in edition
    assert numbered(edits[21].proposed_text, n + 2) in edition
    assert numbered(edits[22].proposed_text, n + 3) in edition
    assert "同样具备强大的推理能力[1][9]。" in edition
    reparsed = parse_report(edition, report_id=report.id, path="e.md", language="zh")
    assert [(r.number, r.url) for r in reparsed.references[-4:]] == [
        (n + 1, addition.url),
        (n + 2, edits[21].url),
        (n + 3, edits[22].url),
        (n + 4, edits[23].url),
    ]


def test_the_editors_wording_is_merged_with_the_final_number(report, edits):
    kept = dataclasses.replace(
        edits[22], edited_text="Claude Code年收入于2026年11月破30亿美元[6]。"
    )
    dropped = dataclasses.replace(
        edits[22], edited_text="Claude Code年收入于2026年11月破30亿美元。"
    )
    row = dataclasses.replace(edits[21], edited_text="| 1 | GLM-5 | 智谱AI |")
    for edited, expected in (
        (kept, "Claude Code年收入于2026年11月破30亿美元[6]。"),
        # The marker the editor left out goes before the closing punctuation.
        (dropped, "Claude Code年收入于2026年11月破30亿美元[6]。"),
        (row, "| 1 | GLM-5 | 智谱AI[6] |"),
    ):
        edition = render_edition(report, [edited], edition_date=DAY)
        assert expected in edition.split("\n"), edited.edited_text
        assert edited.proposed_text not in edition  # the proposal is not merged
        assert edited.target not in edition


def test_an_edit_whose_target_is_gone_is_shown_for_review_with_a_note(report, edits):
    row, addition = edits[21], edits[24]
    # The editor changed the row by hand since the suggestion was made.
    changed = report.markdown.replace(row.target, "| 1 | GLM-4.8 | 智谱AI |")
    edited = parse_report(changed, report_id=report.id, path="r.md", language="zh")

    edition = render_edition(edited, [row, addition], edition_date=DAY)

    assert "| 1 | GLM-4.8 | 智谱AI |" in edition.split("\n")  # left as the editor wrote it
    (item,) = review_items(edition)
    assert item.startswith("**修订** ~~| 1 | GLM-4.7 | 智谱AI |~~ → | 1 | GLM-5 | 智谱AI |")
    assert "报告中已找不到这段原文" in item and "tracker accept" not in item
    body = edition.split("### 5.1 开源权重模型排名")[1].split("### 5.2")[0]
    assert "> **待审更新**" in body
    # It takes no reference number: the addition gets the first new one.
    reparsed = parse_report(edition, report_id=report.id, path="e.md", language="zh")
    assert [r.url for r in reparsed.references] == [
        *(r.url for r in report.references),
        addition.url,
    ]
    assert "新增规划模式 [6]" in edition


@pytest.mark.parametrize(
    ("markdown", "target", "applied"),
    [
        # Found once outside its section (the editor moved it): applied.
        ("## 1 A\n\nNothing.\n\n## 2 B\n\nX is 3 [1]. Y.\n", "X is 3 [1].", True),
        # Twice in its section: which one was meant is not guessed.
        ("## 1 A\n\nX is 3 [1]. X is 3 [1].\n", "X is 3 [1].", False),
        # A row target must be a whole row, not the start of a longer one.
        ("## 1 A\n\n| a | b |\n|---|---|\n| 1 | 2 | 3 |\n", "| 1 | 2 |", False),
        # Not in the text at all.
        ("## 1 A\n\nX is 4 [1].\n", "X is 3 [1].", False),
    ],
)
def test_a_target_is_replaced_only_where_it_is_unambiguous(markdown, target, applied):
    text = f"# T\n\n{markdown}\n## References\n\n1. R. https://example.org/r\n"
    en = parse_report(text, report_id="en", path="r.md", language="en")
    revision = english(target=target, proposed_text=re.sub(r"\d+ \[1\]", "5 [2]", target))
    edition = render_edition(en, [revision], edition_date=DAY)
    assert (revision.url in edition.split("## References")[1]) is applied
    assert ("not applied" in edition) is not applied
    if applied:
        assert edition.count(revision.proposed_text) == 1


def test_a_row_replaced_by_something_else_than_a_row_is_not_merged(report, edits):
    broken = dataclasses.replace(edits[21], edited_text="GLM-5 位列第一[6]。")
    edition = render_edition(report, [broken], edition_date=DAY)
    assert broken.target in edition.split("\n")
    (item,) = review_items(edition)
    assert "替换文本不是同样列数的表格行" in item
    assert broken.url not in edition.split("## 参考文献")[1]


def test_two_edits_of_one_sentence_merge_the_first_and_show_the_second(report, edits):
    second = dataclasses.replace(
        edits[22], id=30, kind=SuggestionKind.CITATION, url="https://other.example/x",
        proposed_text=edits[22].target.replace("[1]。", "[1][6]。"),
    )  # fmt: skip
    edition = render_edition(report, [second, edits[22]], edition_date=DAY)
    assert numbered(edits[22].proposed_text, 6) in edition
    (item,) = review_items(edition)
    assert item.startswith("**补充引用**") and "已找不到" in item
    assert "\n7. " not in edition


def test_an_edit_the_report_already_cites_is_not_merged_again(report, edits):
    row, sentence = edits[21], edits[22]
    first = render_edition(report, [row, sentence], edition_date=DAY)
    # The editor adopts the edition as the report: both edits are its own text now.
    adopted = parse_report(first, report_id=report.id, path="r.md", language="zh")
    again = render_edition(adopted, [row, sentence], edition_date=DAY)
    assert again == first  # no second replacement, no note, no second reference


def test_an_edit_from_a_page_the_report_cites_cites_its_existing_entry(report, edits):
    cited = report.references[0]  # [1], cited by the 3.3 sentence
    revision = dataclasses.replace(edits[22], url=cited.url)
    edition = render_edition(report, [revision, edits[21]], edition_date=DAY)
    assert numbered(revision.proposed_text, cited.number) in edition.split("\n")
    # No entry of its own: the row revision gets the first new number.
    assert numbered(edits[21].proposed_text, top(report) + 1) in edition.split("\n")
    reparsed = parse_report(edition, report_id=report.id, path="e.md", language="zh")
    assert [r.url for r in reparsed.references] == [
        *(r.url for r in report.references),
        edits[21].url,
    ]
    # Pending, it is shown like any other.
    (item,) = review_items(render_edition(report, [pending(revision)], edition_date=DAY))
    assert item.startswith("**修订** ~~Anthropic的Claude Code")


def test_rejected_edits_leave_no_trace(report, edits):
    rejected = [
        dataclasses.replace(s, status=SuggestionStatus.REJECTED) for s in (edits[21], edits[23])
    ]
    assert render_edition(report, rejected, edition_date=DAY) == report.markdown


# --------------------------------------------------------------------------
# pending: tracked changes in the review block


def test_a_pending_revision_is_a_tracked_change_in_its_section(report, edits):
    row = pending(edits[21])
    edition = render_edition(report, [row], edition_date=DAY)
    (item,) = review_items(edition)
    assert item == (
        "**修订** ~~| 1 | GLM-4.7 | 智谱AI |~~ → | 1 | GLM-5 | 智谱AI |"
        f" — 来源：[{row.title}](<{row.url}>) — 采纳：`tracker accept {row.id}`"
    )
    section = parse_report(edition, report_id="x", path="e", language="zh").section("5.1")
    assert section is not None and "> **待审更新**" in section.text
    assert row.target in edition.split("\n")  # the table itself is untouched
    reparsed = parse_report(edition, report_id="x", path="e", language="zh")
    assert [r.number for r in reparsed.references] == [r.number for r in report.references]


def test_a_pending_citation_shows_the_sentence_it_cites_the_article_for(report, edits):
    citation = pending(edits[23])
    (item,) = review_items(render_edition(report, [citation], edition_date=DAY))
    assert item == (
        f"**补充引用** {citation.target} ← 来源：[{citation.title}](<{citation.url}>)"
        f" — 采纳：`tracker accept {citation.id}`"
    )


def test_suggestions_to_translate_are_marked(report, edits):
    zh = render_edition(report, [pending(edits[24], needs_translation=True)], edition_date=DAY)
    (item,) = review_items(zh)
    assert item.startswith("**新增**（待翻译） 2026-11-20")
    text = (DATA / "report-en.md").read_text(encoding="utf-8")
    en = parse_report(text, report_id="en", path="report-en.md", language="en")
    revision = english(
        report="en",
        section="2.1",
        target="Phi-4 scored well on math benchmarks [2].",
        proposed_text="Phi-5 scored best on math benchmarks [3].",
        status=SuggestionStatus.PENDING,
        needs_translation=True,
    )
    (item,) = review_items(render_edition(en, [revision], edition_date=DAY))
    assert item.startswith(
        "**revision** (needs translation) ~~Phi-4 scored well on math benchmarks [2].~~"
        " → Phi-5 scored best on math benchmarks. — Source: "
    )


def english(**fields: Any) -> Suggestion:
    made: dict[str, Any] = dict(
        report="en",
        section="1",
        section_title="A",
        kind=SuggestionKind.REVISION,
        score=0.9,
        title="News",
        url="https://example.org/news",
        published=None,
        source="Blog",
        excerpt="",
        proposed_text="",
        created_at=datetime(2026, 11, 20, 10, 0),
        status=SuggestionStatus.ACCEPTED,
        reference="Blog. (2026). News. https://example.org/news",
        id=1,
    )
    made.update(fields)
    return Suggestion(**made)


# --------------------------------------------------------------------------
# HTML


class _Page(HTMLParser):
    """Tags, and the text inside each <s>, <ins> and <del> of the page's <main>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.stack: list[str] = []
        self.texts: dict[str, list[str]] = {"s": [], "ins": [], "del": []}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("br", "hr", "meta"):
            return
        self.stack.append(tag)
        if tag in self.texts and "main" in self.stack:
            self.texts[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "hr", "meta"):
            return
        assert self.stack.pop() == tag

    def handle_data(self, data: str) -> None:
        for tag in self.texts:
            if tag in self.stack and "main" in self.stack:
                self.texts[tag][-1] += data


def page(edition: str, previous: str) -> _Page:
    parsed = _Page()
    parsed.feed(render_html(edition, previous, title="t", edition_date=DAY, language="zh"))
    parsed.close()
    assert parsed.stack == []
    return parsed


def test_the_html_strikes_the_old_text_of_a_pending_revision(report, edits):
    row = pending(edits[21])
    shown = page(render_edition(report, [row], edition_date=DAY), report.markdown)
    assert shown.texts["s"] == [row.target]
    assert shown.texts["del"] == []  # <del> keeps meaning "deleted by this edition"
    assert row.target in "".join(shown.texts["ins"])  # inside the new review block


def test_the_html_diff_of_an_accepted_revision_shows_the_row_changed(report, edits):
    row = edits[21]
    before = render_edition(report, [pending(row)], edition_date=DAY)
    after = render_edition(report, [row], edition_date=DAY)
    shown = page(after, before)
    assert "GLM-4.7" in shown.texts["del"] and "GLM-5[6]" in shown.texts["ins"]
    deleted = "".join(shown.texts["del"])
    assert "待审更新" in deleted and row.title in deleted  # the review block went
    assert row.url in "".join(shown.texts["ins"])  # the new reference


def test_feed_text_in_a_pending_revision_is_escaped(report, edits):
    hostile = edits[25]
    edition = render_edition(report, [hostile], edition_date=DAY)
    (item,) = review_items(edition)
    assert "<script>" not in edition and "\\<script\\>" in item
    assert "\\~\\~智能体\\~\\~" in item  # the feed's tildes strike nothing
    shown = page(edition, report.markdown)
    assert {"script", "img", "b"}.isdisjoint(shown.tags)
    assert shown.texts["s"] == [hostile.target]
    inserted = "".join(shown.texts["ins"])
    assert "<script>alert(1)</script>~~智能体~~元年<img src=x onerror=alert(2)>" in inserted


# --------------------------------------------------------------------------
# ~~strikethrough~~ in the inline parser, as markdown-it-py reads it

STRIKE_ORACLE = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

STRIKE_SAMPLES = [
    "~~old~~ → new",
    "x~~y~~z and ~~**bold** struck~~",
    "~~~odd~~~ and ~~~~even~~~~",
    "a ~~ b~~ c ~single~ \\~~escaped~~",
    "~~[link](https://example.org/a) `code`~~",
    "~~ never closed",
]


def _struck(html: str) -> list[str]:
    """The text inside each outermost <s>, tags removed."""
    out: list[str] = []
    depth = 0
    for token in re.split(r"(<[^>]+>)", html):
        if token == "<s>":
            depth += 1
            if depth == 1:
                out.append("")
        elif token == "</s>":
            depth -= 1
        elif depth and not token.startswith("<"):
            out[-1] += token
    return out


@pytest.mark.parametrize("markdown", STRIKE_SAMPLES)
def test_strikethrough_reads_as_markdown_it_does(markdown):
    ours = render_html(f"{markdown}\n", None, title="t", edition_date=DAY, language="en")
    main = ours.split("<main>", 1)[1].split("</main>", 1)[0]
    theirs = STRIKE_ORACLE.render(f"{markdown}\n")
    assert _struck(main) == _struck(theirs)
    visible = lambda html: re.sub(r"<[^>]+>|\s+", "", html)  # noqa: E731
    assert visible(main) == visible(theirs)


def test_strikethrough_glyphs_keep_their_source_offsets():
    glyphs = parse_inline("a ~~bc~~ d")
    assert "".join(g.char for g in glyphs) == "a bc d"
    assert [(g.offset, g.char) for g in glyphs if g.style.strike] == [(4, "b"), (5, "c")]


# --------------------------------------------------------------------------
# through refreshes: stored, accepted with the CLI, published


def _config(tmp_path: Path) -> Config:
    """A copy of the seed report as report ``ai``, no feeds: what is stored is what shows."""
    (tmp_path / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    config_path = tmp_path / "sources.yaml"
    config_path.write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "language": "zh"}],
                "feeds": [],
                "watch_cited": False,
            }
        ),
        encoding="utf-8",
    )
    return load_config(config_path)


def test_accepting_revisions_then_refreshing_publishes_exactly_those_changes(tmp_path):
    config = _config(tmp_path)
    config_path = tmp_path / "sources.yaml"
    edits = load_edits()
    with open_store(config.database_path) as store:
        ids = {
            key: store.add_suggestion(
                dataclasses.replace(edits[key], report="ai", status=SuggestionStatus.PENDING)
            )
            for key in (21, 22, 23)
        }
    run_refresh(config, clock=lambda: DAY_1)
    editions = tmp_path / "editions"
    first = (editions / "2026-11-20.md").read_text(encoding="utf-8")
    assert "**修订** ~~| 1 | GLM-4.7 | 智谱AI |~~ → | 1 | GLM-5 | 智谱AI |" in first

    accept = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(config_path), "accept",
         str(ids[21]), str(ids[22])],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert accept.returncode == 0, accept.stderr
    second = run_refresh(config, clock=lambda: DAY_1 + timedelta(days=7))

    assert str(editions / "2026-11-27.md") in second.editions
    edition = (editions / "2026-11-27.md").read_text(encoding="utf-8")
    row, sentence = edits[21], edits[22]
    new_row, new_sentence = numbered(row.proposed_text, 6), numbered(sentence.proposed_text, 7)
    assert new_row in edition.split("\n") and new_sentence in edition.split("\n")
    references = edition[edition.index("## 参考文献") :].split("\n")
    assert f"6. {row.reference}" in references and f"7. {sentence.reference}" in references
    assert f"`tracker accept {ids[23]}`" in edition  # the citation still waits

    diff = (editions / "2026-11-27.diff").read_text(encoding="utf-8")
    assert changed_lines(diff, "+") == [
        new_sentence, new_row, f"6. {row.reference}", f"7. {sentence.reference}"
    ]  # fmt: skip
    removed = changed_lines(diff, "-")
    assert [ln for ln in removed if not ln.startswith(">")] == [sentence.target, row.target]
    assert [ln for ln in removed if ln.startswith("> - ")] == [
        ln for ln in first.split("\n") if ln.startswith("> - ") and f"accept {ids[23]}`" not in ln
    ]
    changelog = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = changelog.split("## 2026-11-20")[0]
    assert newest.count("修订 · 已采纳") == 2


def test_changelog_lists_revisions_with_old_and_new_and_citations_with_their_sentence(
    report, edits
):
    entry = changelog_entry(
        report, day=DAY, suggestions=[edits[24], pending(edits[23]), edits[21]], cited=[]
    )
    lines = entry.splitlines()
    revision = next(i for i, ln in enumerate(lines) if f"(#{edits[21].id})" in ln)
    assert lines[revision].startswith(f"- 5.1 {edits[21].section_title} · 修订 · 已采纳 · ")
    assert lines[revision + 1] == "  ~~| 1 | GLM-4.7 | 智谱AI |~~ → | 1 | GLM-5 | 智谱AI |"
    citation = next(i for i, ln in enumerate(lines) if f"(#{edits[23].id})" in ln)
    assert lines[citation].startswith(f"- 2.1 {edits[23].section_title} · 补充引用 · 待审 · ")
    assert lines[citation + 1] == f"  引用于：{edits[23].target}"
    addition = next(i for i, ln in enumerate(lines) if f"(#{edits[24].id})" in ln)
    assert addition == len(lines) - 1 or lines[addition + 1].startswith("- ")  # no detail
    # The detail is part of its item, not a block of its own.
    items = [b for b in parse_blocks(entry) if b.kind == "item"]
    assert len(items) == 3 and any("GLM-5" in b.text for b in items)
    hostile = changelog_entry(report, day=DAY, suggestions=[edits[25]], cited=[])
    assert "<script>" not in hostile and "\\<script\\>" in hostile
    assert "\\~\\~智能体\\~\\~" in hostile


def test_a_revision_accepted_before_it_was_ever_published_is_announced(tmp_path):
    config = _config(tmp_path)
    row = dataclasses.replace(load_edits()[21], report="ai")  # accepted
    with open_store(config.database_path) as store:
        store.add_suggestion(row)
    run_refresh(config, clock=lambda: DAY_1)
    edition = (tmp_path / "editions" / "2026-11-20.md").read_text(encoding="utf-8")
    assert numbered(row.proposed_text, 6) in edition.split("\n")
    changelog = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "修订 · 已采纳" in changelog and row.url in changelog
