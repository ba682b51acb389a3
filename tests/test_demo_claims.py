"""The demo's must-show for claim checks (issue 12): a cited page changes a number the
report quotes between the demo's two refreshes.

The real demo runs in-process on its bundled fixtures (a real local server, a
real SQLite store); the digest and the edition must show a ``claim-changed``
suggestion with the passage before and now and the sentence revised; accepting
it through the facade (what ``tracker accept ID`` calls) and refreshing again
publishes an edition with the sentence changed.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from rich.console import Console

from tracker.app import Tracker
from tracker.config import load_config
from tracker.demo.run import REPORT_ID, demo_sources
from tracker.types import SuggestionKind, SuggestionStatus

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[1] / "tracker" / "demo" / "data" / "fixtures.yaml"


def _changed_figure() -> tuple[str, str]:
    """The demo's own edit of a cited page between its refreshes: (old, new) wording."""
    cited = yaml.safe_load(FIXTURES.read_text(encoding="utf-8"))["cited"]
    edits = [pair for page in cited.values() for pair in page.get("round2_edits", [])]
    assert len(edits) == 1
    old, new = edits[0]
    return old, new


def test_a_cited_figure_that_changed_is_shown_revised_and_accepting_it_edits_the_sentence(
    tmp_path: Path,
) -> None:
    old_words, new_words = _changed_figure()
    folder = tmp_path / "demo"
    console = Console(file=io.StringIO(), width=200)
    with demo_sources(folder, console, now=NOW) as config_path:
        config = load_config(config_path)
        tracker = Tracker(config, clock=lambda: NOW)
        claims = [
            s
            for s in tracker.suggestions(report=REPORT_ID, status=SuggestionStatus.PENDING)
            if s.kind is SuggestionKind.CLAIM_CHANGED
        ]
        assert len(claims) == 1, [(s.kind, s.target) for s in claims]
        claim = claims[0]
        assert claim.id is not None and claim.target and claim.evidence is not None
        # The passage as anchored and as it reads now, each with the page's own words.
        assert old_words in claim.evidence.before.replace("\n", " ")
        assert new_words in (claim.evidence.after or "").replace("\n", " ")
        # The sentence revised: same sentence, only its figure differs.
        assert claim.proposed_text and claim.proposed_text != claim.target
        report = tracker.report(REPORT_ID)
        assert claim.target in report.markdown

        # The digest: its own group in the claim's section, old and new passage, revision.
        # (an hour on: the period ends before its "now", and the refresh ran at NOW)
        an_hour_on = Tracker(config, clock=lambda: NOW + timedelta(hours=1))
        digest = an_hour_on.digest(send=False, since=NOW - timedelta(days=8)).text
        group = digest[digest.index(f"[{claim.id}] 引文已变") :].split("→ 采纳")[0]
        assert claim.target in group and claim.proposed_text in group
        assert group.index("原引文") < group.index(old_words) < group.index("现引文")
        assert group.index(new_words) < group.index("建议改为")

        # The edition: marked in its section's review block, the revision as a tracked change.
        edition_path = folder / "reports" / REPORT_ID / "editions" / f"{NOW.date()}.md"
        edition = edition_path.read_text(encoding="utf-8")
        marked = next(line for line in edition.split("\n") if f"tracker accept {claim.id}" in line)
        assert marked.startswith("> - **引文已变** ")
        assert "原引文：~~" in marked and "现引文：" in marked
        assert f"~~{claim.target}~~ → {claim.proposed_text}" in marked.replace("\\", "")

    # Accept it (what `tracker accept ID` does) and publish: the sentence is revised in place.
    later = NOW + timedelta(days=1)
    tomorrow = Tracker(config, clock=lambda: later)
    assert tomorrow.decide([claim.id], SuggestionStatus.ACCEPTED).done == (claim.id,)
    summary = tomorrow.refresh(trigger="test")
    assert summary.outcome == "ok", summary.failures
    published = (folder / "reports" / REPORT_ID / "editions" / f"{later.date()}.md").read_text(
        encoding="utf-8"
    )
    assert claim.proposed_text in published
    assert claim.target not in published
    assert f"tracker accept {claim.id}" not in published  # no longer pending
