"""The key fact of an article: what counts as its kind of news and as its thing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.report import load_report
from tracker.suggest.events import event_kind
from tracker.suggest.facts import key_fact
from tracker.suggest.name_runs import product_names
from tracker.suggest.names import NameBook
from tracker.suggest.phrasing import draft_news
from tracker.types import Article, Fact

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"


@pytest.fixture(scope="module")
def names() -> NameBook:
    return NameBook.for_report(load_report(SEED, report_id="ai", language="zh").markdown)


def article(title: str, text: str) -> Article:
    published = datetime(2026, 4, 2, 9, tzinfo=UTC)
    return Article("https://news.example/a", title, text, published, "en", "Example", "h")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Gemini 3 won strong reviews from developers.", "other"),
        ("OpenAI won gold at the International Mathematical Olympiad.", "award"),
        ("The lab's model won first place at the programming finals.", "award"),
        ("谷歌模型获奖。", "award"),
        ("A lab's reasoning system earns gold at the informatics olympiad.", "award"),
        ("The lab opens the weights of its image editor.", "open-source"),
    ],
)
def test_a_win_is_an_award_only_when_something_is_won(text, kind):
    assert event_kind(text) == kind


def test_a_quoted_figure_in_a_headline_is_not_the_thing(names):
    fact = key_fact(
        article(
            'Lab chief says there is a "0%" chance of a listing this year',
            "In a long interview the chief executive said the company has no plans to list its "
            "shares and spoke about its next model, Claude Opus 5.",
        ),
        names,
    )
    assert fact.object != "0%"
    assert fact.event != "award"


def test_a_country_or_its_people_is_not_the_news_thing(names):
    fact = key_fact(
        article(
            "American open models retake the lead in downloads as China slips",
            "Open-weight models from American labs took the largest share of downloads in May.",
        ),
        names,
    )
    assert fact.object not in ("American", "China")


@pytest.mark.parametrize(
    ("title", "text", "not_the_thing"),
    [
        (
            "《连线》专访OpenAI研究员：推理模型如何学会检查自己",
            "《Wired》专访了OpenAI研究员Noam Brown，谈推理模型如何在回答前反复检查自己的步骤。",
            ("Wired", "连线"),
        ),
        (
            "评测机构的新指标：任务时长",
            "论文作者之一Megan Kinniment表示，这一指标比传统基准更能说明模型进步了多少。",
            ("Megan Kinniment",),
        ),
    ],
)
def test_an_outlet_or_a_person_speaking_is_not_the_news_thing(names, title, text, not_the_thing):
    fact = key_fact(article(title, text), names)
    assert fact.object not in not_the_thing


@pytest.mark.parametrize(
    ("title", "text", "actor", "thing"),
    [
        # The company that raises, not an investor named after it.
        (
            "解释性初创公司Tracewell获3000万美元融资，OpenAI参投",
            "初创企业Tracewell宣布完成3000万美元A轮融资，OpenAI也参与了这一轮。",
            "Tracewell",
            None,
        ),
        # What the release verb releases, not a name the headline mentions before it.
        (
            "打破Strassen纪录：DeepMind发布编程智能体AlphaEvolve",
            "谷歌DeepMind发布由Gemini驱动的编程智能体AlphaEvolve，改进了矩阵乘法纪录。",
            None,
            "AlphaEvolve",
        ),
        # A versioned product heading the headline is the thing, not who acts.
        (
            "GPT-5.1 lets ChatGPT decide how long to think",
            "GPT-5.1 Instant, the default model, can now choose to think briefly before answering.",
            "OpenAI",
            "GPT-5.1",
        ),
        # A one-word tier is written with its maker, as the text names it.
        (
            "Perplexity推出月费200美元的Max订阅",
            "AI搜索公司Perplexity推出新的最高档订阅Perplexity Max，月费200美元。",
            None,
            "Perplexity Max",
        ),
        # A capitalised common word the report writes in a name stays in it, and the name
        # keeps its final s ("Analysis", not "Analysi").
        (
            "Artificial Analysis publishes its annual review of open models",
            "Artificial Analysis published its annual review of open-weight models on Monday.",
            "Artificial Analysis",
            None,
        ),
    ],
)
def test_who_did_it_and_to_what(names, title, text, actor, thing):
    fact = key_fact(article(title, text), names)
    if actor is not None:
        assert fact.actor == actor
    if thing is not None:
        assert fact.object == thing
    assert fact.object != "Artificial"


def test_a_model_is_credited_to_its_maker_unless_the_text_has_another_release_it(names):
    hosted = key_fact(
        article(
            "Microsoft releases GPT-5 in Copilot for every user",
            "Microsoft releases GPT-5 in Copilot, with a smart mode that picks the model.",
        ),
        names,
    )
    assert hosted.actor == "Microsoft"
    named_later = key_fact(
        article(
            "一年之后回看：R1发布让英伟达一天蒸发近6000亿美元",
            "2025年1月20日，深度求索发布推理模型DeepSeek R1。",
        ),
        names,
    )
    assert names.lookup(named_later.actor) == names.lookup("DeepSeek")


@pytest.mark.parametrize(
    ("title", "text", "actor"),
    [
        (
            "GitHub's Copilot code review reaches every paid plan",
            "Copilot code review, which comments on pull requests before a human does, is now "
            "available on every paid plan, GitHub said on Tuesday.",
            "GitHub",
        ),
        (
            "星河科技的Copilot助手正式上线",
            "星河科技宣布，其Copilot助手结束测试，向所有付费用户开放。",
            "星河科技",
        ),
    ],
)
def test_a_headline_that_says_whose_the_thing_is_names_the_actor(names, title, text, actor):
    # The name book knows Copilot as Microsoft's; the headline's possessive says otherwise.
    fact = key_fact(article(title, text), names)
    assert fact.actor == actor


def test_a_chinese_headlines_doer_opens_a_clause_and_is_no_adverb_phrase(names):
    fact = key_fact(
        article(
            "千亿参数也开源：星河智能发布旗舰模型Orbit-2",
            "星河智能今天发布并开源旗舰模型Orbit-2，总参数约1000亿，采用混合专家架构。",
        ),
        names,
    )
    assert fact.actor == "星河智能"


def test_a_place_in_a_ranking_is_no_product(names):
    assert product_names("The original model slipped to 17th on LMArena's image board", names) == []


def test_a_glossary_term_is_written_in_chinese_and_a_glossary_name_as_the_report_does(names):
    paper = Fact("Anthropic", "paper", "agent", None, (), "Anthropic studied how an agent plans.")
    draft = draft_news(paper, language="zh", names=names, headline="", source="Example")
    assert "智能体" in draft.text and "agent" not in draft.text


def test_a_glossary_name_is_written_as_the_report_writes_it(names):
    fact = Fact("Google", "ranking", "nano-banana", None, ("17th",), "nano-banana fell to 17th.")
    draft = draft_news(fact, language="zh", names=names, headline="", source="Example")
    # The report writes "Nano Banana"; "纳米香蕉" is the Chinese press's name for it.
    assert "Nano Banana" in draft.text and "纳米香蕉" not in draft.text


def test_a_name_with_accented_letters_is_a_name(names):
    assert product_names("Ai2开源后训练方案Tülu 3", names) == ["Tülu 3"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("谷歌安全团队的智能体Big Sleep发现漏洞", ["Big Sleep"]),
        ("Google's Big Sleep finds another bug", ["Big Sleep"]),
        # In title case a common word is no name, whatever follows it.
        ("A Big Update for Gemini", ["Gemini"]),
    ],
)
def test_a_common_word_starts_a_name_only_where_title_case_cannot_explain_it(names, text, expected):
    assert product_names(text, names) == expected
