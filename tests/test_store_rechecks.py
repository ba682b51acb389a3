"""The store remembers which dated statements a sent digest listed, per report."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import store_backends

from tracker.store import open_store
from tracker.store.rechecks import statement_key

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


def test_a_statement_longer_than_an_index_entry_is_remembered(db_path: Path | str) -> None:
    # PostgreSQL indexes at most ~2.7 kB per entry; a long table row of distinct
    # characters (no compression to help) passes that.
    rnd = random.Random(7)
    long = "目前" + "".join(chr(rnd.randint(0x4E00, 0x9FA5)) for _ in range(1500))
    other = long[:-1] + "。"  # the same head: still another statement
    with open_store(db_path) as store:
        store.record_rechecks("r", [long], at=T0)
        listed = store.rechecks_listed("r")
    assert statement_key(long) in listed and statement_key(other) not in listed
    assert all(len(key.encode()) < 2000 for key in listed)
