"""A whole refresh against a real local server full of healthy, dead,
malformed and hostile sources.

Assertions are on what was stored and reported, and on the server's own
request log, never on log text.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from tracker.config import load_config
from tracker.demo.server import LocalServer
from tracker.refresh import run_refresh
from tracker.store import open_store
from tracker.urls import canonical_url

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
RECENT = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
OLD = datetime(2025, 6, 1, tzinfo=UTC)  # before the report's `since`


def page(title: str, paragraphs: list[str], lang: str = "en") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><nav>Home · About</nav><article><h1>{title}</h1>{body}</article>"
        "<footer>footer text</footer></body></html>"
    )


def rss2(items: list[tuple[str, str, datetime]], encoding: str = "utf-8") -> str:
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{format_datetime(d)}</pubDate>"
        f"<description>{t}: the summary carried by the feed itself.</description></item>"
        for t, link, d in items
    )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>Feed</title><link>http://example.invalid/</link><description>d</description>"
        f"{entries}</channel></rss>"
    )


def atom(items: list[tuple[str, str, datetime]]) -> str:
    entries = "".join(
        f'<entry><title>{t}</title><link rel="alternate" href="{link}"/><id>{link}</id>'
        f"<updated>{d.isoformat()}</updated><summary>{t} in brief.</summary></entry>"
        for t, link, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Atom feed</title><id>urn:x</id><updated>{RECENT.isoformat()}</updated>"
        f"{entries}</feed>"
    )


def rss1(items: list[tuple[str, str, datetime]]) -> str:
    entries = "".join(
        f'<item rdf:about="{link}"><title>{t}</title><link>{link}</link>'
        f"<dc:date>{d.isoformat()}</dc:date><description>{t}.</description></item>"
        for t, link, d in items
    )
    return (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="http://example.invalid/"><title>RDF</title>'
        "<link>http://example.invalid/</link><description>d</description></channel>"
        f"{entries}</rdf:RDF>"
    )


class World:
    """Registers every kind of source on one server and remembers their URLs."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        s = server
        self.art = {n: s.url(f"/articles/{n}") for n in range(1, 9)}
        english = [
            "Anthropic released a new version of Claude Code with background agents.",
            "The agents run tests in a sandbox and open pull requests when done.",
        ]
        for n in (1, 2, 3, 4, 7):
            s.add(f"/articles/{n}", page(f"Article {n}", [f"Story {n}. " + english[0], english[1]]))
        # Article 5 is gone: the feed's own text must stand in for it.
        s.add(
            "/articles/6",
            page("月之暗面发布新模型", ["月之暗面发布新一代开源权重模型，登顶排行榜。"], "zh"),
        )

        self.feeds = {
            "RSS 2.0": s.add(
                "/rss2.xml",
                rss2(
                    [
                        ("Article 1", self.art[1] + "?utm_source=rss&utm_medium=feed#top", RECENT),
                        ("Article 2", self.art[2], RECENT),
                        ("An old story", s.url("/articles/old"), OLD),
                    ]
                ),
                content_type="application/rss+xml",
            ),
            "Atom": s.add(
                "/atom.xml",
                atom(
                    [("Article 3", self.art[3], RECENT), ("Article 1 again", self.art[1], RECENT)]
                ),
                content_type="application/atom+xml",
            ),
            "RSS 1.0": s.add(
                "/rdf.xml",
                rss1([("Article 4", self.art[4], RECENT)]),
                content_type="application/rdf+xml",
            ),
            "JSON Feed": s.add(
                "/feed.json",
                json.dumps(
                    {
                        "version": "https://jsonfeed.org/version/1.1",
                        "title": "JSON",
                        "items": [
                            {
                                "id": "5",
                                "url": self.art[5],
                                "title": "Article 5",
                                "content_text": "Article five exists only in its feed now.",
                                "date_published": RECENT.isoformat(),
                            }
                        ],
                    }
                ),
                content_type="application/feed+json",
            ),
            "GBK": s.add(
                "/gbk.xml",
                rss2([("月之暗面发布新模型", self.art[6], RECENT)], encoding="gbk").encode("gbk"),
                content_type="application/rss+xml; charset=gbk",
            ),
            "Malformed": s.add(
                "/malformed.xml",
                rss2([("Article 7", self.art[7], RECENT)]).replace(
                    "</channel></rss>", "<item><title>"
                ),
                content_type="application/rss+xml",
            ),
            "Private link": s.add(
                "/private.xml",
                rss2([("Metadata", "http://169.254.169.254/latest/meta-data/", RECENT)]),
                content_type="application/rss+xml",
            ),
            "Not found": s.url("/missing.xml"),
            "Turns 410": s.add("/turns-410.xml", rss2([]), content_type="application/rss+xml"),
            "Stalls": s.add_handler("/stall.xml", self._stall),
            "Redirect chain": s.add_handler("/hop/1", self._redirect("/hop/2")),
            "Redirect loop": s.add_handler("/loop/a", self._redirect("/loop/b")),
            "Too large": s.add("/huge.xml", b"<rss>" + b"x" * (3 * 1024 * 1024)),
            "Gzip bomb": s.add(
                "/bomb.xml",
                gzip.compress(b"\0" * (64 * 1024 * 1024)),
                headers={"Content-Encoding": "gzip"},
                content_type="application/rss+xml",
            ),
        }
        s.add_handler("/hop/2", self._redirect("/chain-end.xml"))
        s.add_handler("/loop/b", self._redirect("/loop/a"))
        s.add(
            "/chain-end.xml",
            rss2([("Article 8", self.art[8], RECENT)]),
            content_type="application/rss+xml",
        )
        s.add("/articles/8", page("Article 8", ["Story 8. " + english[0], english[1]]))

    @staticmethod
    async def _stall(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.Response(text="too late")

    def _redirect(self, target: str):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.StreamResponse:
            raise web.HTTPFound(self.server.url(target))

        return handler


def write_config(tmp_path: Path, feeds: dict[str, str], **extra: object) -> Path:
    report = tmp_path / "report.md"
    report.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    data = {
        "state_dir": "state",
        "reports": [{"id": "ai", "path": "report.md", "language": "zh", "since": "2026-02-11"}],
        "feeds": [{"name": name, "url": url} for name, url in feeds.items()],
        "watch_cited": False,
        "fetch": {
            "allow_private_networks": True,
            "read_timeout": 1.0,
            "max_body_mb": 1,
            "connect_timeout": 2,
        },
        **extra,
    }
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def world(local_server: LocalServer) -> World:
    return World(local_server)


def test_a_hostile_world_fails_per_source_and_keeps_the_rest(tmp_path: Path, world: World) -> None:
    config = load_config(write_config(tmp_path, world.feeds))
    summary = run_refresh(config, clock=lambda: NOW)

    assert summary.outcome == "ok"
    failed = {f.source: f.reason for f in summary.failures}
    assert set(failed) == {"Not found", "Stalls", "Redirect loop", "Too large", "Gzip bomb"}, failed
    assert "404" in failed["Not found"]
    assert "time" in failed["Stalls"].lower()
    assert "redirect" in failed["Redirect loop"].lower()
    assert summary.sources_ok == len(world.feeds) - len(failed)
    assert any(w.source == "Malformed" for w in summary.warnings)

    with open_store(config.database_path) as store:
        stored = {a.url: a for a in store.articles()}
        # Every healthy feed's recent entries became articles; the old one was ignored.
        expected = {canonical_url(world.art[n]) for n in (1, 2, 3, 4, 5, 6, 7, 8)}
        assert expected <= set(stored)
        assert canonical_url(world.server.url("/articles/old")) not in stored
        # Tracking parameters and the fragment were stripped; the story is stored once
        # and remembers both feeds that carried it.
        one = canonical_url(world.art[1])
        assert "utm_" not in one and "#" not in one
        assert [name for name, _ in store.entry_sources(one)] == ["RSS 2.0", "Atom"]
        # The GBK feed's Chinese title decoded right; its page too.
        chinese = stored[canonical_url(world.art[6])]
        assert chinese.title == "月之暗面发布新模型"
        assert "开源权重" in chinese.text
        # A dead page falls back to the feed's own content.
        five = stored[canonical_url(world.art[5])]
        assert five.from_feed_only and "only in its feed" in five.text
        # A link to the metadata address was never fetched.
        metadata = [a for a in stored.values() if "169.254.169.254" in a.url]
        assert all(a.from_feed_only for a in metadata)
        health = {s.url: s for s in store.sources(kind="feed")}
        assert health[world.feeds["Not found"]].consecutive_failures == 1
        assert health[world.feeds["RSS 2.0"]].consecutive_failures == 0
    assert not any("169.254" in r.path for r in world.server.requests)


def test_nothing_changed_means_only_conditional_requests_and_304s(
    tmp_path: Path, local_server: LocalServer
) -> None:
    world = World(local_server)
    healthy = {
        k: v
        for k, v in world.feeds.items()
        if k in ("RSS 2.0", "Atom", "RSS 1.0", "JSON Feed", "GBK")
    }
    config = load_config(write_config(tmp_path, healthy))
    first = run_refresh(config, clock=lambda: NOW)
    assert first.new_articles >= 6
    with open_store(config.database_path) as store:
        before = store.counts()
        before.pop("runs")

    local_server.clear_log()
    second = run_refresh(config, clock=lambda: NOW)

    log = local_server.requests
    assert len(log) == len(healthy)  # feeds only: no page, no robots.txt
    assert all("If-None-Match" in r.headers or "If-Modified-Since" in r.headers for r in log)
    assert {r.status for r in log} == {304}
    assert (second.new_entries, second.new_articles, second.new_suggestions) == (0, 0, 0)
    assert second.editions == ()
    with open_store(config.database_path) as store:
        after = store.counts()
        assert after.pop("runs") == 2
        assert after == before


def test_a_feed_that_turns_410_is_recorded_and_nothing_is_lost(
    tmp_path: Path, local_server: LocalServer
) -> None:
    world = World(local_server)
    feeds = {"RSS 2.0": world.feeds["RSS 2.0"], "Turns 410": world.feeds["Turns 410"]}
    config = load_config(write_config(tmp_path, feeds))
    run_refresh(config, clock=lambda: NOW)
    with open_store(config.database_path) as store:
        articles_before = {a.url for a in store.articles()}

    local_server.add("/turns-410.xml", "gone", status=410)
    local_server.remove("/rss2.xml")  # and the other feed disappears too
    summary = run_refresh(config, clock=lambda: NOW)

    assert {f.source for f in summary.failures} == {"RSS 2.0", "Turns 410"}
    with open_store(config.database_path) as store:
        assert {a.url for a in store.articles()} == articles_before
        health = {s.url: s for s in store.sources(kind="feed")}
        assert health[feeds["Turns 410"]].last_status == 410
        assert health[feeds["Turns 410"]].last_success is not None


def test_entries_stored_by_a_killed_refresh_are_completed_next_time(
    tmp_path: Path, local_server: LocalServer
) -> None:
    world = World(local_server)
    config = load_config(write_config(tmp_path, {"RSS 2.0": world.feeds["RSS 2.0"]}))
    # Simulate a refresh killed after storing entries, before fetching pages.
    from tracker.feeds import filter_since, parse_feed

    body = asyncio.run(_get(world.feeds["RSS 2.0"]))
    parsed = parse_feed(body, url=world.feeds["RSS 2.0"], headers={}, source_name="RSS 2.0")
    with open_store(config.database_path) as store:
        store.add_entries(list(filter_since(parsed.entries, config.reports[0].since)), NOW)

    summary = run_refresh(config, clock=lambda: NOW)
    assert summary.new_articles == 2  # the two recent entries, fetched now
    with open_store(config.database_path) as store:
        assert not store.entries_without_article()
        urls = [a.url for a in store.articles()]
        assert len(urls) == len(set(urls))
    db = sqlite3.connect(config.database_path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def _get(url: str) -> bytes:
    from tracker.fetch import Fetcher, FetchPolicy
    from tracker.types import FetchRequest

    async with Fetcher(FetchPolicy(allow_private_networks=True)) as fetcher:
        return (await fetcher.fetch(FetchRequest(url))).body


def test_a_refresh_stopped_right_after_fetching_feeds_loses_no_entries(
    tmp_path: Path, local_server: LocalServer
) -> None:
    world = World(local_server)
    config = load_config(write_config(tmp_path, {"RSS 2.0": world.feeds["RSS 2.0"]}))
    # The first stop check comes after the feeds' fetches are recorded, before parsing.
    stopped = run_refresh(config, clock=lambda: NOW, should_stop=lambda: True)
    assert stopped.outcome == "interrupted" and stopped.new_entries == 0

    local_server.clear_log()
    summary = run_refresh(config, clock=lambda: NOW)
    # The feed had not been read: its validators must not have been kept, so it
    # comes back whole rather than as a 304 that would hide its entries for good.
    assert [r.status for r in local_server.requests if r.path == "/rss2.xml"] == [200]
    assert summary.new_entries == 2 and summary.new_articles == 2

    local_server.clear_log()
    run_refresh(config, clock=lambda: NOW)
    assert [r.status for r in local_server.requests if r.path == "/rss2.xml"] == [304]


def test_a_feed_with_its_own_interval_is_polled_only_when_due(
    tmp_path: Path, local_server: LocalServer
) -> None:
    often = local_server.add("/often.xml", rss2([]), content_type="application/rss+xml")
    daily = local_server.add("/daily.xml", rss2([]), content_type="application/rss+xml")
    path = write_config(tmp_path, {"often": often, "daily": daily})
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["feeds"][1]["every"] = "every 24h"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    config = load_config(path)

    def polled(hours: float, *, due_only: bool = True) -> set[str]:
        local_server.clear_log()
        run_refresh(config, due_only=due_only, clock=lambda: NOW + timedelta(hours=hours))
        return {r.path for r in local_server.requests}

    assert polled(0) == {"/often.xml", "/daily.xml"}
    assert polled(6) == {"/often.xml"}  # the daily feed is not due yet
    assert polled(12, due_only=False) == {"/often.xml", "/daily.xml"}  # by hand: everything
    assert polled(36) == {"/often.xml", "/daily.xml"}
