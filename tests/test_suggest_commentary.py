"""Commentary that announces nothing is no new bullet: a source for what it discusses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracker.statements import Statement
from tracker.suggest.commentary import discussed_statement, is_commentary
from tracker.suggest.propose import propose
from tracker.types import Article, Match, SuggestionKind

NOW = datetime(2026, 7, 1, tzinfo=UTC)
ASYNC_TREND = "异步智能体模式成为重要趋势。"


@pytest.mark.parametrize(
    "headline",
    [
        "An essay on why coding agents went asynchronous",
        "Interview: a lab chief on why agents need a slower pace",
        "Our 2025 round-up: the year of verifiable rewards",
        "Looking back at 2025: the year models learned to reason",
        "From the archive: a case that programmers will run fleets of agents",
        "某研究者点评某模型：用很小的预算训出前沿模型",
        "某机构创始人长文：智能体为何走向异步",
        "专访某实验室负责人：可解释性还要走多远",
        "年度盘点：大模型这一年",
        "Lab chief says agents will not replace engineers this decade",
        "某实验室创始人直言：智能体还远未成熟",
        "某实验室研究员：强化学习终于跑通了",
        "Lab co-founder: the next model will reason for hours",
    ],
)
def test_commentary_headlines_of_no_known_kind_of_news(headline):
    assert is_commentary(headline)


def test_a_known_kind_of_news_is_news_whatever_its_headline_calls_it():
    assert not is_commentary("Interview: Acme releases its first model")
    assert not is_commentary("专访：某公司完成10亿美元融资")
    assert not is_commentary("Acme ships an agent that works while you sleep")


def statement(text: str, section: str = "3.3", kind: str = "sentence") -> Statement:
    return Statement(section, text, (), kind, 0)


def test_the_discussed_statement_is_the_sections_closest_if_close_enough():
    found = [statement("A。"), statement("B。"), statement("C。", section="8.1")]
    assert discussed_statement(found, [0.3, 0.5, 0.9], section_id="3.3") is found[1]
    assert discussed_statement(found, [0.25, 0.2, 0.9], section_id="3.3") is None


def test_a_bare_list_lead_is_no_statement_to_cite():
    found = [statement("这一模式的优势在于："), statement("异步模式成为重要趋势。")]
    assert discussed_statement(found, [0.6, 0.5], section_id="3.3") is found[1]


# ------------------------------------------------- through propose, with the real model


ESSAY = Article(
    url="https://blog.test/async-agents-essay",
    title="长文：为什么编码智能体都在走向异步",
    text=(
        "一位独立开发者回顾了过去一年的工作方式，认为异步模式已经成为编码智能体的主流趋势："
        "把任务交给云端的智能体，人离开电脑，回来时拿到一个待审的Pull Request。"
        "他说，这让人可以同时推进多个任务。"
    ),
    published=datetime(2026, 5, 20, 9, tzinfo=UTC),
    language="zh",
    source="Test Blog",
    content_hash="essay",
)


def test_commentary_on_a_trend_the_report_states_cites_it(seed_views):
    with_embeddings, _ = seed_views
    made = propose(with_embeddings, ESSAY, Match(ESSAY.url, "3.3", 0.6, {}, ""), now=NOW)
    assert made is not None
    assert made.kind is SuggestionKind.CITATION
    # The statement cites nothing of its own: the essay becomes its source.
    assert made.target == ASYNC_TREND
    assert made.proposed_text == f"异步智能体模式成为重要趋势{with_embeddings.marker}。"


def test_commentary_near_no_statement_stays_an_addition(seed_views):
    with_embeddings, without = seed_views
    # Without embeddings nothing says which statement the essay discusses.
    plain = propose(without, ESSAY, Match(ESSAY.url, "3.3", 0.6, {}, ""), now=NOW)
    assert plain is not None and plain.kind is SuggestionKind.ADDITION
    # Matched to a section whose statements are about something else.
    elsewhere = propose(with_embeddings, ESSAY, Match(ESSAY.url, "8.2", 0.6, {}, ""), now=NOW)
    assert elsewhere is not None and elsewhere.kind is SuggestionKind.ADDITION


def test_a_statement_naming_what_the_headline_names_is_the_one_discussed():
    found = [statement("A。"), statement("B（X）[1]")]
    # Named, it wins however far it embeds; unnamed, the closest if close enough.
    assert discussed_statement(found, [0.6, 0.1], section_id="3.3", named=[found[1]]) is found[1]
    assert discussed_statement(found, [0.6, 0.1], section_id="3.3") is found[0]
