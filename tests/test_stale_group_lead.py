"""A group's lead in a field ("中国模型在开源领域领先") ends when news says another overtook it."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.suggest.stale_claims import stale_claim
from tracker.types import Fact

CLAIM = "中国模型在开源领域领先[1]"


def ended(seed_statements_and_names, headline: str, sentence: str):
    found, names = seed_statements_and_names
    fact = Fact("Hugging Face", "ranking", "", date(2026, 6, 10), (), sentence)
    return stale_claim(fact, found, names, headline=headline, section_titles={}, place=None)


@pytest.mark.parametrize(
    ("headline", "sentence"),
    [
        (
            "American open models retake the lead in downloads, China slips to No. 2",
            "US open-weight models took 41 per cent of downloads and Chinese ones 34 per cent.",
        ),
        (
            "美国开源模型下载量反超",
            "最新统计显示，美国开源权重模型的下载量超越了中国模型，中国降至第二。",
        ),
    ],
)
def test_another_group_overtaking_this_one_in_the_field_ends_its_lead(
    seed_statements_and_names, headline, sentence
):
    found = ended(seed_statements_and_names, headline, sentence)
    assert found is not None
    statement, text = found
    assert statement.text == f"- {CLAIM}" or statement.text == CLAIM
    assert text == "中国模型在开源领域领先（2026年6月起被美国模型超越）"


@pytest.mark.parametrize(
    ("headline", "sentence"),
    [
        # The group keeps its lead; another is second.
        (
            "Chinese open models extend their lead; US second",
            "Chinese open-weight models took 45 per cent of downloads, American ones are No. 2.",
        ),
        # Another field: image generation, not open models.
        (
            "China slips to No. 2 in image generation patents",
            "American firms filed the most image generation patents this year.",
        ),
    ],
)
def test_the_lead_stands_when_the_group_keeps_it_or_the_field_differs(
    seed_statements_and_names, headline, sentence
):
    assert ended(seed_statements_and_names, headline, sentence) is None


def test_a_share_needs_a_task_in_common_but_a_best_at_claim_may_share_a_name():
    from tracker.suggest.stale_claims import _shares_task

    # 谷歌/Google is a glossary name: it says whose share, not of which market.
    assert _shares_task("Google Gemini在图像生成领先", "Google's Gemini rose to 21.5 percent")
    assert not _shares_task(
        "Google Gemini在图像生成领先", "Google's Gemini rose to 21.5 percent", tasks_only=True
    )
    assert _shares_task(
        "Google Gemini在图像生成领先", "Gemini's share of image generation", tasks_only=True
    )
