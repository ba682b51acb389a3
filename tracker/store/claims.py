"""Claims: the report's cited sentences, the passages of their sources that back
them, and every verdict on those passages.

* ``claim_indexes``: per report, the key of the report text the claim index
  was last built from, so an unchanged report is not re-indexed (and a
  refresh with nothing new never parses it).
* ``claims``: every claim a report has held, by id. Rebuilding the index
  for a new text of the report marks the claims it no longer holds gone
  (``gone_at``) instead of deleting them, so their anchors and verdicts stay
  with them, and a sentence that comes back (an edit undone) finds them again.
* ``claim_anchors``: per claim and cited URL, the passage of the page that
  supports it as a quote anchor (the quote, its prefix and suffix, its
  offsets), the snapshot it was anchored in, the support score and where the
  claim stands against that page (a ``ClaimStatus``). An unsupported claim
  keeps its best candidate passage here.
* ``claim_verdicts``: every check of an anchor, oldest first: what it found
  (anchored, unsupported, unchanged, moved, changed, orphaned), the passage
  before and after, and the suggestion it made, if any. An anchor on a page
  the claim no longer cites is dropped, leaving an ``uncited`` verdict here.

A claim's status is read from its anchors: the most serious of them
(orphaned, changed, unsupported, supported), or unchecked while it has
none. What a verdict is, and when one deserves a suggestion, is decided by
``tracker.claims`` and the refresh; here they are rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tracker.store.schema import Domain, Migration, req_db_time, to_db_time
from tracker.types import Claim, ClaimStatus

MIGRATIONS = [
    Migration(
        "claims.0001_create",
        (
            """CREATE TABLE claim_indexes (
                report TEXT PRIMARY KEY,
                source_key TEXT NOT NULL,
                indexed_at TEXT NOT NULL
            )""",
            """CREATE TABLE claims (
                id TEXT PRIMARY KEY,
                report TEXT NOT NULL,
                section TEXT NOT NULL,
                text TEXT NOT NULL,
                kind TEXT NOT NULL,
                refs TEXT NOT NULL,
                numbers TEXT NOT NULL,
                dates TEXT NOT NULL,
                names TEXT NOT NULL,
                position INTEGER NOT NULL,
                first_seen TEXT NOT NULL,
                gone_at TEXT
            )""",
            "CREATE INDEX claims_report ON claims (report, position)",
            """CREATE TABLE claim_anchors (
                claim_id TEXT NOT NULL REFERENCES claims (id),
                url TEXT NOT NULL,
                reference INTEGER NOT NULL,
                exact TEXT NOT NULL,
                prefix TEXT NOT NULL,
                suffix TEXT NOT NULL,
                start_offset INTEGER NOT NULL,
                end_offset INTEGER NOT NULL,
                snapshot_id INTEGER REFERENCES snapshots (id),
                score REAL NOT NULL,
                status TEXT NOT NULL,
                checked_at TEXT NOT NULL,
                PRIMARY KEY (claim_id, url)
            )""",
            "CREATE INDEX claim_anchors_url ON claim_anchors (url)",
            """CREATE TABLE claim_verdicts (
                id INTEGER PRIMARY KEY,
                claim_id TEXT NOT NULL REFERENCES claims (id),
                url TEXT NOT NULL,
                snapshot_id INTEGER REFERENCES snapshots (id),
                verdict TEXT NOT NULL,
                status TEXT NOT NULL,
                score REAL NOT NULL,
                before_text TEXT,
                after_text TEXT,
                suggestion_id INTEGER REFERENCES suggestions (id),
                checked_at TEXT NOT NULL
            )""",
            "CREATE INDEX claim_verdicts_claim ON claim_verdicts (claim_id, url, id)",
        ),
    )
]

COUNTS = {
    "claims": "SELECT COUNT(*) FROM claims WHERE gone_at IS NULL",
    "claim_anchors": "SELECT COUNT(*) FROM claim_anchors",
}

# The most serious standing wins when a claim cites several pages.
_SEVERITY = (
    ClaimStatus.ORPHANED,
    ClaimStatus.CHANGED,
    ClaimStatus.UNSUPPORTED,
    ClaimStatus.SUPPORTED,
)


@dataclass(frozen=True)
class ClaimAnchor:
    """Where a claim stands against one page it cites: the passage backing it, anchored.

    ``exact``/``prefix``/``suffix``/``start``/``end`` are a quote anchor in the
    text of snapshot ``snapshot_id``; for an unsupported claim they hold the
    best candidate passage (empty when the page had none).
    """

    claim_id: str
    url: str
    reference: int
    exact: str
    prefix: str
    suffix: str
    start: int
    end: int
    snapshot_id: int | None
    score: float
    status: ClaimStatus
    checked_at: datetime


@dataclass(frozen=True)
class ClaimVerdict:
    """One check of a claim against one page it cites."""

    claim_id: str
    url: str
    snapshot_id: int | None
    verdict: str  # anchored, unsupported, unchanged, moved, changed, orphaned, uncited
    status: ClaimStatus
    score: float
    before: str | None
    after: str | None
    checked_at: datetime
    suggestion_id: int | None = None
    id: int | None = None


class Claims(Domain):
    """Tables ``claim_indexes``, ``claims``, ``claim_anchors`` and ``claim_verdicts``."""

    def claim_index_key(self, report: str) -> str | None:
        """The key of the report text the report's claims were last indexed from."""
        row = self._db.one("SELECT source_key FROM claim_indexes WHERE report = ?", (report,))
        return None if row is None else str(row["source_key"])

    def sync_claims(
        self, report: str, claims: Sequence[Claim], *, key: str, at: datetime
    ) -> list[str]:
        """Make ``claims`` the report's current claim index, built from the text ``key`` names.

        Claims not in it are marked gone (kept, with their anchors); a claim
        that was gone and is back is current again. Returns the ids of the
        claims that were not current before, in the order given.
        """
        with self._db.write():
            current = {
                r["id"]
                for r in self._db.rows(
                    "SELECT id FROM claims WHERE report = ? AND gone_at IS NULL", (report,)
                )
            }
            for position, claim in enumerate(claims):
                self._db.run(
                    """INSERT INTO claims (id, report, section, text, kind, refs, numbers, dates,
                           names, position, first_seen, gone_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
                       ON CONFLICT (id) DO UPDATE SET section = excluded.section,
                           text = excluded.text, kind = excluded.kind, refs = excluded.refs,
                           numbers = excluded.numbers, dates = excluded.dates,
                           names = excluded.names, position = excluded.position, gone_at = NULL""",
                    (
                        claim.id, report, claim.section, claim.text, claim.kind,
                        _list(claim.references), _list(claim.numbers), _list(claim.dates),
                        _list(claim.names), position, to_db_time(at),
                    ),
                )  # fmt: skip
            kept = {claim.id for claim in claims}
            self._db.run_many(
                "UPDATE claims SET gone_at = ? WHERE id = ?",
                [(to_db_time(at), claim_id) for claim_id in sorted(current - kept)],
            )
            self._db.run(
                """INSERT INTO claim_indexes (report, source_key, indexed_at) VALUES (?, ?, ?)
                   ON CONFLICT (report) DO UPDATE SET source_key = excluded.source_key,
                       indexed_at = excluded.indexed_at""",
                (report, key, to_db_time(at)),
            )
        return [claim.id for claim in claims if claim.id not in current]

    def claims(
        self,
        *,
        report: str | None = None,
        status: ClaimStatus | None = None,
        include_gone: bool = False,
    ) -> list[Claim]:
        """Claims in report order (gone ones after), each with the status its anchors give it."""
        where = ["1 = 1"]
        params: list[object] = []
        if report is not None:
            where.append("c.report = ?")
            params.append(report)
        if not include_gone:
            where.append("c.gone_at IS NULL")
        condition = " AND ".join(where)
        rows = self._db.rows(
            f"SELECT c.* FROM claims c WHERE {condition} ORDER BY c.report, "
            "CASE WHEN c.gone_at IS NULL THEN 0 ELSE 1 END, c.position, c.id",
            params,
        )
        statuses: dict[str, list[ClaimStatus]] = {}
        for r in self._db.rows(
            f"""SELECT a.claim_id, a.status FROM claim_anchors a
                JOIN claims c ON c.id = a.claim_id WHERE {condition}""",
            params,
        ):
            statuses.setdefault(r["claim_id"], []).append(ClaimStatus(r["status"]))
        found = [replace(_claim(r), status=_standing(statuses.get(r["id"], []))) for r in rows]
        return found if status is None else [c for c in found if c.status is status]

    def claim(self, claim_id: str) -> Claim | None:
        row = self._db.one("SELECT * FROM claims WHERE id = ?", (claim_id,))
        if row is None:
            return None
        statuses = [
            ClaimStatus(r["status"])
            for r in self._db.rows(
                "SELECT status FROM claim_anchors WHERE claim_id = ?", (claim_id,)
            )
        ]
        return replace(_claim(row), status=_standing(statuses))

    def claim_anchors(
        self, *, url: str | None = None, claim_id: str | None = None, current: bool = True
    ) -> list[ClaimAnchor]:
        """Anchors on ``url`` and/or of ``claim_id``; ``current``: of claims the report
        still holds only."""
        where = ["1 = 1"]
        params: list[object] = []
        if url is not None:
            where.append("a.url = ?")
            params.append(url)
        if claim_id is not None:
            where.append("a.claim_id = ?")
            params.append(claim_id)
        if current:
            where.append("c.gone_at IS NULL")
        rows = self._db.rows(
            f"""SELECT a.* FROM claim_anchors a JOIN claims c ON c.id = a.claim_id
                WHERE {" AND ".join(where)} ORDER BY c.report, c.position, a.url""",
            params,
        )
        return [_anchor(r) for r in rows]

    def put_claim_anchor(self, anchor: ClaimAnchor) -> None:
        """Store where a claim stands against one page, replacing what was there."""
        with self._db.write():
            self._db.run(
                """INSERT INTO claim_anchors (claim_id, url, reference, exact, prefix, suffix,
                       start_offset, end_offset, snapshot_id, score, status, checked_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (claim_id, url) DO UPDATE SET reference = excluded.reference,
                       exact = excluded.exact, prefix = excluded.prefix,
                       suffix = excluded.suffix, start_offset = excluded.start_offset,
                       end_offset = excluded.end_offset, snapshot_id = excluded.snapshot_id,
                       score = excluded.score, status = excluded.status,
                       checked_at = excluded.checked_at""",
                (
                    anchor.claim_id, anchor.url, anchor.reference, anchor.exact, anchor.prefix,
                    anchor.suffix, anchor.start, anchor.end, anchor.snapshot_id,
                    float(anchor.score), str(anchor.status), to_db_time(anchor.checked_at),
                ),
            )  # fmt: skip

    def forget_claim_anchor(self, claim_id: str, url: str) -> None:
        """Drop where a claim stood against a page it no longer cites (its verdicts stay)."""
        with self._db.write():
            self._db.run(
                "DELETE FROM claim_anchors WHERE claim_id = ? AND url = ?", (claim_id, url)
            )

    def record_claim_verdict(self, verdict: ClaimVerdict) -> int:
        """Log one check of a claim against a page; return its id."""
        with self._db.write():
            cursor = self._db.run(
                """INSERT INTO claim_verdicts (claim_id, url, snapshot_id, verdict, status, score,
                       before_text, after_text, suggestion_id, checked_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    verdict.claim_id, verdict.url, verdict.snapshot_id, verdict.verdict,
                    str(verdict.status), float(verdict.score), verdict.before, verdict.after,
                    verdict.suggestion_id, to_db_time(verdict.checked_at),
                ),
            )  # fmt: skip
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def claim_verdicts(self, claim_id: str, url: str | None = None) -> list[ClaimVerdict]:
        """Every check of a claim (against ``url`` only, when given), oldest first."""
        sql = "SELECT * FROM claim_verdicts WHERE claim_id = ?"
        params: list[object] = [claim_id]
        if url is not None:
            sql += " AND url = ?"
            params.append(url)
        return [_verdict(r) for r in self._db.rows(sql + " ORDER BY id", params)]

    def claim_suggested(self, claim_id: str, url: str, verdict: str) -> bool:
        """Whether a check of ``verdict`` on this claim and page ever made a suggestion."""
        row = self._db.one(
            """SELECT 1 AS found FROM claim_verdicts
               WHERE claim_id = ? AND url = ? AND verdict = ? AND suggestion_id IS NOT NULL""",
            (claim_id, url, verdict),
        )
        return row is not None


def _standing(statuses: Sequence[ClaimStatus]) -> ClaimStatus:
    return next((s for s in _SEVERITY if s in statuses), ClaimStatus.UNCHECKED)


def _list(values: Sequence[object]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def _claim(r: dict[str, Any]) -> Claim:
    return Claim(
        id=r["id"],
        report=r["report"],
        section=r["section"],
        text=r["text"],
        references=tuple(int(n) for n in json.loads(r["refs"])),
        kind=r["kind"],
        numbers=tuple(json.loads(r["numbers"])),
        dates=tuple(json.loads(r["dates"])),
        names=tuple(json.loads(r["names"])),
    )


def _anchor(r: dict[str, Any]) -> ClaimAnchor:
    return ClaimAnchor(
        claim_id=r["claim_id"],
        url=r["url"],
        reference=int(r["reference"]),
        exact=r["exact"],
        prefix=r["prefix"],
        suffix=r["suffix"],
        start=int(r["start_offset"]),
        end=int(r["end_offset"]),
        snapshot_id=r["snapshot_id"],
        score=float(r["score"]),
        status=ClaimStatus(r["status"]),
        checked_at=req_db_time(r["checked_at"]),
    )


def _verdict(r: dict[str, Any]) -> ClaimVerdict:
    return ClaimVerdict(
        id=r["id"],
        claim_id=r["claim_id"],
        url=r["url"],
        snapshot_id=r["snapshot_id"],
        verdict=r["verdict"],
        status=ClaimStatus(r["status"]),
        score=float(r["score"]),
        before=r["before_text"],
        after=r["after_text"],
        suggestion_id=r["suggestion_id"],
        checked_at=req_db_time(r["checked_at"]),
    )
