"""robots.txt rules, fetched once per site per refresh.

``RobotsRules`` answers "may this user agent fetch this URL?" for many URLs,
loading each site's ``/robots.txt`` at most once (concurrent askers for the
same site share the one load). It does no HTTP itself: the caller passes a
``load`` coroutine, which in practice goes through the refresh's single HTTP
session with all its caps and address checks.

A site whose robots.txt cannot be loaded (missing, an error status,
unreachable, refused) is treated as allowing everything, the usual reading
of RFC 9309 for "unavailable". It deliberately ignores ``Crawl-delay`` and
``Request-rate``: politeness is enforced by the fetcher's per-host
concurrency limit instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

# Returns the text of the robots.txt at the given URL, or None when unavailable.
RobotsLoader = Callable[[str], Awaitable[str | None]]


class RobotsRules:
    """Per-site robots.txt verdicts for one user agent, cached for its lifetime."""

    def __init__(self, user_agent: str, load: RobotsLoader) -> None:
        self._user_agent = user_agent
        self._load = load
        self._sites: dict[str, asyncio.Task[RobotFileParser | None]] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}".lower()
        task = self._sites.get(site)
        if task is None:
            task = asyncio.ensure_future(self._parse(site + "/robots.txt"))
            self._sites[site] = task
        parser = await asyncio.shield(task)
        return parser is None or parser.can_fetch(self._user_agent, url)

    async def _parse(self, robots_url: str) -> RobotFileParser | None:
        text = await self._load(robots_url)
        if text is None:
            return None
        parser = RobotFileParser(robots_url)
        parser.parse(text.splitlines())
        return parser

    def close(self) -> None:
        """Cancel loads still in flight (the session they use is closing)."""
        for task in self._sites.values():
            task.cancel()
        self._sites.clear()
