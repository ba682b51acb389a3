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

from evalset import (
    EvalArticle,
    EvalSetError,
    article_page,
    first_sentence,
    load_articles,
    rss_feed,
    split_into_feeds,
)
from run import TrackerRun, article_for_url, collect_predictions
from scoring import best_threshold, score, section_correct

SET = Path(__file__).resolve().parent / "articles.yaml"


def test_shipped_set_meets_the_brief() -> None:
    articles = load_articles(SET)
    labelled = [a for a in articles if a.label is not None]
    assert len(articles) >= 72
    assert (len(articles) - len(labelled)) * 3 >= len(articles)  # at least a third distractors
    assert {a.language for a in articles} == {"en", "zh"}
    assert all(str(a.published) > "2026-02-11" for a in articles)
    assert {a.label.split(".")[0] for a in labelled} == {str(n) for n in range(2, 9)}


def _article(id_: str, label: str | None, language: str = "en") -> EvalArticle:
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


def test_bad_label_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "set.yaml"
    bad.write_text(
        "articles:\n- {id: a, url: 'https://x.test/', published: 2026-03-01, language: en,"
        " title: t, text: t, label: three, note: n}\n",
        encoding="utf-8",
    )
    with pytest.raises(EvalSetError, match="label"):
        load_articles(bad)
