"""Feed entries, which feeds carried them, and the articles made from them.

An entry is keyed by its canonical URL: the same story in two feeds is one
entry with two rows in ``entry_sources``. An article is keyed by URL too and
is what matching works on. Entries without an article are the backlog a
refresh killed half-way leaves; the next refresh picks them up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tracker.store.schema import Domain, Migration, from_db_time, opt_db_time, to_db_time
from tracker.types import Article, FeedEntry

MIGRATIONS = [
    Migration(
        "articles.0001_create",
        (
            """CREATE TABLE entries (
                url TEXT PRIMARY KEY,
                link TEXT NOT NULL,
                title TEXT NOT NULL,
                summary TEXT NOT NULL,
                content_html TEXT NOT NULL,
                published TEXT,
                author TEXT NOT NULL,
                guid TEXT NOT NULL,
                feed_url TEXT NOT NULL,
                source_name TEXT NOT NULL,
                language TEXT,
                first_seen TEXT NOT NULL,
                skipped_at TEXT
            )""",
            """CREATE TABLE entry_sources (
                url TEXT NOT NULL REFERENCES entries (url),
                source_name TEXT NOT NULL,
                feed_url TEXT NOT NULL,
                first_seen TEXT NOT NULL,
                PRIMARY KEY (url, feed_url)
            )""",
            """CREATE TABLE articles (
                id INTEGER PRIMARY KEY,
                url TEXT NOT NULL,
                title TEXT NOT NULL,
                text TEXT NOT NULL,
                published TEXT,
                language TEXT,
                source TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                from_feed_only INTEGER NOT NULL DEFAULT 0,
                fetched_at TEXT NOT NULL,
                matched_at TEXT
            )""",
            # One article per URL: add_article upserts on it.
            "CREATE UNIQUE INDEX articles_url ON articles (url)",
            "CREATE INDEX articles_content_hash ON articles (content_hash)",
            "CREATE INDEX articles_matched_at ON articles (matched_at)",
            "CREATE INDEX articles_source ON articles (source)",
        ),
    )
]


_NEWEST_FIRST = "ORDER BY COALESCE(published, fetched_at) DESC, id DESC"


COUNTS = {
    "entries": "SELECT COUNT(*) FROM entries",
    "articles": "SELECT COUNT(*) FROM articles",
    "articles_unmatched": "SELECT COUNT(*) FROM articles WHERE matched_at IS NULL",
}


class Articles(Domain):
    """Tables ``entries``, ``entry_sources`` and ``articles``."""

    def add_entries(self, entries: Sequence[FeedEntry], at: datetime) -> list[FeedEntry]:
        """Store entries; return those whose URL was never seen, in input order.

        A known URL only gains a row in ``entry_sources`` for the feed that
        carried it this time; its stored fields are left as first seen.
        """
        seen = to_db_time(at)
        new: list[FeedEntry] = []
        with self._db.write():
            for e in entries:
                inserted = self._db.run(
                    "INSERT OR IGNORE INTO entries (url, link, title, summary, content_html, "
                    "published, author, guid, feed_url, source_name, language, first_seen) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        e.url, e.link, e.title, e.summary, e.content_html,
                        opt_db_time(e.published), e.author, e.guid, e.feed_url,
                        e.source_name, e.language, seen,
                    ),
                ).rowcount  # fmt: skip
                if inserted:
                    new.append(e)
                self._db.run(
                    "INSERT OR IGNORE INTO entry_sources (url, source_name, feed_url, first_seen) "
                    "VALUES (?, ?, ?, ?)",
                    (e.url, e.source_name, e.feed_url, seen),
                )
        return new

    def entry_sources(self, url: str) -> list[tuple[str, str]]:
        """(source_name, feed_url) of every feed that carried ``url``, first seen first."""
        rows = self._db.rows(
            "SELECT source_name, feed_url FROM entry_sources WHERE url = ? "
            "ORDER BY first_seen, rowid",
            (url,),
        )
        return [(r["source_name"], r["feed_url"]) for r in rows]

    def entries_without_article(self, limit: int | None = None) -> list[FeedEntry]:
        """Entries neither turned into an article nor skipped, oldest first."""
        rows = self._db.rows(
            "SELECT e.* FROM entries e LEFT JOIN articles a ON a.url = e.url "
            "WHERE a.id IS NULL AND e.skipped_at IS NULL ORDER BY e.first_seen, e.rowid LIMIT ?",
            (-1 if limit is None else limit,),
        )
        return [_entry(r) for r in rows]

    def mark_entries_skipped(self, urls: Sequence[str], at: datetime) -> None:
        """Take entries deliberately not turned into articles (e.g. too old) off the backlog."""
        with self._db.write():
            self._db.run_many(
                "UPDATE entries SET skipped_at = ? WHERE url = ? AND skipped_at IS NULL",
                [(to_db_time(at), u) for u in urls],
            )

    def add_article(self, article: Article, at: datetime) -> int:
        """Insert or update the article with this URL; return its id.

        A changed text (content hash) clears ``matched_at`` so it is matched again.
        """
        with self._db.write():
            article_id = self._db.scalar(
                """INSERT INTO articles (url, title, text, published, language, source,
                                         content_hash, from_feed_only, fetched_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (url) DO UPDATE SET
                    title = excluded.title,
                    text = excluded.text,
                    published = excluded.published,
                    language = excluded.language,
                    source = excluded.source,
                    from_feed_only = excluded.from_feed_only,
                    fetched_at = excluded.fetched_at,
                    matched_at = CASE WHEN articles.content_hash = excluded.content_hash
                                      THEN articles.matched_at END,
                    content_hash = excluded.content_hash
                RETURNING id""",
                (
                    article.url, article.title, article.text, opt_db_time(article.published),
                    article.language, article.source, article.content_hash,
                    int(article.from_feed_only), to_db_time(at),
                ),
            )  # fmt: skip
        return int(article_id)

    def articles(
        self,
        *,
        source: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Article]:
        """Articles newest first; ``since`` compares the published time (else fetched time)."""
        where: list[str] = ["1"]
        params: list[object] = []
        if source is not None:
            where.append("source = ?")
            params.append(source)
        if since is not None:
            where.append("COALESCE(published, fetched_at) >= ?")
            params.append(to_db_time(since))
        params.append(-1 if limit is None else limit)
        rows = self._db.rows(
            f"SELECT * FROM articles WHERE {' AND '.join(where)} {_NEWEST_FIRST} LIMIT ?", params
        )
        return [_article(r) for r in rows]

    def article(self, url_or_id: str | int) -> Article | None:
        column = "id" if isinstance(url_or_id, int) else "url"
        row = self._db.one(f"SELECT * FROM articles WHERE {column} = ?", (url_or_id,))
        return None if row is None else _article(row)

    def unmatched_articles(self) -> list[Article]:
        rows = self._db.rows(
            "SELECT * FROM articles WHERE matched_at IS NULL ORDER BY fetched_at, id"
        )
        return [_article(r) for r in rows]

    def mark_matched(self, article_ids: Sequence[int], at: datetime) -> None:
        with self._db.write():
            self._db.run_many(
                "UPDATE articles SET matched_at = ? WHERE id = ?",
                [(to_db_time(at), i) for i in article_ids],
            )

    def find_article_by_hash(self, content_hash: str) -> Article | None:
        row = self._db.one(
            "SELECT * FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1", (content_hash,)
        )
        return None if row is None else _article(row)


def _entry(r: dict[str, Any]) -> FeedEntry:
    return FeedEntry(
        url=r["url"],
        link=r["link"],
        title=r["title"],
        summary=r["summary"],
        content_html=r["content_html"],
        published=from_db_time(r["published"]),
        author=r["author"],
        guid=r["guid"],
        feed_url=r["feed_url"],
        source_name=r["source_name"],
        language=r["language"],
        first_seen=from_db_time(r["first_seen"]),
    )


def _article(r: dict[str, Any]) -> Article:
    return Article(
        url=r["url"],
        title=r["title"],
        text=r["text"],
        published=from_db_time(r["published"]),
        language=r["language"],
        source=r["source"],
        content_hash=r["content_hash"],
        from_feed_only=bool(r["from_feed_only"]),
        id=r["id"],
    )
