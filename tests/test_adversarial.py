"""One refresh against a server built to hurt it: slow drips, redirect tricks,
oversized and malformed feeds, a feed of 5,000 entries, hostile titles, beside
two healthy feeds.

The refresh must finish, store every healthy feed's news, name every hostile
source with its reason, and keep what it stores free of terminal and bidi
controls. Real HTTP on 127.0.0.1, a real SQLite file; nothing is mocked.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from tracker.config import load_config
from tracker.demo.server import LocalServer
from tracker.refresh import run_refresh
from tracker.store import open_store
from tracker.types import RunSummary

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
HOSTILE_TITLES = [
    "Clear screen \x1b[2J and a link \x1b]8;;https://evil.example\x07here",
    "Reversed \u202eevil.exe\u202c text",
    "<script>alert(1)</script> ![p](https://evil.example/x.gif) [click](javascript:x)",
]


def rss(title: str, items: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<item><title><![CDATA[{t}]]></title><link>{link}</link><guid>{link}</guid>"
        "<pubDate>Thu, 19 Nov 2026 06:00:00 GMT</pubDate>"
        "<description>OpenAI and Google shipped new reasoning models.</description></item>"
        for t, link in items
    )
    channel = f"<channel><title>{title}</title>{body}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def page(title: str) -> str:
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        + "<p>Reasoning models from OpenAI and Google DeepMind improved on math. " * 6
        + "</p></article></body></html>"
    )


async def drip(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await response.prepare(request)
    await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
    for _ in range(200):  # a byte every 0.2 s: never a read timeout, never done
        await asyncio.sleep(0.2)
        await response.write(b" ")
    return response


async def redirect_loop(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/loop")


async def redirect_to_numeric_loopback(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(f"http://0x7f.1:{request.url.port}/healthy-a.rss")


@pytest.fixture
def summary(tmp_path: Path, local_server: LocalServer) -> tuple[RunSummary, Path]:
    s = local_server

    def feed(path: str, body: str) -> None:
        s.add(path, body, content_type="application/rss+xml")

    for name in ("a", "b"):
        stories = [
            (f"Story {name}{n}", s.add(f"/{name}/{n}", page(f"Story {name}{n}"))) for n in "12"
        ]
        feed(f"/healthy-{name}.rss", rss(f"Healthy {name}", stories))
    titled = [(t, s.add(f"/t/{n}", page(f"Titled {n}"))) for n, t in enumerate(HOSTILE_TITLES)]
    feed("/titles.rss", rss("Titles", titled))
    feed("/broken.rss", "<rss><channel><item><title>never closed")
    feed("/huge.rss", "<rss>" + " " * (3 * 1024 * 1024) + "</rss>")
    endless = [(f"Item {n}", s.url(f"/endless/{n}")) for n in range(5000)]
    feed("/endless.rss", rss("Endless", endless))  # 5,000 entries, each a page to fetch
    s.add("/not-a-feed.rss", "<html><body>Just a page</body></html>")
    s.add_handler("/drip.rss", drip)
    s.add_handler("/loop", redirect_loop)
    s.add_handler("/numeric.rss", redirect_to_numeric_loopback)
    feeds = {
        "Healthy A": "/healthy-a.rss",
        "Healthy B": "/healthy-b.rss",
        "Hostile Titles": "/titles.rss",
        "Broken XML": "/broken.rss",
        "Oversized": "/huge.rss",
        "Not A Feed": "/not-a-feed.rss",
        "Endless": "/endless.rss",
        "Slow Drip": "/drip.rss",
        "Redirect Loop": "/loop",
        "Numeric Redirect": "/numeric.rss",
    }
    (tmp_path / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "since": "2026-02-11"}],
                "feeds": [{"name": n, "url": s.url(p)} for n, p in feeds.items()],
                "watch_cited": False,
                "fetch": {
                    "allow_private_networks": True,
                    "total_timeout": 2,
                    "read_timeout": 5,
                    "max_body_mb": 2,
                    "max_entries_per_feed": 50,
                },
            }
        ),
        encoding="utf-8",
    )
    config = load_config(tmp_path / "sources.yaml")
    return run_refresh(config, clock=lambda: NOW), config.database_path


HOSTILE = {
    "Oversized": "larger than",
    "Slow Drip": "deadline",
    "Redirect Loop": "redirect loop",
    "Numeric Redirect": "numeric",
    "Not A Feed": "not a feed",
    "Broken XML": "malformed feed",
    "Endless": "max_entries_per_feed",
}
_CONTROLS = {chr(c) for c in range(32) if chr(c) not in "\n\t"} | set(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x7f"
)


def test_every_hostile_source_is_named_with_its_reason(summary):
    result, _ = summary
    reasons: dict[str, list[str]] = {}
    for failure in (*result.failures, *result.warnings):
        reasons.setdefault(failure.source, []).append(failure.reason)
    for name, cause in HOSTILE.items():
        assert any(cause in reason for reason in reasons.get(name, [])), (name, reasons.get(name))
    assert not {"Healthy A", "Healthy B"} & set(reasons)


def test_the_healthy_feeds_news_is_stored_in_full(summary):
    result, db = summary
    assert result.outcome == "ok"
    with open_store(db) as store:
        articles = {a.title: a for a in store.articles()}
    assert sum(title.startswith("Item ") for title in articles) == 50  # the newest, no more
    for title in ("Story a1", "Story a2", "Story b1", "Story b2"):
        assert "Reasoning models from OpenAI" in articles[title].text


def test_hostile_titles_are_stored_as_plain_text(summary):
    _, db = summary
    with open_store(db) as store:
        stored = [a for a in store.articles() if a.title.startswith(("Clear", "Reversed", "<"))]
    assert len(stored) == len(HOSTILE_TITLES)  # a lenient parse keeps the feed's news
    for article in stored:
        assert not _CONTROLS & set(article.title + article.text), repr(article.title)
