"""tracker's state: one SQLite file, reached only through ``Store``.

``open_store`` opens (creating if needed) the file in WAL mode with a busy
timeout, so the daemon and CLI processes can share it, and applies pending
schema migrations. ``Store`` delegates each call to the domain module that
owns the tables (sources, articles, cited, runs, suggestions, vectors,
editions, digests); nothing outside this package writes SQL.

Each write method is one transaction. ``Store.transaction()`` groups several
calls into one when they must land together. Every database failure comes
out as ``StoreError`` naming the file. Nothing is deleted except by explicit
calls. Datetimes go in aware (naive ones are taken as UTC) and come out aware
in UTC.

A ``Store`` is not thread-safe: open one per thread (opening is cheap).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from tracker.errors import StoreError
from tracker.store import (
    articles,
    cited,
    digests,
    editions,
    runs,
    schema,
    sources,
    suggestions,
    vectors,
)
from tracker.store.cited import Snapshot
from tracker.store.digests import DigestRecord
from tracker.store.editions import EditionRecord
from tracker.store.runs import RunRecord
from tracker.store.sources import FeedCandidate, FetchRecord, SourceHealth
from tracker.types import (
    Article,
    CitedStatus,
    FeedEntry,
    FetchOutcome,
    RunSummary,
    Suggestion,
    SuggestionStatus,
    Validators,
)

__all__ = [
    "DigestRecord",
    "EditionRecord",
    "FeedCandidate",
    "FetchRecord",
    "RunRecord",
    "Snapshot",
    "SourceHealth",
    "Store",
    "open_store",
]

# The order migrations are applied in. New migrations go at the end of their
# module's list; a new module goes at the end here. Never remove or rename one:
# their count is the schema version (PRAGMA user_version) that lets a current
# file open with one PRAGMA read, and their names are how an older file's
# pending ones are found.
MIGRATION_GROUPS: tuple[Sequence[schema.Migration], ...] = (
    sources.MIGRATIONS,
    articles.MIGRATIONS,
    cited.MIGRATIONS,
    runs.MIGRATIONS,
    suggestions.MIGRATIONS,
    vectors.MIGRATIONS,
    editions.MIGRATIONS,
    digests.MIGRATIONS,
)


def open_store(path: Path, *, now: datetime | None = None) -> Store:
    """Open the database at ``path``, creating it and its folder if needed.

    ``now`` stamps migrations applied by this call (default: the clock).
    Raises ``StoreError`` naming the path when the file cannot be opened, is
    not a database, or was written by a newer tracker.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create folder: {exc}") from exc
    db = schema.Db(path)
    try:
        schema.migrate(db, MIGRATION_GROUPS, now or datetime.now(UTC))
    except BaseException:
        db.close()
        raise
    return Store(db)


