"""The review pages show claim checks: a label in the queue, the evidence side by side.

A real daemon serves the pages on 127.0.0.1 over a real store holding claim
suggestions built here with their evidence; requests go over sockets.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from test_web import Browser

from tracker.config import load_config
from tracker.daemon.api import ApiServer
from tracker.daemon.service import Daemon
from tracker.store import open_store
from tracker.types import PassageEvidence, Suggestion, SuggestionKind

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
CLAIM = "Anthropic的Claude Code在2025年12月达到10亿美元年收入里程碑[1]。"
BEFORE = "Claude Code reached $1 billion in annual revenue in December."
AFTER = "Claude Code reached $2 billion in annual revenue <img src=x onerror=alert(1)>."
REVISED = "Anthropic的Claude Code在2025年12月达到20亿美元年收入里程碑[1]。"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Browser, dict[str, int]]]:
    shutil.copyfile(SEED, tmp_path / "report.md")
    (tmp_path / "sources.yaml").write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "language": "zh"}],
                "watch_cited": False,
            }
        ),
        encoding="utf-8",
    )
    config = load_config(tmp_path / "sources.yaml")
    base = Suggestion(
        report="ai",
        section="3.3",
        section_title="异步智能体模式",
        kind=SuggestionKind.CLAIM_CHANGED,
        score=0.8,
        title="2025: The year in LLMs",
        url="https://simonwillison.net/2025/Dec/31/the-year-in-llms/",
        published=None,
        source="cited",
        excerpt="",
        proposed_text=REVISED,
        created_at=NOW,
        target=CLAIM,
        evidence=PassageEvidence(reference=1, before=BEFORE, after=AFTER, score=0.8),
    )
    with open_store(config.database_path) as store:
        ids = {
            "changed": store.add_suggestion(base),
            "orphaned": store.add_suggestion(
                replace(
                    base,
                    kind=SuggestionKind.CLAIM_ORPHANED,
                    proposed_text="",
                    evidence=PassageEvidence(
                        reference=1,
                        before=BEFORE,
                        after=None,
                        score=0.0,
                        archived_url="https://web.archive.org/web/2026/x",
                    ),
                )
            ),
        }
    daemon = Daemon(tmp_path / "sources.yaml", config)
    server = ApiServer(daemon, "127.0.0.1", 0, None, review=daemon)
    server.start()
    try:
        yield Browser(server.port), ids
    finally:
        daemon.worker.join(60)
        server.stop()


def test_the_queue_labels_claim_checks(site: tuple[Browser, dict[str, int]]) -> None:
    browser, ids = site
    page = browser.get("/")
    assert page.status == 200
    for kind, label in (("changed", "claim: passage changed"), ("orphaned", "claim: passage gone")):
        item = re.search(rf'data-id="{ids[kind]}">.*?</li>', page.body, re.DOTALL)
        assert item is not None
        assert label in item.group(0) and CLAIM in item.group(0)
    assert "<img src=x" not in page.body and "&lt;img src=x onerror=alert(1)&gt;" in page.body


def test_the_suggestion_page_shows_the_passages_side_by_side_and_the_revision(
    site: tuple[Browser, dict[str, int]],
) -> None:
    browser, ids = site
    page = browser.get(f"/suggestions/{ids['changed']}").body
    passages = page[page.index('class="passages"') :]
    before = passages.index('class="passage before"')
    now = passages.index('class="passage now"')
    assert before < passages.index("$1 billion") < now < passages.index("$2 billion")
    assert "<img src=x" not in page
    # The revision as a tracked change, and the preview puts it in place of the sentence.
    assert f"<del>{CLAIM}</del>" in page and f"<ins>{REVISED}</ins>" in page
    lost = browser.get(f"/suggestions/{ids['orphaned']}").body
    assert f"<del>{BEFORE}</del>" in lost
    assert 'href="https://web.archive.org/web/2026/x"' in lost
    assert f"<mark>{CLAIM}</mark>" in lost  # no revision: the sentence is only marked
