"""Accepting a claim check: a claim-changed with a revision replaces its sentence in
the edition like a revision does; one without text, an orphaned or an unsupported
claim change no text."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tracker.claims.proposals import claim_changed, claim_orphaned, unsupported_claim
from tracker.render import render_edition
from tracker.report import parse_report
from tracker.types import Claim, Report, SuggestionStatus

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
REVENUE = "Anthropic的Claude Code在2025年12月达到10亿美元年收入里程碑[1]。"
REVISED = REVENUE.replace("10亿美元", "12亿美元")


@pytest.fixture(scope="module")
def report() -> Report:
    return parse_report(SEED.read_text(encoding="utf-8"), report_id="ai", path="r", language="zh")


def revenue_claim() -> Claim:
    return Claim("c0ffee000001", "ai", "3.3", REVENUE, (1,), "sentence")


def test_an_accepted_claim_revision_replaces_its_sentence_keeping_its_citation(
    report: Report,
) -> None:
    [ref] = [r for r in report.references if r.number == 1]
    s = claim_changed(report, revenue_claim(), ref, before="$1 billion", after="$1.2 billion",
                      score=0.7, revision=REVISED, now=NOW)  # fmt: skip
    accepted = replace(s, id=7, status=SuggestionStatus.ACCEPTED)
    edition = render_edition(report, [accepted], edition_date=date(2026, 11, 21))
    assert REVISED in edition and REVENUE not in edition
    assert "[1][1]" not in edition
    # No new reference: the claim keeps citing its own page.
    assert edition.count(ref.url) == report.markdown.count(ref.url)


def test_accepting_a_claim_check_without_text_changes_nothing(report: Report) -> None:
    [ref] = [r for r in report.references if r.number == 1]
    claim = revenue_claim()
    checks = [
        claim_changed(report, claim, ref, before="a", after="b", score=0.5, revision=None, now=NOW),
        claim_orphaned(report, claim, ref, before="a", score=0.5, anchored_on=None, now=NOW),
        unsupported_claim(report, claim, ref, candidate="c", score=0.2, now=NOW),
    ]
    baseline = render_edition(report, [], edition_date=date(2026, 11, 21))
    for i, s in enumerate(checks):
        accepted = replace(s, id=i + 1, status=SuggestionStatus.ACCEPTED)
        assert render_edition(report, [accepted], edition_date=date(2026, 11, 21)) == baseline
