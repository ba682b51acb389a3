"""The pure parts of distributed refresh: host batches, host locks, entries as task arguments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracker.tasks.payload import entry_from_json, entry_to_json
from tracker.tasks.plan import batches_by_host, entries_by_host, host_key, host_lock
from tracker.types import FeedEntry


def test_a_batch_holds_one_host_and_a_busy_host_gets_several() -> None:
    urls = [f"http://a.example/{n}" for n in range(5)] + [
        "https://B.example:8443/x",
        "http://a.example:81/y",
        "http://a.example/0",  # listed twice: polled once
    ]
    batches = batches_by_host(urls, size=2)
    assert [(b.host, b.index, b.urls) for b in batches] == [
        ("a.example", 0, ("http://a.example/0", "http://a.example/1")),
        ("a.example", 1, ("http://a.example/2", "http://a.example/3")),
        ("a.example", 2, ("http://a.example/4",)),
        ("b.example:8443", 0, ("https://B.example:8443/x",)),
        ("a.example:81", 0, ("http://a.example:81/y",)),
    ]
    # The same feeds give the same batches: a re-planned round reuses the queueing locks.
    assert batches_by_host(urls, size=2) == batches
    assert host_lock(host_key("http://A.Example/feed")) == "host:a.example"
    with pytest.raises(ValueError, match="at least 1"):
        batches_by_host(urls, size=0)


def _entry(url: str, link: str, published: datetime | None) -> FeedEntry:
    return FeedEntry(
        url=url,
        link=link,
        title="标题 and a title",
        summary="s",
        content_html="<p>x</p>",
        published=published,
        author="",
        guid=url,
        feed_url="http://feeds.example/f.xml",
        source_name="Feed",
        language="zh",
        first_seen=datetime(2026, 11, 2, tzinfo=UTC),
    )


def test_entries_go_to_the_host_of_their_page_and_travel_as_json_unchanged() -> None:
    first = _entry("http://news.example/a", "http://news.example/a?utm=x", None)
    second = _entry("http://other.example/b", "", datetime(2026, 11, 1, 8, tzinfo=UTC))
    grouped = entries_by_host([first, second])
    assert grouped == {"news.example": [first], "other.example": [second]}
    for entry in (first, second):
        back = entry_from_json(entry_to_json(entry))
        assert back == entry and back.first_seen == entry.first_seen
