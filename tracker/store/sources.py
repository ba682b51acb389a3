"""Sources (feeds, cited pages, article pages): their health and HTTP validators.

One row per URL, upserted on every fetch. The hot path of a steady-state
refresh is here (one validators read and one health write per feed), so both
have bulk forms that touch the database once per refresh rather than once per
feed. Feed candidates (feeds advertised by pages) live here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.store.schema import (
    Domain,
    Migration,
    from_db_time,
    opt_db_time,
    req_db_time,
    to_db_time,
)
from tracker.types import FetchOutcome, Validators

SOURCE_KINDS = ("feed", "cited", "page")
_SUCCESS = (FetchOutcome.OK, FetchOutcome.NOT_MODIFIED)
_CHUNK = 500  # stays well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class SourceHealth:
    url: str
    kind: str
    name: str
    last_checked: datetime | None
    last_success: datetime | None
    last_failure: datetime | None
    last_status: int | None
    last_outcome: str | None
    consecutive_failures: int
    last_error: str | None
    etag: str | None
    last_modified: str | None
    # When the next refresh may poll it (None: whenever the schedule says), and
    # why: "backoff", "retry-after", "max-age" or "ttl" (tracker.refresh.backoff).
    next_poll: datetime | None = None
    next_poll_reason: str | None = None
    ttl_minutes: int | None = None  # the <ttl> its last document declared

    @property
    def validators(self) -> Validators:
        return Validators(etag=self.etag, last_modified=self.last_modified)


@dataclass(frozen=True)
class FetchRecord:
    """One fetch to record; the arguments of ``Store.record_fetch`` as data."""

    url: str
    kind: str
    name: str
    outcome: FetchOutcome
    status: int | None
    validators: Validators | None
    error: str | None
    at: datetime


@dataclass(frozen=True)
class PollPlan:
    """When a source may next be polled, and why; ``at`` None lets the schedule decide.

    ``ttl_minutes`` is the ``<ttl>`` of its last feed document, kept so a 304
    (no body) still knows it."""

    url: str
    at: datetime | None
    reason: str | None
    ttl_minutes: int | None = None


@dataclass(frozen=True)
class FeedCandidate:
    page_url: str
    feed_url: str
    title: str
    first_seen: datetime


MIGRATIONS = [
    Migration(
        "sources.0001_create",
        (
            """CREATE TABLE sources (
                url TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                last_checked TEXT,
                last_success TEXT,
                last_failure TEXT,
                last_status INTEGER,
                last_outcome TEXT,
                consecutive_failures INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                etag TEXT,
                last_modified TEXT
            )""",
            "CREATE INDEX sources_kind ON sources (kind)",
            """CREATE TABLE feed_candidates (
                page_url TEXT NOT NULL,
                feed_url TEXT NOT NULL,
                title TEXT NOT NULL,
                first_seen TEXT NOT NULL,
                PRIMARY KEY (page_url, feed_url)
            )""",
        ),
    ),
    Migration(
        "sources.0002_next_poll",
        (
            "ALTER TABLE sources ADD COLUMN next_poll TEXT",
            "ALTER TABLE sources ADD COLUMN next_poll_reason TEXT",
            "ALTER TABLE sources ADD COLUMN ttl_minutes INTEGER",
        ),
    ),
]

# Health columns follow the outcome: a success resets the failure streak and
# (when the response carried them) replaces the validators; a failure extends
# the streak and records why. The last_* "seen" columns always move.
_UPSERT = """
INSERT INTO sources (url, kind, name, last_checked, last_success, last_failure, last_status,
                     last_outcome, consecutive_failures, last_error, etag, last_modified)
VALUES (:url, :kind, :name, :at,
        CASE WHEN :ok THEN :at END, CASE WHEN :ok THEN NULL ELSE :at END,
        :status, :outcome, CASE WHEN :ok THEN 0 ELSE 1 END,
        CASE WHEN :ok THEN NULL ELSE :error END, :etag, :last_modified)
ON CONFLICT (url) DO UPDATE SET
    kind = excluded.kind,
    name = excluded.name,
    last_checked = excluded.last_checked,
    last_status = excluded.last_status,
    last_outcome = excluded.last_outcome,
    last_success = CASE WHEN :ok THEN excluded.last_checked ELSE sources.last_success END,
    last_failure = CASE WHEN :ok THEN sources.last_failure ELSE excluded.last_checked END,
    consecutive_failures = CASE WHEN :ok THEN 0 ELSE sources.consecutive_failures + 1 END,
    last_error = CASE WHEN :ok THEN sources.last_error ELSE excluded.last_error END,
    etag = CASE WHEN :replace THEN excluded.etag ELSE sources.etag END,
    last_modified = CASE WHEN :replace THEN excluded.last_modified ELSE sources.last_modified END
