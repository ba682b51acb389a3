"""Tests of the evaluation harness's pure parts: the set, its publishing, the scoring.

Run with ``pytest eval/test_eval.py`` (not under tests/: the harness is a tool
beside the product, not part of it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from edits import Proposal, han_share, is_chinese, names_any, same_target, score_edits
from evalset import (
    EvalArticle,
    EvalSetError,
    Gold,
    Names,
    article_page,
    first_sentence,
    load_articles,
    revises_problems,
    rss_feed,
    split_into_feeds,
)
from run import TrackerRun, article_for_url, collect_predictions, write_config
from scoring import best_threshold, score, section_correct

HERE = Path(__file__).resolve().parent
SET = HERE / "articles.yaml"
HOLDOUT = HERE / "holdout.yaml"
HOLDOUT_2 = HERE / "holdout2.yaml"
HOLDOUT_3 = HERE / "holdout3.yaml"
ROUND_8 = HERE / "round8.yaml"
ROUND_9 = HERE / "round9.yaml"
ROUND_10 = HERE / "round10.yaml"
REPORT = HERE.parent / "tests" / "data" / "reports" / "seed.md"  # the frozen seed


def test_shipped_set_meets_the_brief() -> None:
    articles = load_articles(SET)
    labelled = [a for a in articles if a.label is not None]
    assert len(articles) >= 72
    assert (len(articles) - len(labelled)) * 3 >= len(articles)  # at least a third distractors
    assert {a.language for a in articles} == {"en", "zh"}
    assert all(str(a.published) > "2026-02-11" for a in articles)
    assert {a.label.split(".")[0] for a in labelled} == {str(n) for n in range(2, 9)}


@pytest.mark.parametrize(
    ("path", "min_revising"),
    [
        (SET, 12),
        (HOLDOUT, 8),
        (HOLDOUT_2, 6),
        (HOLDOUT_3, 8),
        (ROUND_8, 8),
        (ROUND_9, 8),
        (ROUND_10, 8),
    ],
    ids=["articles", "holdout", "holdout2", "holdout3", "round8", "round9", "round10"],
)
def test_every_labelled_brief_has_gold_and_revises_quote_the_report(
    path: Path, min_revising: int
) -> None:
    articles = load_articles(path)
    labelled = [a for a in articles if a.label is not None]
    assert all(a.gold is not None for a in labelled)
    assert revises_problems(articles, REPORT.read_text(encoding="utf-8")) == []
    new_revises = [a for a in articles if a.revises and a.hypothetical]
    citations = [a for a in labelled if a.gold and a.gold.covered and a.label]
    assert len(new_revises) >= min_revising
    assert len(citations) >= 4
    invented = "https://hypothetical.example/"
    assert all(a.hypothetical == a.url.startswith(invented) for a in articles)


def _article(
    id_: str,
    label: str | None,
    language: str = "en",
    gold: Gold | None = None,
    revises: tuple[str, ...] = (),
) -> EvalArticle:
    from datetime import date

    text = "First sentence here. Second one." if language == "en" else "第一句话。第二句话。"
    return EvalArticle(
        id_,
        f"https://example.org/{id_}",
        date(2026, 3, 1),
        language,
        f"Title <{id_}>",
        text,
        label,
        "note",
        gold=gold,
        revises=revises,
    )


def test_section_accuracy_counts_parent_not_sibling() -> None:
    assert section_correct("3.2", "3.2")
    assert section_correct("3", "3.2")
    assert not section_correct("3.1", "3.2")
    assert not section_correct("3.2.1", "3.2")


def test_scores_follow_the_definitions() -> None:
    articles = [
        _article("a", "3.2"),
        _article("b", "4.1"),
        _article("c", "5.1"),
        _article("d", None),
        _article("e", None),
    ]
    scores = score(articles, {"a": "3", "b": "4.2", "d": "7.1"})
    assert (scores.detected, scores.false_alarms, scores.right_section) == (2, 1, 1)
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.section_accuracy == pytest.approx(1 / 2)
    assert scores.accuracy_all_labelled == pytest.approx(1 / 3)


def test_threshold_separates_when_possible() -> None:
    articles = [_article("a", "2.1"), _article("b", "2.1"), _article("c", None)]
    best = {"a": ("2.1", 0.8), "b": ("2.1", 0.6), "c": ("2.1", 0.3)}
    cut = best_threshold(articles, best)
    assert 0.3 < cut <= 0.6


def test_first_sentence_in_both_languages() -> None:
    assert first_sentence("Alpha beta. Gamma delta.") == "Alpha beta."
    assert first_sentence("甲乙丙。丁戊。") == "甲乙丙。"


def test_page_and_feed_are_well_formed_and_escaped() -> None:
    article = _article("x", "2.1")
    page = article_page(article)
    assert "<title>Title &lt;x&gt;</title>" in page
    assert '<time datetime="2026-03-01">' in page
    feed = rss_feed("Feed", "http://127.0.0.1/", "en", [(article, "http://127.0.0.1/a.html")])
    item = ElementTree.fromstring(feed).find("channel/item")
    assert item is not None
    assert item.findtext("title") == article.title
    assert item.findtext("description") == "First sentence here."
    assert item.findtext("pubDate", "").startswith("Sun, 01 Mar 2026")


def test_feeds_split_by_language_and_cover_every_article() -> None:
    articles = load_articles(SET)
    feeds = split_into_feeds(articles)
    assert 3 <= len(feeds) <= 4
    assert sorted(a.id for members in feeds.values() for a in members) == sorted(
        a.id for a in articles
    )
    assert all(len({a.language for a in members}) == 1 for members in feeds.values())


def test_suggestions_map_back_through_urls() -> None:
    articles = [_article("a", "3.2"), _article("b", None)]
    run = TrackerRun()
    collect_predictions(
        [
            {
                "kind": "addition",
                "report": "ai-2024-2025",
                "section": "3.2",
                "score": 0.5,
                "url": "http://127.0.0.1:9/articles/a.html",
                "urls": ["http://127.0.0.1:9/articles/a.html", "https://example.org/b"],
            },
            {"kind": "source-changed", "section": "1", "url": "http://127.0.0.1:9/articles/b.html"},
            {"kind": "addition", "section": "9", "url": "http://elsewhere.test/x"},
        ],
        articles,
        run,
    )
    assert run.predicted == {"a": "3.2", "b": "3.2"}
    assert run.unmatched_urls == ["http://elsewhere.test/x"]
    assert article_for_url("http://127.0.0.1:1/articles/a.html?utm=1", articles) == "a"


def test_revisions_and_citations_flag_articles_too() -> None:
    articles = [_article("a", "5.1"), _article("b", "2.1"), _article("c", "3.3")]
    run = TrackerRun()
    collect_predictions(
        [
            {
                "kind": "revision",
                "section": "5.1",
                "score": 0.4,
                "url": "http://127.0.0.1:9/articles/a.html",
                "target": "| 1 | GLM-4.7 | 智谱AI |",
                "proposed_text": "| 1 | Qwen3.5 | 阿里巴巴 |",
                "needs_translation": False,
                "drafter": "offline",
            },
            {"kind": "citation", "section": "2", "score": 0.3, "url": "https://example.org/b"},
            {"kind": "source-gone", "section": "3.3", "url": "http://127.0.0.1:9/articles/c.html"},
        ],
        articles,
        run,
    )
    assert run.predicted == {"a": "5.1", "b": "2"}
    assert [(p.kind, p.articles, p.target) for p in run.proposals] == [
        ("revision", ("a",), "| 1 | GLM-4.7 | 智谱AI |"),
        ("citation", ("b",), None),
    ]


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        ("2025-11-18，谷歌发布 Gemini 3，在 LMArena 排名第一 [7]", True),
        ("- 2026-03-12，月之暗面发布Kimi K2 Thinking，在智能体基准上领先[6]", True),
        ("Anthropic的Claude Code年化收入超过40亿美元 https://a.example/x/y/z/w [12]", True),
        (
            "- 2026-11-20，Demo Lab Notes 报道：“Anthropic's Claude Code can now run"
            " tasks in the background and open pull requests” [6]",
            False,
        ),
        ("OpenAI raises ChatGPT Pro to $250 a month [3]", False),
        ("| 1 | GLM-5 | 智谱AI |", True),
        ("- 2026-02-24，Google开源Gemini CLI [6]", True),  # names do not count as English
        ("ChatGPT Pro：$250/月[6]", True),
        ("OpenAI发布gpt-oss-120B和o3-mini", True),
        ("- 2026-03-23，eval-en-1报道：Anthropic finds models hide the hints they use [6]", False),
        ("报道：The State Of The Art In AI", False),  # function words count even capitalised
        ("| 6 | Mistral Large 3 [6] | Mistral |", True),  # names only, like the report's rows
        ("[6] https://example.org/only-a-link", False),
        ("2026-03-01 [6]", False),
        ("", False),
    ],
)
def test_chinese_text_counts_latin_words_as_units(text: str, chinese: bool) -> None:
    assert is_chinese(text) is chinese


def test_han_share_ignores_urls_and_markers() -> None:
    assert han_share("谷歌 https://blog.google/products/gemini/ [1][2]") == 1.0
    assert han_share("[3, 4] 12345") is None


@pytest.mark.parametrize(
    ("text", "spellings", "found"),
    [
        ("2025-11-18，谷歌发布 Gemini 3", ["谷歌", "Google"], True),
        ("2025-11-18，谷歌发布Gemini3", ["Gemini 3"], False),  # a space inside a name matters
        ("谷歌发布 Gemini 3", ["发布Gemini 3"], True),  # spaces next to Chinese do not
        ("GOOGLE 推出 gemini cli", ["Google", "Gemini CLI"], True),
        ("Ｇｅｍｉｎｉ ＣＬＩ（谷歌）", ["Gemini CLI"], True),  # full-width letters
        ("阿里巴巴开源Qwen Code", ["Mistral Vibe"], False),
        ("anything", [], False),
    ],
)
def test_names_are_found_whatever_the_case_and_spacing(
    text: str, spellings: list[str], found: bool
) -> None:
    assert names_any(text, spellings) is found


@pytest.mark.parametrize(
    ("target", "gold", "same"),
    [
        ("| 1 | GLM-4.7 | 智谱AI |", "| 1 | GLM-4.7 | 智谱AI |", True),
        ("|1|GLM-4.7|智谱AI|", "| 1 | GLM-4.7 | 智谱AI |", True),
        ("1 | GLM-4.7 | 智谱AI", "| 1 | GLM-4.7 | 智谱AI |", True),
        ("ChatGPT Pro：$200/月", "- ChatGPT Pro：$200/月[1]", True),
        (
            "2024年12月25日，DeepSeek 3发布，训练成本仅约550万美元[1]。2025年1月20日，R1发布",
            "2024年12月25日，DeepSeek 3发布，训练成本仅约550万美元[1]。",
            True,
        ),
        ("[1]", "- ChatGPT Pro：$200/月[1]", False),  # too partial to be the sentence
        ("| 2 | Kimi K2 Thinking | 月之暗面 |", "| 1 | GLM-4.7 | 智谱AI |", False),
        ("", "| 1 | GLM-4.7 | 智谱AI |", False),
        (None, "| 1 | GLM-4.7 | 智谱AI |", False),
    ],
)
def test_revision_target_matches_whitespace_and_containment(
    target: str | None, gold: str, same: bool
) -> None:
    assert same_target(target, gold) is same


def _gold(actor: str, thing: str, covered: bool, number: tuple[str, ...] = ()) -> Gold:
    return Gold(Names((actor,), (actor,)), Names((thing,), (thing,)), covered, number)


ROW = "| 1 | GLM-4.7 | 智谱AI |"
EDIT_SET = [
    _article("new", "2.1", gold=_gold("OpenAI", "GPT-5", False, ("$200",))),
    _article("covered", "4.3", gold=_gold("Qwen", "Qwen-Image", True)),
    _article("stale", "5.1", gold=_gold("智谱", "GLM-5", False), revises=(ROW,)),
    _article("missed", "3.2", gold=_gold("AWS", "Kiro", False)),
    _article("plain", "6.1"),  # labelled, no gold: only the language figure sees it
    _article("distractor", None),
]


def _proposal(kind: str, text: str, *ids: str, **extra: object) -> Proposal:
    return Proposal(kind=kind, text=text, articles=ids, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("proposals", "expected"),
    [
        (  # the ideal run: every figure at 1.0
            [
                _proposal("addition", "- 2026-03-01，OpenAI发布GPT-5，月费$200 [6]", "new"),
                _proposal("citation", "Qwen于2025年8月发布Qwen-Image系列[1][6]", "covered"),
                _proposal("revision", "| 1 | GLM-5 | 智谱AI |", "stale", target=ROW),
                _proposal("addition", "- 2026-03-02，AWS推出Kiro [7]", "missed"),
            ],
            {
                "in_language": (4, 4),
                "needs_translation": (0, 4),
                "key_facts": (4, 4),
                "key_number": (1, 1),
                "novelty_covered": (1, 1),
                "novelty_new": (3, 3),
                "revisions": (1, 1),
                "stray_revisions": (0, 1),
            },
        ),
        (  # English quotes, a covered event as a bullet, a revision aimed elsewhere
            [
                _proposal("addition", "- eval 报道：“OpenAI made GPT-5 the default model”", "new"),
                _proposal("addition", "- 2026-03-01，通义千问发布Qwen-Image [6]", "covered"),
                _proposal("revision", "| 1 | GLM-5 | 智谱AI |", "stale", target="| 2 | x | y |"),
                _proposal("addition", "AWS Kiro", "missed", needs_translation=True),
                _proposal("addition", "- 2026-03-05，某公司发布新产品 [8]", "plain", "distractor"),
                _proposal("addition", "", "distractor"),  # no text: not a written proposal
                _proposal("source-gone", "ignored", "new"),
            ],
            {
                "in_language": (3, 5),
                "needs_translation": (1, 5),
                "other_language": (1, 5),
                "key_facts": (4, 4),
                "key_number": (0, 1),
                "novelty_covered": (0, 1),
                "novelty_new": (3, 3),  # a revision counts for the brief that revises
                "revisions": (0, 1),
            },
        ),
        (  # nothing proposed: covered events are fine, new ones are not
            [],
            {
                "in_language": (0, 0),
                "key_facts": (0, 0),
                "novelty_covered": (1, 1),
                "novelty_new": (0, 3),
                "revisions": (0, 1),
            },
        ),
        (  # a revision for a brief that revises nothing does not count as proposing it
            [_proposal("revision", "OpenAI发布GPT-5", "new", target=ROW)],
            {
                "novelty_new": (0, 3),
                "revisions": (0, 1),
                "key_facts": (1, 1),
                "stray_revisions": (1, 1),
            },
        ),
        (  # an addition must name the actor; a revision or citation keeps the report's wording
            [
                _proposal("addition", "- 2026-03-01，GPT-5发布 [6]", "new"),
                _proposal("revision", "| 1 | GLM-5 | 新公司 |", "stale", target=ROW),
                _proposal("citation", "Qwen-Image系列可在消费级硬件上运行[1][6]", "covered"),
                _proposal("citation", "OpenAI发布o3[1][6]", "missed"),  # a wrong target
            ],
            {"key_facts": (2, 4), "novelty_covered": (1, 1), "novelty_new": (2, 3)},
        ),
    ],
    ids=["ideal", "mixed", "empty", "stray-revision", "key-facts-by-kind"],
)
def test_edit_figures_follow_the_definitions(
    proposals: list[Proposal], expected: dict[str, tuple[int, int]]
) -> None:
    figures = score_edits(EDIT_SET, proposals).figures()
    got = {name: (figures[name].hits, figures[name].total) for name in expected}
    assert got == expected


def test_edit_misses_and_targets() -> None:
    edits = score_edits(
        EDIT_SET,
        [
            _proposal("addition", "- 通义千问发布Qwen-Image [6]", "covered"),
            _proposal("addition", "- OpenAI released something [6]", "new"),
        ],
    )
    assert edits.misses == {
        "key_facts": ["new"],
        "novelty_covered": ["covered"],
        "novelty_new": ["stale", "missed"],
        "revisions": ["stale"],
    }
    assert edits.in_language.met is False
    assert edits.needs_translation.met is True
    assert edits.as_dict()["revisions"] == {
        "value": 0.0,
        "hits": 0,
        "total": 1,
        "target": ">= 0.7",
        "met": False,
    }


def test_draft_options_reach_the_config(tmp_path: Path) -> None:
    import yaml

    draft = {"endpoint": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": "KEY"}
    path = write_config(tmp_path, tmp_path / "r.md", {"f": "http://127.0.0.1:9/f.xml"}, draft=draft)
    assert yaml.safe_load(path.read_text("utf-8"))["draft"] == draft
    plain = write_config(tmp_path, tmp_path / "r.md", {})
    assert "draft" not in yaml.safe_load(plain.read_text("utf-8"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("gold: {actor: {en: A, zh: A}, thing: {en: T, zh: T}}", "covered"),
        ("gold: {actor: {en: A}, thing: {en: T, zh: T}, covered: false}", "en and zh"),
        ("gold: {actor: {en: A, zh: A}, thing: {en: T, zh: []}, covered: false}", "thing.zh"),
        ("gold: {actor: {en: A, zh: A}, thing: {en: T, zh: T}, covered: maybe}", "covered"),
        ("revises: ''", "revises"),
        (
            "revises: x\n  gold: {actor: {en: A, zh: A}, thing: {en: T, zh: T}, covered: true}",
            "not already covered",
        ),
        ("revise: x", "unknown key"),
        ("hypothetical: 1", "hypothetical"),
    ],
)
def test_bad_gold_and_revises_are_rejected(tmp_path: Path, extra: str, message: str) -> None:
    bad = tmp_path / "set.yaml"
    bad.write_text(
        "articles:\n- id: a\n  url: 'https://x.test/'\n  published: 2026-03-01\n"
        "  language: en\n  title: t\n  text: t\n  label: '2.1'\n  note: n\n"
        f"  {extra}\n",
        encoding="utf-8",
    )
    with pytest.raises(EvalSetError, match=message):
        load_articles(bad)


def test_gold_on_a_distractor_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "set.yaml"
    bad.write_text(
        "articles:\n- {id: a, url: 'https://x.test/', published: 2026-03-01, language: en,"
        " title: t, text: t, label: null, note: n,"
        " gold: {actor: {en: A, zh: A}, thing: {en: T, zh: T}, covered: false}}\n",
        encoding="utf-8",
    )
    with pytest.raises(EvalSetError, match="labelled articles only"):
        load_articles(bad)


def test_bad_label_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "set.yaml"
    bad.write_text(
        "articles:\n- {id: a, url: 'https://x.test/', published: 2026-03-01, language: en,"
        " title: t, text: t, label: three, note: n}\n",
        encoding="utf-8",
    )
    with pytest.raises(EvalSetError, match="label"):
        load_articles(bad)
