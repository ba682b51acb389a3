"""tracker.robots against tables of robots.txt files, and through the fetcher.

The tables pin RFC 9309 as Protego reads it (wildcards, end anchors, longest
match, group selection); the last test serves rules from a real local server.
"""

from __future__ import annotations

import asyncio

import pytest

from tracker.demo.server import LocalServer
from tracker.fetch import USER_AGENT, Fetcher, FetchPolicy
from tracker.robots import RobotsRules
from tracker.types import FetchOutcome, FetchRequest

SITE = "https://site.example"


def verdicts(robots_txt: str | None, paths: list[str], user_agent: str = USER_AGENT) -> list[bool]:
    """Whether each path on SITE may be fetched under *robots_txt* (None: unavailable)."""

    async def load(robots_url: str) -> str | None:
        assert robots_url == f"{SITE}/robots.txt"
        return robots_txt

    async def ask() -> list[bool]:
        rules = RobotsRules(user_agent, load)
        try:
            return [await rules.allowed(SITE + path) for path in paths]
        finally:
            rules.close()

    return asyncio.run(ask())


# Each case: robots.txt, then (path, allowed) pairs, all for tracker's own User-Agent.
PATH_CASES = {
    "star matches any run of characters": (
        "User-agent: *\nDisallow: /*.pdf\nDisallow: /private*/\nDisallow: /*?sessionid=\n",
        [
            ("/files/report.pdf", False),
            ("/files/report.pdf?page=2", False),
            ("/files/report.html", True),
            ("/private-area/x", False),
            ("/privately", True),
            ("/page?sessionid=1", False),
            ("/page?id=1", True),
        ],
    ),
    "dollar anchors at the end of the URL": (
        "User-agent: *\nDisallow: /*.pdf$\nDisallow: /exact$\n",
        [
            ("/a.pdf", False),
            ("/a.pdf?download=1", True),
            ("/a.pdfx", True),
            ("/exact", False),
            ("/exact/more", True),
        ],
    ),
    "a longer Allow beats a shorter Disallow written first": (
        "User-agent: *\nDisallow: /docs/\nAllow: /docs/public/\n",
        [("/docs/public/a", True), ("/docs/secret", False), ("/other", True)],
    ),
    "a longer Disallow beats a shorter Allow written first": (
        "User-agent: *\nAllow: /docs/\nDisallow: /docs/private/\n",
        [("/docs/private/a", False), ("/docs/a", True)],
    ),
    "length counts the pattern as written, wildcards included": (
        "User-agent: *\nDisallow: /blog/\nAllow: /*.html\n",
        [("/blog/post.html", True), ("/blog/post.txt", False)],
    ),
    "Allow wins a tie": (
        "User-agent: *\nDisallow: /folder\nAllow: /folder\n",
        [("/folder/a", True)],
    ),
    "unavailable allows everything": (None, [("/", True), ("/private/a", True)]),
    "empty allows everything": ("", [("/private/a", True)]),
}


@pytest.mark.parametrize(("robots_txt", "expected"), PATH_CASES.values(), ids=PATH_CASES)
def test_path_rules(robots_txt: str | None, expected: list[tuple[str, bool]]) -> None:
    paths = [path for path, _ in expected]
    assert verdicts(robots_txt, paths) == [allowed for _, allowed in expected]


# Each case: robots.txt, then (User-Agent header, allowed to fetch /page) pairs.
GROUP_CASES = {
    "our group, not the star group": (
        "User-agent: tracker\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
        [(USER_AGENT, False), ("otherbot/1.0", True)],
    ),
    "the product token matches whatever its case": (
        "User-agent: TRACKER\nDisallow: /page\n",
        [("tracker/0.1", False), ("Tracker/2.0 (+https://x.example)", False)],
    ),
    "a named group beats the star group written first": (
        "User-agent: *\nDisallow: /\n\nUser-agent: tracker\nAllow: /\n",
        [(USER_AGENT, True), ("otherbot/1.0", False)],
    ),
    "only the chosen group applies, the star group's rules do not add to it": (
        "User-agent: *\nDisallow: /page\n\nUser-agent: tracker\nDisallow: /drafts/\n",
        [(USER_AGENT, True), ("otherbot/1.0", False)],
    ),
    "one group may name several agents": (
        "User-agent: otherbot\nUser-agent: tracker\nDisallow: /page\n",
        [(USER_AGENT, False), ("thirdbot/1.0", True)],
    ),
    "groups naming the same agent are combined": (
        "User-agent: tracker\nDisallow: /a/\n\nUser-agent: tracker\nDisallow: /page\n",
        [(USER_AGENT, False)],
    ),
    "no group for us and no star group": (
        "User-agent: otherbot\nDisallow: /\n",
        [(USER_AGENT, True), ("otherbot/1.0", False)],
    ),
    "words after the product token select no group": (
        "User-agent: github\nDisallow: /\n\nUser-agent: watcher\nDisallow: /\n",
        [("tracker/0.1 (report watcher; +https://github.com/tracker-project/tracker)", True)],
    ),
}


