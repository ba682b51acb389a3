"""tracker's state: a SQLite file or a PostgreSQL database, reached only through ``Store``.

``open_store`` opens (creating if needed) the file in WAL mode with a busy
timeout, so the daemon and CLI processes can share it, and applies pending
schema migrations (``schema``, in the order of ``MIGRATIONS``). Given a
``postgresql://`` URL it opens that database instead (``postgres``), with the
same migrations translated (``postgres_schema``). Nothing outside this
package writes SQL.

The interface is ``Store``'s public methods, one group per domain. Each
domain is a module holding its tables' migrations, its row counts and one
class (a ``schema.Domain``) with every statement on those tables; ``Store``
is those classes together and adds only closing, ``transaction`` and
``migrations``. The domains, their tables and their methods:

``sources.Sources`` (sources, feed_candidates)
    validators, validators_for, record_fetch, record_fetches, plan_polls, sources,
    source, sources_for, add_feed_candidate, feed_candidates
``articles.Articles`` (entries, entry_sources, articles)
    add_entries, entry_sources, entries_without_article, mark_entries_skipped,
    add_article, articles, article, unmatched_articles, mark_matched,
    find_article_by_hash
``cited.CitedSources`` (snapshots, cited_checks)
    latest_snapshot, add_snapshot, snapshot, snapshots, record_cited_check, cited_checks
``runs.Runs`` (runs)
    start_run, finish_run, interrupt_stale_runs, add_to_run, close_run, unfinished_runs,
    runs, run
``suggestions.Suggestions`` (suggestions, suggestion_urls, decisions)
    add_suggestion, add_suggestion_url, suggestion, suggestions,
    set_suggestion_status, undo_last_decision, decisions, suggestion_for_url
``vectors.Vectors`` (section_vectors)
    section_vector, put_section_vector
``editions.Editions`` (editions, edition_suggestions, publish_checks)
    record_edition, last_edition, editions, shown_in_edition, last_publish_check,
    record_publish_check
``digests.Digests`` (digests)
    last_digest, digest_sent, record_digest
``changelogs.Changelogs`` (changelog_entries, changelog_cited, announced_suggestions)
    record_changelog_entry, changelog_entry_written, unwritten_changelog_entries,
    changelog_entries, reported_cited, record_announced, announced_suggestions
``drafts.Drafts`` (draft_answers)
    draft_answer, put_draft_answer, draft_tokens_since
``parses.Parses`` (report_parses)
    parsed_report, put_parsed_report
``health.Health`` (source_events, filled by triggers on sources)
    source_events
``rechecks.Rechecks`` (recheck_statements)
    rechecks_listed, record_rechecks
``claims.Claims`` (claim_indexes, claims, claim_anchors, claim_verdicts)
    claim_index_key, sync_claims, claims, claim, claim_anchors, put_claim_anchor,
    forget_claim_anchor, record_claim_verdict, claim_verdicts, claim_suggested
``counts.Counts`` (none: each domain module's ``COUNTS``)
    counts

Arguments and results are the frozen dataclasses of ``tracker.types`` and
the records defined beside their domain (``SourceHealth``, ``FetchRecord``,
``Snapshot``, ``RunRecord``, ``EditionRecord``, ``ShownSuggestions``…), never
rows or dicts. The domain classes write SQLite's dialect to a
``schema.Database``: ``schema.Db`` runs it on SQLite, ``postgres.PgDb``
translates it for PostgreSQL (``postgres_sql``); callers do not change.

Each write method is one transaction. ``Store.transaction()`` groups several
calls into one when they must land together. Every database failure comes
out as ``StoreError`` naming the file (or the URL, without its password).
Nothing is deleted except by explicit calls. Datetimes go in aware (naive
ones are taken as UTC) and come out aware in UTC.

A ``Store`` is not thread-safe: open one per thread (opening is cheap).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from tracker.errors import StoreError
from tracker.store import (
    articles,
    changelogs,
    cited,
    claims,
    digests,
    drafts,
    editions,
    health,
    parses,
    rechecks,
    runs,
    schema,
    sources,
    suggestions,
    vectors,
)
from tracker.store import location as location_of
from tracker.store.articles import Articles
from tracker.store.changelogs import ChangelogEntryRecord, Changelogs, CitedReported
from tracker.store.cited import CitedSources, Snapshot
from tracker.store.claims import ClaimAnchor, Claims, ClaimVerdict
from tracker.store.counts import Counts
from tracker.store.digests import DigestRecord, Digests
from tracker.store.drafts import DraftCacheView, Drafts
from tracker.store.editions import EditionRecord, Editions, ShownSuggestions
from tracker.store.health import Health, SourceEvent
from tracker.store.parses import Parses
from tracker.store.rechecks import Rechecks
from tracker.store.runs import RunRecord, Runs
from tracker.store.sources import FeedCandidate, FetchRecord, PollPlan, SourceHealth, Sources
from tracker.store.suggestions import Decision, Suggestions
from tracker.store.vectors import Vectors

__all__ = [
    "ChangelogEntryRecord",
    "CitedReported",
    "ClaimAnchor",
    "ClaimVerdict",
    "Decision",
    "DigestRecord",
    "DraftCacheView",
    "EditionRecord",
    "FeedCandidate",
    "FetchRecord",
    "PollPlan",
    "RunRecord",
    "ShownSuggestions",
    "Snapshot",
    "SourceEvent",
    "SourceHealth",
    "Store",
    "open_store",
]

_DOMAIN_MIGRATIONS = {
    m.name: m
    for module in (
        sources,
        articles,
        cited,
        runs,
        suggestions,
        vectors,
        editions,
        digests,
        changelogs,
        drafts,
        parses,
        health,
        rechecks,
        claims,
    )
    for m in module.MIGRATIONS
}

# The schema's history, oldest first: the order migrations are applied in.
# Append only, and never remove or rename one: their count is the schema
# version (PRAGMA user_version) that lets a current file open with one PRAGMA
# read, and their names are how an older file's pending ones are found. The
# first nine are the schema the store had when sqlite-utils created it.
MIGRATIONS: tuple[schema.Migration, ...] = tuple(
    _DOMAIN_MIGRATIONS[name]
    for name in (
        "sources.0001_create",
        "articles.0001_create",
        "cited.0001_create",
        "runs.0001_create",
        "runs.0002_durations",
        "suggestions.0001_create",
        "vectors.0001_create",
        "editions.0001_create",
        "digests.0001_create",
        "editions.0002_suggestions_shown",
        "editions.0003_publish_checks",
        "suggestions.0002_decisions",
        "suggestions.0003_edits",
        "changelogs.0001_create",
        "drafts.0001_create",
        "parses.0001_create",
        "health.0001_source_events",
        "sources.0002_next_poll",
        "rechecks.0001_create",
        "claims.0001_create",
        "suggestions.0004_evidence",
    )
)


def open_store(location: Path | str, *, now: datetime | None = None) -> Store:
    """Open the store at ``location``, creating it (and a file's folder) if needed.

    ``location`` is a SQLite file's path, or a ``postgresql://`` URL (the
    ``store.url`` setting) for the PostgreSQL store, whose schema is the same
    migrations translated (``postgres_schema``). ``now`` stamps migrations
    applied by this call (default: the clock). Raises ``StoreError`` naming the
    path or URL when the store cannot be opened, is not a database, or was
    written by a newer tracker.
    """
    if location_of.is_postgres_url(location):
        assert isinstance(location, str)
        return _open_postgres(location, now or datetime.now(UTC))
    path = Path(location)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create folder: {exc}") from exc
    db = schema.Db(path)
    try:
        schema.migrate(db, MIGRATIONS, now or datetime.now(UTC))
    except BaseException:
        db.close()
        raise
    return Store(db)


def _open_postgres(url: str, now: datetime) -> Store:
    try:  # here, not at the top: psycopg is the optional "postgres" extra
        from tracker.store import postgres, postgres_schema
    except ImportError as exc:
        raise StoreError(
            f"{location_of.redact_url(url)}: the PostgreSQL store needs the postgres "
            f"extra (pip install 'tracker[postgres]'): {exc}"
        ) from exc
    pg = postgres_schema.pg_schema(MIGRATIONS)
    db = postgres.PgDb(url, pg.tables)
    try:
        postgres_schema.migrate(db, pg, now)
    except BaseException:
        db.close()
        raise
    return Store(db)


class Store(
    Sources,
    Articles,
    CitedSources,
    Runs,
    Suggestions,
    Vectors,
    Editions,
    Digests,
    Changelogs,
    Drafts,
    Parses,
    Health,
    Rechecks,
    Claims,
    Counts,
):
    """Every domain of the store over one connection. Obtain one with ``open_store``."""

    def __init__(self, db: schema.Database) -> None:
        super().__init__(db)
        self.path: Path | str = db.path  # a PostgreSQL store's URL, without its password

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
        return [(n, schema.req_db_time(at)) for n, at in self._db.applied_migrations()]
