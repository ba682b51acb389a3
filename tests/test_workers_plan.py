"""Distributed refresh without the queue: host batches, host locks, entries as task
arguments, and a poll job's work on a real store and real feeds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from feedfarm import FeedFarm

from tracker.demo.server import LocalServer
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


def test_a_retried_poll_job_skips_the_feeds_its_round_already_stored(tmp_path: Path) -> None:
    from tracker.config import Config
    from tracker.store import open_store
    from tracker.tasks.polling import poll_feeds

    with FeedFarm(1, 30) as farm:
        farm.new_round(every=10)
        config = Config.model_validate(
            {
                "state_dir": str(tmp_path / "state"),
                "reports": [{"id": "r", "path": str(tmp_path / "r.md"), "language": "en"}],
                "feeds": [{"name": f.name, "url": f.url} for f in farm.feeds],
                "fetch": {"allow_private_networks": True, "respect_robots": False},
            }
        )
        urls = [f.url for f in farm.feeds]
        round_started = datetime.now(UTC)
        with open_store(config.store_location) as store:
            first = poll_feeds(config, store, urls[:20], round_started=round_started, clock=now)
            # The job is retried (its worker died after storing 20): only the rest are polled.
            again = poll_feeds(config, store, urls, round_started=round_started, clock=now)
            # The next round polls every feed again (conditional requests).
            later = poll_feeds(config, store, urls, round_started=now(), clock=now)
            entries = store.counts()["entries"]
    assert (first.polled, first.already_polled, len(first.new_entries)) == (20, 0, 2)
    assert (again.polled, again.already_polled, len(again.new_entries)) == (10, 20, 1)
    assert (later.polled, later.already_polled, later.new_entries) == (30, 0, [])
    assert entries == 3
    assert set(farm.answered().values()) == {2}  # once for the round, once for the next


def now() -> datetime:
    return datetime.now(UTC)


def test_a_worker_sees_feeds_added_to_the_config_and_keeps_the_last_good_one(
    tmp_path: Path,
) -> None:
    from contextlib import nullcontext

    import yaml

    from tracker.config import load_config
    from tracker.tasks.engine import Engine

    path = tmp_path / "sources.yaml"
    (tmp_path / "r.md").write_text("# A report\n", encoding="utf-8")
    data = {
        "reports": [{"id": "r", "path": "r.md", "language": "en"}],
        "feeds": [{"name": "one", "url": "http://a.example/feed.xml"}],
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    # Building the engine connects to nothing: the queue is only reached when opened.
    engine = Engine(load_config(path), "postgresql://tracker@/none", open_store=nullcontext)
    assert [f.name for f in engine._fresh_config().feeds] == ["one"]

    data["feeds"].append({"name": "two", "url": "http://b.example/feed.xml"})
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert [f.name for f in engine._fresh_config().feeds] == ["one", "two"]

    path.write_text("feeds: [not a feed\n", encoding="utf-8")  # broken: the last good one stays
    assert [f.name for f in engine._fresh_config().feeds] == ["one", "two"]


def test_a_default_port_written_out_is_the_same_host_lock() -> None:
    # One server, one lock: a feed listed as https://a.example:443/ must not let a second
    # worker poll a.example while another holds the lock of https://a.example/.
    assert host_key("https://A.example:443/feed") == host_key("https://a.example/other")
    assert host_key("http://a.example:80/feed") == "a.example"
    assert host_key("http://a.example:8080/feed") == "a.example:8080"
    assert host_key("https://a.example:80/feed") == "a.example:80"


def test_a_link_with_a_port_out_of_range_still_gets_a_host_and_plans() -> None:
    # A feed's entry links come from the feed: one with a bad port must not make the
    # poll job (and every later round, through the backlog) fail on it.
    bad = _entry("http://news.example:99999/a", "http://news.example:99999/a", None)
    assert entries_by_host([bad]) == {"news.example:99999": [bad]}
    assert [b.host for b in batches_by_host(["http://Feeds.example:http/f.xml"])] == [
        "feeds.example:http"
    ]


def test_a_poll_job_records_a_page_that_is_not_a_feed_as_a_failure_without_validators(
    tmp_path: Path, local_server: LocalServer
) -> None:
    from tracker.config import Config
    from tracker.store import open_store
    from tracker.tasks.polling import poll_feeds
    from tracker.types import FetchOutcome

    url = local_server.add("/feed.xml", "<html><body><p>Moved to a new site</p></body></html>")
    config = Config.model_validate(
        {
            "state_dir": str(tmp_path / "state"),
            "reports": [{"id": "r", "path": str(tmp_path / "r.md"), "language": "en"}],
            "feeds": [{"name": "Old blog", "url": url}],
            "fetch": {"allow_private_networks": True, "respect_robots": False},
        }
    )
    with open_store(config.store_location) as store:
        done = poll_feeds(config, store, [url], round_started=now(), clock=now)
        health = store.sources_for([url])[url]
    assert (done.polled, done.failed) == (1, 1)
    assert [(w.source, w.url) for w in done.warnings] == [("Old blog", url)]
    # Answered 200, yet a failure of its source: no validators kept, so the next poll
    # fetches it whole; its failure streak and backoff start.
    assert health.last_outcome == FetchOutcome.HTTP_ERROR.value
    assert health.last_status == 200
    assert health.last_error is not None and health.last_error.startswith("not a feed: ")
    assert (health.etag, health.consecutive_failures) == (None, 1)
    assert health.next_poll is not None
