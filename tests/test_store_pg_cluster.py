"""The throw-away PostgreSQL cluster of tests/postgres.py: each test gets its own empty database."""

from __future__ import annotations

import psycopg
from postgres import PgCluster


def test_each_test_gets_a_fresh_database_on_the_socket(
    postgres_cluster: PgCluster, postgres_url: str
) -> None:
    other = postgres_cluster.create_database()
    try:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (x TEXT)")
            conn.execute("INSERT INTO t VALUES ('b'), ('B'), ('é'), ('a')")
            # C collation: text sorts by code point, as SQLite's does.
            assert [r[0] for r in conn.execute("SELECT x FROM t ORDER BY x")] == [
                "B",
                "a",
                "b",
                "é",
            ]
            assert conn.info.host == str(postgres_cluster.socket_dir)
        with psycopg.connect(other) as conn:
            assert conn.execute("SELECT to_regclass('t')").fetchone() == (None,)
    finally:
        postgres_cluster.drop_database(other.rsplit("/", 1)[1].split("?")[0])
