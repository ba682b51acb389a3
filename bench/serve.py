"""The benchmark's feed server, in a process of its own.

``python bench/serve.py --feeds N --latency-ms L`` serves the synthetic feeds
of ``bench/poll.py`` from a :class:`~tracker.demo.server.LocalServer`, prints
one JSON line ``{"base_url": ..., "feeds": [...]}`` on stdout once it is
listening, and serves until stdin closes.

It runs apart from the benchmark so that no client being measured shares an
interpreter (and its GIL) with the server: the bare aiohttp loop, ``tracker``
and ``urlwatch`` all talk to the same separate process.

Two control paths, not logged themselves, let the benchmark audit each run:
``GET /_bench/log`` answers the requests seen since the last clear as
``{"requests": n, "conditional": n, "statuses": {...}}``, and
``POST /_bench/clear`` forgets them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from aiohttp import web

from tracker.demo.server import LocalServer

OLD = datetime(2025, 1, 1, tzinfo=UTC)
CONTROL = "/_bench/"


def feed_body(n: int, server: LocalServer, fresh_at: datetime) -> tuple[str, str]:
    """Feed ``n``: Atom when odd, RSS 2.0 when even; 20 entries.

    Only the first entry of every tenth feed is dated after the report's
    ``since``; the rest are old, so a cold run extracts ~N/10 articles.
    """
    entries = []
    for i in range(20):
        fresh = n % 10 == 0 and i == 0
        when = fresh_at if fresh else OLD - timedelta(hours=i)
        link = server.url(f"/p/{n}/{i}")
        title = f"Feed {n} item {i}: a coding agent update" if fresh else f"Feed {n} item {i}"
        entries.append((title, link, when))
    if n % 2:
        items = "".join(
            f'<entry><title>{t}</title><link href="{link}"/><id>{link}</id>'
            f"<updated>{w.isoformat()}</updated><summary>{t}.</summary></entry>"
            for t, link, w in entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Feed {n}</title><id>urn:feed:{n}</id><updated>{OLD.isoformat()}</updated>"
            f"{items}</feed>",
            "application/atom+xml",
        )
    items = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{format_datetime(w)}</pubDate><description>{t}.</description></item>"
        for t, link, w in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>http://example.invalid/</link>"
        f"<description>bench</description>{items}</channel></rss>",
        "application/rss+xml",
    )


def article_page(n: int) -> str:
    return (
        f"<html><head><title>Update {n}</title></head><body><article><h1>Update {n}</h1>"
        "<p>Anthropic shipped a new Claude Code release with background agents that open pull "
        "requests on their own.</p><p>Developers run several agents in parallel.</p>"
        "</article></body></html>"
    )


def populate(server: LocalServer, count: int) -> list[str]:
    fresh_at = datetime.now(UTC) - timedelta(days=1)
    urls = []
    for n in range(count):
        body, kind = feed_body(n, server, fresh_at)
        urls.append(server.add(f"/f/{n}.xml", body, content_type=kind))
        if n % 10 == 0:
            server.add(f"/p/{n}/0", article_page(n))
    return urls


def add_control(server: LocalServer) -> None:
    async def log(request: web.Request) -> web.Response:
        seen = [r for r in server.requests if not r.path.startswith(CONTROL)]
        conditional = sum(
            1 for r in seen if "If-None-Match" in r.headers or "If-Modified-Since" in r.headers
        )
        statuses = Counter(str(r.status) for r in seen)
        return web.json_response(
            {"requests": len(seen), "conditional": conditional, "statuses": statuses}
        )

    async def clear(request: web.Request) -> web.Response:
        server.clear_log()
        return web.json_response({})

    server.add_handler(CONTROL + "log", log)
    server.add_handler(CONTROL + "clear", clear)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    with LocalServer(latency=args.latency_ms / 1000) as server:
        add_control(server)
        urls = populate(server, args.feeds)
        print(json.dumps({"base_url": server.base_url, "feeds": urls}), flush=True)
        sys.stdin.read()  # serve until the benchmark closes our stdin


if __name__ == "__main__":
    main()
