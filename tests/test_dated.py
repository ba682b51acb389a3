"""Dated statements: which sentences state things "as of" a date, that date, their age."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tracker.claims.dated import age_in_months, dated_statements, due_for_recheck
from tracker.report import load_report, parse_report

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"


def one_section(body: str, *, footer: str = "", language: str = "zh") -> str:
    return f"# 报告\n\n## 一、现状\n\n{body}\n\n## 参考文献\n\n1. A. https://a.example/\n{footer}"


def dated_in(
    body: str, *, footer: str = "", fallback: date | None = None
) -> list[tuple[str, date | None, bool]]:
    report = parse_report(
        one_section(body, footer=footer), report_id="r", path="r.md", language="zh"
    )
    return [(d.cue, d.as_of, d.explicit) for d in dated_statements(report, fallback=fallback)]


@pytest.mark.parametrize(
    ("sentence", "cue", "as_of"),
    [
        ("截至2025年12月30日，该榜单共收录42个模型[1]。", "截至2025年12月30日", date(2025, 12, 30)),
        ("截止2024年6月，用户数超过一亿。", "截止2024年6月", date(2024, 6, 30)),
        ("截至2023年底，市场份额为三成。", "截至2023年底", date(2023, 12, 31)),
        ("截至 2025-03-01 的数据显示增长放缓。", "截至 2025-03-01", date(2025, 3, 1)),
        ("As of March 2025, the model leads the board.", "As of March 2025", date(2025, 3, 31)),
        (
            "As of 30 December 2025 the list had six entries.",
            "As of 30 December 2025",
            date(2025, 12, 30),
        ),
        ("as of Dec 5, 2024, usage doubled.", "as of Dec 5, 2024", date(2024, 12, 5)),
        (
            "As at the end of 2024 the lab had 300 staff.",
            "As at the end of 2024",
            date(2024, 12, 31),
        ),
    ],
)
def test_an_explicit_as_of_date_is_the_statements_date(
    sentence: str, cue: str, as_of: date
) -> None:
    assert dated_in(sentence) == [(cue, as_of, True)]


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("目前该模型在多项基准测试中表现突出。", "目前"),
        ("当前主流框架均支持该接口。", "当前"),
        ("完全自主的智能体尚未出现。", "尚未"),
        ("Claude Opus 是最强的编码模型[1]。", "最强"),
        ("该模型在排行榜上排名第一。", "排名第一"),
        ("前三名均为开源模型。", "前三名"),
        ("Gemini 3 is currently the default model in the app.", "currently"),
        ("The latest model from the lab handles video.", "latest"),
        ("It is now the most capable open model.", "now"),
        ("GLM-4.7 tops the open-weights leaderboard.", "tops"),
        ("Today, three labs ship reasoning models.", "Today"),
    ],
)
def test_a_now_word_or_a_ranking_dates_the_statement_by_the_reports_own_date(
    sentence: str, cue: str
) -> None:
    footer = "\n*报告生成时间: 2026-02-11*\n"
    assert dated_in(sentence, footer=footer) == [(cue, date(2026, 2, 11), False)]


@pytest.mark.parametrize(
    "sentence",
    [
        "2024年最佳模型只能完成30分钟以下的任务。",  # a superlative framed in its own year: history
        "OpenAI在2025年失去了其绝对领先地位。",
        "The best model of 2024 managed tasks under 30 minutes.",
        "2025年2月，Anthropic发布了Claude Code。",  # a dated event, not a standing claim
        "The company knows its market well.",  # "now" only inside another word
        "该方法仍需进一步验证。",  # 仍需: "still needs", a hedge, not a state as of now
        "Longer training leads to better reasoning.",  # a cause, not a leader
        "The guide lists best practices for prompting.",
        "At best, the benchmark is a rough guide.",
    ],
)
def test_history_and_plain_events_are_not_dated_statements(sentence: str) -> None:
    assert dated_in(sentence, footer="\n*报告生成时间: 2026-02-11*\n") == []


def test_without_a_date_anywhere_the_fallback_dates_it_and_without_one_it_has_none() -> None:
    assert dated_in("目前共有五家实验室。", fallback=date(2026, 1, 1)) == [
        ("目前", date(2026, 1, 1), False)
    ]
    assert dated_in("目前共有五家实验室。") == [("目前", None, False)]


def test_the_seed_ranking_is_dated_by_its_as_of_date_and_its_rows_are_not_listed() -> None:
    report = load_report(SEED, report_id="seed", language="zh")
    dated = dated_statements(report)
    by_text = {d.text: d for d in dated}
    intro = by_text["根据Artificial Analysis截至2025年12月30日的排名："]
    assert (intro.section_id, intro.as_of, intro.explicit) == ("5.1", date(2025, 12, 30), True)
    # The sentence after the table speaks of the same ranking: it inherits its date.
    after = by_text["前五名均为中国模型[1]。"]
    assert (after.as_of, after.explicit, after.cue) == (date(2025, 12, 30), False, "前五名")
    assert not any("GLM-4.7" in d.text for d in dated)  # the ranking table's rows
    # Standing superlatives get the report's own date; history ("在2025年失去了…领先地位")
    # does not count.
    assert by_text["Google Gemini在图像生成领先[1]"].as_of == date(2026, 2, 11)
    assert by_text["遵循图像编辑指令的能力最强[1]"].as_of == date(2026, 2, 11)
    assert not any("失去了其绝对领先地位" in d.text for d in dated)
    assert not any(
        d.text.startswith("- 2024年最佳模型") or "2024年最佳模型" in d.text for d in dated
    )
    # Every dated statement is a statement of the report, verbatim.
    assert all(d.text in report.markdown for d in dated)


@pytest.mark.parametrize(
    ("as_of", "today", "months"),
    [
        (date(2025, 12, 30), date(2026, 6, 29), 5),
        (date(2025, 12, 30), date(2026, 6, 30), 6),
        (date(2025, 8, 31), date(2026, 2, 28), 6),  # month ends line up
        (date(2026, 2, 11), date(2026, 2, 1), 0),  # not yet
    ],
)
def test_age_counts_whole_months(as_of: date, today: date, months: int) -> None:
    assert age_in_months(as_of, today) == months


def test_due_for_recheck_keeps_those_past_the_age_and_never_undated_ones() -> None:
    report = load_report(SEED, report_id="seed", language="zh")
    dated = dated_statements(report)
    due = due_for_recheck(dated, today=date(2026, 6, 30), after_months=6)
    # Only the ranking dated 30 Dec 2025 is six months old by the end of June 2026.
    assert {d.as_of for d in due} == {date(2025, 12, 30)}
    assert len(due_for_recheck(dated, today=date(2026, 8, 11), after_months=6)) == len(dated)
    undated = dated_statements(
        parse_report(one_section("目前共有五家实验室。"), report_id="r", path="r.md", language="zh")
    )
    assert due_for_recheck(undated, today=date(2030, 1, 1), after_months=1) == []
