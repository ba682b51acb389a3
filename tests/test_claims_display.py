"""Where claim checks and dated statements show: the digest (text and HTML) and the edition.

Claim suggestions are built here with their evidence directly, stored in a
real SQLite file, and the digest is produced by the real ``run_digest``
(outbox delivery, so the "listed once" record is written as for a sent mail).
"""

from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tracker.config import Config, parse_config
from tracker.notify.digest import run_digest
from tracker.render.changelog import changelog_entry
from tracker.render.edition import render_edition
from tracker.report import load_report
from tracker.store import Store, open_store
from tracker.types import PassageEvidence, Report, Suggestion, SuggestionKind, SuggestionStatus

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # a few weeks after the report's own date
CLAIM = "Anthropic的Claude Code在2025年12月达到10亿美元年收入里程碑[1]。"
BEFORE = "Claude Code reached $1 billion in annual run-rate revenue in December 2025."
AFTER = "Claude Code reached $2 billion in annual run-rate revenue in December 2025."
REVISED = "Anthropic的Claude Code在2025年12月达到20亿美元年收入里程碑[1]。"
HOSTILE = "<script>alert(1)</script> & “quoted”"


@pytest.fixture
def report() -> Report:
    return load_report(SEED, report_id="ai", language="zh")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    shutil.copyfile(SEED, tmp_path / "report.md")
    raw: dict[str, Any] = {
        "reports": [{"id": "ai", "path": "report.md", "language": "zh"}],
        "schedule": {"timezone": "UTC"},
        "digest": {"base_url": "http://127.0.0.1:8765"},
    }
    return parse_config(raw, tmp_path / "sources.yaml")


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    opened = open_store(config.state_dir / "tracker.sqlite3", now=NOW)
    yield opened
    opened.close()


def claim_suggestion(kind: SuggestionKind, **changes: Any) -> Suggestion:
    base = Suggestion(
        report="ai",
        section="3.3",
        section_title="异步智能体模式",
        kind=kind,
        score=0.8,
        title="2025: The year in LLMs",
        url="https://simonwillison.net/2025/Dec/31/the-year-in-llms/",
        published=None,
        source="cited",
        excerpt="",
        proposed_text="",
        created_at=NOW - timedelta(days=1),
        target=CLAIM,
        evidence=PassageEvidence(reference=1, before=BEFORE, after=AFTER, score=0.82),
    )
    return replace(base, **changes)


def test_the_digest_shows_a_changed_claim_with_both_passages_and_the_revision(
    config: Config, store: Store
) -> None:
    changed = store.add_suggestion(
        claim_suggestion(SuggestionKind.CLAIM_CHANGED, proposed_text=REVISED)
    )
    orphaned = store.add_suggestion(
        claim_suggestion(
            SuggestionKind.CLAIM_ORPHANED,
            section="4.2",
            target="2025年11月发布的Nano Banana Pro达到专业级水准[1]",
            evidence=PassageEvidence(
                reference=1,
                before="Nano Banana Pro, released in November, " + HOSTILE,
                after=None,
                score=0.0,
                archived_url="https://web.archive.org/web/2026/https://simonwillison.net/x",
            ),
        )
    )
    result = run_digest(config, store, now=NOW, send=False)
    text = result.text
    assert result.suggestions == 2
    # Its own group, under the claim's section, with the sentence, both passages, the revision.
    block = text[text.index("§ 3.3") :]
    assert "引文核对" in block.split("§ 4.2")[0]
    for expected in (CLAIM, BEFORE, AFTER, REVISED, f"tracker accept {changed}", "参考文献 [1]"):
        assert expected in block.split("§ 4.2")[0], expected
    assert block.index("原引文") < block.index(BEFORE) < block.index("现引文") < block.index(AFTER)
    assert block.index(AFTER) < block.index("建议改为") < block.index(REVISED)
    # The lost passage: the archived copy's link, no "now" passage.
    lost = text[text.index("§ 4.2") :]
    assert "引文已不在原页" in lost and "https://web.archive.org/web/2026/" in lost
    assert f"tracker accept {orphaned}" in lost and "现引文" not in lost
    # The HTML escapes what the page said and shows the passages side by side.
    html = _html(config, store)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in html
    row = html[html.index(BEFORE) - 600 : html.index(AFTER)]
    assert "<td" in row and BEFORE in row
    assert f"http://127.0.0.1:8765/suggestions/{changed}" in html


