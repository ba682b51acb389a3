"""When cited pages are checked: healthy ones weekly, failing ones every refresh, new ones
at once, all of them with ``--force`` — real pages on a local server, requests counted in
its log, time from the clock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from test_cited import REVIEW, cite, page

from tracker.config import Config, load_config
from tracker.demo.server import LocalServer
from tracker.errors import ConfigError
from tracker.refresh import run_refresh
from tracker.store import SourceHealth, open_store
from tracker.types import SuggestionKind

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
CORRECTION = " A correction moves the coding agent revenue milestone from December to November."


def fetched(server: LocalServer, path: str) -> int:
    return sum(1 for r in server.requests if r.path == path)


def refresh_at(config: Config, when: datetime, *, force: bool = False) -> None:
    assert run_refresh(config, clock=lambda: when, force=force).outcome == "ok"


def health(config: Config, url: str) -> SourceHealth:
    with open_store(config.database_path) as store:
        found = store.source(url)
    assert found is not None
    return found


def suggested(config: Config, kind: SuggestionKind) -> list[str]:
    """The URLs on the local server with a suggestion of ``kind`` (the seed report's other
    references point off this machine and fail from the start)."""
    with open_store(config.database_path) as store:
        return [s.url for s in store.suggestions() if s.kind == kind and "127.0.0.1" in s.url]


def test_a_healthy_reference_is_refetched_only_once_its_week_is_up(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    urls = {n: s.add(f"/ref/{n}", page(f"Reference {n}", REVIEW + f" Page {n}.")) for n in (1, 2)}
    config = cite(tmp_path, urls, recheck_days=None)  # the default: a week
    assert config.match.cited_recheck_days == 7

    refresh_at(config, NOW)  # never checked: checked at once
    assert [fetched(s, f"/ref/{n}") for n in (1, 2)] == [1, 1]
    first = health(config, urls[1])
    assert (first.next_poll, first.next_poll_reason) == (NOW + WEEK, "recheck")

    # The page changes on day two; refreshes within the week leave both pages alone.
    s.add("/ref/1", page("Reference 1", REVIEW + " Page 1." + CORRECTION))
    for when in (NOW + timedelta(hours=6), NOW + timedelta(days=2), NOW + timedelta(days=6)):
        refresh_at(config, when)
    assert [fetched(s, f"/ref/{n}") for n in (1, 2)] == [1, 1]
    assert suggested(config, SuggestionKind.SOURCE_CHANGED) == []

    # A week on, both are checked again and the change is found.
    refresh_at(config, NOW + WEEK)
    assert [fetched(s, f"/ref/{n}") for n in (1, 2)] == [2, 2]
    assert [r.status for r in s.requests if r.path == "/ref/2"] == [200, 304]
    assert suggested(config, SuggestionKind.SOURCE_CHANGED) == [urls[1]]
    assert health(config, urls[1]).next_poll == NOW + 2 * WEEK

    refresh_at(config, NOW + WEEK + timedelta(hours=6))
    assert [fetched(s, f"/ref/{n}") for n in (1, 2)] == [2, 2]


def test_a_failing_reference_is_rechecked_every_refresh_and_confirmed_gone_over_days(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    urls = {
        1: s.add("/ref/1", page("Reference 1", REVIEW + " Page 1.")),
        2: s.add("/ref/2", page("Reference 2", REVIEW + " Page 2.")),
        3: s.url("/missing"),  # failing from the start
    }
    config = cite(tmp_path, urls, recheck_days=None)

    refresh_at(config, NOW)
    s.add("/ref/2", "not here", status=404)  # dies after its first healthy check
    for hours in (6, 24, 72):
        refresh_at(config, NOW + timedelta(hours=hours))
    # The page failing from the start is checked on every refresh: four checks over
    # three days confirm its death, while the healthy ones wait out their week.
    assert [fetched(s, p) for p in ("/ref/1", "/ref/2", "/missing")] == [1, 1, 4]
    assert suggested(config, SuggestionKind.SOURCE_GONE) == [urls[3]]
    assert health(config, urls[3]).next_poll is None  # with the next refresh

    # The death of a page that was healthy is seen at its weekly check; from then
    # on it is checked on every refresh, and confirmed gone three days later.
    refresh_at(config, NOW + WEEK)
    assert [fetched(s, p) for p in ("/ref/1", "/ref/2")] == [2, 2]
    for hours in (6, 24):
        refresh_at(config, NOW + WEEK + timedelta(hours=hours))
    assert fetched(s, "/ref/2") == 4 and fetched(s, "/ref/1") == 2
    assert suggested(config, SuggestionKind.SOURCE_GONE) == [urls[3]]  # a day: not yet
    refresh_at(config, NOW + WEEK + timedelta(days=3))
    assert fetched(s, "/ref/2") == 5
    assert sorted(suggested(config, SuggestionKind.SOURCE_GONE)) == sorted([urls[2], urls[3]])

    # Back again: seen at the next refresh, then healthy pages' weekly pace.
    s.add("/ref/2", page("Reference 2", REVIEW + " Page 2."))
    back = NOW + WEEK + timedelta(days=3, hours=6)
    refresh_at(config, back)
    refresh_at(config, back + timedelta(days=1))
    assert fetched(s, "/ref/2") == 6
    assert health(config, urls[2]).next_poll == back + WEEK


def test_force_checks_every_reference_and_status_shows_the_next_check(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    urls = {n: s.add(f"/ref/{n}", page(f"Reference {n}", REVIEW + f" Page {n}.")) for n in (1, 2)}
    config = cite(tmp_path, urls, recheck_days=None)
    # Status compares next checks with the real clock: run these refreshes now.
    start = datetime.now(UTC)
    refresh_at(config, start)
    refresh_at(config, start + timedelta(hours=1))
    assert [fetched(s, f"/ref/{n}") for n in (1, 2)] == [1, 1]
    refresh_at(config, start + timedelta(hours=2), force=True)
    assert [fetched(s, f"/ref/{n}") for n in (1, 2)] == [2, 2]
    next_check = start + timedelta(hours=2) + WEEK
    assert health(config, urls[1]).next_poll == next_check

    shown = json.loads(tracker_status(config, "--json"))
    cited = {x["url"]: x for x in shown["sources"] if x["kind"] == "cited"}
    assert set(urls.values()) <= set(cited)
    assert cited[urls[1]]["next_poll_reason"] == "recheck"
    assert datetime.fromisoformat(cited[urls[1]]["next_poll"]) == next_check
    table = tracker_status(config)
    assert table.count("(recheck)") == 2 and next_check.isoformat()[:16] in table


def tracker_status(config: Config, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(config.source_path), "status", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "COLUMNS": "300"},  # room for whole cells in the table
    )
    return done.stdout


def test_an_interval_of_zero_checks_every_refresh_and_a_negative_one_is_refused(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    urls = {1: s.add("/ref/1", page("Reference 1", REVIEW + " Page 1."))}
    config = cite(tmp_path, urls, recheck_days=0)
    for hours in (0, 1, 2):
        refresh_at(config, NOW + timedelta(hours=hours))
    assert fetched(s, "/ref/1") == 3
    assert health(config, urls[1]).next_poll is None

    data = yaml.safe_load(config.source_path.read_text(encoding="utf-8"))
    data["match"]["cited_recheck_days"] = -1
    config.source_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"match\.cited_recheck_days"):
        load_config(config.source_path)
