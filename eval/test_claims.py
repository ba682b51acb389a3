"""The claims evaluation meets issue 12's targets.

Run with ``pytest eval/test_claims.py`` (beside eval/test_eval.py: the harness
is a tool beside the product). It runs ``eval/claims.py`` in full, on the
matcher's real model (about 20 s).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from claims import TARGET, Results, churn, evaluate, load_pages, reorder


@pytest.fixture(scope="module")
def results() -> Results:
    return evaluate()


@pytest.mark.parametrize("kind", ["reworded", "number", "removed", "reordered", "churn"])
def test_every_kind_of_edit_gets_the_right_verdict_for_most_claims(
    results: Results, kind: str
) -> None:
    tally = results.tallies[kind]
    assert tally.claims >= 10, f"too few claims touched by {kind} edits to measure"
    assert tally.share >= TARGET, tally.wrong


@pytest.mark.parametrize("kind", ["reordered", "churn", "untouched"])
def test_churn_reordering_and_edits_elsewhere_make_no_suggestion(
    results: Results, kind: str
) -> None:
    assert results.tallies[kind].suggestions == 0, results.tallies[kind].wrong


def test_unsupported_claims_are_the_ones_explained_in_the_readme(results: Results) -> None:
    readme = (Path(__file__).resolve().parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Claims") :]
    # The count the README states is the count measured (an empty list would pass below).
    stated = re.search(r"Unsupported on the original pages: (\d+) of (\d+) claims", section)
    assert stated is not None, "eval/README.md states no unsupported count"
    assert int(stated.group(1)) == len(results.unsupported)
    for item in results.unsupported:
        plain = item.claim.text.split("[")[0]
        assert plain in section, f"unsupported claim not explained in eval/README.md: {plain}"


def words_between(page: str, start: str, end: str) -> list[str]:
    return sorted(page[page.index(start) : page.index(end)].split())


def test_the_derived_pages_keep_every_word_of_the_body() -> None:
    pages, marks, _ = load_pages()
    for number, text in pages.items():
        body, footer = marks[number]["body"], marks[number]["footer"]
        words = words_between(text, body, footer)
        assert words_between(reorder(text, body, footer), body, footer) == words
        assert words_between(churn(text, body, footer), body, "Related reading") == words
