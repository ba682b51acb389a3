"""Suggestions: additions in the report's style, duplicates, cited-source changes and losses."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tracker.report import load_report, parse_report
from tracker.suggest import (
    addition,
    archive_url,
    is_already_cited,
    near_duplicate,
    source_changed,
    source_gone,
)
from tracker.types import Article, Match, SuggestionKind

ROOT = Path(__file__).resolve().parents[1]
SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
ENGLISH = Path(__file__).parent / "data" / "reports" / "english.md"
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seed():
    return load_report(SEED, report_id="ai-2024-2025", language="zh")


@pytest.fixture(scope="module")
def english():
    return load_report(ENGLISH, report_id="open-models", language="en")


def _article(**overrides) -> Article:
    values = dict(
        url="https://simonwillison.net/2026/Nov/20/claude-code/",
        title="Claude Code gets background agents",
        text="Anthropic shipped background agents for Claude Code. They open pull requests.",
        published=datetime(2026, 11, 20, 15, 30, tzinfo=UTC),
        language="en",
        source="Simon Willison's Weblog",
        content_hash="h",
    )
    values.update(overrides)
    return Article(**values)


def _match(article: Article, section: str = "3.2") -> Match:
    return Match(
        article_url=article.url,
        section_id=section,
        score=0.61,
        features={"cosine": 0.5, "terms": 0.7},
        evidence="Anthropic shipped background agents for Claude Code.",
    )


def test_addition_in_a_chinese_report_states_the_news_in_chinese(seed):
    article = _article()
    suggestion = addition(seed, article, _match(article), now=NOW)
    next_number = max(r.number for r in seed.references) + 1
    # The news itself, in the report's language and spelling, not a quoted English sentence.
    assert (
        suggestion.proposed_text
        == f"- 2026-11-20，Anthropic为Claude Code推出新功能 [{next_number}]"
    )
    assert not suggestion.needs_translation and suggestion.drafter == "offline"
    assert suggestion.fact is not None
    assert (suggestion.fact.actor, suggestion.fact.object, suggestion.fact.event) == (
        "Anthropic",
        "Claude Code",
        "feature",
    )
    assert suggestion.fact.date == date(2026, 11, 20)
    assert suggestion.kind is SuggestionKind.ADDITION and suggestion.target is None
    assert suggestion.section == "3.2" and suggestion.section_title == seed.section("3.2").title
    assert suggestion.reference == (
        "Simon Willison. (2026). Claude Code gets background agents. Simon Willison's Weblog. "
        "https://simonwillison.net/2026/Nov/20/claude-code/"
    )
    # The reference entry, once numbered, parses back as the same title and URL.
    numbered = parse_report(
        f"## 1. A\n\n## References\n\n{next_number}. {suggestion.reference}\n",
        report_id="r", path="r.md", language="zh",
    ).references[0]  # fmt: skip
    assert (numbered.title, numbered.url) == (article.title, article.url)
    assert suggestion.excerpt == _match(article).evidence
    assert suggestion.urls == (article.url,) and suggestion.url == article.url
    assert suggestion.score == 0.61 and dict(suggestion.features) == {"cosine": 0.5, "terms": 0.7}
    assert suggestion.created_at == NOW and suggestion.published == article.published
    assert suggestion.source == "Simon Willison's Weblog"


def test_addition_in_an_english_report(english):
    article = _article(source="The Batch")
    suggestion = addition(english, article, _match(article, "2.1"), now=NOW)
    assert (
        suggestion.proposed_text
        == "- 2026-11-20: Anthropic added a new capability to Claude Code [6]"
    )
    assert suggestion.section == "2.1"


def test_news_no_phrasing_fits_keeps_its_headline_and_says_so(seed):
    article = _article(
        title="Labs agree to keep chain-of-thought readable for safety monitoring",
        text="Researchers from several labs published a joint position on chain-of-thought "
        "monitoring.",
    )
    suggestion = addition(seed, article, _match(article, "6.2"), now=NOW, source_names=("Feed A",))
    assert suggestion.needs_translation
    assert suggestion.proposed_text.startswith("- 2026-11-20，Feed A报道：Labs agree to keep")


def test_a_chinese_headline_stands_when_no_phrasing_fits(seed):
    article = _article(
        title="中国开源模型生态报告发布",
        text="一份新的行业报告梳理了中国开源模型生态的现状。",
        language="zh",
    )
    suggestion = addition(seed, article, _match(article, "5.2"), now=NOW, source_names=("快讯",))
    assert not suggestion.needs_translation
    assert "中国开源模型生态报告发布" in suggestion.proposed_text


def test_an_undated_article_is_dated_by_now_and_credited_to_its_first_feed(seed):
    article = _article(published=None)
    suggestion = addition(
        seed, article, _match(article), now=NOW, source_names=("Feed A", "Feed B")
    )
    assert suggestion.proposed_text.startswith("- 2026-11-21，")
    assert suggestion.fact is not None and suggestion.fact.date == NOW.date()
    assert suggestion.source == "Feed A"


def test_addition_excerpt_is_the_news_sentence_on_one_clean_line(seed):
    article = _article(
        text="Anthropic shipped background agents for Claude Code [4], and they run for "
        + "hours and hours " * 30
    )
    excerpt = addition(seed, article, _match(article), now=NOW).excerpt
    assert "\n" not in excerpt and "[4]" not in excerpt
    assert excerpt.startswith("Anthropic shipped background agents for Claude Code")
    assert "…" in excerpt and len(excerpt) < 300


def test_addition_rejects_unknown_section(seed):
    article = _article()
    with pytest.raises(ValueError, match=r"9\.9"):
        addition(seed, article, _match(article, "9.9"), now=NOW)


def test_is_already_cited(seed):
    cited = seed.references[0].url
    assert is_already_cited(seed, cited)
    assert is_already_cited(seed, cited.rstrip("/") + "?utm_source=rss#comments")
    assert is_already_cited(seed, cited.replace("https://", "http://www."))
    assert not is_already_cited(seed, "https://simonwillison.net/2025/Dec/30/other/")


def test_near_duplicate_english():
    story = (
        "OpenAI released a new image model on Tuesday. It edits photos from text instructions "
        "and draws legible text. The model is available to all ChatGPT users and developers."
    )
    copy = "Update: " + story.replace("Tuesday", "Tuesday morning") + " Read more on our site."
    other = (
        "Anthropic published research on interpretability. Sparse autoencoders reveal features "
        "inside Claude that correspond to concepts such as bridges and code bugs."
    )
    assert near_duplicate(copy, [(1, other), (2, story)]) == 2
    assert near_duplicate(other, [(2, story)]) is None


def test_near_duplicate_chinese_and_summary_containment():
    page = (
        "深度求索今天发布了新一代开源模型，训练成本仅为同类模型的一小部分。"
        "该模型在编程和数学测试中表现接近美国顶尖模型，权重以MIT许可证开放下载。"
        "分析人士认为，这将进一步加剧开源模型领域的竞争。"
    )
    summary = (
        "深度求索今天发布了新一代开源模型，训练成本仅为同类模型的一小部分。"
        "该模型在编程和数学测试中表现接近美国顶尖模型。"
    )
    unrelated = "月之暗面发布新版本智能助手，支持更长的上下文和多文件上传，面向办公用户免费开放。"
    assert near_duplicate(summary, [(7, unrelated), (9, page)]) == 9
    assert near_duplicate(unrelated, [(9, page)]) is None
    assert near_duplicate("", [(9, page)]) is None


OLD_PAGE = """Meet the new biologists treating LLMs like aliens
Published January 12, 2026 at 10:04 am
1,204 views · 37 comments
Researchers at Anthropic study models the way biologists study organisms.
They use sparse autoencoders to find features inside the network.
Subscribe to our newsletter
"""


def test_source_changed_ignores_dates_counters_and_boilerplate(seed):
    churned = (
        OLD_PAGE.replace("January 12, 2026 at 10:04 am", "January 14, 2026 at 9:15 pm")
        .replace("1,204 views · 37 comments", "2,311 views · 52 comments")
        .replace("Subscribe to our newsletter", "Sign up for our newsletter today")
        .replace("  ", " ")
        + "\n\n"
    )
    reference = seed.references[2]
    assert source_changed(seed, reference, OLD_PAGE, churned, now=NOW) is None
    assert source_changed(seed, reference, OLD_PAGE, OLD_PAGE, now=NOW) is None


def test_source_changed_reports_the_new_passage(seed):
    added = "A correction: the Golden Gate Bridge feature was found in Claude 3 Sonnet, not Opus."
    new_page = OLD_PAGE.replace(
        "They use sparse autoencoders", f"{added}\nThey use sparse autoencoders"
    )
    reference = seed.references[2]
    suggestion = source_changed(seed, reference, OLD_PAGE, new_page, now=NOW)
    assert suggestion is not None
    assert suggestion.kind is SuggestionKind.SOURCE_CHANGED
    assert added in suggestion.excerpt
    assert added in suggestion.proposed_text and f"[{reference.number}]" in suggestion.proposed_text
    citing = next(s for s in seed.sections if reference.number in s.citations)
    assert (suggestion.section, suggestion.title, suggestion.url) == (
        citing.id,
        reference.title,
        reference.url,
    )


def test_source_gone_policy_and_archive_url(seed):
    reference = seed.references[0]
    assert (
        source_gone(seed, reference, consecutive_failures=2, status="unreachable", now=NOW) is None
    )
    suggestion = source_gone(seed, reference, consecutive_failures=3, status="unreachable", now=NOW)
    assert suggestion is not None and suggestion.kind is SuggestionKind.SOURCE_GONE
    # The report is dated 2026-02-11 in its footer: the archived copy is taken as of then.
    expected = f"https://web.archive.org/web/20260211/{reference.url}"
    assert suggestion.proposed_text == reference.raw.replace(reference.url, expected)
    assert expected in suggestion.excerpt
    assert suggestion.section == next(s.id for s in seed.sections if 1 in s.citations)
    assert suggestion.title == reference.title
    # 410 is final at once; a 404 is one failure among others.
    assert source_gone(seed, reference, consecutive_failures=1, status="410", now=NOW) is not None
    assert source_gone(seed, reference, consecutive_failures=2, status="404", now=NOW) is None


@pytest.mark.parametrize(
    ("failures", "span", "status", "gone"),
    [
        (4, timedelta(hours=18), "404", False),  # a refresh every 6 h through an outage
        (4, timedelta(hours=18), "unreachable", False),
        (3, timedelta(days=3), "404", True),
        (3, timedelta(days=3), "unreachable", True),
        (2, timedelta(days=9), "unreachable", False),  # long, but only two looks
        (1, timedelta(0), "410", True),  # the server says gone for good
    ],
)
def test_a_source_is_gone_after_failed_checks_spread_over_days(seed, failures, span, status, gone):
    made = source_gone(
        seed, seed.references[0], consecutive_failures=failures, status=status, now=NOW,
        failing_since=NOW - span, min_failures=3, min_days=3,
    )  # fmt: skip
    assert (made is not None) is gone


def test_source_gone_uses_last_good_snapshot_date(english):
    reference = english.references[1]
    suggestion = source_gone(
        english, reference, consecutive_failures=5, status="unreachable", now=NOW,
        last_good=date(2026, 5, 2),
    )  # fmt: skip
    assert suggestion is not None
    assert archive_url(reference.url, date(2026, 5, 2)) in suggestion.proposed_text
    assert re.search(r"failed 5 consecutive checks", suggestion.excerpt)
