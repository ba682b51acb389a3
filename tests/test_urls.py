"""tracker.urls.canonical_url against a table of cases (tests/data/canonical_urls.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracker.urls import canonical_url

CASES = json.loads((Path(__file__).parent / "data" / "canonical_urls.json").read_text("utf-8"))


@pytest.mark.parametrize(("raw", "canonical"), CASES)
def test_canonical_url(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical


@pytest.mark.parametrize(("raw", "canonical"), CASES)
def test_canonical_url_is_idempotent(raw: str, canonical: str) -> None:
    once = canonical_url(raw)
    assert canonical_url(once) == once


def test_equivalent_spellings_meet() -> None:
    spellings = [
        "https://News.example.org/2026/03/story/?utm_source=rss#comments",
        "https://news.example.org:443/2026/03/story",
        "https://news.example.org/2026/03/story?fbclid=x",
    ]
    assert len({canonical_url(u) for u in spellings}) == 1


def test_meaningful_differences_survive() -> None:
    assert canonical_url("https://example.com/a?id=1") != canonical_url(
        "https://example.com/a?id=2"
    )
    assert canonical_url("https://example.com/A") != canonical_url("https://example.com/a")
    assert canonical_url("http://example.com/a") != canonical_url("https://example.com/a")


def test_generic_names_keep_distinct_pages_apart() -> None:
    # ?ref=123 is the article id on some sites: two articles, two rows.
    assert canonical_url("https://example.com/a?ref=123") != canonical_url(
        "https://example.com/a?ref=124"
    )
    assert canonical_url("https://example.com/a?source=1") != canonical_url(
        "https://example.com/a?source=2"
    )


def test_every_host_rule_has_a_case_in_the_table() -> None:
    from urllib.parse import parse_qsl, urlsplit

    from tracker.urls import _HOST_TRACKING_PARAMS

    for host, names in _HOST_TRACKING_PARAMS.items():
        stripped_here = set()
        for raw, canonical in CASES:
            parts = urlsplit(raw)
            name = parts.hostname or ""
            if name == host or name.endswith("." + host):
                kept = {k.lower() for k, _ in parse_qsl(urlsplit(canonical).query)}
                given = {k.lower() for k, _ in parse_qsl(parts.query)}
                stripped_here |= given - kept
        assert names <= stripped_here, f"{host}: no case strips {sorted(names - stripped_here)}"
