"""Decisions through the facade: accept in the editor's own words, undo, editions.

A real refresh over a local feed makes the suggestions; decisions go through
``Tracker`` (as the CLI, the daemon and the review pages do) into a real
SQLite file, and the next refresh's edition is read back from disk.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from test_workflow import DAY_1, DAY_2, serve, write_config

from tracker.app import Tracker
from tracker.config import load_config
from tracker.demo.server import LocalServer
from tracker.errors import TrackerError
from tracker.types import SuggestionKind, SuggestionStatus

EDITED = (
    "- 2026-11-19，Anthropic 的 Claude Code 可在后台完成编码任务，测试通过后自行提交合并请求 [6]"
)


@pytest.fixture
def week(tmp_path: Path) -> Tracker:
    """A tracker whose first refresh made pending additions."""
    with LocalServer() as server:
        config = write_config(tmp_path, serve(server))
        tracker = Tracker(load_config(config), clock=lambda: DAY_1)
        tracker.refresh()
    assert len(tracker.suggestions(status=SuggestionStatus.PENDING)) >= 2
    return tracker


def addition_ids(tracker: Tracker) -> list[int]:
    return [
        s.id
        for s in tracker.suggestions(status=SuggestionStatus.PENDING)
        if s.kind is SuggestionKind.ADDITION and s.id is not None
    ]


def next_week(tracker: Tracker) -> Tracker:
    return Tracker(tracker.config, clock=lambda: DAY_2)


def test_accepting_in_the_editors_words_merges_them_and_keeps_the_proposal(
    week: Tracker,
) -> None:
    first, *_ = addition_ids(week)
    proposed = week.suggestion(first)
    assert proposed is not None

    decided = week.decide([first], SuggestionStatus.ACCEPTED, edited_text=EDITED)
    assert decided.done == (first,) and decided.missing == ()
    kept = week.suggestion(first)
    assert kept is not None
    assert kept.edited_text == EDITED
    assert kept.proposed_text == proposed.proposed_text  # the original stays for the record

    summary = next_week(week).refresh()
    edition = next(Path(p) for p in summary.editions if p.endswith(".md"))
    text = edition.read_text(encoding="utf-8")
    assert EDITED.removesuffix(" [6]") in text
    assert proposed.proposed_text.rsplit("[", 1)[0].strip() not in text  # the proposal is not
    # The reference number is the edition's own, whatever the editor typed.
    references = week.report("ai").references
    assert (
        f"Claude Code 可在后台完成编码任务，测试通过后自行提交合并请求 [{len(references) + 1}]"
        in text
    )


@pytest.mark.parametrize(
    ("ids", "status", "text", "message"),
    [
        ("two", SuggestionStatus.ACCEPTED, EDITED, "exactly one"),
        ("one", SuggestionStatus.REJECTED, EDITED, "exactly one"),
        ("one", SuggestionStatus.ACCEPTED, "  \n", "empty"),
        ("one", SuggestionStatus.PENDING, None, "undo"),
    ],
)
def test_decisions_that_make_no_sense_are_refused_and_change_nothing(
    week: Tracker, ids: str, status: SuggestionStatus, text: str | None, message: str
) -> None:
    chosen = addition_ids(week)[: 2 if ids == "two" else 1]
    with pytest.raises(TrackerError, match=message):
        week.decide(chosen, status, edited_text=text)
    assert all(
        s.status is SuggestionStatus.PENDING and s.edited_text is None
        for s in week.suggestions()
        if s.id in chosen
    )


def test_undo_takes_back_the_last_decision_whole_then_the_one_before(week: Tracker) -> None:
    a, b, *_ = addition_ids(week)
    week.decide([a], SuggestionStatus.REJECTED)
    week.decide([a, b], SuggestionStatus.ACCEPTED)
    week.decide([b], SuggestionStatus.ACCEPTED, edited_text=EDITED)

    def state() -> dict[int, tuple[SuggestionStatus, str | None]]:
        found = {s.id: (s.status, s.edited_text) for s in week.suggestions() if s.id in (a, b)}
        return {k: v for k, v in found.items() if k is not None}

    assert state() == {a: (SuggestionStatus.ACCEPTED, None), b: (SuggestionStatus.ACCEPTED, EDITED)}
    assert [d.suggestion_id for d in week.undo()] == [b]
    assert state() == {a: (SuggestionStatus.ACCEPTED, None), b: (SuggestionStatus.ACCEPTED, None)}
    assert sorted(d.suggestion_id for d in week.undo()) == [a, b]  # the batch, as one
    assert state() == {a: (SuggestionStatus.REJECTED, None), b: (SuggestionStatus.PENDING, None)}
    assert [d.suggestion_id for d in week.undo()] == [a]
    assert state() == {a: (SuggestionStatus.PENDING, None), b: (SuggestionStatus.PENDING, None)}
    assert week.undo() == []
    pending = week.suggestions(status=SuggestionStatus.PENDING)
    assert all(s.decided_at is None for s in pending if s.id in (a, b))


def test_an_undone_acceptance_leaves_the_next_edition(week: Tracker) -> None:
    first, *_ = addition_ids(week)
    week.decide([first], SuggestionStatus.ACCEPTED, edited_text=EDITED)
    week.undo()
    summary = next_week(week).refresh()
    texts = [Path(p).read_text(encoding="utf-8") for p in summary.editions if p.endswith(".md")]
    assert all("测试通过后自行提交合并请求" not in t for t in texts)


def test_editions_are_listed_newest_first_from_the_store(week: Tracker) -> None:
    first, *_ = addition_ids(week)
    week.decide([first], SuggestionStatus.ACCEPTED)
    next_week(week).refresh()
    editions = week.editions("ai")
    assert [e.edition_date for e in editions] == [
        DAY_2.date().isoformat(),
        DAY_1.date().isoformat(),
    ]
    assert all(Path(e.path).is_file() for e in editions)
    with pytest.raises(TrackerError, match="no report 'other'"):
        week.editions("other")


def test_the_cli_accepts_edited_text_undoes_and_shows_it_in_json(week: Tracker) -> None:
    first, *_ = addition_ids(week)
    config = str(week.config.source_path)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tracker.cli", "--config", config, *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert cli("accept", str(first), "--text", EDITED).returncode == 0
    listed = {s["id"]: s for s in json.loads(cli("suggestions", "--json").stdout)}
    assert listed[first]["status"] == "accepted" and listed[first]["edited_text"] == EDITED
    undone = cli("undo")
    assert undone.returncode == 0 and f"#{first}" in undone.stdout
    listed = {s["id"]: s for s in json.loads(cli("suggestions", "--json").stdout)}
    assert listed[first]["status"] == "pending" and listed[first]["edited_text"] is None
    refused = cli("accept", str(first), str(first + 1), "--text", EDITED)
    assert refused.returncode == 1 and "exactly one" in refused.stderr
    assert "nothing to undo" in cli("undo").stdout


def test_a_published_reference_keeps_its_number_when_an_older_suggestion_is_accepted_later(
    week: Tracker,
) -> None:
    older, newer, *_ = addition_ids(week)
    week.decide([newer], SuggestionStatus.ACCEPTED)
    first = next_week(week).refresh()
    edition = Path(next(p for p in first.editions if p.endswith(".md"))).read_text("utf-8")
    newer_url = week.suggestion(newer).url  # type: ignore[union-attr]
    assert re.search(rf"^6\. .*{re.escape(newer_url)}", edition, flags=re.M)

    later = Tracker(week.config, clock=lambda: DAY_2 + timedelta(days=7))
    later.decide([older], SuggestionStatus.ACCEPTED)
    second = later.refresh()
    edition = Path(next(p for p in second.editions if p.endswith(".md"))).read_text("utf-8")
    older_url = week.suggestion(older).url  # type: ignore[union-attr]
    # Numbered in the order they were accepted, not by id: [6] stays what it was.
    assert re.search(rf"^6\. .*{re.escape(newer_url)}", edition, flags=re.M)
    assert re.search(rf"^7\. .*{re.escape(older_url)}", edition, flags=re.M)
