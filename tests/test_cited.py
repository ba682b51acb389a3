"""Watching the report's own references: snapshots, moves, deaths, and the
suggestions they lead to — against real pages on a local server."""

from __future__ import annotations

import contextlib
import re
import socket
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from aiohttp import web

from tracker.config import Config, load_config
from tracker.demo.server import LocalServer
from tracker.refresh import run_refresh
from tracker.store import open_store
from tracker.types import CitedStatus, SuggestionKind, SuggestionStatus

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

REVIEW = (
    "A review of the year in large language models. Reasoning models trained with "
    "verifiable rewards spread to every lab. Coding agents became the way many developers "
    "work, and Chinese open-weight models led the rankings."
)


def page(title: str, text: str, feed: str | None = None) -> str:
    alternate = (
        f'<link rel="alternate" type="application/atom+xml" title="Posts" href="{feed}">'
        if feed
        else ""
    )
    return (
        f"<html><head><title>{title}</title>{alternate}</head><body><nav>Home</nav>"
        f"<article><h1>{title}</h1><p>{text}</p></article><footer>© site</footer></body></html>"
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens here once the socket closes


def cite(tmp_path: Path, urls: dict[int, str], recheck_days: float | None = 0) -> Config:
    """The seed report with its reference URLs replaced, and a config watching them.

    These tests follow a page's changes and death refresh by refresh, so healthy
    pages are checked on every refresh (``recheck_days`` 0); None keeps the
    product's default interval."""
    # These tests are about whole pages (snapshots, moves, deaths, source-changed):
    # the cited sentences' own checks are tests/test_claims_refresh.py's.
    match: dict[str, float | bool] = {"gone_after": 3, "check_claims": False}
    if recheck_days is not None:
        match["cited_recheck_days"] = recheck_days
    markdown = SEED.read_text(encoding="utf-8")
    for number, url in urls.items():
        markdown = re.sub(
            rf"^({number}\. .*?)https?://\S+$",
            lambda m, u=url: m.group(1) + u,
            markdown,
            flags=re.M,
        )
    (tmp_path / "report.md").write_text(markdown, encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "since": "2026-02-11"}],
                "watch_cited": True,
                "fetch": {"allow_private_networks": True, "connect_timeout": 2, "read_timeout": 2},
                "match": match,
            }
        ),
        encoding="utf-8",
    )
    return load_config(tmp_path / "sources.yaml")


