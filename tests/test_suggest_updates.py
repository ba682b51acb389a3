"""News whose headline says a statement no longer holds becomes a dated update of it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tracker.statements import Statement
from tracker.suggest.propose import propose
from tracker.suggest.updates import signals_change, update_text, updated_statement, with_update
from tracker.types import Article, Match, SuggestionKind

NOW = datetime(2026, 7, 1, tzinfo=UTC)
CONSUMER_HARDWARE = "其可在配备良好的消费级硬件上运行[1]。"


def statement(text: str, section: str = "4.3", kind: str = "sentence") -> Statement:
    return Statement(section, text, (1,), kind, 0)


# ------------------------------------------------------------------ the edit's text


@pytest.mark.parametrize(
    ("text", "chinese", "expected"),
    [
        # A sentence keeps its words and citation; the update follows as a sentence.
        ("OpenAI在2025年失去了其绝对领先地位[1]。", True,
         "OpenAI在2025年失去了其绝对领先地位[1]。2026年6月3日，甲公司收入超过乙公司[9]。"),
        # A list item has no stop of its own: the update joins it.
        ("Google Gemini在图像生成领先[1]", True,
         "Google Gemini在图像生成领先[1]；2026年6月3日，甲公司收入超过乙公司[9]"),
        # A statement introducing a list keeps its colon last.
        ("2025年见证了$200/月订阅模式的兴起[1]：", True,
         "2025年见证了$200/月订阅模式的兴起[1]（2026年6月3日，甲公司收入超过乙公司[9]）："),
        ("Labs raced to ship agents [1].", False,
         "Labs raced to ship agents [1]. As of June 3, 2026, 甲公司收入超过乙公司[9]."),
    ],
)  # fmt: skip
def test_the_update_is_appended_and_the_statement_kept(text, chinese, expected):
    news = "甲公司收入超过乙公司。"
    assert with_update(statement(text), news, date(2026, 6, 3), "[9]", chinese=chinese) == expected


# ------------------------------------------------------------- which statement changes


@pytest.mark.parametrize(
    "headline",
    [
        "Anthropic's revenue passes OpenAI's for the first time",
        "Model X no longer runs on a laptop",
        "某模型价格降至每月100美元",
        "某工具并入新平台",
        "某公司将终端工具捐给开源基金会",
        "Researcher walks back his account of where reasoning comes from",
        "研究问题实测：某模型只答对38%",
        "The lab stops training sparse autoencoders",
        "“通义”退场：某公司大模型换用新品牌",
    ],
)
def test_headlines_that_say_something_changed(headline):
    assert signals_change(headline)


@pytest.mark.parametrize(
    "headline",
    [
        "Google launches Gemini 4",
        "OpenAI发布GPT-6",
        "Qwen tops the open-weights leaderboard",
        "某公司创始人首次回应外界质疑",  # a first is news of its own
        "The R1 paper passes peer review",  # passing a test is no one passed
    ],
)
def test_announcements_and_rankings_signal_no_change(headline):
    assert not signals_change(headline)


def test_the_closest_statement_of_the_section_is_the_one_updated():
    found = [
        statement("A[1]。"),
        statement("B[1]。"),
        statement("C[1]。", section="7.2"),  # closest, but another section
        statement("| 1 | D |", kind="row"),  # a table row: the ranking rule's
    ]
    cosines = [0.45, 0.52, 0.9, 0.8]
    chosen = updated_statement(found, cosines, section_id="4.3", headline="X no longer does B")
    assert chosen is found[1]


def test_no_statement_close_enough_or_no_change_signalled_updates_nothing():
    found = [statement("A[1]。"), statement("B[1]。")]
    assert (
        updated_statement(found, [0.2, 0.3], section_id="4.3", headline="X no longer does B")
        is None
    )
    assert updated_statement(found, [0.2, 0.9], section_id="4.3", headline="X launches B") is None


# ------------------------------------------------- through propose, with the real model


def article(title: str, text: str, language: str = "en") -> Article:
    return Article(
        url="https://news.test/qwen-image-2",
        title=title,
        text=text,
        published=datetime(2026, 5, 12, 9, tzinfo=UTC),
        language=language,
        source="Test Wire",
        content_hash="qwen-image-2",
    )


# A Chinese outlet: with no phrasing for "no longer runs on", the update is its headline.
NO_LONGER = article(
    "Qwen-Image 2不再支持消费级显卡：最低需要80GB显存",
    "阿里通义千问团队5月12日公布第二代开源生图模型Qwen-Image 2的部署要求：至少需要80GB显存，"
    "第一代可以运行的游戏显卡已无法装下。团队建议个人用户改用云端API。",
    language="zh",
)


def test_news_that_a_statement_no_longer_holds_updates_it(seed_views):
    with_embeddings, _ = seed_views
    made = propose(with_embeddings, NO_LONGER, Match(NO_LONGER.url, "4.3", 0.6, {}, ""), now=NOW)
    assert made is not None
    assert made.kind is SuggestionKind.REVISION
    assert made.target == CONSUMER_HARDWARE
    # The statement as written, then the news in Chinese with its date, citing the article.
    assert made.proposed_text.startswith(CONSUMER_HARDWARE)
    update = made.proposed_text[len(CONSUMER_HARDWARE) :]
    assert update.startswith("2026年5月12日，")
    assert "80" in update and update.endswith(f"{with_embeddings.marker}。")
    assert not made.needs_translation


def test_news_of_a_change_to_a_statement_naming_its_thing_is_an_update_not_a_citation(seed_views):
    with_embeddings, without = seed_views
    retired = article(
        "OpenAI停止更新Codex CLI，并入ChatGPT桌面应用",
        "OpenAI 5月12日宣布，开源终端编程工具Codex CLI将停止更新，其功能并入ChatGPT桌面应用，"
        "GitHub仓库转为只读。已有用户可以一键迁移设置。",
        language="zh",
    )
    match = Match(retired.url, "3.2", 0.6, {}, "")
    # Without embeddings the rules see a list item naming Codex CLI: the news would cite it.
    cited = propose(without, retired, match, now=NOW)
    assert cited is not None and cited.kind is SuggestionKind.CITATION
    made = propose(with_embeddings, retired, match, now=NOW)
    assert made is not None and made.kind is SuggestionKind.REVISION
    assert made.target == "Codex CLI（OpenAI）[1]"
    assert (
        made.proposed_text
        == f"Codex CLI（OpenAI）[1]；2026年5月12日，{retired.title}{with_embeddings.marker}"
    )


def test_without_embeddings_or_a_change_signal_the_news_is_an_addition(seed_views):
    with_embeddings, without = seed_views
    match = Match(NO_LONGER.url, "4.3", 0.6, {}, "")
    plain = propose(without, NO_LONGER, match, now=NOW)
    assert plain is not None and plain.kind is SuggestionKind.ADDITION
    launch = article(
        "Alibaba releases Qwen-Image 2",
        "Alibaba releases Qwen-Image 2. The second open image model from the Qwen team came "
        "out on May 12, 2026, with better text rendering.",
    )
    made = propose(with_embeddings, launch, Match(launch.url, "4.3", 0.6, {}, ""), now=NOW)
    assert made is not None and made.kind is SuggestionKind.ADDITION


def test_a_headline_in_the_reports_language_is_the_update_itself():
    assert (
        update_text("Qwen-Image 2不再支持消费级显卡", chinese=True)
        == "Qwen-Image 2不再支持消费级显卡"
    )
    assert update_text("Qwen-Image 2 no longer runs on consumer cards", chinese=True) is None
    assert update_text("Qwen-Image 2 no longer runs on consumer cards", chinese=False) is not None


def test_a_statement_naming_what_the_headline_names_is_the_one_updated():
    found = [statement("A[1]。"), statement("B（X）[1]")]
    change = "X no longer does B"
    assert updated_statement(found, [0.2, 0.35], section_id="4.3", headline=change) is None
    named = [found[1]]
    update = updated_statement(found, [0.2, 0.35], section_id="4.3", headline=change, named=named)
    assert update is found[1]
    # Named, it wins however far it embeds: short list items embed far from any news.
    update = updated_statement(found, [0.9, 0.1], section_id="4.3", headline=change, named=named)
    assert update is found[1]
    # Of several named, the closest.
    update = updated_statement(found, [0.2, 0.1], section_id="4.3", headline=change, named=found)
    assert update is found[0]


def test_a_row_of_a_describing_table_takes_the_update_in_its_last_cell():
    trend = Statement(
        "8.1", "| 智能体 | Claude Code等工具实现多步骤任务自动化 |", (), "row", 0,
        cells=("智能体", "Claude Code等工具实现多步骤任务自动化"), header=("趋势", "描述"),
    )  # fmt: skip
    ranked = Statement(
        "8.1", "| 1 | GLM-4.7 | 智谱AI |", (), "row", 0,
        cells=("1", "GLM-4.7", "智谱AI"), header=("排名", "模型", "公司"),
    )  # fmt: skip
    change = "Codex passes Claude Code as the most used coding agent"
    chosen = updated_statement([trend, ranked], [0.5, 0.9], section_id="8.1", headline=change)
    assert chosen is trend  # the ranking row, closer, is the ranking rule's
    updated = with_update(trend, "Codex超过Claude Code", date(2026, 6, 3), "[7]", chinese=True)
    assert updated == (
        "| 智能体 | Claude Code等工具实现多步骤任务自动化；2026年6月3日，Codex超过Claude Code[7] |"
    )


def test_an_update_is_dated_when_reported_not_by_a_date_it_announces(seed_views):
    with_embeddings, _ = seed_views
    title = "阿里Qwen Code将于8月31日后停更，功能并入通义灵码"
    retiring = Article(
        url="https://news.test/qwen-code",
        title=title,
        text="阿里巴巴6月20日宣布，终端编程工具Qwen Code将于8月31日后停止更新，功能并入通义灵码。",
        published=datetime(2026, 6, 20, 9, tzinfo=UTC),
        language="zh",
        source="Test Wire",
        content_hash="qwen-code",
    )
    made = propose(with_embeddings, retiring, Match(retiring.url, "3.2", 0.6, {}, ""), now=NOW)
    assert made is not None and made.kind is SuggestionKind.REVISION
    assert made.target == "Qwen Code（阿里巴巴）[1]"
    assert (
        made.proposed_text
        == f"Qwen Code（阿里巴巴）[1]；2026年6月20日，{title}{with_embeddings.marker}"
    )
