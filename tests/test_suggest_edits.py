"""From an article to the edit: key facts, novelty, revisions and citations, table-driven.

The cases (tests/data/suggest/edits.yaml) are articles written from public
facts; each is proposed against a frozen copy of the seed report and must
become the edit it names, with the target statement verbatim.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.report import load_report
from tracker.statements import general_references, statements
from tracker.suggest.propose import ReportView, propose
from tracker.types import Article, Match, Report, SuggestionKind

DATA = Path(__file__).parent / "data"
CASES = yaml.safe_load((DATA / "suggest" / "edits.yaml").read_text(encoding="utf-8"))["cases"]
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seed() -> Report:
    return load_report(DATA / "reports" / "seed.md", report_id="ai", language="zh")


@pytest.fixture(scope="module")
def view(seed: Report) -> ReportView:
    return ReportView.of(seed)


def article_of(case: dict[str, Any]) -> Article:
    published = case.get("published", date(2026, 11, 20))
    return Article(
        url=f"https://news.example/{abs(hash(case['name']))}",
        title=case["title"],
        text=case["text"],
        published=datetime.combine(published, time(9), tzinfo=UTC),
        language=case.get("language", "en"),
        source="Example News",
        content_hash="h",
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_an_article_becomes_the_edit_it_deserves(view: ReportView, case: dict[str, Any]) -> None:
    article = article_of(case)
    match = Match(article.url, case["section"], 0.6, {}, evidence="")
    proposal = propose(view, article, match, now=NOW, source_names=("Example News",))
    expect = case["expect"]
    if expect["kind"] == "none":
        assert proposal is None
        return
    assert proposal is not None
    fact = proposal.fact
    assert fact is not None
    for key, wanted in expect.get("fact", {}).items():
        got = getattr(fact, key)
        if key == "sentence":
            assert wanted in got
        elif key == "numbers":
            assert set(wanted) <= set(got)
        elif key == "date":
            assert got == wanted
        else:
            assert got == wanted, key
    for fragment in expect.get("fact_absent", []):
        assert fragment not in fact.sentence
    assert proposal.kind is SuggestionKind(expect["kind"])
    assert proposal.target == expect.get("target")
    if expect.get("target"):
        assert proposal.target in view.report.markdown  # verbatim: the edition can replace it
    for fragment in expect.get("proposed", []):
        assert fragment in proposal.proposed_text
    for fragment in expect.get("absent", []):
        assert fragment not in proposal.proposed_text
    assert proposal.needs_translation is expect.get("needs_translation", False)
    assert proposal.novelty == ("new" if expect["kind"] == "addition" else "covered")


def test_every_statement_is_verbatim_and_knows_its_citations(seed: Report) -> None:
    lines = seed.markdown.split("\n")
    found = statements(seed)
    assert all(s.text in lines[s.line] for s in found)
    rows = [s for s in found if s.kind == "row" and s.section_id == "5.1"]
    assert [r.cells[1] for r in rows][:2] == ["GLM-4.7", "Kimi K2 Thinking"]
    assert rows[0].header == ("排名", "模型", "公司")
    revenue = next(s for s in found if "10亿美元" in s.text)
    assert (revenue.section_id, revenue.citations) == ("3.3", (1,))


def test_a_source_cited_across_the_report_is_general(seed: Report) -> None:
    # [1] (a year in review) backs most chapters; [2] and [3] back one each.
    assert general_references(seed) == frozenset({1})
