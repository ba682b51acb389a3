"""The PostgreSQL store's own contracts: its schema mirrors SQLite's, it migrates once,
refuses a newer database, names its URL without the password, and lets one writer in
at a time. Every domain method runs on it through tests/test_store*.py."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import store_backends
from postgres import PgCluster

from tracker.errors import StoreError
from tracker.store import MIGRATIONS, open_store, postgres_schema
from tracker.store.location import redact_url
from tracker.store.postgres import close_pools
from tracker.store.postgres_sql import ROWID, Untranslatable
from tracker.store.schema import Migration
from tracker.types import Suggestion, SuggestionKind, SuggestionStatus

db_path = store_backends.db_path
pg_store_url = store_backends.pg_store_url

T0 = datetime(2026, 2, 11, 8, 0, tzinfo=UTC)
# SQLite's declared types (by affinity) and the PostgreSQL types they must become.
AFFINITY = {"INTEGER": "bigint", "TEXT": "text", "REAL": "double precision", "BLOB": "bytea"}


def sqlite_layout(path: Path) -> dict[str, dict[str, str]]:
    """{table: {column: declared type}} of a SQLite store, its migration record left out."""
    with closing(sqlite3.connect(path)) as conn:
        names = [
            n
            for (n,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            table: {row[1]: row[2].upper() for row in conn.execute(f"PRAGMA table_info({table})")}
            for table in names
            if table != "schema_migrations"
        }


def pg_layout(url: str) -> dict[str, dict[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name <> 'schema_migrations'"
        ).fetchall()
    layout: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        layout.setdefault(table, {})[column] = data_type
    return layout


def names_of(url: str, kind: str) -> set[str]:
    query = {
        "index": "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'",
        "trigger": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
    }[kind]
    with psycopg.connect(url) as conn:
        return {name for (name,) in conn.execute(query)}


def test_every_sqlite_table_column_index_and_trigger_has_its_postgres_counterpart(
    tmp_path: Path, postgres_url: str
) -> None:
    """A migration added for SQLite only cannot go unnoticed: this compares both stores."""
    sqlite_path = tmp_path / "tracker.db"
    open_store(sqlite_path).close()
    open_store(postgres_url).close()
    close_pools(postgres_url)
    sqlite_tables = sqlite_layout(sqlite_path)
    pg_tables = pg_layout(postgres_url)
    assert set(pg_tables) == set(sqlite_tables)
    for table, columns in sqlite_tables.items():
        # PostgreSQL has no implicit rowid: a table without an integer key gains one.
        extra = set(pg_tables[table]) - set(columns)
        assert extra <= {ROWID}, table
        for column, declared in columns.items():
            assert pg_tables[table][column] == AFFINITY[declared], (table, column)
    with closing(sqlite3.connect(sqlite_path)) as conn:
        sqlite_indexes = {
            n
            for (n,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
        sqlite_triggers = {
            n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
    assert sqlite_indexes <= names_of(postgres_url, "index")
    assert sqlite_triggers == names_of(postgres_url, "trigger")
    with open_store(postgres_url) as store:
        assert [name for name, _ in store.migrations()] == [m.name for m in MIGRATIONS]
    close_pools(postgres_url)


def test_a_migration_that_cannot_be_translated_is_named() -> None:
    trigger = Migration(
        "future.0001_trigger",
        (
            "CREATE TABLE future (id INTEGER PRIMARY KEY, at TEXT)",
            "CREATE TRIGGER future_stamp AFTER INSERT ON future BEGIN SELECT 1; END",
        ),
    )
    with pytest.raises(Untranslatable, match=r"future\.0001_trigger\[1\]"):
        postgres_schema.pg_schema((*MIGRATIONS, trigger))


def test_a_database_is_migrated_once_by_concurrent_openers(postgres_url: str) -> None:
    script = textwrap.dedent(
        f"""
        from tracker.store import open_store
        open_store({postgres_url!r}).close()
        """
    )
    openers = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(3)]
    assert [p.wait(timeout=120) for p in openers] == [0, 0, 0]
    with psycopg.connect(postgres_url) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM schema_migrations ORDER BY position")]
    assert names == [m.name for m in MIGRATIONS]


def test_a_database_written_by_a_newer_tracker_is_refused_untouched(
    postgres_url: str,
) -> None:
    open_store(postgres_url).close()
    close_pools(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES ('zz.0001_future', 'x')"
        )
        conn.execute("INSERT INTO runs (started_at, outcome, trigger) VALUES ('t', 'ok', 'cli')")
    # A fresh process: the one above has seen this database current.
    script = f"from tracker.store import open_store\nopen_store({postgres_url!r})"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode != 0
    assert "written by a newer version of tracker" in done.stderr
    assert "zz.0001_future" in done.stderr
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone() == (1,)


def test_errors_name_the_url_without_its_password(postgres_cluster: PgCluster) -> None:
    url = postgres_cluster.url("no_such_database").replace("tracker@", "tracker:s3cret@")
    with pytest.raises(StoreError) as info:
        open_store(url)
    message = str(info.value)
    assert "s3cret" not in message
    assert message.startswith(redact_url(url))
    assert "no_such_database" in message
    assert redact_url("postgresql://u:pw@h:5/d?password=pw&sslmode=require") == (
        "postgresql://u@h:5/d?sslmode=require"
    )


def test_a_malformed_url_is_named_without_its_password() -> None:
    # libpq quotes a URI it cannot parse whole in its message, password included.
    for url in ("postgresql://tracker:s3cret@[::1/db", "postgresql://tracker:s3cret@h/db?x=1"):
        with pytest.raises(StoreError) as info:
            open_store(url)
        message = str(info.value)
        assert "s3cret" not in message, message
        assert message.startswith(redact_url(url))


def test_a_connection_lost_mid_run_is_a_store_error_naming_the_url(postgres_url: str) -> None:
    url = postgres_url + "&password=s3cret"  # the server trusts the socket; libpq ignores it
    with open_store(url) as store:
        store.add_suggestion(_suggestion(1))
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        for attempt in (store.counts, lambda: store.add_suggestion(_suggestion(2))):
            with pytest.raises(StoreError) as info:
                attempt()
            message = str(info.value)
            assert message.startswith(redact_url(url)) and "s3cret" not in message
    # Nothing written before the loss is lost; the next store opened gets a live
    # connection from the pool (a daemon opens one per request).
    with open_store(url) as store:
        assert [s.title for s in store.suggestions()] == ["t1"]
    close_pools(url)


def _suggestion(n: int) -> Suggestion:
    return Suggestion(
        report="r", section="1", section_title="One", kind=SuggestionKind.ADDITION, score=0.5,
        title=f"t{n}", url=f"https://news.example/{n}", published=None, source="s",
        excerpt="e", proposed_text="p", created_at=T0, reference="[1]", features={},
    )  # fmt: skip


def test_concurrent_writers_take_turns_as_on_sqlite(db_path: Path | str) -> None:
    """Deciding reads the next batch number then writes it: two writers must not share one."""
    with open_store(db_path) as store:
        ids = [store.add_suggestion(_suggestion(n)) for n in range(40)]
    errors: list[BaseException] = []

    def decide(mine: list[int]) -> None:
        try:
            with open_store(db_path) as store:
                for sid in mine:
                    store.set_suggestion_status([sid], SuggestionStatus.ACCEPTED, T0)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=decide, args=(ids[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(db_path) as store:
        batches = [d.batch for d in store.decisions(limit=100)]
    assert sorted(batches) == list(range(1, 41))
