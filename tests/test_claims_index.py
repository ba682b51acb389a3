"""The claim index on the frozen seed report: which statements are claims, what
each holds, and ids that follow the sentence rather than its position."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracker.claims.index import claims_of
from tracker.report import parse_report
from tracker.types import Claim, Report

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
REVENUE = "Anthropic的Claude Code在2025年12月达到10亿美元年收入里程碑[1]。"
DEEPSEEK_R1 = "2025年1月20日，DeepSeek R1发布"


def seed(markdown: str | None = None) -> Report:
    text = SEED.read_text(encoding="utf-8") if markdown is None else markdown
    return parse_report(text, report_id="ai", path=str(SEED), language="zh")


@pytest.fixture(scope="module")
def claims() -> list[Claim]:
    return claims_of(seed())


def by_text(claims: list[Claim], start: str) -> Claim:
    [found] = [c for c in claims if c.text.startswith(start)]
    return found


def test_every_claim_is_a_cited_statement_of_its_own_section(claims: list[Claim]) -> None:
    report = seed()
    lines = report.markdown.split("\n")
    assert len(claims) > 50
    for claim in claims:
        section = report.section(claim.section)
        assert section is not None
        body = "\n".join(lines[section.start_line + 1 : section.end_line])
        assert claim.text in body, claim
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", claim.text)}
        assert set(claim.references) == markers and claim.references
        assert claim.kind in ("sentence", "item", "row")


def test_uncited_statements_and_the_reference_list_are_not_claims(claims: list[Claim]) -> None:
    texts = [c.text for c in claims]
    # The abstract, the conclusion and the uncited ranking table cite nothing.
    assert not any("本文系统梳理" in t or "关键转折期" in t for t in texts)
    assert not any("GLM-4.7" in t and t.startswith("|") for t in texts)
    assert not any("simonwillison.net" in t for t in texts)
    # The sentence after the table does cite, and so is one.
    assert by_text(claims, "前五名均为中国模型").references == (1,)


def test_a_claim_lists_its_figures_dates_and_names(claims: list[Claim]) -> None:
    revenue = by_text(claims, REVENUE)
    assert revenue.section == "3.3" and revenue.kind == "sentence"
    assert revenue.numbers == ("10亿美元",)
    assert revenue.dates == ("2025年12月",)
    assert {"Anthropic", "Claude Code"} <= set(revenue.names)

    r1 = by_text(claims, DEEPSEEK_R1)
    assert set(r1.numbers) == {"5930亿美元"}
    assert r1.dates == ("2025年1月20日",)
    assert {"DeepSeek R1", "NVIDIA"} <= set(r1.names)

    # Chinese spellings of known actors are names, whole: 智谱AI, not a stray "AI".
    zhipu = by_text(claims, "智谱AI（GLM")
    assert zhipu.kind == "item"
    assert zhipu.names[0] == "智谱AI" and "AI" not in zhipu.names
    # The report's own zh↔en pairs give the Chinese side too.
    assert "稀疏自编码器" in by_text(claims, "研究人员使用稀疏自编码器").names
    # A shorter Latin name inside a longer one is not listed again...
    assert "GPT-5" not in by_text(claims, "AI辅助搜索的有效化").names
    # ...but one standing on its own beside it is.
    assert {"Qwen", "Qwen-Image"} <= set(by_text(claims, "Qwen于2025年8月").names)
    # Another reference than [1]:
    assert by_text(claims, "Anthropic发布Claude 4系列").references == (2,)
    assert all(c.references == (3,) for c in claims if c.section.startswith("6."))


def test_ids_are_short_hex_and_unique(claims: list[Claim]) -> None:
    assert all(re.fullmatch(r"[0-9a-f]{12}", c.id) for c in claims)
    assert len({c.id for c in claims}) == len(claims)


def test_an_id_follows_its_sentence_not_its_position(claims: list[Claim]) -> None:
    markdown = SEED.read_text(encoding="utf-8")
    # A new paragraph early in the report shifts every line; an edit to one claim
    # changes that claim only.
    shifted = markdown.replace(
        "## 二、大语言模型推理能力的突破\n",
        "## 二、大语言模型推理能力的突破\n\n这是新加的一段说明，没有引用。\n",
    ).replace(REVENUE, REVENUE.replace("10亿美元", "12亿美元"))
    after = {c.text: c.id for c in claims_of(seed(shifted))}
    before = {c.text: c.id for c in claims}
    assert REVENUE not in after
    assert after[REVENUE.replace("10亿美元", "12亿美元")] not in before.values()
    kept = {text: i for text, i in before.items() if text != REVENUE}
    assert {text: after[text] for text in kept} == kept
    # Another report's identical sentence is another claim.
    other = claims_of(parse_report(markdown, report_id="other", path="x", language="zh"))
    assert not {c.id for c in other} & set(before.values())


def test_a_repeated_statement_in_one_section_is_two_claims() -> None:
    markdown = SEED.read_text(encoding="utf-8").replace(
        "- 支持并行任务处理[1]\n", "- 支持并行任务处理[1]\n- 支持并行任务处理[1]\n"
    )
    twins = [c for c in claims_of(seed(markdown)) if c.text == "支持并行任务处理[1]"]
    assert len(twins) == 2 and twins[0].id != twins[1].id
    # The first keeps the id it had alone.
    [alone] = [c for c in claims_of(seed()) if c.text == "支持并行任务处理[1]"]
    assert twins[0].id == alone.id
