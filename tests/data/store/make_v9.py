"""Make ``tracker-v9.db`` with tracker's store as of schema version 9.

That store created its tables with sqlite-utils and recorded its migrations in
sqlite-utils' ``_sqlite_migrations`` table. Run it against that code, e.g.::

    git archive 6274565 tracker | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old python tests/data/store/make_v9.py tests/data/store

The rows are a small, consistent history (sources, entries, articles, a cited
snapshot and check, a run, suggestions decided before and after the one
edition, a section vector, a digest) for the upgrade test to find again.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracker.store import open_store
from tracker.types import (
    Article,
    CitedStatus,
    FeedEntry,
    FetchOutcome,
    RunSummary,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
    Validators,
)

T0 = datetime(2026, 2, 11, 8, 0, tzinfo=UTC)
EDITION_AT = T0 + timedelta(hours=1)
REPORT = "ai-2024-2025"


def suggestion(n: int, status: SuggestionStatus, created: datetime, decided: datetime | None):
    return Suggestion(
        report=REPORT,
        section="3.2",
        section_title="多模态",
        kind=SuggestionKind.ADDITION,
        score=0.7,
        title=f"Story {n}",
        url=f"https://news.example/{n}",
        published=T0,
        source="News",
        excerpt="excerpt",
        proposed_text=f"- 新闻 {n} [6]",
        created_at=created,
        status=status,
        reference=f"Story {n}. https://news.example/{n}",
        features={"cosine": 0.8},
        decided_at=decided,
    )


def main(out: Path) -> None:
    db_path = out / "tracker-v9.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    with open_store(db_path, now=T0) as store:
        feed = "https://news.example/feed.xml"
        store.record_fetch(
            feed,
            kind="feed",
            name="News",
            outcome=FetchOutcome.OK,
            status=200,
            validators=Validators(etag='"v1"'),
            error=None,
            at=T0,
        )
        store.add_feed_candidate("https://news.example/", feed, "News", T0)
        entries = [
            FeedEntry(
                url=f"https://news.example/{n}",
                link=f"https://news.example/{n}",
                title=f"Story {n}",
                summary="s",
                content_html="<p>s</p>",
                published=T0,
                author="a",
                guid=str(n),
                feed_url=feed,
                source_name="News",
                language="en",
            )
            for n in range(1, 6)
        ]
        store.add_entries(entries, T0)
        for e in entries:
            store.add_article(
                Article(
                    url=e.url,
                    title=e.title,
                    text="text",
                    published=T0,
                    language="en",
                    source="News",
                    content_hash=f"h{e.guid}",
                ),
                T0,
            )
        cited = "https://cited.example/paper"
        store.add_snapshot(cited, final_url=None, text="paper", content_hash="p1", at=T0)
        store.record_cited_check(cited, CitedStatus.OK, T0)
        run = store.start_run(T0, trigger="cli", pid=1)
        store.finish_run(
            run,
            RunSummary(
                run_id=run,
                started_at=T0,
                finished_at=T0 + timedelta(seconds=3),
                outcome="ok",
                sources_ok=1,
                sources_failed=0,
                failures=(),
                warnings=(),
                requests={"200": 6},
                new_entries=5,
                new_articles=5,
                cited_changed=0,
                cited_gone=0,
                new_suggestions=6,
                editions=("editions/2026-02-11.md",),
                durations={"fetch": 0.5},
            ),
        )
        pending = SuggestionStatus.PENDING
        hour, day = timedelta(hours=1), timedelta(days=1)
        store.add_suggestion(suggestion(1, pending, T0, None))
        store.add_suggestion(suggestion(2, SuggestionStatus.ACCEPTED, T0, T0 + hour / 2))
        store.add_suggestion(suggestion(3, SuggestionStatus.REJECTED, T0, EDITION_AT + day))
        store.add_suggestion(suggestion(4, pending, EDITION_AT + 2 * day, None))
        store.add_suggestion(suggestion(5, SuggestionStatus.ACCEPTED, T0, EDITION_AT + day))
        store.add_suggestion(suggestion(6, SuggestionStatus.REJECTED, T0, T0 + hour / 2))
        store.put_section_vector("use-m3", "abc", b"\x00\x01")
        store.record_edition(REPORT, "2026-02-11", "editions/2026-02-11.md", "e1", EDITION_AT)
        store.record_digest(
            T0 - 7 * day,
            T0,
            sent_at=T0,
            message_id="<d@x>",
            recipients=["editor@example.org"],
            outbox_path=None,
        )
    conn = sqlite3.connect(db_path)
    try:
        # Smaller pages, so the file kept in the repository is small; back to WAL after.
        conn.execute("PRAGMA journal_mode = delete")
        conn.execute("PRAGMA page_size = 1024")
        conn.execute("VACUUM")
        conn.execute("PRAGMA journal_mode = wal")
    finally:
        conn.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
