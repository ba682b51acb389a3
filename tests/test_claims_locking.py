"""Claim checks keep the store's write lock only while they write: embedding a page's
passages (seconds for a long page, on the CPU) happens before the transaction opens,
so the daemon's decisions and other workers' writes do not wait on the model."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracker.match import embed as model_embed
from tracker.refresh.cited import store_suggestion
from tracker.refresh.claim_checks import ClaimChecks
from tracker.report import parse_report
from tracker.store import open_store
from tracker.textutil import content_hash

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
URL = "https://blog.example.org/year-in-review"
REPORT = f"""# 报告

## 一、编码智能体

Anthropic的Claude Code在2025年12月达到10亿美元年收入里程碑[1]。
OpenAI在2025年发布了一款视频生成应用[1]。

## 参考文献

1. Example. (2025). The year in review. {URL}
"""
PAGE = (
    "By December 2025 Claude Code had reached a milestone of $1 billion in annual revenue.\n\n"
    "Coding agents write code, run it, check the results and iterate until done."
)


def test_anchoring_embeds_the_page_before_taking_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    report = parse_report(REPORT, report_id="r", path=str(tmp_path / "r.md"), language="zh")
    with open_store(path, now=NOW) as store:
        store.add_snapshot(URL, final_url=None, text=PAGE, content_hash=content_hash(PAGE), at=NOW)
        checks = ClaimChecks(
            store,
            [report],
            now=NOW,
            clock=lambda: NOW,
            store_suggestion=lambda s: store_suggestion(store, s),
        )
        checks.index()
        blocked: list[str] = []

        def probing(texts: Sequence[str]) -> Any:
            # Another process writing while the model runs: it must not find the store locked.
            other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                blocked.append(str(exc))
            finally:
                other.close()
            return model_embed(texts)

        checks.embed = probing  # type: ignore[misc]  # a cached_property, set per instance
        made = checks.anchor_new()
        anchors = store.claim_anchors(url=URL)
    assert blocked == []
    assert len(anchors) == 2  # both claims anchored, so the model did run
    assert [s.target for s in made] == ["OpenAI在2025年发布了一款视频生成应用[1]。"]