def test_cited_sources_are_snapshotted_classified_and_mined_for_feeds(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    feed = s.url("/posts.atom")
    urls = {
        1: s.add("/review", page("The year in LLMs", REVIEW, feed=feed)),
        2: s.add_handler("/moved", _redirect(s, "/new-home")),
        3: s.url("/missing"),
        4: s.add("/withdrawn", "withdrawn", status=410),
        5: f"http://127.0.0.1:{closed_port()}/down",
    }
    s.add("/new-home", page("AI progress", "An overview of AI progress in 2025 and beyond."))
    config = cite(tmp_path, urls)

    first = run_refresh(config, clock=lambda: NOW)

    with open_store(config.database_path) as store:
        assert len(store.snapshots(urls[1])) == 1
        assert REVIEW[:40] in store.snapshots(urls[1])[0].text
        assert store.snapshots(urls[2])[0].final_url == s.url("/new-home")
        statuses = {url: store.cited_checks(url)[-1][0] for url in urls.values()}
        candidates = {(c.page_url, c.feed_url) for c in store.feed_candidates()}
        gone = [x for x in store.suggestions() if x.kind == SuggestionKind.SOURCE_GONE]
    assert statuses == {
        urls[1]: CitedStatus.OK,
        urls[2]: CitedStatus.REDIRECTED,
        urls[3]: CitedStatus.GONE,
        urls[4]: CitedStatus.GONE,
        urls[5]: CitedStatus.UNREACHABLE,
    }
    assert (urls[1], feed) in candidates
    # 410 is a deliberate removal: it counts at once. 404 and an unreachable
    # host may be passing faults: not yet.
    assert [x.url for x in gone] == [urls[4]]
    assert "web.archive.org/web/" in gone[0].proposed_text
    assert first.cited_gone == 2 and first.cited_changed == 0

    # Nothing changed on the live pages: no new snapshot. Two failures six hours
    # apart are an outage, not a dead page.
    local_server.clear_log()
    run_refresh(config, clock=lambda: NOW + timedelta(hours=6))
    review_requests = [r for r in local_server.requests if r.path == "/review"]
    assert [r.status for r in review_requests] == [304]
    with open_store(config.database_path) as store:
        assert len(store.snapshots(urls[1])) == 1
    assert [x.url for x in _suggestions(config) if x.kind == SuggestionKind.SOURCE_GONE] == [
        urls[4]
    ]

    # Whitespace churn is no change; new prose is.
    s.add("/review", page("The year in LLMs", REVIEW.replace(". ", ".   ")))
    run_refresh(config, clock=lambda: NOW + timedelta(hours=12))
    with open_store(config.database_path) as store:
        assert len(store.snapshots(urls[1])) == 1
    addition = " A correction moves the coding agent revenue milestone from December to November."
    s.add("/review", page("The year in LLMs", REVIEW + addition))
    fourth = run_refresh(config, clock=lambda: NOW + timedelta(hours=18))
    assert fourth.cited_changed == 1
    with open_store(config.database_path) as store:
        assert len(store.snapshots(urls[1])) == 2
        [changed] = [x for x in store.suggestions() if x.kind == SuggestionKind.SOURCE_CHANGED]
    assert changed.url == urls[1] and "November" in changed.excerpt
    # Four failed checks in eighteen hours are still an outage...
    assert [x.url for x in _suggestions(config) if x.kind == SuggestionKind.SOURCE_GONE] == [
        urls[4]
    ]
    # ...three days of them are a dead page.
    run_refresh(config, clock=lambda: NOW + timedelta(days=3))
    assert {x.url for x in _suggestions(config) if x.kind == SuggestionKind.SOURCE_GONE} == {
        urls[3],
        urls[4],
        urls[5],
    }


def test_a_machine_offline_never_calls_its_references_gone(tmp_path: Path) -> None:
    port = closed_port()
    config = cite(tmp_path, {n: f"http://127.0.0.1:{port}/{n}" for n in range(1, 6)})
    for hour in range(5):
        summary = run_refresh(config, clock=lambda h=hour: NOW + timedelta(hours=h))
        assert any(w.source == "network" for w in summary.warnings)
    assert _suggestions(config) == []


def _suggestions(config: Config) -> list:  # type: ignore[type-arg]
    with open_store(config.database_path) as store:
        return store.suggestions()


def _redirect(server: LocalServer, target: str):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(server.url(target))

    return handler


def five_live_references(tmp_path: Path, server: LocalServer) -> tuple[dict[int, str], Config]:
    """Five healthy cited pages, a config watching them, and a first refresh."""
    urls = {
        n: server.add(f"/ref/{n}", page(f"Reference {n}", REVIEW + f" Page {n}."))
        for n in range(1, 6)
    }
    config = cite(tmp_path, urls)
    run_refresh(config, clock=lambda: NOW)
    return urls, config


def test_a_reference_that_changed_then_died_gets_one_gone_suggestion(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    urls, config = five_live_references(tmp_path, s)
    addition = " A correction moves the coding agent revenue milestone from December to November."
    s.add("/ref/1", page("Reference 1", REVIEW + " Page 1." + addition))
    run_refresh(config, clock=lambda: NOW + timedelta(hours=6))
    s.add("/ref/1", "withdrawn", status=410)
    for hour in (12, 18, 24):
        run_refresh(config, clock=lambda h=hour: NOW + timedelta(hours=h))

    kinds = [x.kind for x in _suggestions(config) if x.url == urls[1]]
    assert kinds == [SuggestionKind.SOURCE_CHANGED, SuggestionKind.SOURCE_GONE]


def test_a_rejected_gone_suggestion_stays_rejected_until_the_page_lives_again(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    urls, config = five_live_references(tmp_path, s)
    s.add("/ref/2", "withdrawn", status=410)
    run_refresh(config, clock=lambda: NOW + timedelta(hours=1))
    [gone] = [x for x in _suggestions(config) if x.url == urls[2]]
    with open_store(config.database_path) as store:
        assert gone.id is not None
        store.set_suggestion_status([gone.id], SuggestionStatus.REJECTED, NOW)

    for hour in (2, 3, 4):  # the editor said no; the page stays dead
        run_refresh(config, clock=lambda h=hour: NOW + timedelta(hours=h))
    assert [x.id for x in _suggestions(config) if x.url == urls[2]] == [gone.id]

    s.add("/ref/2", page("Reference 2", REVIEW + " Page 2."))  # back...
    run_refresh(config, clock=lambda: NOW + timedelta(hours=5))
    s.add("/ref/2", "withdrawn", status=410)  # ...and gone again: that is news
    run_refresh(config, clock=lambda: NOW + timedelta(hours=6))
    again = [x for x in _suggestions(config) if x.url == urls[2]]
    assert [x.status for x in again] == [SuggestionStatus.REJECTED, SuggestionStatus.PENDING]


def test_a_refresh_interrupted_while_checking_a_changed_reference_keeps_the_change(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    urls, config = five_live_references(tmp_path, s)
    addition = " A correction moves the coding agent revenue milestone from December to November."
    s.add("/ref/1", page("Reference 1", REVIEW + " Page 1." + addition))

    interrupted = []

    def clock() -> datetime:
        # Ctrl-C at the first moment another process could see the new snapshot.
        if not interrupted:
            db = sqlite3.connect(config.database_path)
            try:
                count = db.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0]
            finally:
                db.close()
            if count > len(urls):
                interrupted.append(True)
                raise KeyboardInterrupt
        return NOW + timedelta(hours=6)

    with contextlib.suppress(KeyboardInterrupt):
        run_refresh(config, clock=clock)
    run_refresh(config, clock=lambda: NOW + timedelta(hours=12))

    changed = [x for x in _suggestions(config) if x.kind == SuggestionKind.SOURCE_CHANGED]
    assert [x.url for x in changed] == [urls[1]]
    assert "November" in changed[0].excerpt


def test_a_dead_reference_is_announced_once_whatever_becomes_of_the_changelog_file(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    urls, config = five_live_references(tmp_path, s)
    changelog = tmp_path / "CHANGELOG.md"
    s.add("/ref/2", "not here", status=404)  # gone, but not yet long enough for a suggestion
    run_refresh(config, clock=lambda: NOW + timedelta(hours=1))
    assert _suggestions(config) == []
    [gone] = [ln for ln in changelog.read_text(encoding="utf-8").splitlines() if urls[2] in ln]

    # The editor starts the file afresh; what was announced is still announced.
    changelog.write_text("# Changelog\n\nOlder entries: see archive.md\n", encoding="utf-8")
    run_refresh(config, clock=lambda: NOW + timedelta(days=1))
    assert _suggestions(config) == []  # two failures in a day: not yet
    run_refresh(config, clock=lambda: NOW + timedelta(days=3, hours=1))
    # A third failure, three days after the first: now the suggestion to cite an archived copy.
    [suggested] = _suggestions(config)
    assert suggested.kind is SuggestionKind.SOURCE_GONE and suggested.url == urls[2]
    assert gone not in changelog.read_text(encoding="utf-8").splitlines()

    # A move is news once; a move elsewhere is news again.
    for n in (4, 5):  # answered in full every time, so every check sees the move
        s.add(f"/ref/{n}", page(f"Reference {n}", REVIEW + f" Page {n}."), conditional=False)
    s.add_handler("/ref/3", _redirect(s, "/ref/4"))
    run_refresh(config, clock=lambda: NOW + timedelta(days=4))
    run_refresh(config, clock=lambda: NOW + timedelta(days=5))
    s.add_handler("/ref/3", _redirect(s, "/ref/5"))
    run_refresh(config, clock=lambda: NOW + timedelta(days=6))
    run_refresh(config, clock=lambda: NOW + timedelta(days=7))
    lines = [ln for ln in changelog.read_text(encoding="utf-8").splitlines() if urls[3] in ln]
    assert len(lines) == 2, lines
    assert s.url("/ref/5") in lines[0] and s.url("/ref/4") in lines[1]