"""


def _params(r: FetchRecord) -> dict[str, object]:
    if r.kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {r.kind!r}; expected one of {SOURCE_KINDS}")
    ok = r.outcome in _SUCCESS
    replace = ok and r.validators is not None
    v = r.validators or Validators()
    return {
        "url": r.url,
        "kind": r.kind,
        "name": r.name,
        "at": to_db_time(r.at),
        "ok": ok,
        "replace": replace,
        "status": r.status,
        "outcome": str(r.outcome),
        "error": r.error,
        "etag": v.etag,
        "last_modified": v.last_modified,
    }


COUNTS = {
    "sources": "SELECT COUNT(*) FROM sources",
    "sources_failing": "SELECT COUNT(*) FROM sources WHERE consecutive_failures > 0",
    "feed_candidates": "SELECT COUNT(*) FROM feed_candidates",
}


class Sources(Domain):
    """Tables ``sources`` and ``feed_candidates``."""

    def validators(self, url: str) -> Validators:
        row = self._db.one("SELECT etag, last_modified FROM sources WHERE url = ?", (url,))
        if row is None:
            return Validators()
        return Validators(etag=row["etag"], last_modified=row["last_modified"])

    def validators_for(self, urls: Iterable[str]) -> dict[str, Validators]:
        """Bulk ``validators``: one entry per URL, empty validators for unknown ones."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, Validators] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self._db.rows(
                f"SELECT url, etag, last_modified FROM sources WHERE url IN ({marks})", chunk
            ):
                found[row["url"]] = Validators(etag=row["etag"], last_modified=row["last_modified"])
        return {url: found.get(url, Validators()) for url in wanted}

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
        """Upsert the source's health after a fetch (see ``_UPSERT`` for the rules)."""
        self.record_fetches([FetchRecord(url, kind, name, outcome, status, validators, error, at)])

    def record_fetches(self, records: Sequence[FetchRecord]) -> None:
        """Bulk ``record_fetch`` in one transaction, in order: later records for a URL win."""
        params = [_params(r) for r in records]
        with self._db.write():
            self._db.run_many(_UPSERT, params)

    def plan_polls(self, plans: Sequence[PollPlan]) -> None:
        """Store each source's next poll time (sources not yet recorded are left alone)."""
        params = [
            (opt_db_time(p.at), p.reason if p.at else None, p.ttl_minutes, p.url) for p in plans
        ]
        with self._db.write():
            self._db.run_many(
                "UPDATE sources SET next_poll = ?, next_poll_reason = ?, ttl_minutes = ? "
                "WHERE url = ?",
                params,
            )

    def sources(self, kind: str | None = None) -> list[SourceHealth]:
        if kind is None:
            rows = self._db.rows("SELECT * FROM sources ORDER BY kind, url")
        else:
            rows = self._db.rows("SELECT * FROM sources WHERE kind = ? ORDER BY url", (kind,))
        return [_health(row) for row in rows]

    def source(self, url: str) -> SourceHealth | None:
        row = self._db.one("SELECT * FROM sources WHERE url = ?", (url,))
        return None if row is None else _health(row)

    def sources_for(self, urls: Iterable[str]) -> dict[str, SourceHealth]:
        """Bulk ``source``: the recorded sources among ``urls``, by URL (unknown ones absent)."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, SourceHealth] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self._db.rows(f"SELECT * FROM sources WHERE url IN ({marks})", chunk):
                found[row["url"]] = _health(row)
        return found

    def add_feed_candidate(self, page_url: str, feed_url: str, title: str, at: datetime) -> None:
        """Remember a feed a page advertises; the first sighting wins."""
        with self._db.write():
            self._db.run(
                "INSERT OR IGNORE INTO feed_candidates (page_url, feed_url, title, first_seen) "
                "VALUES (?, ?, ?, ?)",
                (page_url, feed_url, title, to_db_time(at)),
            )

    def feed_candidates(self) -> list[FeedCandidate]:
        rows = self._db.rows(
            "SELECT * FROM feed_candidates ORDER BY first_seen, page_url, feed_url"
        )
        return [
            FeedCandidate(
                page_url=r["page_url"],
                feed_url=r["feed_url"],
                title=r["title"],
                first_seen=req_db_time(r["first_seen"]),
            )
            for r in rows
        ]


def _health(row: dict[str, Any]) -> SourceHealth:
    return SourceHealth(
        url=row["url"],
        kind=row["kind"],
        name=row["name"],
        last_checked=from_db_time(row["last_checked"]),
        last_success=from_db_time(row["last_success"]),
        last_failure=from_db_time(row["last_failure"]),
        last_status=row["last_status"],
        last_outcome=row["last_outcome"],
        consecutive_failures=row["consecutive_failures"],
        last_error=row["last_error"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        next_poll=from_db_time(row["next_poll"]),
        next_poll_reason=row["next_poll_reason"],
        ttl_minutes=row["ttl_minutes"],
    )
