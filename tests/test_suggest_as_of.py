"""A snapshot date the report quotes is revised only by its own source's later data."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.suggest.as_of import as_of_revision
from tracker.types import Fact

SNAPSHOT = "根据Artificial Analysis截至2025年12月30日的排名："


def fact(sentence: str) -> Fact:
    return Fact("", "ranking", "", date(2026, 5, 2), (), sentence)


@pytest.mark.parametrize(
    ("sentence", "new_text"),
    [
        (
            "Artificial Analysis published its leaderboard with data as of April 30, 2026.",
            "2026年4月30日",
        ),
        ("Artificial Analysis发布开源权重榜单，数据截至2026年3月31日。", "2026年3月31日"),
    ],
)
def test_the_same_sources_later_snapshot_moves_the_date(
    seed_statements_and_names, sentence, new_text
):
    found, names = seed_statements_and_names
    revised = as_of_revision(fact(sentence), found, names)
    assert revised is not None
    statement, text = revised
    assert statement.text == SNAPSHOT
    assert text == SNAPSHOT.replace("2025年12月30日", new_text)


@pytest.mark.parametrize(
    "sentence",
    [
        # Another source's later data says nothing of this snapshot.
        "LMArena published its text leaderboard with votes as of April 30, 2026.",
        # The same source, an older snapshot.
        "Artificial Analysis data as of November 30, 2025 had GLM-4.6 first.",
        # The same source and a later date that is not an as-of date.
        "Artificial Analysis said on April 30, 2026 that it will add new benchmarks.",
    ],
)
def test_other_sources_older_snapshots_and_plain_dates_leave_it(
    seed_statements_and_names, sentence
):
    found, names = seed_statements_and_names
    assert as_of_revision(fact(sentence), found, names) is None
