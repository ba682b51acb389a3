"""The store remembers which dated statements a sent digest listed, per report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import store_backends

from tracker.store import open_store

# The store fixtures, over SQLite and PostgreSQL (tests/store_backends.py).
db_path = store_backends.db_path
pg_store_url = store_backends.pg_store_url

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def test_listed_statements_are_remembered_per_report_and_survive_reopening(
    db_path: Path | str,
) -> None:
    path = db_path
    with open_store(path) as store:
        assert store.rechecks_listed("r") == frozenset()
        store.record_rechecks("r", ["截至2025年12月30日的排名：", "目前最强的模型是X。"], at=T0)
        store.record_rechecks("r", ["目前最强的模型是X。"], at=T0)  # again: no error, no duplicate
    with open_store(path) as store:
        assert store.rechecks_listed("r") == {"截至2025年12月30日的排名：", "目前最强的模型是X。"}
        assert store.rechecks_listed("other") == frozenset()
