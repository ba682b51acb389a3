"""When each feed started failing and when it came back: the digest's alerts.

One row per change of a feed's health, written by triggers on ``sources``
rather than by the refresh: every path that records a fetch (the bulk
upsert, a single record, a future backend's copy of them) then logs the
change in the same statement, and nothing can record a failure without its
event. Only changes are kept, so the table stays small however often a
broken feed is polled; the digest reads the events of its period and reports
each source once, by how its state at the end differs from its state at the
start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tracker.store.schema import Domain, Migration, req_db_time, to_db_time

HealthEvent = Literal["failing", "recovered"]

MIGRATIONS = [
    Migration(
        "health.0001_source_events",
        (
            """CREATE TABLE source_events (
                id INTEGER PRIMARY KEY,
                url TEXT NOT NULL,
                name TEXT NOT NULL,
                event TEXT NOT NULL,
                at TEXT NOT NULL,
                error TEXT
            )""",
            "CREATE INDEX source_events_at ON source_events (at)",
            # A feed seen for the first time already failing has started failing.
            """CREATE TRIGGER source_events_first_check AFTER INSERT ON sources
               WHEN NEW.kind = 'feed' AND NEW.consecutive_failures > 0
               BEGIN
                   INSERT INTO source_events (url, name, event, at, error)
                   VALUES (NEW.url, NEW.name, 'failing', NEW.last_checked, NEW.last_error);
               END""",
            # Healthy → failing or failing → healthy; a longer streak is no news.
            """CREATE TRIGGER source_events_change AFTER UPDATE OF consecutive_failures ON sources
               WHEN NEW.kind = 'feed'
                    AND (OLD.consecutive_failures = 0) <> (NEW.consecutive_failures = 0)
               BEGIN
                   INSERT INTO source_events (url, name, event, at, error)
                   VALUES (NEW.url, NEW.name,
                           CASE WHEN NEW.consecutive_failures > 0
                                THEN 'failing' ELSE 'recovered' END,
                           NEW.last_checked,
                           CASE WHEN NEW.consecutive_failures > 0 THEN NEW.last_error END);
               END""",
        ),
    )
]


@dataclass(frozen=True)
class SourceEvent:
    url: str
    name: str
    event: HealthEvent
    at: datetime
    error: str | None


class Health(Domain):
    """Table ``source_events`` (filled by triggers on ``sources``)."""

    def source_events(self, *, until: datetime) -> list[SourceEvent]:
        """Every feed's health changes before ``until``, oldest first."""
        rows = self._db.rows(
            "SELECT url, name, event, at, error FROM source_events WHERE at < ? ORDER BY at, id",
            (to_db_time(until),),
        )
        return [
            SourceEvent(r["url"], r["name"], r["event"], req_db_time(r["at"]), r["error"])
            for r in rows
        ]
