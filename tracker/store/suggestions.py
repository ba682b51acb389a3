"""Suggested edits and the editor's decisions on them.

Every field of ``types.Suggestion`` round-trips (a claim suggestion's
``evidence`` as five nullable columns). Every decision is also
logged (``decisions``: one row per suggestion, a ``batch`` per call, with
the state it replaced), which is what lets the last decision be undone;
``edited_text`` is the editor's wording of an accepted suggestion, kept
beside the original ``proposed_text``. ``urls`` is kept twice: as a
JSON list on the row (its order is meaningful: the first is ``url``) and as
rows of ``suggestion_urls`` so "is there already a suggestion for this
article?" is an index lookup rather than a scan of JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tracker.errors import StoreError
from tracker.jsonout import to_jsonable
from tracker.store.schema import (
    Domain,
    Migration,
    from_db_time,
    opt_db_time,
    req_db_time,
    to_db_time,
)
from tracker.types import (
    Fact,
    Novelty,
    PassageEvidence,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
)

MIGRATIONS = [
    Migration(
        "suggestions.0001_create",
        (
            """CREATE TABLE suggestions (
                id INTEGER PRIMARY KEY,
                report TEXT NOT NULL,
                section TEXT NOT NULL,
                section_title TEXT NOT NULL,
                kind TEXT NOT NULL,
                score REAL NOT NULL,
                title TEXT NOT NULL,
                url TEXT NOT NULL,
                published TEXT,
                source TEXT NOT NULL,
                excerpt TEXT NOT NULL,
                proposed_text TEXT NOT NULL,
                created_at TEXT NOT NULL,
                urls TEXT NOT NULL,
                status TEXT NOT NULL,
                reference TEXT NOT NULL,
                features TEXT NOT NULL,
                decided_at TEXT
            )""",
            "CREATE INDEX suggestions_report_status ON suggestions (report, status)",
            """CREATE TABLE suggestion_urls (
                suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
                report TEXT NOT NULL,
                url TEXT NOT NULL,
                PRIMARY KEY (suggestion_id, url)
            )""",
            "CREATE INDEX suggestion_urls_report_url ON suggestion_urls (report, url)",
        ),
    ),
    Migration(
        "suggestions.0002_decisions",
        (
            "ALTER TABLE suggestions ADD COLUMN edited_text TEXT",
            """CREATE TABLE decisions (
                id INTEGER PRIMARY KEY,
                batch INTEGER NOT NULL,
                suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
                status TEXT NOT NULL,
                edited_text TEXT,
                decided_at TEXT NOT NULL,
                previous_status TEXT NOT NULL,
                previous_decided_at TEXT,
                previous_edited_text TEXT,
                undone_at TEXT
            )""",
            "CREATE INDEX decisions_batch ON decisions (batch)",
        ),
    ),
    Migration(
        "suggestions.0003_edits",
        (
            "ALTER TABLE suggestions ADD COLUMN target TEXT",
            "ALTER TABLE suggestions ADD COLUMN fact TEXT",
            "ALTER TABLE suggestions ADD COLUMN drafter TEXT NOT NULL DEFAULT 'offline'",
            "ALTER TABLE suggestions ADD COLUMN needs_translation INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE suggestions ADD COLUMN novelty TEXT NOT NULL DEFAULT 'new'",
        ),
    ),
    # A claim suggestion's evidence (types.PassageEvidence): set together, or all null.
    Migration(
        "suggestions.0004_evidence",
        (
            "ALTER TABLE suggestions ADD COLUMN evidence_reference INTEGER",
            "ALTER TABLE suggestions ADD COLUMN evidence_before TEXT",
            "ALTER TABLE suggestions ADD COLUMN evidence_after TEXT",
            "ALTER TABLE suggestions ADD COLUMN evidence_score REAL",
            "ALTER TABLE suggestions ADD COLUMN evidence_archived_url TEXT",
        ),
    ),
]


@dataclass(frozen=True)
class Decision:
    """One logged decision on one suggestion."""

    batch: int
    suggestion_id: int
    status: SuggestionStatus
    edited_text: str | None
    decided_at: datetime
    undone_at: datetime | None


COUNTS = {
    "suggestions": "SELECT COUNT(*) FROM suggestions",
    "suggestions_pending": "SELECT COUNT(*) FROM suggestions WHERE status = 'pending'",
}


class Suggestions(Domain):
    """Tables ``suggestions`` and ``suggestion_urls``."""

    def add_suggestion(self, s: Suggestion) -> int:
        """Store a new suggestion (its ``id`` is ignored) as given; return its id.

        ``urls`` always starts with ``url``, whether or not the caller included it.
        The status is stored as given, which is pending for a fresh suggestion.
        """
        urls = list(dict.fromkeys((s.url, *s.urls)))
        with self._db.write():
            cursor = self._db.run(
                """INSERT INTO suggestions (report, section, section_title, kind, score, title, url,
                       published, source, excerpt, proposed_text, created_at, urls, status,
                       reference, features, decided_at, edited_text, target, fact, drafter,
                       needs_translation, novelty, evidence_reference, evidence_before,
                       evidence_after, evidence_score, evidence_archived_url)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                           ?, ?, ?, ?, ?)""",
                (
                    s.report, s.section, s.section_title, str(s.kind), float(s.score), s.title,
                    s.url, opt_db_time(s.published), s.source, s.excerpt, s.proposed_text,
                    to_db_time(s.created_at), json.dumps(urls, ensure_ascii=False), str(s.status),
                    s.reference, json.dumps({k: float(v) for k, v in s.features.items()}),
                    opt_db_time(s.decided_at), s.edited_text, s.target, _fact_json(s.fact),
                    s.drafter, int(s.needs_translation), str(s.novelty), *_evidence_row(s.evidence),
                ),
            )  # fmt: skip
            suggestion_id = cursor.lastrowid
            assert suggestion_id is not None
            self._db.run_many(
                "INSERT INTO suggestion_urls (suggestion_id, report, url) VALUES (?, ?, ?)",
                [(suggestion_id, s.report, u) for u in urls],
            )
        return suggestion_id

    def add_suggestion_url(self, suggestion_id: int, url: str) -> None:
        """Append ``url`` to the suggestion's urls unless already there."""
        with self._db.write():
            row = self._db.one(
                "SELECT report, urls FROM suggestions WHERE id = ?", (suggestion_id,)
            )
            if row is None:
                raise StoreError(f"{self._db.path}: no suggestion with id {suggestion_id}")
            urls: list[str] = json.loads(row["urls"])
            if url in urls:
                return
            urls.append(url)
            self._db.run(
                "UPDATE suggestions SET urls = ? WHERE id = ?",
                (json.dumps(urls, ensure_ascii=False), suggestion_id),
            )
            self._db.run(
                "INSERT INTO suggestion_urls (suggestion_id, report, url) VALUES (?, ?, ?)",
                (suggestion_id, row["report"], url),
            )

    def suggestion(self, suggestion_id: int) -> Suggestion | None:
        row = self._db.one("SELECT * FROM suggestions WHERE id = ?", (suggestion_id,))
        return None if row is None else _suggestion(row)

    def suggestions(
        self,
        *,
        report: str | None = None,
        status: SuggestionStatus | None = None,
        section: str | None = None,
        since: datetime | None = None,
    ) -> list[Suggestion]:
        """Suggestions matching every filter given, by id; ``since`` is on ``created_at``."""
        where: list[str] = ["1"]
        params: list[object] = []
        for column, value in (("report", report), ("status", status), ("section", section)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(str(value))
        if since is not None:
            where.append("created_at >= ?")
            params.append(to_db_time(since))
        rows = self._db.rows(
            f"SELECT * FROM suggestions WHERE {' AND '.join(where)} ORDER BY id", params
        )
        return [_suggestion(r) for r in rows]

    def set_suggestion_status(
        self,
        ids: Sequence[int],
        status: SuggestionStatus,
        at: datetime,
        *,
        edited_text: str | None = None,
    ) -> list[int]:
        """Decide on each id, as one logged batch; return the ids that exist, in the order given.

        ``decided_at`` becomes ``at``, or empty again when a suggestion goes back
        to pending. ``edited_text`` (one accepted suggestion only) is the
        editor's wording; without it an earlier edit is cleared.
        """
        if edited_text is not None and (
            len(set(ids)) != 1 or status is not SuggestionStatus.ACCEPTED
        ):
            raise StoreError(f"{self._db.path}: edited text goes with accepting one suggestion")
        decided = None if status is SuggestionStatus.PENDING else to_db_time(at)
        found: list[int] = []
        with self._db.write():
            row = self._db.one("SELECT COALESCE(MAX(batch), 0) + 1 AS batch FROM decisions")
            assert row is not None
            batch = row["batch"]
            for suggestion_id in dict.fromkeys(ids):
                before = self._db.one(
                    "SELECT status, decided_at, edited_text FROM suggestions WHERE id = ?",
                    (suggestion_id,),
                )
                if before is None:
                    continue
                self._db.run(
                    "UPDATE suggestions SET status = ?, decided_at = ?, edited_text = ? "
                    "WHERE id = ?",
                    (str(status), decided, edited_text, suggestion_id),
                )
                self._db.run(
                    """INSERT INTO decisions (batch, suggestion_id, status, edited_text,
                           decided_at, previous_status, previous_decided_at,
                           previous_edited_text)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        batch, suggestion_id, str(status), edited_text, to_db_time(at),
                        before["status"], before["decided_at"], before["edited_text"],
                    ),
                )  # fmt: skip
                found.append(suggestion_id)
        return found

    def undo_last_decision(self, at: datetime) -> list[Decision]:
        """Undo the newest batch of decisions not undone yet: each suggestion gets back
        the status, decision time and edited text it had before. Returns the undone
        decisions (empty when there is nothing to undo). Undoing again undoes the batch
        before it.
        """
        with self._db.write():
            row = self._db.one("SELECT MAX(batch) AS batch FROM decisions WHERE undone_at IS NULL")
            if row is None or row["batch"] is None:
                return []
            rows = self._db.rows(
                "SELECT * FROM decisions WHERE batch = ? ORDER BY id DESC", (row["batch"],)
            )
            for r in rows:
                self._db.run(
                    "UPDATE suggestions SET status = ?, decided_at = ?, edited_text = ? "
                    "WHERE id = ?",
                    (
                        r["previous_status"],
                        r["previous_decided_at"],
                        r["previous_edited_text"],
                        r["suggestion_id"],
                    ),
                )
            self._db.run(
                "UPDATE decisions SET undone_at = ? WHERE batch = ?", (to_db_time(at), row["batch"])
            )
        return [_decision({**r, "undone_at": to_db_time(at)}) for r in reversed(rows)]

    def decisions(self, limit: int = 50) -> list[Decision]:
        """The logged decisions, newest first."""
        rows = self._db.rows("SELECT * FROM decisions ORDER BY id DESC LIMIT ?", (limit,))
        return [_decision(r) for r in rows]

    def suggestion_for_url(self, report: str, url: str) -> Suggestion | None:
        """The oldest suggestion for ``report`` whose urls include ``url``, whatever its status."""
        row = self._db.one(
            "SELECT s.* FROM suggestion_urls u JOIN suggestions s ON s.id = u.suggestion_id "
            "WHERE u.report = ? AND u.url = ? ORDER BY s.id LIMIT 1",
            (report, url),
        )
        return None if row is None else _suggestion(row)


def _suggestion(r: dict[str, Any]) -> Suggestion:
    return Suggestion(
        id=r["id"],
        report=r["report"],
        section=r["section"],
        section_title=r["section_title"],
        kind=SuggestionKind(r["kind"]),
        score=r["score"],
        title=r["title"],
        url=r["url"],
        published=from_db_time(r["published"]),
        source=r["source"],
        excerpt=r["excerpt"],
        proposed_text=r["proposed_text"],
        created_at=req_db_time(r["created_at"]),
        urls=tuple(json.loads(r["urls"])),
        status=SuggestionStatus(r["status"]),
        reference=r["reference"],
        features=json.loads(r["features"]),
        decided_at=from_db_time(r["decided_at"]),
        edited_text=r["edited_text"],
        target=r["target"],
        fact=_fact(r["fact"]),
        drafter=r["drafter"],
        needs_translation=bool(r["needs_translation"]),
        novelty=Novelty(r["novelty"]),
        evidence=_evidence(r),
    )


def _evidence_row(e: PassageEvidence | None) -> tuple[object, ...]:
    if e is None:
        return (None, None, None, None, None)
    return (e.reference, e.before, e.after, float(e.score), e.archived_url)


def _evidence(r: dict[str, Any]) -> PassageEvidence | None:
    if r["evidence_reference"] is None:
        return None
    return PassageEvidence(
        reference=int(r["evidence_reference"]),
        before=r["evidence_before"],
        after=r["evidence_after"],
        score=float(r["evidence_score"] or 0.0),
        archived_url=r["evidence_archived_url"],
    )


def _fact_json(fact: Fact | None) -> str | None:
    return None if fact is None else json.dumps(to_jsonable(fact), ensure_ascii=False)


def _fact(text: str | None) -> Fact | None:
    if text is None:
        return None
    data = json.loads(text)
    return Fact(
        actor=data["actor"],
        event=data["event"],
        object=data["object"],
        date=date.fromisoformat(data["date"]) if data["date"] else None,
        numbers=tuple(data["numbers"]),
        sentence=data["sentence"],
    )


def _decision(r: dict[str, Any]) -> Decision:
    return Decision(
        batch=r["batch"],
        suggestion_id=r["suggestion_id"],
        status=SuggestionStatus(r["status"]),
        edited_text=r["edited_text"],
        decided_at=req_db_time(r["decided_at"]),
        undone_at=from_db_time(r["undone_at"]),
    )