def _html(config: Config, store: Store) -> str:
    """The HTML part of the digest as delivered (to the outbox: no SMTP server configured)."""
    result = run_digest(config, store, now=NOW, send=True)
    assert result.sent and result.outbox_path is not None
    message = email.message_from_bytes(result.outbox_path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def test_an_unsupported_claim_shows_the_closest_passage_and_its_score(
    config: Config, store: Store
) -> None:
    store.add_suggestion(
        claim_suggestion(
            SuggestionKind.UNSUPPORTED_CLAIM,
            evidence=PassageEvidence(reference=1, before=None, after="Something else.", score=0.31),
        )
    )
    text = run_digest(config, store, now=NOW, send=False).text
    assert "来源未见此说法" in text and "来源中最接近的段落" in text and "(0.31)" in text
    assert "Something else." in text and "原引文" not in text


def test_statements_to_recheck_are_listed_once_with_their_age_and_newer_news(
    config: Config, store: Store, report: Report
) -> None:
    later = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # the ranking of 30 Dec 2025 is 6 months old
    section = report.section("5.1")
    assert section is not None
    news = store.add_suggestion(
        Suggestion(
            report="ai",
            section="5.1",
            section_title=section.title,
            kind=SuggestionKind.ADDITION,
            score=0.7,
            title="Artificial Analysis: Kimi K3 now leads the open-weights ranking",
            url="https://news.example.org/kimi-k3",
            published=datetime(2026, 6, 20, tzinfo=UTC),
            source="Example",
            excerpt="Kimi K3 overtakes GLM-4.7 on the Artificial Analysis index.",
            proposed_text="2026年6月，Kimi K3登顶Artificial Analysis开源权重模型排名。",
            created_at=later - timedelta(days=40),  # outside the period: still related news
        )
    )
    unrelated = store.add_suggestion(
        Suggestion(
            report="ai",
            section="5.1",
            section_title=section.title,
            kind=SuggestionKind.ADDITION,
            score=0.7,
            title="Chip exports tighten",
            url="https://news.example.org/chips",
            published=datetime(2026, 6, 21, tzinfo=UTC),
            source="Example",
            excerpt="New rules on chip exports.",
            proposed_text="芯片出口规则收紧。",
            created_at=later - timedelta(days=40),
        )
    )
    assert news != unrelated
    first = run_digest(config, store, now=later, send=True)
    assert first.sent
    text = first.text
    rechecks = text[text.index("待复核的时效性陈述") :]
    assert "根据Artificial Analysis截至2025年12月30日的排名：" in rechecks
    assert "已过 6 个月（截至2025年12月30日）" in rechecks
    assert "另有 2 条时效性陈述待复核。" in rechecks  # the closing summary counts them
    ranking = rechecks[rechecks.index("截至2025年12月30日的排名") :].split("§")[0]
    assert "Kimi K3 now leads" in ranking and "https://news.example.org/kimi-k3" in ranking
    assert "Chip exports" not in ranking
    # Statements dated by the report itself (11 Feb 2026) are not yet 6 months old.
    assert "Google Gemini在图像生成领先" not in rechecks

    # Once: the next digest does not list them again, even when it is sent.
    second = run_digest(config, store, now=later + timedelta(days=7), send=False)
    assert "待复核的时效性陈述" not in second.text
    assert second.skipped_reason == "nothing new in this period"
    # Six months after the report's date, its own statements come due, once.
    autumn = run_digest(config, store, now=datetime(2026, 8, 12, tzinfo=UTC), send=False)
    assert "Google Gemini在图像生成领先" in autumn.text
    assert "截至2025年12月30日的排名" not in autumn.text


def test_statements_are_not_recorded_when_the_digest_is_only_shown(
    config: Config, store: Store
) -> None:
    later = datetime(2026, 9, 1, tzinfo=UTC)
    shown = run_digest(config, store, now=later, send=False)
    assert "待复核的时效性陈述" in shown.text
    assert store.rechecks_listed("ai") == frozenset()
    assert run_digest(config, store, now=later, send=True).sent
    assert len(store.rechecks_listed("ai")) >= 10


def test_the_edition_marks_a_changed_claim_in_its_sections_pending_block(report: Report) -> None:
    hostile = claim_suggestion(
        SuggestionKind.CLAIM_CHANGED,
        id=7,
        proposed_text=REVISED,
        evidence=PassageEvidence(reference=1, before=BEFORE, after=AFTER + HOSTILE, score=0.8),
    )
    edition = render_edition(report, [hostile], edition_date=NOW.date())
    block = edition[edition.index("> **待审更新**") :]
    item = next(line for line in block.split("\n") if line.startswith("> - "))
    assert item.startswith("> - **引文已变** " + CLAIM)
    # The old passage struck, the new one shown, the revision as a tracked change.
    assert item.index("原引文：~~") < item.index("现引文：") < item.index("建议修订：~~")
    assert f"~~{CLAIM}~~ → {REVISED}" in item.replace("\\", "")
    assert "tracker accept 7" in item
    # The page's words are text, not markup.
    assert "<script>" not in item and "\\<script\\>" in item
    # In the section it concerns, and the report's own sentence is still there as written.
    section_end = edition.index("## 四、")
    assert edition.index(CLAIM) < edition.index("> **待审更新**") < section_end


def test_the_edition_shows_lost_and_unsupported_claims_with_their_evidence(
    report: Report,
) -> None:
    lost = claim_suggestion(
        SuggestionKind.CLAIM_ORPHANED,
        id=8,
        evidence=PassageEvidence(
            reference=1,
            before=BEFORE,
            after=None,
            score=0.0,
            archived_url="https://web.archive.org/web/2026/https://simonwillison.net/x",
        ),
    )
    unsupported = claim_suggestion(
        SuggestionKind.UNSUPPORTED_CLAIM,
        id=9,
        evidence=PassageEvidence(reference=1, before=None, after="Something else.", score=0.31),
    )
    edition = render_edition(report, [lost, unsupported], edition_date=NOW.date())
    items = [line for line in edition.split("\n") if line.startswith("> - ")]
    assert items[0].startswith("> - **引文已不在原页** ")
    assert "[存档副本](<https://web.archive.org/web/2026/https://simonwillison.net/x>)" in items[0]
    assert items[1].startswith("> - **来源未见此说法** ")
    assert "来源中最接近的段落（0.31）：Something else." in items[1]


def test_the_changelog_lists_a_claim_revised_like_a_revision_and_others_by_sentence(
    report: Report,
) -> None:
    accepted = replace(
        claim_suggestion(SuggestionKind.CLAIM_CHANGED, id=7, proposed_text=REVISED),
        status=SuggestionStatus.ACCEPTED,
    )
    lost = claim_suggestion(SuggestionKind.CLAIM_ORPHANED, id=8, section="4.2")
    entry = changelog_entry(report, day=NOW.date(), suggestions=[accepted, lost], cited=[])
    assert "引文已变" in entry and "引文已不在原页" in entry
    assert f"~~{CLAIM}~~ → {REVISED}" in entry.replace("\\", "")
    assert f"所涉原句：{CLAIM}" in entry.replace("\\", "")


def test_tracker_digest_prints_the_statements_to_recheck_and_lists_them_once(
    tmp_path: Path,
) -> None:
    shutil.copyfile(SEED, tmp_path / "report.md")
    config = tmp_path / "sources.yaml"
    config.write_text(
        "state_dir: state\n"
        "reports: [{id: ai, path: report.md, language: zh}]\n"
        "digest: {recheck_after_months: 1}\n",  # the seed is dated 11 Feb 2026
        encoding="utf-8",
    )

    def tracker(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tracker.cli", "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    printed = tracker("digest")
    assert "待复核的时效性陈述" in printed
    assert "根据Artificial Analysis截至2025年12月30日的排名：" in printed
    assert "digest written to" in tracker("digest", "--send")
    assert "待复核的时效性陈述" not in tracker("digest")


def test_news_sharing_only_numbers_with_a_dated_statement_is_not_on_its_subject(
    report: Report,
) -> None:
    from tracker.claims.dated import dated_statements
    from tracker.notify.rechecks import related_news

    [ranking] = [d for d in dated_statements(report) if "截至2025年12月30日的排名" in d.text]
    chips = claim_suggestion(
        SuggestionKind.ADDITION,
        section=ranking.section_id,
        title="Chip exports: 30 firms in 12 countries face new rules",
        excerpt="On 30 June 2026, 12 governments agreed new export rules.",
        published=datetime(2026, 6, 30, tzinfo=UTC),
        target=None,
        evidence=None,
    )
    kimi = replace(
        chips,
        title="Kimi K3 overtakes GLM-4.7 on the Artificial Analysis index",
        excerpt="The open-weights ranking has a new leader.",
    )
    assert related_news(ranking, [chips, kimi]) == [kimi]
