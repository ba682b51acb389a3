"""A cache of parsed reports, keyed by a hash of the report's source.

Parsing a report needs the Markdown parser, whose import alone costs more
than the rest of a refresh in which nothing changed; a report that did not
change since the last refresh is read back from here instead. The key is the
caller's (source text, path, language and parser version, hashed): a changed
report or parser gives a different key, so entries are never stale, and one
row per report is kept.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tracker.jsonout import to_jsonable
from tracker.store.schema import Domain, Migration, to_db_time
from tracker.types import Reference, Report, Section

MIGRATIONS = [
    Migration(
        "parses.0001_create",
        (
            """CREATE TABLE report_parses (
                report TEXT PRIMARY KEY,
                source_key TEXT NOT NULL,
                parsed TEXT NOT NULL,
                created_at TEXT NOT NULL
            )""",
        ),
    )
]


class Parses(Domain):
    """Table ``report_parses``."""

    def parsed_report(self, report_id: str, source_key: str) -> Report | None:
        """The report parsed from the source ``source_key`` names, if it was cached."""
        found = self._db.scalar(
            "SELECT parsed FROM report_parses WHERE report = ? AND source_key = ?",
            (report_id, source_key),
        )
        return None if found is None else _report(json.loads(found))

    def put_parsed_report(self, report: Report, source_key: str, at: datetime) -> None:
        with self._db.write():
            self._db.run(
                "INSERT OR REPLACE INTO report_parses (report, source_key, parsed, created_at) "
                "VALUES (?, ?, ?, ?)",
                (
                    report.id,
                    source_key,
                    json.dumps(to_jsonable(report), ensure_ascii=False),
                    to_db_time(at),
                ),
            )


def _report(data: dict[str, Any]) -> Report:
    return Report(
        id=data["id"],
        path=data["path"],
        language=data["language"],
        title=data["title"],
        markdown=data["markdown"],
        sections=tuple(
            Section(**{**s, "citations": tuple(s["citations"])}) for s in data["sections"]
        ),
        references=tuple(Reference(**r) for r in data["references"]),
        references_start_line=data["references_start_line"],
    )
