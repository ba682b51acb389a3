"""The supporting passage of a cited page for a Chinese claim, on the matcher's real model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from tracker.claims.anchor import MAX_PASSAGE_CHARS
from tracker.claims.support import (
    SUPPORTED_MIN,
    Embed,
    claim_figures,
    claim_text,
    find_support,
    find_supports,
    remembering,
    support_score,
)
from tracker.types import Claim

PAGE = """Example Weblog
Home | Archive | Tags | About

The $200 a month subscription

2025 saw the rise of the $200 a month subscription. Google AI Ultra costs $249/month, \
or $124.99/month for the first year. These plans are aimed at heavy users.

Coding agents

Anthropic quietly released Claude Code in February 2025, which set off a revolution in \
coding agents. By December 2025 Claude Code had reached one billion dollars in annualized \
revenue.

Longer tasks

According to METR's measurements, the length of tasks that AI can complete on its own \
doubles every 7 months. The best models of 2024 managed tasks under 30 minutes.

© 2025 Example Weblog
"""


def claim(text: str) -> Claim:
    return Claim(id="c", report="r", section="1", text=text, references=(1,), kind="sentence")


@pytest.fixture(scope="module")
def embed() -> Embed:
    """The matcher's real embeddings, each text embedded once for this module."""
    return remembering()


def test_the_passage_stating_the_claim_is_found_across_languages(embed: Embed) -> None:
    found = find_support(
        claim("Anthropic的Claude Code在2025年12月达到10亿美元年收入里程碑[1]。"), PAGE, embed=embed
    )
    assert found.passage == (
        "By December 2025 Claude Code had reached one billion dollars in annualized revenue."
    )
    assert PAGE[found.start : found.end] == found.passage
    assert found.supported and found.score >= SUPPORTED_MIN


def test_a_figure_the_claim_states_picks_its_passage(embed: Embed) -> None:
    text = "根据METR的测量，AI完成独立任务的时长每7个月翻倍[1]："
    found = find_support(claim(text), PAGE, embed=embed)
    assert "doubles every 7 months" in found.passage
    assert found.supported
    # The same claim with a figure the page does not state scores lower.
    other = support_score(claim(text.replace("7个月", "3个月")), found.passage, embed=embed)
    assert other < found.score


def test_a_claim_the_page_does_not_make_is_unsupported(embed: Embed) -> None:
    found = find_support(
        claim("研究人员使用稀疏自编码器（sparse autoencoders）来理解模型内部机制[3]。"),
        PAGE,
        embed=embed,
    )
    assert not found.supported and found.score < SUPPORTED_MIN
    assert found.passage  # the best candidate is still given, for the editor to judge


def test_headings_are_no_passages(embed: Embed) -> None:
    found = find_support(claim("2025年见证了$200/月订阅模式的兴起[1]："), PAGE, embed=embed)
    assert found.passage == "2025 saw the rise of the $200 a month subscription."


def test_several_claims_on_one_page_agree_with_one_at_a_time(embed: Embed) -> None:
    claims = [
        claim("Google AI Ultra：$249/月（首年$124.99/月）[1]"),
        claim("2024年最佳模型：30分钟以下[1]"),
    ]
    assert find_supports(claims, PAGE, embed=embed) == [
        find_support(c, PAGE, embed=embed) for c in claims
    ]


def test_an_empty_page_supports_nothing(embed: Embed) -> None:
    found = find_support(claim("前五名均为中国模型[1]。"), "", embed=embed)
    assert (found.passage, found.supported, found.score) == ("", False, 0.0)


def test_claim_figures_leave_bare_years_out_and_read_after_a_full_width_colon() -> None:
    figures = claim_figures(claim("2024年最佳模型：30分钟以下[1]"))
    assert [(f.kind, f.value, f.unit) for f in figures] == [("duration", 30.0, "minute")]


def test_remembering_embeds_each_text_once() -> None:
    calls: list[list[str]] = []

    def counting(texts: Sequence[str]) -> Any:
        calls.append(list(texts))
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)

    remembered = remembering(counting)
    first = remembered(["a", "bb", "a"])
    again = remembered(["bb", "ccc"])
    assert calls == [["a", "bb"], ["ccc"]]
    assert first.tolist() == [[1.0, 1.0], [2.0, 1.0], [1.0, 1.0]]
    assert again.tolist() == [[2.0, 1.0], [3.0, 1.0]]


def test_remembering_past_its_limit_still_returns_every_text_asked_for() -> None:
    def lengths(texts: Sequence[str]) -> Any:
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)

    remembered = remembering(lengths, max_texts=2)
    remembered(["a", "bb"])
    # "a" is remembered, "ccc" is not, and the two together overflow the memory.
    assert remembered(["a", "ccc"]).tolist() == [[1.0, 1.0], [3.0, 1.0]]


def test_a_page_without_sentence_ends_gives_passages_of_a_readable_length(embed: Embed) -> None:
    # A table dump or a minified block: 120 kB on one line, no full stop anywhere.
    filler = " ".join(f"row {n} cell value" for n in range(6000))
    fact = "by December 2025 Claude Code had reached one billion dollars in annualized revenue"
    page = f"{filler} {fact} {filler}"
    found = find_support(
        claim("Anthropic的Claude Code在2025年12月达到10亿美元年收入里程碑[1]。"), page, embed=embed
    )
    assert len(found.passage) <= 2 * MAX_PASSAGE_CHARS  # a pair of pieces at most
    assert "Claude Code had reached one billion dollars" in found.passage
    assert page[found.start : found.end] == found.passage


@pytest.mark.parametrize("marker", ["[1、3]", "[ 1 ]", "[1; 3]", "［2］", "[1-3]"])
def test_every_citation_marker_the_report_counts_is_left_out_of_the_compared_claim(
    marker: str,
) -> None:
    c = claim(f"Claude Code达到10亿美元年收入{marker}。")
    assert claim_text(c) == "Claude Code达到10亿美元年收入。"
    assert [f.text for f in claim_figures(c)] == ["10亿美元"]
