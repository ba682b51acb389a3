"""One feed cannot make a refresh unbounded: entries are capped per feed and per run,
the newest kept, and an undated entry is dated when first seen (issue 11, item 7).

Real HTTP on 127.0.0.1 and a real SQLite store throughout.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import yaml

from tracker.config import Config, load_config
from tracker.demo.server import LocalServer
from tracker.refresh import run_refresh
from tracker.store import open_store
from tracker.types import FeedEntry

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def rss(items: list[tuple[str, datetime | None]]) -> str:
    body = "".join(
        f"<item><title>Story at {link}</title><link>{link}</link><guid>{link}</guid>"
        + (f"<pubDate>{format_datetime(when)}</pubDate>" if when else "")
        + "<description>A short summary from the feed.</description></item>"
        for link, when in items
    )
    channel = f"<channel><title>News</title>{body}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def page(n: int) -> str:
    return (
        f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
        + "<p>A laboratory released a model that plans longer tasks than before. " * 6
        + "</p></article></body></html>"
    )


def configure(tmp_path: Path, feeds: dict[str, str], since: str, **fetch: int) -> Config:
    (tmp_path / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "since": since}],
                "feeds": [{"name": name, "url": url} for name, url in feeds.items()],
                "watch_cited": False,
                "fetch": {"allow_private_networks": True, "respect_robots": False, **fetch},
            }
        ),
        encoding="utf-8",
    )
    return load_config(tmp_path / "sources.yaml")


def articles(config: Config) -> dict[str, datetime | None]:
    with open_store(config.database_path) as store:
        return {a.url: a.published for a in store.articles()}


def test_a_feed_of_500_new_entries_brings_its_newest_50(
    tmp_path: Path, local_server: LocalServer
) -> None:
    # Listed oldest first, so "the first 50" would be the wrong ones.
    items = [
        (local_server.url(f"/story/{n}"), NOW - timedelta(minutes=500 - n)) for n in range(500)
    ]
    url = local_server.add("/big.rss", rss(items), content_type="application/rss+xml")
    config = configure(tmp_path, {"Big feed": url}, "2026-02-11", max_entries_per_feed=50)

    summary = run_refresh(config, clock=lambda: NOW)

    newest = {link for link, _ in items[-50:]}
    assert summary.new_entries == 50 and summary.new_articles == 50
    assert set(articles(config)) == newest
    [warning] = [w for w in summary.warnings if "max_entries_per_feed" in w.reason]
    assert warning.source == "Big feed" and warning.url == url
    assert "500 new entries" in warning.reason and "450 older ones dropped" in warning.reason
    page_requests = {r.path for r in local_server.requests if r.path.startswith("/story/")}
    assert len(page_requests) == 50

    # Dropped means dropped: the feed, changed, brings only its one real newcomer.
    items.append((local_server.url("/story/new"), NOW + timedelta(minutes=30)))
    local_server.add("/big.rss", rss(items), content_type="application/rss+xml")
    again = run_refresh(config, clock=lambda: NOW + timedelta(hours=1))
    assert again.new_entries == 1 and again.new_articles == 1
    assert not [w for w in again.warnings if "max_entries_per_feed" in w.reason]


def test_a_run_fetches_the_newest_pages_of_all_feeds_and_leaves_the_rest_for_the_next(
    tmp_path: Path, local_server: LocalServer
) -> None:
    # Two feeds of 30, interleaved in time: the newest 40 are 20 of each.
    feeds, links = {}, {}
    for k, name in enumerate(["Alpha", "Beta"]):
        items = [
            (local_server.add(f"/{name}/{n}", page(n)), NOW - timedelta(minutes=2 * n + k))
            for n in range(30)
        ]
        links[name] = [link for link, _ in items]
        feeds[name] = local_server.add(
            f"/{name}.rss", rss(items), content_type="application/rss+xml"
        )
    config = configure(tmp_path, feeds, "2026-02-11", max_entries_per_run=40)

    first = run_refresh(config, clock=lambda: NOW)

    assert first.new_entries == 60 and first.new_articles == 40
    assert set(articles(config)) == {*links["Alpha"][:20], *links["Beta"][:20]}
    waiting = {w.source: w for w in first.warnings if "max_entries_per_run" in w.reason}
    assert set(waiting) == {"Alpha", "Beta"}
    assert all(w.reason.startswith("10 new entries wait") for w in waiting.values())
    assert waiting["Alpha"].url == feeds["Alpha"]

    # The feeds answer 304 next time; their waiting entries are fetched all the same.
    second = run_refresh(config, clock=lambda: NOW + timedelta(hours=6))
    assert second.new_entries == 0 and second.new_articles == 20
    assert set(articles(config)) == {*links["Alpha"], *links["Beta"]}
    assert not [w for w in second.warnings if "max_entries_per_run" in w.reason]


def test_an_undated_entry_is_dated_when_first_seen(
    tmp_path: Path, local_server: LocalServer
) -> None:
    undated = local_server.add("/undated", page(1))
    url = local_server.add("/news.rss", rss([(undated, None)]), content_type="application/rss+xml")
    config = configure(tmp_path, {"News": url}, "2026-02-11")

    run_refresh(config, clock=lambda: NOW)
    assert articles(config) == {undated: NOW}

    # Seen again in a changed feed a day later, it keeps its first date.
    dated = local_server.add("/dated", page(2))
    later = NOW + timedelta(days=1)
    local_server.add(
        "/news.rss", rss([(dated, later), (undated, None)]), content_type="application/rss+xml"
    )
    run_refresh(config, clock=lambda: later)
    assert articles(config) == {undated: NOW, dated: later}


def test_an_undated_entry_first_seen_before_since_does_not_pass_it(
    tmp_path: Path, local_server: LocalServer
) -> None:
    # One undated entry a refresh stored before the report's since and never fetched
    # (killed, offline, or over the run's cap); another first seen after since.
    before, after = local_server.add("/before", page(1)), local_server.add("/after", page(2))
    url = local_server.add("/news.rss", rss([(after, None)]), content_type="application/rss+xml")
    config = configure(tmp_path, {"News": url}, "2026-11-01")
    seen_before = datetime(2026, 10, 15, tzinfo=UTC)
    with open_store(config.database_path) as store:
        store.add_entries([_entry(before, url)], seen_before)

    run_refresh(config, clock=lambda: NOW)

    assert articles(config) == {before: seen_before, after: NOW}
    with open_store(config.database_path) as store:
        since = datetime(2026, 11, 1, tzinfo=UTC)
        assert [a.url for a in store.articles(since=since)] == [after]


def _entry(link: str, feed_url: str) -> FeedEntry:
    return FeedEntry(
        url=link,
        link=link,
        title="An undated story",
        summary="A short summary from the feed.",
        content_html="",
        published=None,
        author="",
        guid=link,
        feed_url=feed_url,
        source_name="News",
        language="en",
    )
