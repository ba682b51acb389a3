"""Whether a report statement names the thing news is about."""

from __future__ import annotations

import pytest

from tracker.suggest.naming import names_object


@pytest.mark.parametrize(
    ("statement", "thing", "named"),
    [
        # A version belongs to the name it is written with, not to another in the sentence.
        ("部分模型性能可与Claude 4 Sonnet和GPT-5竞争", "GPT-4", False),
        ("部分模型性能可与Claude 4 Sonnet和GPT-5竞争", "GPT-5", True),
        # Bare versions joined to a name, and a bracket of members after it, are its own.
        ("Google推出Gemini 2.5和3.0系列", "Gemini 3", True),
        ("Google推出Gemini 2.5和3.0系列", "Gemini 4", False),
        ("智谱AI（GLM-4.5/4.6/4.7）", "GLM-4.6", True),
        ("MiniMax（M2系列）", "MiniMax M2", True),
        # Two things joined by "and" are named when both are.
        ("2025年，OpenAI相继发布o3、o3-mini、o4-mini等推理模型", "o3 and o4-mini", True),
        ("2025年，OpenAI相继发布o3、o3-mini等推理模型", "o3 and o4-mini", False),
    ],
)
def test_a_statement_names_a_thing_with_its_own_versions(statement, thing, named):
    assert names_object(statement, thing) is named
