"""robots.txt rules, fetched once per site per refresh.

``RobotsRules`` answers "may this user agent fetch this URL?" for many URLs,
loading each site's ``/robots.txt`` at most once (concurrent askers for the
same site share the one load). It does no HTTP itself: the caller passes a
``load`` coroutine, which in practice goes through the refresh's single HTTP
session with all its caps and address checks.

The rules are read by Protego as RFC 9309 has them: ``*`` matches any run of
characters and a final ``$`` anchors a path pattern at the end of the URL;
the longest matching pattern decides, Allow winning a tie; and the group is
the one whose User-agent line names our product token (``tracker`` in
``tracker/0.1 (...)``), else the ``*`` group. Protego is laxer than the RFC
in one way, left alone: a group named by a prefix of the token (``track``)
applies to us too.

A site whose robots.txt cannot be loaded (missing, an error status,
unreachable, refused) is treated as allowing everything, the usual reading
of RFC 9309 for "unavailable". It deliberately ignores ``Crawl-delay`` and
``Request-rate``: politeness is enforced by the fetcher's per-host
concurrency limit instead.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from protego import Protego

# Returns the text of the robots.txt at the given URL, or None when unavailable.
RobotsLoader = Callable[[str], Awaitable[str | None]]

# RFC 9309 2.2.1: a product token is letters, "_" and "-"; a User-Agent header
# starts with one ("tracker/0.1 (report watcher; +https://...)").
_NOT_IN_TOKEN = re.compile(r"[^A-Za-z_-]")


class RobotsRules:
    """Per-site robots.txt verdicts for one user agent, cached for its lifetime."""

    def __init__(self, user_agent: str, load: RobotsLoader) -> None:
        # Protego finds a group's name anywhere in the string it is given, so it
        # gets the product token alone: the words in the header's comment
        # ("report", "github") must not select a group.
        self._product_token = _NOT_IN_TOKEN.split(user_agent.strip(), maxsplit=1)[0]
        self._load = load
        self._sites: dict[str, asyncio.Task[Protego | None]] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}".lower()
        task = self._sites.get(site)
        if task is None:
            task = asyncio.ensure_future(self._parse(site + "/robots.txt"))
            self._sites[site] = task
        rules = await asyncio.shield(task)
        return rules is None or rules.can_fetch(url, self._product_token)

    async def _parse(self, robots_url: str) -> Protego | None:
        text = await self._load(robots_url)
        return None if text is None else Protego.parse(text)

    def close(self) -> None:
        """Cancel loads still in flight (the session they use is closing)."""
        for task in self._sites.values():
            task.cancel()
        self._sites.clear()
