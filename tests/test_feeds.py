"""tracker.feeds on small hand-written feeds; expectations sit beside each file."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tracker.demo.server import LocalServer
from tracker.errors import ExtractError
from tracker.feeds import filter_since, parse_feed
from tracker.fetch import Fetcher, FetchPolicy
from tracker.pages import discover_feed_links
from tracker.types import FetchRequest, ParsedFeed

DATA = Path(__file__).parent / "data" / "feeds"
FEED_FILES = [
    "rss2.xml",
    "atom.xml",
    "rss10.rdf",
    "rss091.xml",
    "feed.json",
    "gbk.xml",
    "malformed.xml",
]


def _expected(name: str) -> dict[str, Any]:
    stem = name.rsplit(".", 1)[0]
    return json.loads((DATA / f"{stem}.expected.json").read_text(encoding="utf-8"))


def _parse(name: str, headers: dict[str, str] | None = None) -> ParsedFeed:
    return parse_feed(
        (DATA / name).read_bytes(),
        url=f"https://feeds.example.com/{name}",
        headers=headers or {},
        source_name="test source",
    )


@pytest.mark.parametrize("name", FEED_FILES)
def test_feed_matches_expected(name: str) -> None:
    expected = _expected(name)
    feed = _parse(name)
    assert feed.title == expected["title"]
    assert feed.language == expected["language"]
    assert (feed.warning is not None) == expected["warning"]
    assert len(feed.entries) == len(expected["entries"])
    for entry, want in zip(feed.entries, expected["entries"], strict=True):
        assert entry.url == want["url"]
        assert entry.title == want["title"]
        published = datetime.fromisoformat(want["published"]) if want["published"] else None
        assert entry.published == published
        if published is not None:
            assert entry.published is not None and entry.published.tzinfo is UTC
        if "summary" in want:
            assert entry.summary == want["summary"]
        if "author" in want:
            assert entry.author == want["author"]
        if "content_contains" in want:
            assert want["content_contains"] in entry.content_html
        assert entry.source_name == "test source"
        assert entry.feed_url == f"https://feeds.example.com/{name}"


def test_hostile_summary_markup_is_reduced_to_text() -> None:
    entry = _parse("rss2.xml").entries[0]
    assert "alert" not in entry.summary and "<" not in entry.summary
    assert "<script" not in entry.content_html  # feedparser's sanitizer ran


def test_link_as_given_is_kept_beside_canonical_url() -> None:
    entry = _parse("rss2.xml").entries[0]
    assert "utm_source=rss" in entry.link
    assert "utm_" not in entry.url and "#" not in entry.url


def test_gbk_feed_decodes_with_header_charset_and_without() -> None:
    expected_titles = [e["title"] for e in _expected("gbk.xml")["entries"]]
    for headers in (
        {},
        {"Content-Type": "application/rss+xml; charset=GBK"},
        {"content-type": "text/xml"},
    ):
        feed = _parse("gbk.xml", headers)
        assert [e.title for e in feed.entries] == expected_titles, headers


def test_utf8_bytes_under_a_lying_latin1_header_still_decode() -> None:
    feed = _parse("gbk.xml")  # reference titles
    utf8_body = (
        (DATA / "gbk.xml").read_bytes().decode("gbk").replace('encoding="gbk"', 'encoding="utf-8"')
    ).encode("utf-8")
    lied = parse_feed(
        utf8_body,
        url="https://feeds.example.com/x",
        headers={"Content-Type": "text/xml; charset=ISO-8859-1"},
        source_name="s",
    )
    assert [e.title for e in lied.entries] == [e.title for e in feed.entries]


def test_gbk_feed_served_over_http() -> None:
    body = (DATA / "gbk.xml").read_bytes()
    with LocalServer() as server:
        url = server.add("/gbk.xml", body, content_type="application/rss+xml; charset=gbk")

        async def fetch() -> ParsedFeed:
            async with Fetcher(FetchPolicy(allow_private_networks=True)) as fetcher:
                result = await fetcher.fetch(FetchRequest(url))
            assert result.ok, result.error
            return parse_feed(result.body, url=url, headers=result.headers, source_name="gbk")

        feed = asyncio.run(fetch())
    assert feed.title == _expected("gbk.xml")["title"]
    assert [e.title for e in feed.entries] == [e["title"] for e in _expected("gbk.xml")["entries"]]


def test_malformed_feed_names_the_problem() -> None:
    feed = _parse("malformed.xml")
    assert feed.warning is not None and "malformed" in feed.warning


@pytest.mark.parametrize(
    "body",
    [
        (DATA / "not-a-feed.html").read_bytes(),
        b"",
        b"   \n ",
        b"\x00\xff\xfe garbage \x89PNG",
        b'{"not": "a feed"}',
        b"{ this is not json",
        b"<?xml version='1.0'?><note><to>nobody</to></note>",
    ],
)
def test_documents_that_are_not_feeds_raise_extract_error(body: bytes) -> None:
    with pytest.raises(ExtractError) as caught:
        parse_feed(body, url="https://feeds.example.com/bad", headers={}, source_name="bad")
    assert caught.value.url == "https://feeds.example.com/bad"
    assert caught.value.reason


def test_html_page_served_as_html_raises() -> None:
    with pytest.raises(ExtractError):
        parse_feed(
            (DATA / "not-a-feed.html").read_bytes(),
            url="https://feeds.example.com/bad",
            headers={"Content-Type": "text/html; charset=utf-8"},
            source_name="bad",
        )


def test_truncated_json_feed_keeps_complete_items() -> None:
    whole = (DATA / "feed.json").read_text(encoding="utf-8")
    cut = whole[: whole.index('"No URL at all"')]  # cut inside the third item
    feed = parse_feed(cut.encode(), url="https://feeds.example.com/j", headers={}, source_name="j")
    assert [e.title for e in feed.entries] == [
        e["title"] for e in _expected("feed.json")["entries"]
    ]
    assert feed.warning is not None


def test_filter_since_drops_older_and_keeps_undated() -> None:
    expected = _expected("rss2.xml")
    kept = filter_since(_parse("rss2.xml").entries, date(2026, 2, 11))
    assert [e.title for e in kept] == expected["since_2026_02_11"]


def test_filter_since_boundary_is_inclusive() -> None:
    entries = _parse("rss10.rdf").entries
    assert [e.title for e in filter_since(entries, date(2026, 2, 12))] == [
        "Scaling laws for retrieval",
        "Multilingual reasoning benchmarks",
    ]
    assert [e.title for e in filter_since(entries, date(2026, 2, 13))] == [
        "Multilingual reasoning benchmarks"
    ]


def test_discover_feed_links() -> None:
    expected = _expected("not-a-feed.html")
    found = discover_feed_links((DATA / "not-a-feed.html").read_bytes(), expected["base_url"])
    assert found == [tuple(pair) for pair in expected["feed_links"]]


def test_discover_feed_links_survives_hostile_markup() -> None:
    hostile = '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)"><<<>'
    assert discover_feed_links(hostile + "<![CDATA[", "https://x.example/") == []


def test_control_and_bidi_characters_are_not_stored() -> None:
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T\u0085</title>'
        "<item><title>Safe\u202e txt.exe\u2066 \u009b2J</title><link>https://a.example/1</link>"
        "<description>one\u202dtwo\u0090</description></item></channel></rss>"
    ).encode()
    json_feed = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "J\u001b[2J",
            "items": [
                {
                    "url": "https://a.example/2",
                    "title": "OSC \u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007",
                    "content_text": "x\u0000y\u2069",
                }
            ],
        }
    ).encode()
    shown = "\x00\x07\x1b\x85\x90\x9b\u202d\u202e\u2066\u2069"
    for body in (rss, json_feed):
        feed = parse_feed(body, url="https://a.example/feed", headers={}, source_name="s")
        for text in (feed.title, *(t for e in feed.entries for t in (e.title, e.summary))):
            assert not set(shown) & set(text), repr(text)
    assert feed.entries[0].title == "OSC ]8;;https://evil.examplelink]8;;"