class Store:
    """The facade over the store's domain modules. Obtain one with ``open_store``."""

    def __init__(self, db: schema.Db) -> None:
        self._db = db
        self.path: Path = db.path

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Group store calls into one transaction: all of them land, or none does."""
        with self._db.write():
            yield self

    def migrations(self) -> list[tuple[str, datetime]]:
        """(name, applied_at) of each applied schema migration: the schema version."""
        return [(n, schema.req_db_time(at)) for n, at in schema.applied_migrations(self._db)]

    # --- sources and their health ----------------------------------------

    def validators(self, url: str) -> Validators:
        return sources.validators(self._db, url)

    def validators_for(self, urls: Iterable[str]) -> dict[str, Validators]:
        """Bulk ``validators``: one entry per URL, empty validators for unknown ones."""
        return sources.validators_for(self._db, urls)

    def record_fetch(
        self,
        url: str,
        *,
        kind: str,
        name: str,
        outcome: FetchOutcome,
        status: int | None,
        validators: Validators | None,
        error: str | None,
        at: datetime,
    ) -> None:
        """Upsert the source's health after a fetch (see ``sources._UPSERT`` for the rules)."""
        record = FetchRecord(url, kind, name, outcome, status, validators, error, at)
        sources.record_fetches(self._db, [record])

    def record_fetches(self, records: Sequence[FetchRecord | Mapping[str, Any]]) -> None:
        """Bulk ``record_fetch`` in one transaction; later records for a URL win.

        Each record is a ``FetchRecord`` or a mapping of ``record_fetch``'s arguments.
        """
        sources.record_fetches(self._db, records)

    def sources(self, kind: str | None = None) -> list[SourceHealth]:
        return sources.sources(self._db, kind)

    def source(self, url: str) -> SourceHealth | None:
        return sources.source(self._db, url)

    def add_feed_candidate(self, page_url: str, feed_url: str, title: str, at: datetime) -> None:
        sources.add_feed_candidate(self._db, page_url, feed_url, title, at)

    def feed_candidates(self) -> list[FeedCandidate]:
        return sources.feed_candidates(self._db)

    # --- feed entries and articles ----------------------------------------

    def add_entries(self, entries: Sequence[FeedEntry], at: datetime) -> list[FeedEntry]:
        """Store entries; return the ones whose canonical URL is new."""
        return articles.add_entries(self._db, entries, at)

    def entry_sources(self, url: str) -> list[tuple[str, str]]:
        """(source_name, feed_url) of every feed that carried ``url``, first seen first."""
        return articles.entry_sources(self._db, url)

    def entries_without_article(self, limit: int | None = None) -> list[FeedEntry]:
        return articles.entries_without_article(self._db, limit)

    def mark_entries_skipped(self, urls: Sequence[str], at: datetime) -> None:
        """Drop entries deliberately left without an article from the backlog."""
        articles.mark_entries_skipped(self._db, urls, at)

    def add_article(self, article: Article, at: datetime) -> int:
        return articles.add_article(self._db, article, at)

    def articles(
        self,
        *,
        source: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Article]:
        return articles.articles(self._db, source=source, since=since, limit=limit)

    def article(self, url_or_id: str | int) -> Article | None:
        return articles.article(self._db, url_or_id)

    def unmatched_articles(self) -> list[Article]:
        return articles.unmatched_articles(self._db)

    def mark_matched(self, article_ids: Sequence[int], at: datetime) -> None:
        articles.mark_matched(self._db, article_ids, at)

    def find_article_by_hash(self, content_hash: str) -> Article | None:
        return articles.find_article_by_hash(self._db, content_hash)

    # --- cited-source snapshots -------------------------------------------

    def latest_snapshot(self, url: str) -> Snapshot | None:
        return cited.latest_snapshot(self._db, url)

    def add_snapshot(
        self, url: str, *, final_url: str | None, text: str, content_hash: str, at: datetime
    ) -> int:
        return cited.add_snapshot(
            self._db, url, final_url=final_url, text=text, content_hash=content_hash, at=at
        )

    def snapshots(self, url: str) -> list[Snapshot]:
        return cited.snapshots(self._db, url)

    def record_cited_check(
        self, url: str, status: CitedStatus, at: datetime, error: str | None = None
    ) -> int:
        """Log a check; return the run of consecutive gone/unreachable checks (0 if healthy)."""
        return cited.record_cited_check(self._db, url, status, at, error)

    def cited_checks(self, url: str) -> list[tuple[CitedStatus, datetime, str | None]]:
        return cited.cited_checks(self._db, url)

    # --- runs ---------------------------------------------------------------

    def start_run(self, at: datetime, *, trigger: str = "cli", pid: int | None = None) -> int:
        return runs.start_run(self._db, at, trigger=trigger, pid=pid)

    def finish_run(self, run_id: int, summary: RunSummary) -> None:
        runs.finish_run(self._db, run_id, summary)

    def interrupt_stale_runs(self, at: datetime) -> int:
        """Close unfinished runs as interrupted. Call only while holding the refresh lock."""
        return runs.interrupt_stale_runs(self._db, at)

    def runs(self, limit: int = 10) -> list[RunRecord]:
        return runs.runs(self._db, limit)

    def run(self, run_id: int) -> RunRecord | None:
        return runs.run(self._db, run_id)

    # --- suggestions --------------------------------------------------------

    def add_suggestion(self, s: Suggestion) -> int:
        return suggestions.add_suggestion(self._db, s)

    def add_suggestion_url(self, suggestion_id: int, url: str) -> None:
        suggestions.add_suggestion_url(self._db, suggestion_id, url)

    def suggestion(self, suggestion_id: int) -> Suggestion | None:
        return suggestions.suggestion(self._db, suggestion_id)

    def suggestions(
        self,
        *,
        report: str | None = None,
        status: SuggestionStatus | None = None,
        section: str | None = None,
        since: datetime | None = None,
    ) -> list[Suggestion]:
        return suggestions.suggestions(
            self._db, report=report, status=status, section=section, since=since
        )

    def set_suggestion_status(
        self, ids: Sequence[int], status: SuggestionStatus, at: datetime
    ) -> list[int]:
        return suggestions.set_suggestion_status(self._db, ids, status, at)

    def suggestion_for_url(self, report: str, url: str) -> Suggestion | None:
        return suggestions.suggestion_for_url(self._db, report, url)

    # --- section vectors ------------------------------------------------------

    def section_vector(self, model: str, text_hash: str) -> bytes | None:
        return vectors.section_vector(self._db, model, text_hash)

    def put_section_vector(self, model: str, text_hash: str, vector: bytes) -> None:
        vectors.put_section_vector(self._db, model, text_hash, vector)

    # --- editions -------------------------------------------------------------

    def record_edition(
        self, report: str, edition_date: str, path: str, content_hash: str, at: datetime
    ) -> None:
        editions.record_edition(self._db, report, edition_date, path, content_hash, at)

    def last_edition(self, report: str) -> EditionRecord | None:
        return editions.last_edition(self._db, report)

    # --- digests --------------------------------------------------------------

    def last_digest(self) -> DigestRecord | None:
        return digests.last_digest(self._db)

    def digest_sent(self, period_start: datetime, period_end: datetime) -> bool:
        return digests.digest_sent(self._db, period_start, period_end)

    def record_digest(
        self,
        period_start: datetime,
        period_end: datetime,
        *,
        sent_at: datetime,
        message_id: str,
        recipients: Sequence[str],
        outbox_path: str | None,
    ) -> None:
        digests.record_digest(
            self._db,
            period_start,
            period_end,
            sent_at=sent_at,
            message_id=message_id,
            recipients=recipients,
            outbox_path=outbox_path,
        )

    # --- counts ---------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Row counts for ``tracker status`` and metrics."""
        queries = {
            "sources": "SELECT COUNT(*) FROM sources",
            "sources_failing": "SELECT COUNT(*) FROM sources WHERE consecutive_failures > 0",
            "feed_candidates": "SELECT COUNT(*) FROM feed_candidates",
            "entries": "SELECT COUNT(*) FROM entries",
            "articles": "SELECT COUNT(*) FROM articles",
            "articles_unmatched": "SELECT COUNT(*) FROM articles WHERE matched_at IS NULL",
            "snapshots": "SELECT COUNT(*) FROM snapshots",
            "cited_checks": "SELECT COUNT(*) FROM cited_checks",
            "runs": "SELECT COUNT(*) FROM runs",
            "suggestions": "SELECT COUNT(*) FROM suggestions",
            "suggestions_pending": "SELECT COUNT(*) FROM suggestions WHERE status = 'pending'",
            "section_vectors": "SELECT COUNT(*) FROM section_vectors",
            "editions": "SELECT COUNT(*) FROM editions",
            "digests": "SELECT COUNT(*) FROM digests",
        }
        # One statement, so every count comes from the same snapshot of the file.
        select = ", ".join(f"({sql}) AS {name}" for name, sql in queries.items())
        row = self._db.one(f"SELECT {select}")
        assert row is not None
        return {name: int(value) for name, value in row.items()}
