"""Benchmark: the store's hot operations on SQLite and on PostgreSQL, side by side.

    python bench/store.py [--sources 2000] [--entries 1000] [--rounds 3]

Runs the same steady-state refresh work against a SQLite file and a
throw-away local PostgreSQL server (tests/postgres.py: unix socket, fsync
off, so it measures the store code and the round trips, not the disk):
opening a store, reading every feed's validators in bulk, recording every
feed's fetch in one transaction, storing new entries and articles one write
each, the row counts behind ``tracker status``, and a domain read. Prints
the median of ``--rounds`` per operation in milliseconds. Needs Debian's
``postgresql`` binaries and the ``postgres`` extra.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from postgres import PgCluster  # noqa: E402

from tracker.store import FetchRecord, Store, open_store  # noqa: E402
from tracker.store.postgres import close_pools  # noqa: E402
from tracker.types import Article, FeedEntry, FetchOutcome, Validators  # noqa: E402

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def fetches(n: int, at: datetime) -> list[FetchRecord]:
    return [
        FetchRecord(
            url=f"https://host{i % 97}.example/feed/{i}.xml",
            kind="feed",
            name=f"Feed {i}",
            outcome=FetchOutcome.NOT_MODIFIED if i % 5 else FetchOutcome.OK,
            status=304 if i % 5 else 200,
            validators=Validators(etag=f'"{i}-{at.timestamp()}"', last_modified=None),
            error=None,
            at=at,
        )
        for i in range(n)
    ]


def entries(n: int, round_no: int) -> list[FeedEntry]:
    return [
        FeedEntry(
            url=f"https://news{i % 31}.example/{round_no}/{i}",
            link=f"https://news{i % 31}.example/{round_no}/{i}",
            title=f"Story {i} of round {round_no}",
            summary="A summary of the story, as the feed gave it. " * 3,
            content_html="<p>" + "Body text. " * 40 + "</p>",
            published=T0 - timedelta(minutes=i),
            author="someone",
            guid=f"{round_no}-{i}",
            feed_url=f"https://host{i % 97}.example/feed/{i}.xml",
            source_name=f"Feed {i % 97}",
            language="en",
        )
        for i in range(n)
    ]


def measure(location: Path | str, args: argparse.Namespace) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}

    def timed(name: str, action: Callable[[], object]) -> None:
        start = time.perf_counter()
        action()
        timings.setdefault(name, []).append((time.perf_counter() - start) * 1000)

    open_store(location).close()  # create and migrate outside the timings
    for round_no in range(args.rounds):
        timed("open + close a store", lambda: open_store(location).close())
        with open_store(location) as store:
            _round(store, args, round_no, timed)
    return timings


def _round(
    store: Store,
    args: argparse.Namespace,
    round_no: int,
    timed: Callable[[str, Callable[[], object]], None],
) -> None:
    at = T0 + timedelta(hours=6 * round_no)
    records = fetches(args.sources, at)
    urls = [r.url for r in records]
    timed(f"validators_for {args.sources} feeds", lambda: store.validators_for(urls))
    timed(f"record_fetches {args.sources} feeds", lambda: store.record_fetches(records))
    new = entries(args.entries, round_no)
    timed(f"add_entries {args.entries}", lambda: store.add_entries(new, at))
    articles = [
        Article(url=e.url, title=e.title, text="Text. " * 200, published=e.published,
                language="en", source=e.source_name, content_hash=f"{round_no}-{i}")
        for i, e in enumerate(new[:200])
    ]  # fmt: skip
    timed("add_article ×200", lambda: _add_articles(store, articles, at))
    timed("counts (status)", store.counts)
    timed("articles (newest 100)", lambda: store.articles(limit=100))


def _add_articles(store: Store, articles: list[Article], at: datetime) -> None:
    for article in articles:
        store.add_article(article, at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sqlite = measure(Path(folder) / "tracker.sqlite3", args)
    with PgCluster.started() as cluster:
        url = cluster.create_database("bench_store")
        postgres = measure(url, args)
        close_pools(url)
    print(f"{'operation':32} {'SQLite ms':>10} {'PostgreSQL ms':>14}   (median of {args.rounds})")
    for name, values in sqlite.items():
        print(
            f"{name:32} {statistics.median(values):10.1f} {statistics.median(postgres[name]):14.1f}"
        )


if __name__ == "__main__":
    main()
