"""Bookkeeping of the reports' changelogs: each entry, and what it announced.

A report's ``CHANGELOG.md`` is written by the publish stage; the store keeps
what it needs to know what the next entry has left to say, so that nothing
is learnt by reading the file back:

* ``changelog_entries``: every entry, its text and date, recorded *before*
  it is prepended to the file and marked written (``written_at``) once the
  file holds it. An entry still unmarked may or may not be in the file (the
  run was killed in between); the next publish writes it again, which the
  changelog renderer makes a no-op when it is already on top.
* ``changelog_cited``: the cited-source changes each entry reports, one row
  per URL: the state it reports (gone, redirected and where to) and, when it
  reports a new text, the snapshot holding that text. The latest row of a URL
  is what the report's changelog last said about it.
* ``announced_suggestions``: how the report's suggestions stood in what was
  last published for it, an edition or a changelog entry (pending, or
  merged: accepted). The next changelog entry lists what changed since.

What an entry says, and when a cited change is worth a line, is the
publishing stage's business; here they are text and rows. None of these
tables is a row count of ``tracker status`` (no ``COUNTS``): they grow with
publishing, which the ``editions`` count already shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.store.editions import ShownSuggestions
from tracker.store.schema import Domain, Migration, from_db_time, req_db_time, to_db_time
from tracker.types import CitedStatus


@dataclass(frozen=True)
class ChangelogEntryRecord:
    id: int
    report: str
    entry_date: str  # YYYY-MM-DD
    text: str
    recorded_at: datetime
    written_at: datetime | None  # None: not known to be in the file yet


@dataclass(frozen=True)
class CitedReported:
    """What a changelog entry said about one cited URL.

    ``snapshot_id`` is the snapshot of the new text when the entry reported
    one; ``None`` when it reported only the page's state (gone, redirected).
    """

    url: str
    status: CitedStatus
    final_url: str | None
    snapshot_id: int | None = None


_PENDING, _MERGED = "pending", "merged"

MIGRATIONS = [
    Migration(
        "changelogs.0001_create",
        (
            """CREATE TABLE changelog_entries (
                id INTEGER PRIMARY KEY,
                report TEXT NOT NULL,
                entry_date TEXT NOT NULL,
                text TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                written_at TEXT
            )""",
            "CREATE INDEX changelog_entries_report ON changelog_entries (report, id)",
            """CREATE TABLE changelog_cited (
                entry_id INTEGER NOT NULL REFERENCES changelog_entries (id),
                url TEXT NOT NULL,
                status TEXT NOT NULL,
                final_url TEXT,
                snapshot_id INTEGER REFERENCES snapshots (id),
                PRIMARY KEY (entry_id, url)
            )""",
            """CREATE TABLE announced_suggestions (
                report TEXT NOT NULL,
                suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
                shown_as TEXT NOT NULL CHECK (shown_as IN ('pending', 'merged')),
                PRIMARY KEY (report, suggestion_id)
            )""",
            # Until now the last edition's record was all that was known to be
            # announced, and publishing compared with it: start from exactly that.
            """INSERT INTO announced_suggestions (report, suggestion_id, shown_as)
            SELECT es.report, es.suggestion_id, es.shown_as
            FROM edition_suggestions es JOIN editions e
              ON e.report = es.report AND e.edition_date = es.edition_date
            WHERE NOT EXISTS (
                SELECT 1 FROM editions later
                WHERE later.report = e.report
                  AND (later.edition_date, later.created_at) > (e.edition_date, e.created_at))""",
            # No changelog_cited rows: which cited changes the existing files
            # report was never stored, and is not guessed (see the docs).
        ),
    ),
]


class Changelogs(Domain):
    """Tables ``changelog_entries``, ``changelog_cited`` and ``announced_suggestions``."""

    def record_changelog_entry(
        self,
        report: str,
        entry_date: str,
        text: str,
        at: datetime,
        *,
        cited: Sequence[CitedReported] = (),
        announced: ShownSuggestions | None = None,
    ) -> int:
        """Record an entry about to be written, the cited changes it reports and,
        when given, how the report's suggestions stand once it is published: all
        in one transaction. Return its id; it stays unwritten until
        ``changelog_entry_written``.
        """
        with self._db.write():
            cursor = self._db.run(
                "INSERT INTO changelog_entries (report, entry_date, text, recorded_at) "
                "VALUES (?, ?, ?, ?)",
                (report, entry_date, text, to_db_time(at)),
            )
            entry_id = cursor.lastrowid
            assert entry_id is not None
            self._db.run_many(
                "INSERT INTO changelog_cited (entry_id, url, status, final_url, snapshot_id) "
                "VALUES (?, ?, ?, ?, ?)",
                [(entry_id, c.url, str(c.status), c.final_url, c.snapshot_id) for c in cited],
            )
            if announced is not None:
                self.record_announced(report, announced)
        return entry_id

    def changelog_entry_written(self, entry_id: int, at: datetime) -> None:
        """Mark an entry as being in its file (the first time only)."""
        with self._db.write():
            self._db.run(
                "UPDATE changelog_entries SET written_at = ? WHERE id = ? AND written_at IS NULL",
                (to_db_time(at), entry_id),
            )

    def unwritten_changelog_entries(self, report: str) -> list[ChangelogEntryRecord]:
        """The report's entries not marked written, oldest first."""
        rows = self._db.rows(
            "SELECT * FROM changelog_entries WHERE report = ? AND written_at IS NULL ORDER BY id",
            (report,),
        )
        return [_entry(r) for r in rows]

    def changelog_entries(self, report: str) -> list[ChangelogEntryRecord]:
        """Every entry recorded for ``report``, newest first."""
        rows = self._db.rows(
            "SELECT * FROM changelog_entries WHERE report = ? ORDER BY id DESC", (report,)
        )
        return [_entry(r) for r in rows]

    def reported_cited(self, report: str) -> dict[str, CitedReported]:
        """Per cited URL, what the report's changelog last said about it (entries
        not yet marked written included: they are written before anything newer)."""
        # Each URL's row from the newest entry that mentions it (a subquery rather
        # than SQLite's bare columns beside MAX, which PostgreSQL does not have).
        rows = self._db.rows(
            """SELECT c.url, c.status, c.final_url, c.snapshot_id, c.entry_id
               FROM changelog_cited c JOIN changelog_entries e ON e.id = c.entry_id
               WHERE e.report = ?1 AND c.entry_id = (
                   SELECT MAX(later.entry_id)
                   FROM changelog_cited later JOIN changelog_entries le ON le.id = later.entry_id
                   WHERE le.report = ?1 AND later.url = c.url)""",
            (report,),
        )
        return {
            r["url"]: CitedReported(
                url=r["url"],
                status=CitedStatus(r["status"]),
                final_url=r["final_url"],
                snapshot_id=r["snapshot_id"],
            )
            for r in rows
        }

    def record_announced(self, report: str, shown: ShownSuggestions) -> None:
        """Replace how the report's suggestions stand as last published."""
        with self._db.write():
            self._db.run("DELETE FROM announced_suggestions WHERE report = ?", (report,))
            self._db.run_many(
                "INSERT INTO announced_suggestions (report, suggestion_id, shown_as) "
                "VALUES (?, ?, ?)",
                [
                    (report, suggestion_id, shown_as)
                    for shown_as, ids in ((_PENDING, shown.pending), (_MERGED, shown.merged))
                    for suggestion_id in sorted(ids)
                ],
            )

    def announced_suggestions(self, report: str) -> ShownSuggestions:
        """How the report's suggestions stood in what was last published for it."""
        rows = self._db.rows(
            "SELECT suggestion_id, shown_as FROM announced_suggestions WHERE report = ?",
            (report,),
        )
        return ShownSuggestions(
            pending=frozenset(r["suggestion_id"] for r in rows if r["shown_as"] == _PENDING),
            merged=frozenset(r["suggestion_id"] for r in rows if r["shown_as"] == _MERGED),
        )


def _entry(r: dict[str, Any]) -> ChangelogEntryRecord:
    return ChangelogEntryRecord(
        id=r["id"],
        report=r["report"],
        entry_date=r["entry_date"],
        text=r["text"],
        recorded_at=req_db_time(r["recorded_at"]),
        written_at=from_db_time(r["written_at"]),
    )
