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
