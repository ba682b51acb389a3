"""Many feeds on many loopback hosts, each request logged: for the worker tests and bench/scale.py.

A ``FeedFarm`` runs one :class:`~tracker.demo.server.LocalServer` per host
(a port of its own on 127.0.0.1, or an address of its own in 127.0.0.0/8),
so each is a distinct host to tracker's politeness keys. Every feed is an
RSS 2.0 document served with validators (a conditional request for an
unchanged feed gets 304); :meth:`FeedFarm.new_round` gives some feeds a new
entry whose article page is served by the same host.

A feed request counts as *answered* once its handler returned a response;
a request whose client went away first (a worker killed while waiting) is
logged unanswered. :meth:`answered` counts answered requests per feed path,
which is what "polled once per round" means. :meth:`most_in_flight` tells
how many requests each host served at once at most: what politeness bounds.

``hold(host)`` makes that host's feed requests wait until ``release(host)``:
a worker polling it can be killed with its requests in flight.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from aiohttp import web

from tracker.demo.server import Handler, LocalServer

FEED_PREFIX = "/feeds/"
BASE_DAY = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Feed:
    name: str
    host: int  # index of its server
    path: str
    url: str


def article_page(title: str, text: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><article><h1>{title}</h1><p>{text}</p><p>{text} More context on "
        "the release and what it changes for developers.</p></article></body></html>"
    )


def rss(items: list[tuple[str, str, datetime]]) -> str:
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{format_datetime(d)}</pubDate><description>{t}.</description></item>"
        for t, link, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Farm feed</title><link>http://example.invalid/</link><description>d</description>"
        f"{entries}</channel></rss>"
    )


class FeedFarm:
    """``feeds`` feeds spread round-robin over ``hosts`` servers."""

    def __init__(
        self, hosts: int, feeds: int, *, distinct_addresses: bool = False, latency: float = 0.0
    ) -> None:
        self.latency = latency
        self.servers = [
            LocalServer(host=f"127.0.0.{2 + i}" if distinct_addresses else "127.0.0.1")
            for i in range(hosts)
        ]
        self._feed_count = feeds
        self.feeds: list[Feed] = []
        self._items: dict[str, list[tuple[str, str, datetime]]] = {}
        self._answered: Counter[tuple[int, str]] = Counter()
        self._unanswered: Counter[tuple[int, str]] = Counter()
        self._lock = threading.Lock()
        self._held: dict[int, threading.Event] = {}
        self._waiting: dict[int, int] = {}
        self._in_flight: Counter[int] = Counter()
        self._most_in_flight: Counter[int] = Counter()
        self.rounds = 0

    def start(self) -> FeedFarm:
        for server in self.servers:
            server.start()
        for n in range(self._feed_count):
            host = n % len(self.servers)
            path = f"{FEED_PREFIX}{n}.xml"
            server = self.servers[host]
            feed = Feed(f"feed {n}", host, path, server.url(path))
            self.feeds.append(feed)
            self._items[path] = []
            server.add_handler(path, self._handler(host, path))
        return self

    def stop(self) -> None:
        for event in self._held.values():
            event.set()
        for server in self.servers:
            server.stop()

    def __enter__(self) -> FeedFarm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- content ---------------------------------------------------------------------

    def new_round(self, every: int = 1) -> list[str]:
        """Give every ``every``-th feed a new entry (and its page); the new article URLs."""
        self.rounds += 1
        when = BASE_DAY + timedelta(hours=self.rounds)
        added = []
        for n, feed in enumerate(self.feeds):
            if n % every:
                continue
            server = self.servers[feed.host]
            page_path = f"/articles/{n}-{self.rounds}"
            title = f"Release {n} round {self.rounds}: an open-weights model tops a leaderboard"
            server.add(page_path, article_page(title, f"Story {n}, round {self.rounds}."))
            link = server.url(page_path)
            with self._lock:
                self._items[feed.path] = [(title, link, when), *self._items[feed.path]][:5]
            added.append(link)
        return added

    def _handler(self, host: int, path: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            with self._lock:
                self._in_flight[host] += 1
                self._most_in_flight[host] = max(self._most_in_flight[host], self._in_flight[host])
            try:
                return await answer(request)
            finally:
                with self._lock:
                    self._in_flight[host] -= 1

        async def answer(request: web.Request) -> web.StreamResponse:
            if self.latency:
                await asyncio.sleep(self.latency)
            held = self._held.get(host)
            if held is not None:
                with self._lock:
                    self._waiting[host] = self._waiting.get(host, 0) + 1
                try:
                    while not held.is_set():
                        await asyncio.sleep(0.02)
                except asyncio.CancelledError:  # the client went away (was killed)
                    with self._lock:
                        self._unanswered[(host, path)] += 1
                    raise
                finally:
                    with self._lock:
                        self._waiting[host] -= 1
            transport = request.transport
            if transport is None or transport.is_closing():
                with self._lock:
                    self._unanswered[(host, path)] += 1
                raise web.HTTPServiceUnavailable  # nobody is listening any more
            with self._lock:
                body = rss(self._items[path])
                self._answered[(host, path)] += 1
            etag = f'"{abs(hash(body)) & 0xFFFFFFFF:x}"'
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers={"ETag": etag})
            return web.Response(
                text=body, content_type="application/rss+xml", headers={"ETag": etag}
            )

        return handler

    # -- the logs --------------------------------------------------------------------

    def answered(self) -> Counter[str]:
        """Answered feed requests per feed URL since the last ``reset_counts``."""
        with self._lock:
            return Counter({self.servers[h].url(p): n for (h, p), n in self._answered.items()})

    def unanswered(self) -> Counter[str]:
        with self._lock:
            return Counter({self.servers[h].url(p): n for (h, p), n in self._unanswered.items()})

    def reset_counts(self) -> None:
        with self._lock:
            self._answered.clear()
            self._unanswered.clear()

    def most_in_flight(self) -> dict[int, int]:
        """Per host, the most feed requests it was answering at one moment."""
        with self._lock:
            return dict(self._most_in_flight)

    def hold(self, host: int) -> None:
        self._held[host] = threading.Event()

    def release(self, host: int) -> None:
        self._held[host].set()

    def waiting(self, host: int) -> int:
        """Requests to ``host`` held right now."""
        with self._lock:
            return self._waiting.get(host, 0)

    def host_key(self, host: int) -> str:
        server = self.servers[host]
        return f"{server.host}:{server.port}"
