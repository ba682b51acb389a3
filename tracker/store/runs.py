"""Refresh runs: when each started and ended, how, and what it counted.

A run row is written when a refresh starts, so a refresh that dies leaves an
unfinished row behind; ``interrupt_stale_runs`` closes those. It must only be
called by the process holding the refresh lock, since it cannot tell a dead
run from one still going in another process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from tracker.errors import StoreError
from tracker.store.schema import Domain, Migration, from_db_time, req_db_time, to_db_time
from tracker.types import RunSummary

RUNNING = "running"
INTERRUPTED = "interrupted"
# The trigger of a round of the shared task queue (tracker/tasks/rounds.py): its jobs
# finish it, on any machine, so a refresh lock holder never takes it for dead.
QUEUE_ROUND = "round"


@dataclass(frozen=True)
class RunRecord:
    id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str  # "running" until finished: "ok", "failed", "interrupted"
    trigger: str
    pid: int | None
    counts: Mapping[str, int] = field(default_factory=dict)
    failures: tuple[Mapping[str, str], ...] = ()  # each: source, url, reason
    warnings: tuple[Mapping[str, str], ...] = ()
    requests: Mapping[str, int] = field(default_factory=dict)
    editions: tuple[str, ...] = ()
    durations: Mapping[str, float] = field(default_factory=dict)  # seconds per stage


MIGRATIONS = [
    Migration(
        "runs.0001_create",
        (
            # The JSON columns start as the empty value of their type.
            """CREATE TABLE runs (
                id INTEGER PRIMARY KEY,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                outcome TEXT NOT NULL,
                trigger TEXT NOT NULL,
                pid INTEGER,
                counts TEXT NOT NULL DEFAULT '{}',
                failures TEXT NOT NULL DEFAULT '[]',
                warnings TEXT NOT NULL DEFAULT '[]',
                requests TEXT NOT NULL DEFAULT '{}',
                editions TEXT NOT NULL DEFAULT '[]'
            )""",
        ),
    ),
    Migration(
        "runs.0002_durations",
        ("ALTER TABLE runs ADD COLUMN durations TEXT NOT NULL DEFAULT '{}'",),
    ),
]

_COUNTED = (
    "sources_ok",
    "sources_failed",
    "new_entries",
    "new_articles",
    "cited_changed",
    "cited_gone",
    "new_suggestions",
)


COUNTS = {
    "runs": "SELECT COUNT(*) FROM runs",
}


class Runs(Domain):
    """Table ``runs``."""

    def start_run(self, at: datetime, *, trigger: str = "cli", pid: int | None = None) -> int:
        with self._db.write():
            cursor = self._db.run(
                "INSERT INTO runs (started_at, outcome, trigger, pid) VALUES (?, ?, ?, ?)",
                (to_db_time(at), RUNNING, trigger, pid),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_run(self, run_id: int, summary: RunSummary) -> None:
        """Store the run's outcome, counts, failures and warnings (as JSON).

        ``summary.finished_at`` is required: a run without an end time would
        later be taken for a crashed one.
        """
        if summary.finished_at is None:
            raise ValueError("finish_run needs a summary with finished_at set")
        counts = {name: int(getattr(summary, name)) for name in _COUNTED}
        with self._db.write():
            changed = self._db.run(
                "UPDATE runs SET finished_at = ?, outcome = ?, counts = ?, failures = ?, "
                "warnings = ?, requests = ?, editions = ?, durations = ? WHERE id = ?",
                (
                    to_db_time(summary.finished_at),
                    summary.outcome,
                    json.dumps(counts),
                    json.dumps([asdict(f) for f in summary.failures], ensure_ascii=False),
                    json.dumps([asdict(w) for w in summary.warnings], ensure_ascii=False),
                    json.dumps(dict(summary.requests)),
                    json.dumps(list(summary.editions), ensure_ascii=False),
                    json.dumps({k: float(v) for k, v in summary.durations.items()}),
                    run_id,
                ),
            ).rowcount
            if not changed:
                raise StoreError(f"{self._db.path}: no run with id {run_id}")

    def interrupt_stale_runs(self, at: datetime) -> int:
        """Mark every unfinished run interrupted (finished at ``at``); return how many.

        Call only while holding the refresh lock: a run still going in another
        process looks just like a dead one. Rounds of the task queue are left
        alone: that lock does not cover them, and their own jobs finish them.
        """
        with self._db.write():
            return self._db.run(
                "UPDATE runs SET outcome = ?, finished_at = ? "
                "WHERE finished_at IS NULL AND trigger <> ?",
                (INTERRUPTED, to_db_time(at), QUEUE_ROUND),
            ).rowcount

    # -- runs recorded piece by piece (a queue round: its jobs on many workers) ----

    def add_to_run(
        self,
        run_id: int,
        *,
        counts: Mapping[str, int] | None = None,
        requests: Mapping[str, int] | None = None,
        editions: Sequence[str] = (),
        durations: Mapping[str, float] | None = None,
    ) -> bool:
        """Add one piece of work to an unfinished run: counts, requests and durations
        summed, editions appended. False (nothing written) when the run is finished.

        Read and written in one write transaction, which both backends serialise,
        so pieces finishing at once on several workers all count."""
        with self._db.write():
            row = self._db.one(
                "SELECT counts, requests, editions, durations FROM runs "
                "WHERE id = ? AND finished_at IS NULL",
                (run_id,),
            )
            if row is None:
                return False
            self._db.run(
                "UPDATE runs SET counts = ?, requests = ?, editions = ?, durations = ? "
                "WHERE id = ?",
                (
                    json.dumps(_summed(json.loads(row["counts"]), counts or {}, int)),
                    json.dumps(_summed(json.loads(row["requests"]), requests or {}, int)),
                    json.dumps([*json.loads(row["editions"]), *editions], ensure_ascii=False),
                    json.dumps(_summed(json.loads(row["durations"]), durations or {}, float)),
                    run_id,
                ),
            )
        return True

    def close_run(self, run_id: int, at: datetime, outcome: str) -> bool:
        """Finish a run with what was added to it; False when it was already finished
        (two workers may both find a round's last job done)."""
        with self._db.write():
            return bool(
                self._db.run(
                    "UPDATE runs SET finished_at = ?, outcome = ? "
                    "WHERE id = ? AND finished_at IS NULL",
                    (to_db_time(at), outcome, run_id),
                ).rowcount
            )

    def unfinished_runs(self, trigger: str) -> list[RunRecord]:
        """The runs of ``trigger`` still marked running, oldest first."""
        return [
            _run(r)
            for r in self._db.rows(
                "SELECT * FROM runs WHERE finished_at IS NULL AND trigger = ? ORDER BY id",
                (trigger,),
            )
        ]

    def runs(self, limit: int = 10) -> list[RunRecord]:
        return [
            _run(r) for r in self._db.rows("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        ]

    def run(self, run_id: int) -> RunRecord | None:
        row = self._db.one("SELECT * FROM runs WHERE id = ?", (run_id,))
        return None if row is None else _run(row)


def _summed(
    total: dict[str, Any], more: Mapping[str, Any], kind: type[int] | type[float]
) -> dict[str, Any]:
    merged = dict(total)
    for name, value in more.items():
        merged[name] = kind(merged.get(name, 0)) + kind(value)
    return merged


def _run(r: dict[str, Any]) -> RunRecord:
    return RunRecord(
        id=r["id"],
        started_at=req_db_time(r["started_at"]),
        finished_at=from_db_time(r["finished_at"]),
        outcome=r["outcome"],
        trigger=r["trigger"],
        pid=r["pid"],
        counts=json.loads(r["counts"]),
        failures=tuple(json.loads(r["failures"])),
        warnings=tuple(json.loads(r["warnings"])),
        requests=json.loads(r["requests"]),
        editions=tuple(json.loads(r["editions"])),
        durations=json.loads(r["durations"]),
    )
