"""The store fixtures of the store's own tests, over both backends.

``db_path`` is where a store lives: a SQLite file's path, or the URL of an
empty PostgreSQL store on tests/postgres.py's throw-away cluster; ``store``
is that store, opened. Both are parametrized over ``sqlite`` and
``postgres``, so every test taking them runs on each backend. Import them
into a test module with
``db_path = store_backends.db_path`` (and so on for each).

The PostgreSQL store is created and migrated once per module and emptied
before each test (milliseconds, where a fresh database and its migrations
take about a second); tests about creating and migrating a database use
``postgres_url`` for a fresh one instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from postgres import PgCluster

from tracker.store import Store, open_store
from tracker.store.postgres import close_pools

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="module")
def pg_store_url(postgres_cluster: PgCluster) -> Iterator[str]:
    """One migrated PostgreSQL store for the module."""
    url = postgres_cluster.create_database()
    open_store(url).close()
    yield url
    close_pools(url)
    postgres_cluster.drop_database(url.rsplit("/", 1)[1].split("?")[0])


def empty_pg_store(url: str) -> None:
    """Delete every row and restart every id, keeping the schema (and its migration record)."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'schema_migrations'"
            )
        ]
        sequences = [
            name
            for (name,) in conn.execute(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' "
                "AND sequencename NOT LIKE 'schema_migrations%'"
            )
        ]
        # DELETE is faster than TRUNCATE on small tables; the replica role skips
        # foreign-key checks (so any order works) and the health triggers.
        conn.execute(
            "SET session_replication_role = replica;"
            + "".join(f"DELETE FROM {table};" for table in tables)
            + "".join(f"ALTER SEQUENCE {sequence} RESTART;" for sequence in sequences)
            + "SET session_replication_role = origin"
        )


@pytest.fixture(params=BACKENDS)
def db_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the store lives: a SQLite file's path or an empty PostgreSQL store's URL."""
    if request.param == "sqlite":
        return tmp_path / "state" / "tracker.db"
    url: str = request.getfixturevalue("pg_store_url")
    empty_pg_store(url)
    return url


@pytest.fixture
def store(db_path: Path | str) -> Iterator[Store]:
    with open_store(db_path) as s:
        yield s
