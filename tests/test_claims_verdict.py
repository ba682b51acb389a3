"""A claim re-checked on a newer copy of its page: quiet on churn, a revision on a new figure."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tracker.claims.anchor import CHANGED, MOVED, ORPHANED, UNCHANGED, Anchor, anchor_at
from tracker.claims.support import Embed, find_support, remembering
from tracker.claims.verdict import recheck, revised_claim
from tracker.types import Claim, ClaimStatus

PAGE = """Example Weblog
Home | Archive | About

Coding agents

Anthropic quietly released Claude Code in February 2025, which set off a revolution in \
coding agents. Claude Code lets an LLM write code, execute it, look at the results and \
iterate.

By December 2025 Claude Code had reached one billion dollars in annualized revenue. \
Competitors followed within months.

Subscriptions

Google AI Ultra costs $249/month. ChatGPT Pro costs $200/month.

© 2025 Example Weblog
"""
REVENUE = "Anthropic的Claude Code在2025年12月达到10亿美元年收入里程碑[1]。"
RELEASE = "2025年2月，Anthropic悄然发布Claude Code，引发了编码智能体领域的革命[1]。"
ULTRA = "Google AI Ultra：$249/月[1]"


def claim(text: str) -> Claim:
    return Claim(id="c", report="r", section="3.3", text=text, references=(1,), kind="sentence")


@pytest.fixture(scope="module")
def embed() -> Embed:
    """The matcher's real embeddings, each text embedded once for this module."""
    return remembering()


def anchored(text: str, embed: Embed) -> tuple[Claim, Anchor]:
    found = find_support(claim(text), PAGE, embed=embed)
    assert found.supported
    return claim(text), anchor_at(PAGE, found.start, found.end)


def test_churn_around_the_passage_says_nothing(embed: Embed) -> None:
    c, anchor = anchored(REVENUE, embed)
    churned = "Cookie banner: Accept all\n\n" + PAGE.replace("© 2025", "Copyright 2026")
    verdict = recheck(c, anchor, churned, embed=embed)
    assert (verdict.status, verdict.verdict, verdict.revision) == (
        ClaimStatus.SUPPORTED,
        UNCHANGED,
        None,
    )
    assert verdict.anchor is not None and verdict.anchor.start > anchor.start


def test_a_moved_paragraph_says_nothing(embed: Embed) -> None:
    c, anchor = anchored(ULTRA, embed)
    block = "Google AI Ultra costs $249/month. ChatGPT Pro costs $200/month."
    moved = PAGE.replace(block + "\n", "").replace("Coding agents\n", f"Coding agents\n\n{block}\n")
    verdict = recheck(c, anchor, moved, embed=embed)
    assert verdict.status == ClaimStatus.SUPPORTED
    assert verdict.verdict in (UNCHANGED, MOVED)


def test_a_changed_amount_proposes_the_claim_with_the_new_amount(embed: Embed) -> None:
    c, anchor = anchored(REVENUE, embed)
    edited = PAGE.replace("one billion dollars", "1.5 billion dollars")
    verdict = recheck(c, anchor, edited, embed=embed)
    assert (verdict.status, verdict.verdict) == (ClaimStatus.CHANGED, CHANGED)
    assert verdict.before == anchor.exact
    assert verdict.after is not None and "1.5 billion dollars" in verdict.after
    assert verdict.revision == "Anthropic的Claude Code在2025年12月达到15亿美元年收入里程碑[1]。"


def test_a_changed_month_is_revised_at_the_claims_precision(embed: Embed) -> None:
    c, anchor = anchored(RELEASE, embed)
    edited = PAGE.replace("in February 2025", "on March 3, 2025")
    verdict = recheck(c, anchor, edited, embed=embed)
    assert verdict.status == ClaimStatus.CHANGED
    assert (
        verdict.revision
        == "2025年3月，Anthropic悄然发布Claude Code，引发了编码智能体领域的革命[1]。"
    )