@pytest.mark.parametrize(("robots_txt", "expected"), GROUP_CASES.values(), ids=GROUP_CASES)
def test_group_selection(robots_txt: str, expected: list[tuple[str, bool]]) -> None:
    for user_agent, allowed in expected:
        assert verdicts(robots_txt, ["/page"], user_agent) == [allowed], user_agent


def test_each_site_is_loaded_once_by_concurrent_askers() -> None:
    loads: list[str] = []
    gate = asyncio.Event()

    async def load(robots_url: str) -> str | None:
        loads.append(robots_url)
        await gate.wait()  # no load returns before every asker has asked
        return "User-agent: *\nDisallow: /private/\n"

    async def ask() -> list[bool]:
        rules = RobotsRules(USER_AGENT, load)
        urls = [
            "https://a.example/private/1",
            "https://A.EXAMPLE/public",
            "https://a.example/private/2",
            "http://a.example/private/1",  # another scheme: another site
            "https://b.example/public",
        ]
        askers = [asyncio.ensure_future(rules.allowed(u)) for u in urls]
        await asyncio.sleep(0)  # one turn of the loop: every asker waits on its site's load
        gate.set()
        try:
            return await asyncio.gather(*askers)
        finally:
            rules.close()

    assert asyncio.run(ask()) == [False, True, False, False, True]
    assert sorted(loads) == [
        "http://a.example/robots.txt",
        "https://a.example/robots.txt",
        "https://b.example/robots.txt",
    ]


def test_close_cancels_a_load_in_flight() -> None:
    async def scenario() -> None:
        started = asyncio.Event()

        async def load(robots_url: str) -> str | None:
            started.set()
            await asyncio.Event().wait()  # never answers
            return None

        rules = RobotsRules(USER_AGENT, load)
        asker = asyncio.ensure_future(rules.allowed("https://a.example/x"))
        await started.wait()
        rules.close()
        with pytest.raises(asyncio.CancelledError):
            await asker

    asyncio.run(scenario())


def test_the_fetcher_applies_rfc_9309_rules_from_a_real_server(local_server: LocalServer) -> None:
    local_server.add(
        "/robots.txt",
        "User-agent: *\nDisallow: /\n\n"
        "User-agent: tracker\nDisallow: /docs/\nAllow: /docs/public/\nDisallow: /*.pdf$\n",
        content_type="text/plain",
    )
    pages = {
        "/docs/public/a": FetchOutcome.OK,  # the longer Allow, though written after
        "/docs/internal": FetchOutcome.REFUSED,
        "/paper.pdf": FetchOutcome.REFUSED,
        "/paper.pdf?format=html": FetchOutcome.OK,  # "$": not the end of the URL
        "/about": FetchOutcome.OK,  # our group, not the star group's Disallow: /
    }
    urls = [local_server.add(path, "<p>x</p>") for path in pages]

    async def run() -> list[FetchOutcome]:
        async with Fetcher(FetchPolicy(allow_private_networks=True)) as fetcher:
            results = await fetcher.fetch_many([FetchRequest(u, respect_robots=True) for u in urls])
        return [r.outcome for r in results]

    assert asyncio.run(run()) == list(pages.values())
    requested = [r.path for r in local_server.requests]  # robots.txt once, refused pages never
    fetched = [path for path, outcome in pages.items() if outcome is FetchOutcome.OK]
    assert sorted(requested) == sorted(["/robots.txt", *fetched])
