"""Quote anchors: found again word for word, reworded, moved, or gone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tracker.claims.anchor import (
    CHANGED,
    MOVED,
    ORPHANED,
    UNCHANGED,
    Anchor,
    anchor_at,
    looks_like_heading,
    reanchor,
    sentence_spans,
    similarity,
)
from tracker.pages import extract_page

# The shared third-party corpus, as tests/test_corpus.py finds it; absent on a clean clone.
CORPUS = Path(
    os.environ.get("TRACKER_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)

PAGE = """Example Weblog
Home | Archive | About

This site uses cookies. Close

The year of agents

Coding agents took off this year. By December 2025 Claude Code had reached one billion \
dollars in annualized revenue, a remarkable number for a command-line tool. Competitors \
followed within months.

Images

In March 2025 OpenAI launched image generation in GPT-4o. It brought in 100 million new \
sign-ups in a week.

© 2025 Example. All rights reserved.
"""
QUOTE = "By December 2025 Claude Code had reached one billion dollars in annualized revenue, \
a remarkable number for a command-line tool."


def anchored(text: str = PAGE, quote: str = QUOTE) -> Anchor:
    start = text.index(quote)
    return anchor_at(text, start, start + len(quote))


def test_anchor_keeps_the_quote_its_context_and_offsets() -> None:
    anchor = anchored()
    assert anchor.exact == QUOTE
    assert PAGE[anchor.start : anchor.end] == QUOTE
    assert anchor.prefix == PAGE[anchor.start - 32 : anchor.start]
    assert anchor.suffix == PAGE[anchor.end : anchor.end + 32]
    at_start = anchor_at(PAGE, 0, 7, context=32)
    assert at_start.prefix == "" and at_start.exact == "Example"


def test_anchor_outside_the_text_is_refused() -> None:
    with pytest.raises(ValueError, match="outside the text"):
        anchor_at("short", 2, 10)


def test_the_same_text_is_unchanged_at_the_same_place() -> None:
    anchor = anchored()
    found = reanchor(anchor, PAGE)
    assert (found.verdict, found.anchor, found.similarity) == (UNCHANGED, anchor, 1.0)


def test_boilerplate_churn_and_reflowed_lines_leave_it_unchanged() -> None:
    anchor = anchored()
    churned = (
        "Skip to content\nYour privacy choices: Accept all / Manage options\n\n"
        + PAGE.replace("Home | Archive | About", "Home · Archive · Newsletter")
        .replace("reached one billion dollars", "reached one billion\ndollars")
        .replace("© 2025", "Copyright 2026")
    )
    found = reanchor(anchor, churned)
    assert found.verdict == UNCHANGED
    assert found.anchor is not None
    assert found.anchor.start > anchor.start  # the banner shifted every offset
    assert churned[found.anchor.start : found.anchor.end] == found.anchor.exact
    assert " ".join(found.anchor.exact.split()) == QUOTE


def test_a_paragraph_moved_among_other_neighbours_is_moved() -> None:
    quote = "It brought in 100 million new sign-ups in a week."
    anchor = anchored(quote=quote)
    moved = PAGE.replace(quote, "").replace(
        "The year of agents\n", f"The year of agents\n\n{quote}\n"
    )
    found = reanchor(anchor, moved)
    assert found.verdict == MOVED
    assert found.anchor is not None and found.anchor.exact == quote


def test_a_changed_number_is_found_in_place_and_changed() -> None:
    anchor = anchored()
    edited = PAGE.replace("one billion dollars", "1.5 billion dollars")
    found = reanchor(anchor, edited)
    assert found.verdict == CHANGED
    assert found.anchor is not None
    assert "1.5 billion dollars" in found.anchor.exact
    assert found.anchor.exact.startswith("By December 2025") and 0.8 < found.similarity < 1.0


def test_a_reworded_passage_between_the_same_neighbours_is_changed() -> None:
    anchor = anchored()
    reworded = "Claude Code's annualized revenue hit a billion dollars by December 2025, \
remarkable for a tool that runs in a terminal."
    found = reanchor(anchor, PAGE.replace(QUOTE, reworded))
    assert found.verdict == CHANGED
    assert found.anchor is not None and found.anchor.exact == reworded


def test_a_removed_passage_is_orphaned() -> None:
    anchor = anchored()
    found = reanchor(anchor, PAGE.replace(QUOTE + " ", ""))
    assert found.verdict == ORPHANED
    assert found.anchor is None and found.similarity < 0.6


def test_a_heading_left_behind_is_not_the_removed_sentence() -> None:
    page = "The $200 a month subscription\n\n2025 saw the rise of the $200 a month \
subscription. Several vendors offer one.\n"
    quote = "2025 saw the rise of the $200 a month subscription."
    anchor = anchored(page, quote)
    assert reanchor(anchor, page.replace(quote + " ", "")).verdict == ORPHANED


def test_typography_alone_is_unchanged() -> None:
    page = 'Intro text here. OpenAI declared a "code red" in December. Outro text.'
    quote = 'OpenAI declared a "code red" in December.'
    anchor = anchored(page, quote)
    found = reanchor(anchor, page.replace('"code red"', "“code red”"))
    assert found.verdict == UNCHANGED


def test_of_two_copies_the_one_among_its_old_neighbours_wins() -> None:
    quote = "The top five places all went to Chinese models."
    page = f"Summary. {quote} More later.\n\nRanking as of December. {quote} Then DeepSeek."
    start = page.rindex(quote)
    anchor = anchor_at(page, start, start + len(quote))
    shifted = "Banner text.\n\n" + page
    found = reanchor(anchor, shifted)
    assert found.verdict == UNCHANGED
    assert found.anchor is not None and found.anchor.start == shifted.rindex(quote)


def test_chinese_text_is_anchored_by_characters() -> None:
    page = "首页 | 关于\n\n智能体元年。Claude Code在2025年12月达到10亿美元年收入。其他内容。\n"
    quote = "Claude Code在2025年12月达到10亿美元年收入。"
    anchor = anchored(page, quote)
    found = reanchor(anchor, page.replace("10亿", "15亿"))
    assert found.verdict == CHANGED
    assert found.anchor is not None and "15亿" in found.anchor.exact


def test_similarity_and_sentences() -> None:
    assert similarity("Claude Code reached $1 billion", "claude code reached $1 billion") == 1.0
    assert similarity("one two three", "four five six") == 0.0
    text = "First sentence here. Second one!\nA line\n\n中文句子。第二句。"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "First sentence here.",
        "Second one!",
        "A line",
        "中文句子。",
        "第二句。",
    ]
    assert looks_like_heading("Coding agents and Claude Code")
    assert not looks_like_heading("Claude Code lets an LLM write code.")


@pytest.mark.skipif(
    not (CORPUS / "MANIFEST.json").is_file(), reason=f"corpus not found at {CORPUS}"
)
def test_a_real_extracted_page_survives_churn_and_loses_a_removed_sentence() -> None:
    source = CORPUS / "pages" / "readability__guardian-1" / "source.html"
    text = extract_page(source.read_bytes(), url="https://example.org/a", headers={}).text
    spans = [(s, e) for s, e in sentence_spans(text) if 80 < e - s < 300]
    assert len(spans) > 6
    start, end = spans[len(spans) // 2]
    anchor = anchor_at(text, start, end)
    churned = "Sign up to our newsletter\n\nAdvertisement\n\n" + text + "\n\nMost viewed\n"
    assert reanchor(anchor, churned).verdict == UNCHANGED
    assert reanchor(anchor, text[:start] + text[end:]).verdict == ORPHANED


def test_a_changed_sentence_is_taken_whole_between_its_neighbours() -> None:
    page = (
        "The ranking put GLM-4.7 first and gpt-oss-120B sixth. The top five places all went "
        "to Chinese models.\n\nDeepSeek 3 came out on December 25, 2024.\n"
    )
    quote = "The top five places all went to Chinese models."
    anchor = anchored(page, quote)
    new = "Only two of the top five places went to Chinese models."
    found = reanchor(anchor, page.replace(quote, new))
    assert found.verdict == CHANGED
    assert found.anchor is not None and found.anchor.exact == new


def test_new_neighbours_and_a_new_number_are_found_near_the_old_place() -> None:
    anchor = anchored()
    edited = PAGE.replace("Coding agents took off this year.", "Agents were everywhere.").replace(
        "Competitors followed within months.", "Rivals soon followed."
    )
    edited = edited.replace("one billion dollars", "two billion dollars")
    found = reanchor(anchor, edited)
    assert found.verdict == CHANGED
    assert found.anchor is not None and "two billion dollars" in found.anchor.exact
    assert found.anchor.exact.endswith("command-line tool.")


def test_a_quote_moved_far_and_edited_is_found_among_the_pages_sentences() -> None:
    filler = "\n\n".join(f"Unrelated paragraph number {n} about something else." for n in range(80))
    page = f"{QUOTE}\n\n{filler}\n"
    anchor = anchored(page)
    moved = f"{filler}\n\n{QUOTE.replace('one billion', 'a billion')}\n"
    found = reanchor(anchor, moved)
    assert found.verdict == CHANGED
    assert found.anchor is not None
    assert found.anchor.exact == QUOTE.replace("one billion", "a billion")
