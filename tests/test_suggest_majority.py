"""A majority claim of the report is revised by a measured share below half of its subject."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tracker.report import load_report
from tracker.statements import statements
from tracker.suggest.majority import majority_revision, shares_in
from tracker.types import Fact

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
LICENCES = (
    "这些模型大多采用OSI批准的许可证（如Apache 2.0、MIT），"
    "部分模型性能可与Claude 4 Sonnet和GPT-5竞争[1]。"
)
RL_GAINS = "因此，2025年的大部分能力提升来自于更长的RL运行，而非模型规模的简单增大[1]。"


@pytest.fixture(scope="module")
def seed_statements():
    return statements(load_report(SEED, report_id="ai", language="zh"))


def fact(sentence: str) -> Fact:
    return Fact("", "paper", "", date(2026, 5, 6), (), sentence)


@pytest.mark.parametrize(
    ("sentence", "target", "rewritten"),
    [
        (
            "研究机构估算，强化学习对2025年能力提升的贡献约三分之一。",
            RL_GAINS,
            "因此，2025年的大部分能力提升来自于更长的RL运行（2026年5月统计：约三分之一），"
            "而非模型规模的简单增大。",
        ),
        (
            "Only 8 of 20 popular Chinese open-weight models use an OSI-approved licence.",
            LICENCES,
            "这些模型大多采用OSI批准的许可证（如Apache 2.0、MIT）（2026年5月统计：20中仅8），"
            "部分模型性能可与Claude 4 Sonnet和GPT-5竞争。",
        ),
    ],
)
def test_a_share_below_half_of_the_claims_subject_revises_it_in_place(
    seed_statements, sentence, target, rewritten
):
    found = majority_revision(fact(sentence), seed_statements)
    assert found is not None
    statement, text = found
    assert statement.text == target
    assert text == rewritten


@pytest.mark.parametrize(
    "sentence",
    [
        # More than half: the majority claim still holds.
        "About 70 per cent of the gains came from reinforcement learning, the study finds.",
        # Below half, but of something the claim is not about.
        "Only 30 per cent of users open the app every day.",
        # A clause that also gives a majority may confirm the claim.
        "Reinforcement learning gave 80 per cent of the gains and pretraining 20 per cent.",
    ],
)
def test_a_share_above_half_or_of_another_subject_leaves_the_report(seed_statements, sentence):
    assert majority_revision(fact(sentence), seed_statements) is None


def test_shares_are_read_in_either_language():
    values = {
        round(s.value, 3) for s in shares_in("约三分之一、四成、29 per cent、a quarter、8 of 20")
    }
    assert values == {0.333, 0.4, 0.29, 0.25}


def test_a_share_whose_headline_is_about_something_else_leaves_the_claim(seed_statements):
    news = fact("Models from American developers took 41 per cent of downloads, China 34 per cent.")
    headline = "American open models retake the lead in downloads"
    assert majority_revision(news, seed_statements, headline=headline) is None
    about = "Fewer than half of premium AI subscribers are developers"
    assert majority_revision(news, seed_statements, headline=about) is not None