def test_a_price_rate_is_written_as_the_report_writes_it(embed: Embed) -> None:
    c, anchor = anchored(ULTRA, embed)
    verdict = recheck(c, anchor, PAGE.replace("$249/month", "$279/month"), embed=embed)
    assert verdict.revision == "Google AI Ultra：$279/月[1]"


def test_a_price_keeps_its_period_when_the_new_passage_does_not_repeat_it() -> None:
    c = claim("Claude Max订阅价格为$200/月[4]。")
    before = "The Max plan costs $200 per month."
    after = "The Max plan now costs $250."
    assert revised_claim(c, before, after) == "Claude Max订阅价格为$250/月[4]。"


def test_a_figure_that_vanished_is_changed_without_a_revision(embed: Embed) -> None:
    c, anchor = anchored(ULTRA, embed)
    edited = PAGE.replace(
        "Google AI Ultra costs $249/month.",
        "Google AI Ultra is no longer offered to new customers.",
    )
    verdict = recheck(c, anchor, edited, embed=embed)
    assert verdict.status in (ClaimStatus.CHANGED, ClaimStatus.ORPHANED)
    assert verdict.revision is None


def test_a_reworded_passage_still_supports_and_is_re_anchored(embed: Embed) -> None:
    c, anchor = anchored(REVENUE, embed)
    reworded = "Claude Code's annualized revenue hit one billion dollars by December 2025."
    edited = PAGE.replace(anchor.exact, reworded)
    verdict = recheck(c, anchor, edited, embed=embed)
    assert (verdict.status, verdict.verdict, verdict.revision) == (
        ClaimStatus.SUPPORTED,
        CHANGED,
        None,
    )
    assert verdict.anchor is not None and verdict.anchor.exact == reworded


def test_a_removed_passage_is_orphaned(embed: Embed) -> None:
    c, anchor = anchored(REVENUE, embed)
    verdict = recheck(c, anchor, PAGE.replace(anchor.exact, ""), embed=embed)
    assert (verdict.status, verdict.verdict, verdict.after, verdict.anchor) == (
        ClaimStatus.ORPHANED,
        ORPHANED,
        None,
        None,
    )


def test_revised_claim_keeps_what_the_new_passage_repeats() -> None:
    c = claim("Claude Pro Max 20x：$200/月，Google AI Ultra：$249/月[1]")
    before = "Claude Pro Max 20x costs $200/month and Google AI Ultra $249/month."
    after = "Claude Pro Max 20x costs $200/month and Google AI Ultra $259/month."
    assert (
        revised_claim(c, before, after)
        == "Claude Pro Max 20x：$200/月，Google AI Ultra：$259/月[1]"
    )
    assert revised_claim(c, before, before) is None


def test_a_claim_already_unsupported_stays_so_without_a_new_suggestion(embed: Embed) -> None:
    text = "研究人员使用稀疏自编码器（sparse autoencoders）来理解模型内部机制[3]。"
    found = find_support(claim(text), PAGE, embed=embed)
    assert not found.supported
    unsupported = replace(claim(text), status=ClaimStatus.UNSUPPORTED)
    anchor = anchor_at(PAGE, found.start, found.end)
    churned = "Banner\n\n" + PAGE
    assert recheck(unsupported, anchor, churned, embed=embed).status == ClaimStatus.UNSUPPORTED
    removed = recheck(unsupported, anchor, PAGE.replace(anchor.exact, ""), embed=embed)
    assert (removed.verdict, removed.status) == (ORPHANED, ClaimStatus.UNSUPPORTED)


def test_of_two_new_figures_the_one_in_the_old_ones_place_replaces_it() -> None:
    c = claim("Google AI Ultra：$249/月[1]")
    before = "ChatGPT Pro costs $200/month and Google AI Ultra costs $249/month."
    after = "ChatGPT Pro costs $220/month and Google AI Ultra costs $279/month."
    assert revised_claim(c, before, after) == "Google AI Ultra：$279/月[1]"
