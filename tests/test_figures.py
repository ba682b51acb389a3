"""Figures in English and Chinese text, against the table in tests/data/figures/cases.yaml.

Each case gives a text and the figures expected in it (kind, value, unit,
per, and where it matters the text as written); some also give how the
figures are written back by ``format_zh`` and ``format_en``. Dates are
written as YAML dates and compared as ordinals. Further tables pair figures
that must or must not compare equal, and ask whether a figure is present
in a text.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.figures import (
    Figure,
    figures_in,
    format_en,
    format_zh,
    present_in,
    same_figure,
    written_like,
)

CASES = yaml.safe_load(
    (Path(__file__).parent / "data" / "figures" / "cases.yaml").read_text(encoding="utf-8")
)


def _value(value: Any) -> float:
    return float(value.toordinal()) if isinstance(value, datetime.date) else float(value)


def _only(text: str) -> Figure:
    found = figures_in(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("case", CASES["figures"], ids=lambda case: case["text"][:50])
def test_figures_are_found_and_read(case: dict[str, Any]) -> None:
    text = case["text"]
    found = figures_in(text)
    expected = case.get("figures") or []
    assert [(f.kind, f.unit, f.per) for f in found] == [
        (e["kind"], e.get("unit", ""), e.get("per", "")) for e in expected
    ], found
    for figure, want in zip(found, expected, strict=True):
        assert figure.value == pytest.approx(_value(want["value"])), figure
        assert text[figure.start : figure.end] == figure.text
        if "as" in want:
            assert figure.text == want["as"]
    if "zh" in case:
        assert [format_zh(f) for f in found] == case["zh"]
    if "en" in case:
        assert [format_en(f) for f in found] == case["en"]


@pytest.mark.parametrize("case", CASES["same"], ids=lambda case: f"{case[0]} ~ {case[1]}")
def test_same_figure(case: list[Any]) -> None:
    a, b, equal = case
    assert same_figure(_only(a), _only(b)) is equal
    assert same_figure(_only(b), _only(a)) is equal


@pytest.mark.parametrize("case", CASES["present"], ids=lambda case: case["figure"])
def test_present_in(case: dict[str, Any]) -> None:
    assert present_in(_only(case["figure"]), case["text"]) is case["present"]


@pytest.mark.parametrize("case", CASES["figures"], ids=lambda case: case["text"][:50])
def test_what_is_written_reads_back_as_the_same_figure(case: dict[str, Any]) -> None:
    for figure in figures_in(case["text"]):
        assert same_figure(_only(format_zh(figure)), figure), format_zh(figure)
        if figure.kind == "date" and figure.unit == "year":
            continue  # a bare "2025" is a plain number in English; "in 2025" is the date
        if figure.kind == "date" and figure.unit == "month" and figure.value < 366:
            continue  # "November" alone is no date
        assert same_figure(_only(format_en(figure)), figure), format_en(figure)


# 1 MB of the characters a figure starts from, and denser traps at 100 kB: a
# pattern that backtracks quadratically would not finish at either size.
@pytest.mark.parametrize(
    "text",
    [
        "1" * 10**6,
        "$" * 10**6,
        "第" * 10**6,
        "一" * 10**6,
        "1.2" * 300_000,
        "[1," * 30_000,
        "tops the " * 10_000,
        "1 " * 50_000,
        "1-" * 50_000,
        "GPT-5 " * 20_000,
        "\n1. " * 20_000,
        "$1-" * 30_000,
    ],
    ids=lambda text: repr(text[:6]),
)
def test_hostile_input_is_read_without_blowing_up(text: str) -> None:
    # Not timed: a pattern with catastrophic backtracking would not finish at this size.
    assert isinstance(figures_in(text), list)


# A colon after a label ("模型：30分钟", "Score:40%") ends the label, so the
# number after it is a figure; only a digit before the colon makes a clock
# time or a ratio ("10:30", "16:9"), whose parts are no figures.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("模型：30分钟", [("duration", 30.0, "minute")]),
        ("2024年最佳模型：30分钟以下", [("date", 738886.0, "year"), ("duration", 30.0, "minute")]),
        ("Score:40%", [("percent", 40.0, "%")]),
        ("参数量：1750亿", [("count", 1.75e11, "")]),
        ("会议在10:30开始", []),
        ("会议在１０：３０开始", []),
        ("at 10:30:15 UTC", []),
        ("a 16:9 screen, odds of 3:1", []),
    ],
)
def test_a_colon_after_a_label_is_no_clock(
    text: str, expected: list[tuple[str, float, str]]
) -> None:
    assert [(f.kind, f.value, f.unit) for f in figures_in(text)] == expected


# A replacement figure is written the way the text wrote the one it replaces.
@pytest.mark.parametrize(
    ("old", "new", "written"),
    [
        ("ChatGPT Pro：$200/月", "now $250", "$250/月"),  # the period kept
        ("估值25亿美元", "valued at $3 billion", "30亿美元"),  # Chinese magnitudes
        ("截至2025年3月", "as of April 2, 2026", "2026年4月"),  # a month stays a month
        ("rose to 40%", "now 45 percent", "45 percent"),  # English stays as the source wrote it
    ],
)
def test_written_like(old: str, new: str, written: str) -> None:
    assert written_like(_only(new), _only(old)) == written
