"""Claim checks through real refreshes: the seed report's cited pages served by a
local server, changing between refreshes.

Reference [1] is a page stating a few of the report's claims; reference [3] is a
page stating six of the seven sentences that cite it, so the seventh is
unsupported. Then [1]'s revenue figure changes, its boilerplate churns, a
passage moves, and one passage is removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tracker.config import Config, load_config
from tracker.demo.server import LocalServer
from tracker.refresh import run_refresh
from tracker.store import open_store
from tracker.types import ClaimStatus, Suggestion, SuggestionKind, SuggestionStatus

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

REVENUE = "Anthropic的Claude Code在2025年12月达到10亿美元年收入里程碑[1]。"
LAUNCH = "2025年2月，Anthropic悄然发布Claude Code，引发了编码智能体领域的革命[1]。"
R1 = "2025年1月20日，DeepSeek R1发布"
FINE_TUNING = "微调做特定任务可能导致模型整体行为恶化[3]"

REVENUE_PASSAGE = (
    "By December 2025 Claude Code had reached a milestone of $1 billion in annual revenue."
)
LAUNCH_PASSAGE = (
    "In February 2025 Anthropic quietly released Claude Code, and it set off a revolution "
    "in coding agents."
)
R1_PASSAGE = (
    "DeepSeek R1 came out on January 20, 2025 and set off a major market reaction: NVIDIA "
    "briefly lost $593 billion of market value as investors worried that AI was not an "
    "American monopoly."
)
METR_PASSAGE = (
    "According to METR's measurements, the length of the tasks AI can complete on its own "
    "doubles every 7 months."
)

REVIEW = [
    "The year in large language models, looked back on in December.",
    LAUNCH_PASSAGE,
    "Coding agents write code, run it, check the results and iterate until the work is done.",
    REVENUE_PASSAGE,
    R1_PASSAGE,
    METR_PASSAGE,
    "Thanks for reading; more posts on the blog every week.",
]

BIOLOGISTS = [
    "Researchers at Anthropic and other labs now study large language models the way "
    "biologists study an alien creature, dissecting them like an autopsy.",
    "They use sparse autoencoders to understand the mechanisms inside a model.",
    "In Claude 3 Sonnet they found a neuron tied to the Golden Gate Bridge.",
    "Models were found to use different mechanisms when they handle true and false statements.",
    "Reasoning models expose a chain of thought that makes their inner thinking visible.",
    "OpenAI used the chain of thought to catch a model cheating on coding tasks: it deleted "
    "the broken code instead of fixing it.",
]


def page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body><nav>Home · About</nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Footer</footer></body></html>"
    )


@dataclass
class Site:
    server: LocalServer
    config: Config
    review: str
    biologists: str

    def serve_review(self, paragraphs: list[str]) -> None:
        self.server.add("/review", page("2025: The year in LLMs", paragraphs))

    def refresh(self, hours: int) -> list[Suggestion]:
        """One refresh; the suggestions it made."""
        summary = run_refresh(self.config, clock=lambda: NOW + timedelta(hours=hours))
        assert summary.outcome == "ok", summary.failures
        with open_store(self.config.database_path) as store:
            return [s for s in store.suggestions() if s.created_at == NOW + timedelta(hours=hours)]


@pytest.fixture
def site(tmp_path: Path, local_server: LocalServer) -> Site:
    s = local_server
    review = s.add("/review", page("2025: The year in LLMs", REVIEW))
    biologists = s.add("/biologists", page("Meet the new biologists", BIOLOGISTS))
    urls = {1: review, 3: biologists}
    markdown = SEED.read_text(encoding="utf-8")
    for number in (1, 2, 3, 4, 5):
        url = urls.get(number, s.url(f"/missing/{number}"))
        markdown = re.sub(rf"^({number}\. .*?)https?://\S+$", lambda m, u=url: m.group(1) + u,
                          markdown, flags=re.M)  # fmt: skip
    (tmp_path / "report.md").write_text(markdown, encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "since": "2026-02-11"}],
                "watch_cited": True,
                "fetch": {"allow_private_networks": True},
                # Every refresh re-fetches the cited pages (the default waits a week).
                "match": {"cited_recheck_days": 0},
            }
        ),
        encoding="utf-8",
    )
    return Site(s, load_config(tmp_path / "sources.yaml"), review, biologists)


def claim_status(site: Site, text: str) -> ClaimStatus:
    with open_store(site.config.database_path) as store:
        [claim] = [c for c in store.claims(report="ai") if c.text.startswith(text)]
    return claim.status


def test_the_first_snapshot_anchors_each_claim_and_reports_the_unsupported_once(
    site: Site,
) -> None:
    made = site.refresh(0)

    for text in (REVENUE, LAUNCH, R1):
        assert claim_status(site, text) is ClaimStatus.SUPPORTED, text
    with open_store(site.config.database_path) as store:
        [revenue] = [c for c in store.claims() if c.text == REVENUE]
        [anchor] = store.claim_anchors(claim_id=revenue.id)
        section6 = [c for c in store.claims() if c.section.startswith("6.")]
        unchecked = store.claims(status=ClaimStatus.UNCHECKED)
    assert anchor.url == site.review and anchor.reference == 1
    assert "$1 billion" in anchor.exact and anchor.snapshot_id is not None
    # The [2] page does not answer: its claim waits for a snapshot.
    assert [c.references for c in unchecked] == [(2,)]

    # [3]'s page states six of its seven sentences: one unsupported claim, told once.
    assert {c.text: c.status for c in section6 if c.status is not ClaimStatus.SUPPORTED} == {
        FINE_TUNING: ClaimStatus.UNSUPPORTED
    }
    [unsupported] = [s for s in made if s.url == site.biologists]
    assert unsupported.kind is SuggestionKind.UNSUPPORTED_CLAIM
    assert unsupported.target == FINE_TUNING and unsupported.section == "6.1"
    assert unsupported.evidence is not None and unsupported.evidence.reference == 3
    assert unsupported.evidence.before is None
    assert unsupported.evidence.after in " ".join(BIOLOGISTS)  # the closest candidate
    assert unsupported.evidence.score == unsupported.score < 0.42
    assert unsupported.proposed_text == ""
    # No whole-page suggestion for a first snapshot, and no claim is told about twice.
    assert {s.kind for s in made} == {SuggestionKind.UNSUPPORTED_CLAIM}
    assert len({s.target for s in made}) == len(made)

    # The page changes elsewhere: the unsupported claim is not proposed again.
    site.server.add("/biologists", page("Meet the new biologists", [*BIOLOGISTS, "Updated."]))
    assert site.refresh(6) == []


def test_a_changed_figure_churn_a_move_and_a_removal(site: Site) -> None:
    site.refresh(0)

    # The figure the report quotes changes, and the blog's greeting churns.
    changed = [p.replace("$1 billion", "$1.2 billion") for p in REVIEW]
    changed[-1] = "Thanks for reading! New posts every week, subscribe by e-mail."
    site.serve_review(changed)
    made = site.refresh(6)
    [suggestion] = made
    assert suggestion.kind is SuggestionKind.CLAIM_CHANGED
    assert suggestion.target == REVENUE and suggestion.section == "3.3"
    assert suggestion.url == site.review and suggestion.status is SuggestionStatus.PENDING
    assert suggestion.proposed_text == REVENUE.replace("10亿美元", "12亿美元")
    evidence = suggestion.evidence
    assert evidence is not None and evidence.reference == 1
    assert evidence.before is not None and "$1 billion" in evidence.before
    assert evidence.after is not None and "$1.2 billion" in evidence.after
    assert claim_status(site, REVENUE) is ClaimStatus.CHANGED

    # Churn and a move that touch no cited passage: no suggestion, a changelog line.
    churned = [changed[0], changed[2], changed[1], *changed[3:-1], "Subscribe for more."]
    site.serve_review(churned)
    assert site.refresh(12) == []
    with open_store(site.config.database_path) as store:
        latest = store.latest_snapshot(site.review)
        reported = store.reported_cited("ai")
        kinds = {s.kind for s in store.suggestions()}
    assert latest is not None and reported[site.review].snapshot_id == latest.id
    assert SuggestionKind.SOURCE_CHANGED not in kinds
    assert claim_status(site, LAUNCH) is ClaimStatus.SUPPORTED

    # The DeepSeek passage is removed: the claims resting on it are orphaned, once
    # (the R1 sentence, and any other the page's scorer found it closest to).
    site.serve_review([p for p in churned if p != R1_PASSAGE])
    made = site.refresh(18)
    assert {s.kind for s in made} == {SuggestionKind.CLAIM_ORPHANED}
    assert all(s.evidence and R1_PASSAGE in (s.evidence.before or "") for s in made)
    [orphaned] = [s for s in made if (s.target or "").startswith(R1)]
    assert orphaned.target is not None and orphaned.target.startswith(R1)
    assert orphaned.proposed_text == ""
    assert orphaned.evidence is not None
    assert orphaned.evidence.before == R1_PASSAGE and orphaned.evidence.after is None
    # The archived copy of the day the passage was anchored (the first refresh).
    assert orphaned.evidence.archived_url == (
        f"https://web.archive.org/web/{NOW:%Y%m%d}/{site.review}"
    )
    assert claim_status(site, R1) is ClaimStatus.ORPHANED
    site.serve_review([p for p in churned if p != R1_PASSAGE] + ["More churn."])
    assert site.refresh(24) == []  # still gone: not told again


def test_accepting_the_revision_updates_the_sentence_and_new_claims_are_anchored(
    site: Site, tmp_path: Path
) -> None:
    site.refresh(0)
    site.serve_review([p.replace("$1 billion", "$1.2 billion") for p in REVIEW])
    [suggestion] = site.refresh(6)
    assert suggestion.id is not None
    with open_store(site.config.database_path) as store:
        store.set_suggestion_status([suggestion.id], SuggestionStatus.ACCEPTED, NOW)
    site.refresh(12)
    [edition] = sorted((tmp_path / "editions").glob("*.md"))
    text = edition.read_text(encoding="utf-8")
    assert REVENUE.replace("10亿美元", "12亿美元") in text and REVENUE not in text

    # The editor copies the edition over the report: the revised sentence is a new
    # claim, anchored against the page's latest snapshot (the page did not change).
    report = tmp_path / "report.md"
    report.write_text(
        report.read_text(encoding="utf-8").replace(REVENUE, REVENUE.replace("10亿", "12亿")),
        encoding="utf-8",
    )
    assert site.refresh(18) == []
    assert claim_status(site, REVENUE.replace("10亿", "12亿")) is ClaimStatus.SUPPORTED
    with open_store(site.config.database_path) as store:
        [old] = [c for c in store.claims(include_gone=True) if c.text == REVENUE]
        current = {c.id for c in store.claims()}
        assert store.claim_anchors(claim_id=old.id, current=False)  # kept with the gone claim
    assert old.id not in current


def test_a_claim_its_other_page_does_not_support_is_still_orphaned_when_its_passage_goes(
    site: Site, tmp_path: Path
) -> None:
    # The revenue sentence also cites [3], a page that does not state it: against [3]
    # it is unsupported, against [1] supported. Its standing is the worse of the two,
    # but what happens on [1] must be judged by where it stood on [1].
    report = tmp_path / "report.md"
    both = REVENUE.replace("[1]", "[1][3]")
    report.write_text(report.read_text(encoding="utf-8").replace(REVENUE, both), "utf-8")
    made = site.refresh(0)
    assert any(s.kind is SuggestionKind.UNSUPPORTED_CLAIM and s.target == both for s in made)
    assert claim_status(site, both) is ClaimStatus.UNSUPPORTED

    site.serve_review([p for p in REVIEW if p != REVENUE_PASSAGE])
    made = site.refresh(6)
    [orphaned] = [s for s in made if s.target == both]
    assert orphaned.kind is SuggestionKind.CLAIM_ORPHANED
    assert orphaned.evidence is not None and orphaned.evidence.before == REVENUE_PASSAGE
    assert claim_status(site, both) is ClaimStatus.ORPHANED


def test_a_figure_changed_twice_before_the_editor_acts_is_revised_to_the_newest(
    site: Site,
) -> None:
    site.refresh(0)
    site.serve_review([p.replace("$1 billion", "$1.2 billion") for p in REVIEW])
    [first] = site.refresh(6)
    assert first.proposed_text == REVENUE.replace("10亿美元", "12亿美元")

    # The page corrects itself again while the first suggestion waits: the report
    # still says 10亿, so the sentence is stale again and its revision is the newest figure.
    site.serve_review([p.replace("$1 billion", "$1.5 billion") for p in REVIEW])
    [second] = site.refresh(12)
    assert second.kind is SuggestionKind.CLAIM_CHANGED and second.target == REVENUE
    assert second.proposed_text == REVENUE.replace("10亿美元", "15亿美元")
    assert second.evidence is not None and second.evidence.after is not None
    assert "$1.2 billion" in (second.evidence.before or "")
    assert "$1.5 billion" in second.evidence.after


def test_a_citation_of_a_reference_the_list_lacks_is_a_warning_naming_the_report(
    site: Site, tmp_path: Path
) -> None:
    report = tmp_path / "report.md"
    dangling = REVENUE.replace("[1]", "[9]")
    report.write_text(report.read_text(encoding="utf-8").replace(REVENUE, dangling), "utf-8")
    summary = run_refresh(site.config, clock=lambda: NOW)
    assert summary.outcome == "ok", summary.failures
    [warning] = [w for w in summary.warnings if "[9]" in w.reason]
    assert warning.source == "ai" and warning.url == str(report)
    assert "3.3" in warning.reason
    # A report without a reference list: one warning naming every number, not one each.
    markdown = report.read_text(encoding="utf-8")
    report.write_text(markdown[: markdown.index("## 参考文献")], "utf-8")
    summary = run_refresh(site.config, clock=lambda: NOW + timedelta(hours=1))
    [warning] = [w for w in summary.warnings if w.source == "ai"]
    assert "cite [1], [2], [3], [9]," in warning.reason  # every number the sentences cite
    report.write_text(markdown, "utf-8")
    run_refresh(site.config, clock=lambda: NOW + timedelta(hours=2))
    # The rest of the run went on: the sentences citing listed references were checked.
    assert claim_status(site, LAUNCH) is ClaimStatus.SUPPORTED
    assert claim_status(site, dangling) is ClaimStatus.UNCHECKED


def test_a_claim_whose_reference_now_points_elsewhere_stands_on_the_new_page_only(
    site: Site, tmp_path: Path
) -> None:
    site.refresh(0)
    site.serve_review([p for p in REVIEW if p != R1_PASSAGE])
    site.refresh(6)
    assert claim_status(site, R1) is ClaimStatus.ORPHANED

    # The editor points reference [1] at another copy of the review (as accepting a
    # source-gone does with the archived copy): the claims now stand on that page.
    copy = site.server.add("/review-copy", page("2025: The year in LLMs", REVIEW))
    report = tmp_path / "report.md"
    report.write_text(report.read_text(encoding="utf-8").replace(site.review, copy), "utf-8")
    site.refresh(12)
    assert claim_status(site, R1) is ClaimStatus.SUPPORTED
    with open_store(site.config.database_path) as store:
        [claim] = [c for c in store.claims(report="ai") if c.text.startswith(R1)]
        assert {a.url for a in store.claim_anchors(claim_id=claim.id)} == {copy}
        # What was found on the old page stays in the claim's history.
        history = store.claim_verdicts(claim.id, site.review)
        assert [v.verdict for v in history][-1] == "uncited"
