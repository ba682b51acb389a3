"""A refresh's fetching stages end by ``fetch.stage_timeout`` whatever the servers do.

Each slow server here keeps every request inside its own deadline
(``fetch.total_timeout``) and would still hold the refresh, and the refresh
lock, for a minute; the stage deadline ends the stage, names the reason, and
loses nothing. Real HTTP on 127.0.0.1 and a real SQLite file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import yaml
from aiohttp import web

from tracker.config import Config, load_config
from tracker.demo.server import LocalServer
from tracker.refresh import run_refresh
from tracker.store import open_store

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
STAGE = 1.5  # seconds; every slow answer below takes 60
RSS = "application/rss+xml"


def slow(body: str, content_type: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Answers within every per-request limit, but only after a minute."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": content_type})
        await response.prepare(request)
        for _ in range(120):  # a byte every half second: never a read timeout
            await asyncio.sleep(0.5)
            await response.write(b" ")
        await response.write(body.encode())
        return response

    return handler


def rss(items: list[str]) -> str:
    body = "".join(
        f"<item><title>Story {n}</title><link>{link}</link><guid>{link}</guid>"
        "<pubDate>Thu, 19 Nov 2026 06:00:00 GMT</pubDate></item>"
        for n, link in enumerate(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{body}</channel></rss>'
    )


def config(tmp_path: Path, feeds: dict[str, str]) -> Config:
    (tmp_path / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "since": "2026-02-11"}],
                "feeds": [{"name": n, "url": u} for n, u in feeds.items()],
                "watch_cited": False,
                "fetch": {
                    "allow_private_networks": True,
                    "read_timeout": 5,
                    "total_timeout": 120,
                    "stage_timeout": STAGE,
                },
            }
        ),
        encoding="utf-8",
    )
    return load_config(tmp_path / "sources.yaml")


def test_a_feed_slower_than_the_stage_fails_by_its_deadline(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    quick = s.add("/quick.rss", rss([s.add("/story", "<p>hi</p>")]), content_type=RSS)
    stalled = s.add_handler("/slow.rss", slow(rss([]), RSS))

    summary = run_refresh(config(tmp_path, {"Quick": quick, "Stalled": stalled}), clock=lambda: NOW)

    assert {f.source: f.reason for f in summary.failures} == {
        "Stalled": f"not finished within the refresh's {STAGE:g} s deadline for this stage"
    }
    assert summary.sources_ok == 1 and summary.new_entries == 1


def test_article_pages_slower_than_the_stage_wait_for_the_next_refresh(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    pages = [s.add_handler(f"/page/{n}", slow("<p>late</p>", "text/html")) for n in range(3)]
    settings = config(tmp_path, {"Feed": s.add("/f.rss", rss(pages), content_type=RSS)})

    summary = run_refresh(settings, clock=lambda: NOW)

    [late] = [w.reason for w in summary.warnings if w.source == "articles"]
    assert "deadline for this stage" in late and "3 article pages wait" in late
    assert summary.new_articles == 0
    with open_store(settings.database_path) as store:
        assert sorted(e.link or e.url for e in store.entries_without_article()) == sorted(pages)
