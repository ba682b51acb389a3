"""Hostile input and hostile servers: what tracker does when a page, a body or a
server is built to hurt it (issue 11: quadratic parsing, slow drips, numeric
address tricks). How fast is measured by ``bench/hostile.py``, not here: these
tests check that the answers stay right."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from tracker.demo.server import LocalServer
from tracker.fetch import Fetcher, FetchPolicy, address_refusal, host_refusal
from tracker.textutil import decode_document
from tracker.types import FetchOutcome, FetchRequest, FetchResult

# --------------------------------------------------------------------------
# UTF-8 with stray single-byte characters (read as cp1252)

_UNIT = "中文" * 8 + "café "


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ((("中文" * 8 + "caf").encode() + b"\xe9 ") * 500, _UNIT * 500),
        ((("中文" * 10).encode() + b"\x93q\x94") * 300, ("中文" * 10 + "“q”") * 300),
        # An undefined cp1252 byte becomes U+FFFD, a truncated sequence its bytes.
        ("中文中文中文".encode() * 20 + b"\x81\xe4\xb8a", "中文中文中文" * 20 + "\ufffdä¸a"),
        # Runs of bad bytes and bytes that look like encoded surrogates.
        ("中文".encode() * 80 + b"\xed\xa0\x80\xff\xfe", "中文" * 80 + "í\xa0€ÿþ"),
    ],
)
def test_mostly_utf8_keeps_both_halves(body: bytes, text: str) -> None:
    assert decode_document(body, []) == (text, "utf-8")


def test_one_stray_byte_per_character_is_still_read_right() -> None:
    # Every other byte bad: far too many for "mostly UTF-8", so detection decides,
    # but the decoding must still finish and be a single-byte reading.
    body = b"a\xe9" * 20_000
    text, encoding = decode_document(body, [])
    assert encoding != "utf-8"
    assert len(text) == len(body)


# --------------------------------------------------------------------------
# Addresses: legacy numeric hosts, metadata services, IPv4 inside IPv6

# Private networks allowed, so only the always-on refusals can stop these.
LOCAL = FetchPolicy(allow_private_networks=True, connect_timeout=2.0)


def fetch_one(policy: FetchPolicy, url: str) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(policy) as fetcher:
            return await fetcher.fetch(FetchRequest(url))

    return asyncio.run(run())


LEGACY_LOOPBACK = ["2130706433", "127.1", "0177.0.0.1", "0", "0x7f.1", "0x7F000001", "127.0.0.1."]


@pytest.mark.parametrize("host", LEGACY_LOOPBACK)
def test_legacy_numeric_hosts_are_refused_before_any_lookup(
    local_server: LocalServer, host: str
) -> None:
    local_server.add("/feed", "secret")

    result = fetch_one(LOCAL, f"http://{host}:{local_server.port}/feed")

    assert result.outcome is FetchOutcome.REFUSED
    assert result.error == f"{host.lower()} is a non-canonical numeric IPv4 address"
    assert local_server.requests == []


def test_redirect_to_a_legacy_numeric_host_is_refused(local_server: LocalServer) -> None:
    local_server.add("/secret", "secret")
    to = f"http://127.1:{local_server.port}/secret"
    url = local_server.add("/r", "", status=302, headers={"Location": to})

    result = fetch_one(LOCAL, url)

    assert result.outcome is FetchOutcome.REFUSED
    assert result.redirects == (url,)
    assert [r.path for r in local_server.requests] == ["/r"]


@pytest.mark.parametrize(
    ("host", "refusal"),
    [
        *((host, "a non-canonical numeric IPv4 address") for host in LEGACY_LOOPBACK),
        ("1.2.3.4.5", "a non-canonical numeric IPv4 address"),
        ("010.0.0.1", "a non-canonical numeric IPv4 address"),
        ("256.0.0.1", "a non-canonical numeric IPv4 address"),
        ("0x", "a non-canonical numeric IPv4 address"),
        ("metadata.google.internal", "a cloud metadata name"),
        ("Metadata.Google.Internal.", "a cloud metadata name"),
        ("metadata", "a cloud metadata name"),
        ("example.com", None),
        ("123.com", None),
        ("bad.cafe", None),  # hex letters without 0x are a name
        ("1e100.net", None),
        ("0x7f.example", None),
        ("xn--fsq.example", None),
    ],
)
def test_host_refusal(host: str, refusal: str | None) -> None:
    assert host_refusal(host) == refusal


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "169.254.170.2",
        "169.254.170.23",
        "169.254.0.23",
        "100.100.100.200",
        "168.63.129.16",
        "192.0.0.192",
        "fd00:ec2::254",
        "fd00:ec2::23",
        "::ffff:169.254.169.254",
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    ],
)
def test_metadata_addresses_are_refused_even_with_private_networks_allowed(address: str) -> None:
    why = address_refusal(ipaddress.ip_address(address), allow_private=True)
    assert why is not None and "metadata" in why


def test_metadata_name_refused_without_a_lookup() -> None:
    result = fetch_one(LOCAL, "http://metadata.google.internal/computeMetadata/v1/")
    assert result.outcome is FetchOutcome.REFUSED
    assert result.error == "metadata.google.internal is a cloud metadata name"


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        ("2002:a00:1::1", True),  # 6to4 of 10.0.0.1
        ("2002:c0a8:101::", True),  # 6to4 of 192.168.1.1
        ("2002:808:808::1", False),  # 6to4 of 8.8.8.8
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", True),  # Teredo, client 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", False),  # Teredo, client 8.8.8.8
        ("::7f00:1", True),  # IPv4-compatible 127.0.0.1
        ("::a00:1", True),  # IPv4-compatible 10.0.0.1
        ("::ffff:7f00:1", True),  # IPv4-mapped 127.0.0.1
        ("::ffff:808:808", False),
        ("64:ff9b::7f00:1", True),  # NAT64 of 127.0.0.1
        ("64:ff9b::808:808", False),  # NAT64 of 8.8.8.8
        ("64:ff9b:1::a00:1", True),  # local-use NAT64
        ("2606:4700:4700::1111", False),
    ],
)
def test_ipv4_inside_ipv6_is_judged_as_the_ipv4_address(address: str, refused: bool) -> None:
    why = address_refusal(ipaddress.ip_address(address), allow_private=False)
    assert (why is not None) == refused, why


def test_literal_6to4_of_loopback_is_refused_without_connecting() -> None:
    result = fetch_one(FetchPolicy(connect_timeout=1.0), "http://[2002:7f00:1::]/feed")
    assert result.outcome is FetchOutcome.REFUSED
    assert result.error == "2002:7f00:1:: is a loopback address (127.0.0.1) inside an IPv6 address"


# --------------------------------------------------------------------------
# Slow servers


def _drip(
    first: bytes, every: float, count: int
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A handler sending ``first``, then one byte every ``every`` seconds, ``count`` times:
    never slow enough for the read timeout, far too slow to finish."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        await response.write(first)
        for _ in range(count):
            await asyncio.sleep(every)
            await response.write(b" ")
        return response

    return handler


def test_slow_drip_body_is_cut_off_at_the_total_deadline(local_server: LocalServer) -> None:
    url = local_server.add_handler("/drip", _drip(b"<rss>", every=0.25, count=80))
    policy = FetchPolicy(allow_private_networks=True, read_timeout=2.0, total_timeout=1.5)

    started = time.monotonic()
    result = fetch_one(policy, url)
    took = time.monotonic() - started

    assert (result.outcome, result.status) == (FetchOutcome.UNREACHABLE, 200)
    assert result.error == "no complete response within the 1.5 s deadline"
    assert result.body == b""
    assert 1.4 < took < 6.0  # the drip alone would take 20 s


def test_deadline_covers_the_whole_redirect_chain(local_server: LocalServer) -> None:
    for n in range(5):
        local_server.add_handler(f"/hop{n}", _slow_hop(n))
    policy = FetchPolicy(allow_private_networks=True, read_timeout=2.0, total_timeout=1.5)

    result = fetch_one(policy, local_server.url("/hop0"))

    assert result.outcome is FetchOutcome.UNREACHABLE
    assert result.error == "no complete response within the 1.5 s deadline"
    assert len(result.redirects) < 5  # stopped partway, not at the redirect cap


def _slow_hop(n: int) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.6)
        return web.Response(status=302, headers={"Location": f"/hop{n + 1}"})

    return handler


def test_a_fast_response_is_not_affected_by_the_deadline(local_server: LocalServer) -> None:
    url = local_server.add_handler("/drip", _drip(b"<rss>", every=0.01, count=5))
    policy = FetchPolicy(allow_private_networks=True, total_timeout=5.0)

    result = fetch_one(policy, url)

    assert (result.outcome, result.body) == (FetchOutcome.OK, b"<rss>     ")
