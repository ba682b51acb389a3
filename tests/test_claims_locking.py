"""Claim checks keep the store's write lock only while they write: embedding a page's
passages (seconds for a long page, on the CPU) happens before the transaction opens,
so the daemon's decisions and other workers' writes do not wait on the model."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tracker.match import embed as model_embed
from tracker.refresh.cited import check_cited, store_suggestion
from tracker.refresh.claim_checks import ClaimChecks
from tracker.refresh.state import RunState, SilentEvents
from tracker.report import parse_report
from tracker.store import open_store
from tracker.textutil import content_hash
from tracker.types import FetchOutcome, FetchResult, SuggestionKind

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


def html(paragraphs: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs.split("\n\n"))
    return (
        f"<html><head><title>Review</title></head><body><article>{body}</article></body></html>"
    ).encode()


def answered(body: bytes) -> FetchResult:
    return FetchResult(
        URL, FetchOutcome.OK, final_url=URL, status=200,
        headers={"Content-Type": "text/html; charset=utf-8"}, body=body,
    )  # fmt: skip


def probing(path: Path, blocked: list[str]) -> Callable[[Sequence[str]], Any]:
    def embed(texts: Sequence[str]) -> Any:
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            blocked.append(str(exc))
        finally:
            other.close()
        return model_embed(texts)

    return embed


def test_rechecking_a_changed_page_embeds_before_taking_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tracker.db"
    report = parse_report(REPORT, report_id="r", path=str(tmp_path / "r.md"), language="zh")
    blocked: list[str] = []
    # The matcher's real model, with a probe of the store's lock before each call.
    monkeypatch.setattr("tracker.match.embed", probing(path, blocked))
    changed = PAGE.replace("$1 billion", "$1.5 billion")
    made = []
    with open_store(path, now=NOW) as store:
        for body in (html(PAGE), html(changed)):
            state = RunState(now=NOW)
            check_cited(
                store, [report], [answered(body)], state,
                gone_after=3, clock=lambda: NOW, events=SilentEvents(),
            )  # fmt: skip
            made.append(state.suggestions)
    assert blocked == []
    [revision] = made[1]
    assert revision.kind is SuggestionKind.CLAIM_CHANGED
    assert (
        revision.proposed_text == "Anthropic的Claude Code在2025年12月达到15亿美元年收入里程碑[1]。"
    )
