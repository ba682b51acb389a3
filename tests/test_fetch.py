"""tracker.fetch against a real HTTP server on loopback addresses."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import socket
import tracemalloc
import zlib
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import pytest
from aiohttp import web

from tracker.demo.server import LocalServer
from tracker.fetch import Fetcher, FetchPolicy, address_refusal
from tracker.types import FetchOutcome, FetchRequest, FetchResult, Validators

MB = 1024 * 1024
LOCAL = FetchPolicy(allow_private_networks=True)
RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


def fetch_all(policy: FetchPolicy, *requests: FetchRequest) -> list[FetchResult]:
    async def run() -> list[FetchResult]:
        async with Fetcher(policy) as fetcher:
            return await fetcher.fetch_many(requests)

    return asyncio.run(run())


def fetch_one(policy: FetchPolicy, url: str, **kwargs: object) -> FetchResult:
    return fetch_all(policy, FetchRequest(url, **kwargs))[0]  # type: ignore[arg-type]


def paths(server: LocalServer) -> list[str]:
    return [r.path for r in server.requests]


@pytest.fixture
def second_loopback() -> Iterator[LocalServer]:
    """A server on 127.0.0.2, to play a host the policy explicitly trusts."""
    try:
        server = LocalServer(host="127.0.0.2").start()
    except OSError as exc:
        pytest.skip(f"cannot bind 127.0.0.2: {exc}")
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------
# Plain and conditional GET


def test_ok_response_carries_body_headers_and_validators(local_server: LocalServer) -> None:
    url = local_server.add("/feed.xml", RSS, content_type="application/rss+xml")

    result = fetch_one(LOCAL, url)

    assert result.outcome is FetchOutcome.OK
    assert (result.status, result.final_url, result.body) == (200, url, RSS)
    assert result.content_type == "application/rss+xml"
    assert result.redirects == ()
    assert result.validators.etag and result.validators.etag.startswith('"')
    assert result.validators.last_modified is not None
    parsedate_to_datetime(result.validators.last_modified)  # a valid HTTP date
    assert result.error is None


def test_second_request_is_conditional_and_gets_304(local_server: LocalServer) -> None:
    url = local_server.add("/feed.xml", RSS)
    first = fetch_one(LOCAL, url)

    second = fetch_one(LOCAL, url, validators=first.validators)

    assert second.outcome is FetchOutcome.NOT_MODIFIED
    assert (second.status, second.body) == (304, b"")
    assert second.validators == first.validators
    sent = local_server.requests[-1]
    assert sent.headers["If-None-Match"] == first.validators.etag
    assert sent.headers["If-Modified-Since"] == first.validators.last_modified
    assert sent.status == 304


def test_last_modified_alone_is_enough_for_304(local_server: LocalServer) -> None:
    url = local_server.add("/feed.xml", RSS)
    first = fetch_one(LOCAL, url)

    only_date = Validators(last_modified=first.validators.last_modified)
    second = fetch_one(LOCAL, url, validators=only_date)

    assert second.outcome is FetchOutcome.NOT_MODIFIED
    assert "If-None-Match" not in local_server.requests[-1].headers


def test_changed_document_comes_back_with_new_validators(local_server: LocalServer) -> None:
    url = local_server.add("/feed.xml", RSS)
    first = fetch_one(LOCAL, url)
    changed = RSS.replace(b"<title>t</title>", b"<title>new</title>")
    local_server.add("/feed.xml", changed)

    second = fetch_one(LOCAL, url, validators=first.validators)

    assert second.outcome is FetchOutcome.OK
    assert second.body == changed
    assert second.validators.etag != first.validators.etag


def test_gzip_and_deflate_bodies_are_decoded(local_server: LocalServer) -> None:
    deflater = zlib.compressobj(wbits=-15)
    raw_deflate = deflater.compress(RSS) + deflater.flush()
    urls = [
        local_server.add("/gz", gzip.compress(RSS), headers={"Content-Encoding": "gzip"}),
        local_server.add("/zlib", zlib.compress(RSS), headers={"Content-Encoding": "deflate"}),
        local_server.add("/raw", raw_deflate, headers={"Content-Encoding": "deflate"}),
    ]

    results = fetch_all(LOCAL, *(FetchRequest(u) for u in urls))

    assert [r.body for r in results] == [RSS] * 3
    assert all("content-encoding" not in r.headers for r in results)


# --------------------------------------------------------------------------
# Status codes


def test_missing_page_and_page_that_turns_410_are_gone(local_server: LocalServer) -> None:
    page = local_server.add("/article", "<html><p>text</p></html>")
    assert fetch_one(LOCAL, page).outcome is FetchOutcome.OK
    local_server.add("/article", "", status=410)

    missing, removed = fetch_all(
        LOCAL, FetchRequest(local_server.url("/nowhere")), FetchRequest(page)
    )

    assert (missing.outcome, missing.status) == (FetchOutcome.GONE, 404)
    assert (removed.outcome, removed.status) == (FetchOutcome.GONE, 410)
    assert missing.error and removed.error


def test_server_error_is_an_http_error(local_server: LocalServer) -> None:
    url = local_server.add("/busy", "try later", status=503)

    result = fetch_one(LOCAL, url)

    assert (result.outcome, result.status) == (FetchOutcome.HTTP_ERROR, 503)
    assert result.error and "503" in result.error


# --------------------------------------------------------------------------
# Timeouts and unreachable servers


def test_server_stalling_before_headers_hits_read_timeout(local_server: LocalServer) -> None:
    async def stall(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(30)
        return web.Response(text="too late")

    url = local_server.add_handler("/stall", stall)
    policy = FetchPolicy(allow_private_networks=True, read_timeout=0.5)

    result = fetch_one(policy, url)

    assert result.outcome is FetchOutcome.UNREACHABLE
    assert result.error == "read timed out after 0.5 s"


def test_server_stalling_mid_body_hits_read_timeout(local_server: LocalServer) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"<rss>")
        await asyncio.sleep(30)
        return response

    url = local_server.add_handler("/trickle", trickle)
    policy = FetchPolicy(allow_private_networks=True, read_timeout=0.5)

    result = fetch_one(policy, url)

    assert (result.outcome, result.status) == (FetchOutcome.UNREACHABLE, 200)
    assert result.body == b""


def test_closed_port_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result = fetch_one(LOCAL, f"http://127.0.0.1:{port}/feed")

    assert result.outcome is FetchOutcome.UNREACHABLE
    assert result.status is None


# --------------------------------------------------------------------------
# Redirects


def test_redirect_chain_is_followed_and_recorded(local_server: LocalServer) -> None:
    final = local_server.add("/final", RSS)
    local_server.add("/r3", "", status=308, headers={"Location": final})
    local_server.add("/r2", "", status=307, headers={"Location": "r3"})
    local_server.add("/r1", "", status=302, headers={"Location": "/r2"})
    start = local_server.add("/start", "", status=301, headers={"Location": "/r1"})

    result = fetch_one(LOCAL, start)

    assert result.outcome is FetchOutcome.OK
    assert result.body == RSS
    assert (result.url, result.final_url) == (start, final)
    assert result.redirects == tuple(local_server.url(p) for p in ["/start", "/r1", "/r2", "/r3"])
    assert paths(local_server) == ["/start", "/r1", "/r2", "/r3", "/final"]


def test_redirect_loop_is_stopped(local_server: LocalServer) -> None:
    local_server.add("/a", "", status=302, headers={"Location": "/b"})
    local_server.add("/b", "", status=302, headers={"Location": "/a"})

    result = fetch_one(LOCAL, local_server.url("/a"))

    assert result.outcome is FetchOutcome.TOO_MANY_REDIRECTS
    assert result.redirects == (local_server.url("/a"), local_server.url("/b"))
    assert paths(local_server) == ["/a", "/b"]


def test_redirects_beyond_the_cap_are_not_followed(local_server: LocalServer) -> None:
    for hop in range(10):
        local_server.add(f"/hop{hop}", "", status=301, headers={"Location": f"/hop{hop + 1}"})
    local_server.add("/hop10", RSS)
    policy = FetchPolicy(allow_private_networks=True, max_redirects=3)

    result = fetch_one(policy, local_server.url("/hop0"))

    assert result.outcome is FetchOutcome.TOO_MANY_REDIRECTS
    assert paths(local_server) == ["/hop0", "/hop1", "/hop2", "/hop3"]


# --------------------------------------------------------------------------
# Size caps


def test_body_over_the_cap_is_too_large(local_server: LocalServer) -> None:
    url = local_server.add("/big", b"x" * (2 * MB))
    policy = FetchPolicy(allow_private_networks=True, max_body_bytes=1 * MB)

    result = fetch_one(policy, url)

    assert (result.outcome, result.status) == (FetchOutcome.TOO_LARGE, 200)
    assert result.body == b""


def test_body_at_the_cap_is_accepted(local_server: LocalServer) -> None:
    url = local_server.add("/exact", b"x" * MB)
    policy = FetchPolicy(allow_private_networks=True, max_body_bytes=MB)

    assert fetch_one(policy, url).body == b"x" * MB


def _gzip_of_zeros(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MB)
    parts = [compressor.compress(block) for _ in range(size // MB)]
    return b"".join(parts) + compressor.flush()


def test_gzip_bomb_is_cut_off_without_inflating_it(local_server: LocalServer) -> None:
    bomb = _gzip_of_zeros(50 * MB)
    assert len(bomb) < 100 * 1024
    url = local_server.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    policy = FetchPolicy(allow_private_networks=True, max_body_bytes=MB)

    tracemalloc.start()
    try:
        result = fetch_one(policy, url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert result.outcome is FetchOutcome.TOO_LARGE
    assert peak < 10 * MB  # the inflated body would be 50 MB


def _endless(chunk: bytes, headers: dict[str, str] | None = None) -> object:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        while True:
            await response.write(chunk)

    return handler


def test_endless_chunked_body_is_cut_off(local_server: LocalServer) -> None:
    url = local_server.add_handler("/endless", _endless(b"<item/>" * 10_000))  # type: ignore[arg-type]
    policy = FetchPolicy(allow_private_networks=True, max_body_bytes=MB)

    result = fetch_one(policy, url)

    assert (result.outcome, result.status) == (FetchOutcome.TOO_LARGE, 200)


def test_endless_gzip_stream_is_cut_off(local_server: LocalServer) -> None:
    # Each write is a complete gzip member; concatenated members are one valid stream.
    member = gzip.compress(bytes(MB))
    handler = _endless(member, headers={"Content-Encoding": "gzip"})
    url = local_server.add_handler("/endless.gz", handler)  # type: ignore[arg-type]
    policy = FetchPolicy(allow_private_networks=True, max_body_bytes=4 * MB)

    result = fetch_one(policy, url)

    assert result.outcome is FetchOutcome.TOO_LARGE


# --------------------------------------------------------------------------
# Address guard


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("100.64.0.1", True),  # CGNAT
        ("169.254.10.1", True),  # link-local
        ("169.254.169.254", True),  # metadata
        ("224.0.0.1", True),  # multicast
        ("0.0.0.0", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("fd00:ec2::254", True),  # metadata
        ("::ffff:127.0.0.1", True),  # IPv4-mapped loopback
        ("64:ff9b::a00:1", True),  # NAT64 of 10.0.0.1
        ("::ffff:8.8.8.8", False),
    ],
)
def test_address_classification(address: str, refused: bool) -> None:
    why = address_refusal(ipaddress.ip_address(address), allow_private=False)
    assert (why is not None) == refused


@pytest.mark.parametrize("address", ["169.254.169.254", "fd00:ec2::254"])
def test_metadata_addresses_stay_refused_when_private_networks_are_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), allow_private=True) is not None
    assert address_refusal(ipaddress.ip_address("10.0.0.1"), allow_private=True) is None


def test_loopback_literal_and_loopback_name_are_refused(local_server: LocalServer) -> None:
    local_server.add("/feed", RSS)
    by_name = f"http://localhost:{local_server.port}/feed"

    results = fetch_all(
        FetchPolicy(), FetchRequest(local_server.url("/feed")), FetchRequest(by_name)
    )

    assert [r.outcome for r in results] == [FetchOutcome.REFUSED] * 2
    assert all(r.error for r in results)
    assert local_server.requests == []  # no connection was ever made


def test_metadata_address_refused_without_connecting() -> None:
    policy = FetchPolicy(allow_private_networks=True, connect_timeout=0.5)

    result = fetch_one(policy, "http://169.254.169.254/latest/meta-data/")

    assert result.outcome is FetchOutcome.REFUSED


def test_trusted_host_works_but_its_redirect_to_loopback_is_refused(
    local_server: LocalServer, second_loopback: LocalServer
) -> None:
    # 127.0.0.2 plays a public host (explicitly exempted); 127.0.0.1 is the
    # private target, reached by name so the resolver's check is what stops it.
    secret = f"http://localhost:{local_server.port}/secret"
    local_server.add("/secret", "internal")
    second_loopback.add("/ok", RSS)
    second_loopback.add("/to-name", "", status=302, headers={"Location": secret})
    second_loopback.add(
        "/to-literal", "", status=302, headers={"Location": local_server.url("/secret")}
    )
    policy = FetchPolicy(allowed_networks=("127.0.0.2/32",))

    ok, by_name, by_literal = fetch_all(
        policy,
        FetchRequest(second_loopback.url("/ok")),
        FetchRequest(second_loopback.url("/to-name")),
        FetchRequest(second_loopback.url("/to-literal")),
    )

    assert ok.outcome is FetchOutcome.OK
    assert by_name.outcome is FetchOutcome.REFUSED
    assert by_name.redirects == (second_loopback.url("/to-name"),)
    assert by_literal.outcome is FetchOutcome.REFUSED
    assert sorted(paths(second_loopback)) == ["/ok", "/to-literal", "/to-name"]
    assert local_server.requests == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/feed", "gopher://x/", "not a url"]
)
def test_other_schemes_are_refused(url: str) -> None:
    result = fetch_one(LOCAL, url)
    assert result.outcome is FetchOutcome.REFUSED
    assert result.error


def test_redirect_to_another_scheme_is_refused(local_server: LocalServer) -> None:
    url = local_server.add("/r", "", status=302, headers={"Location": "file:///etc/passwd"})

    result = fetch_one(LOCAL, url)

    assert result.outcome is FetchOutcome.REFUSED
    assert result.redirects == (url,)


# --------------------------------------------------------------------------
# robots.txt


ROBOTS = "User-agent: *\nDisallow: /private/\n"


def test_robots_disallow_applies_only_when_asked(local_server: LocalServer) -> None:
    local_server.add("/robots.txt", ROBOTS, content_type="text/plain")
    private = local_server.add("/private/a", "<p>a</p>")
    public = local_server.add("/public/b", "<p>b</p>")

    polite, polite_public, ignoring = fetch_all(
        LOCAL,
        FetchRequest(private, respect_robots=True),
        FetchRequest(public, respect_robots=True),
        FetchRequest(private, respect_robots=False),
    )

    assert polite.outcome is FetchOutcome.REFUSED
    assert polite.error == "disallowed by robots.txt"
    assert polite_public.outcome is FetchOutcome.OK
    assert ignoring.outcome is FetchOutcome.OK
    assert paths(local_server).count("/robots.txt") == 1  # cached for the session
    assert paths(local_server).count("/private/a") == 1  # only the impolite request


def test_robots_rules_for_our_agent(local_server: LocalServer) -> None:
    local_server.add("/robots.txt", "User-agent: tracker\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    url = local_server.add("/page", "<p>x</p>")

    assert fetch_one(LOCAL, url, respect_robots=True).outcome is FetchOutcome.REFUSED
    other_agent = FetchPolicy(allow_private_networks=True, user_agent="otherbot/1.0")
    assert fetch_one(other_agent, url, respect_robots=True).outcome is FetchOutcome.OK


@pytest.mark.parametrize("status", [404, 500])
def test_unavailable_robots_allows_everything(local_server: LocalServer, status: int) -> None:
    if status != 404:
        local_server.add("/robots.txt", "Disallow: /", status=status)
    url = local_server.add("/private/a", "<p>a</p>")

    result = fetch_one(LOCAL, url, respect_robots=True)

    assert result.outcome is FetchOutcome.OK
    assert paths(local_server) == ["/robots.txt", "/private/a"]


# --------------------------------------------------------------------------
# Manners, limits, bookkeeping


def test_every_request_is_honest_about_who_sends_it(local_server: LocalServer) -> None:
    local_server.add("/robots.txt", ROBOTS)
    urls = [local_server.add(f"/p{i}", "x") for i in range(3)]

    fetch_all(LOCAL, *(FetchRequest(u, respect_robots=True) for u in urls))

    assert len(local_server.requests) == 4
    for request in local_server.requests:
        assert request.headers["User-Agent"] == LOCAL.user_agent
        assert "gzip" in request.headers["Accept-Encoding"]


def test_per_host_limit_bounds_concurrent_requests(local_server: LocalServer) -> None:
    active = 0
    peak = 0

    async def slow(request: web.Request) -> web.StreamResponse:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.05)
        active -= 1
        return web.Response(text="ok")

    url = local_server.add_handler("/slow", slow)
    policy = FetchPolicy(allow_private_networks=True, max_per_host=3)

    results = fetch_all(policy, *(FetchRequest(f"{url}?n={i}") for i in range(12)))

    assert all(r.ok for r in results)
    assert 1 <= peak <= 3


def test_fetch_many_keeps_order_reports_each_result_and_counts(
    local_server: LocalServer,
) -> None:
    feed = local_server.add("/feed", RSS)
    requests = [
        FetchRequest(feed),
        FetchRequest(local_server.url("/missing")),
        FetchRequest("ftp://example.org/"),
    ]
    seen: list[str] = []

    async def run() -> tuple[list[FetchResult], dict[str, int]]:
        async with Fetcher(LOCAL) as fetcher:
            results = await fetcher.fetch_many(requests, on_result=lambda r: seen.append(r.url))
            return results, dict(fetcher.stats)

    results, stats = asyncio.run(run())

    assert [r.url for r in results] == [r.url for r in requests]
    assert sorted(seen) == sorted(r.url for r in requests)
    assert stats == {"200": 1, "404": 1, "refused": 1}
