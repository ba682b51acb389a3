"""propose() over hostile articles: empty, huge without sentence ends, regex metacharacters,
mixed scripts. Each must come back (a suggestion or None) without an exception; the
long ones once took minutes through quadratic scans (names.find, name_runs, the
"from …" look-back of phrasing, the thing's name key asked per statement)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.match import embed
from tracker.report import load_report
from tracker.suggest.propose import ReportView, propose
from tracker.types import Article, Match

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)

# About 200 kB each where the case is about length.
HOSTILE = {
    "empty": ("", ""),
    "empty title": ("", "Anthropic released Claude Opus 4.5 on November 24, 2025."),
    "empty text": ("OpenAI releases GPT-5.1", ""),
    "whitespace only": ("   ", "\n\n\t  \n"),
    "regex metacharacters": (
        "(.*)+[?] GPT-5.1 \\d (a|b)* $^ {3} [",
        "Anthropic's (Claude+ Opus*) [4.5] ranks #1 on LMArena with 1500 points. \\1 (?P<x>",
    ),
    "one long lower-case word": ("OpenAI releases GPT-5.1", "a" * 200_000),
    "words without sentence ends": (
        "OpenAI releases GPT-5.1",
        " ".join(f"Word{i} alpha" for i in range(17_000)),
    ),
    "one endless name": ("x", "Research Goblin " * 12_500),
    "versioned names joined by and": ("x", "Gemini 3 Pro and o4-mini, " * 8_000),
    "an actor named again and again": ("OpenAI ships", "OpenAI's " * 22_000),
    "shares without sentence ends": ("x", "most of the top 10 models " + "45% " * 50_000),
    "dates without sentence ends": ("x", "as of December 30, 2025 " * 8_000),
    "chinese without sentence ends": ("谷歌发布Gemini 3", "谷歌发布了模型" * 10_000),
    "mixed scripts": (
        "谷歌 Gemini 3 في المرتبة الأولى 🚀",
        "Google 发布 Gemini 3，在 LMArena 排名第一。Модель набрала 1501 балл. " * 2_000,
    ),
    "hyphens": ("x", "-".join(["a"] * 100_000)),
    "dotted digits": ("x", "1.2.3.4." * 25_000),
    # Headlines that take the embedding paths: a change to a statement, commentary.
    "change without sentence ends": ("Gemini 3 no longer tops LMArena", "Gemini 3 and " * 20_000),
    "commentary without sentence ends": ("长文：推理模型这一年", "推理模型与强化学习" * 20_000),
}


@pytest.fixture(scope="module")
def view() -> ReportView:
    # With embeddings, as a refresh builds it: the update and commentary paths read the
    # article's headline and lede too.
    return ReportView.of(load_report(SEED, report_id="ai-2024-2025", language="zh"), embed=embed)


# One prose section and the ranking table's: revisions and coverage read both kinds of
# statement. Each case goes to one of them, so the suite pays for each text once.
SECTIONS = ("2.1", "5.1")


@pytest.mark.parametrize(
    ("title", "text", "section"),
    [(t, x, SECTIONS[i % 2]) for i, (t, x) in enumerate(HOSTILE.values())],
    ids=list(HOSTILE),
)
def test_propose_survives_hostile_article(view, title, text, section):
    article = Article(
        url="https://example.com/hostile",
        title=title,
        text=text,
        published=datetime(2026, 11, 20, tzinfo=UTC),
        language="en",
        source="hostile",
        content_hash="h",
    )
    match = Match(article.url, section, 0.6, {}, evidence=text[:200])
    suggestion = propose(view, article, match, now=NOW)
    assert suggestion is None or suggestion.url == article.url
