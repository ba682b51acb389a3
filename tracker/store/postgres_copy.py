"""Copy a SQLite store into a PostgreSQL one, then prove nothing was lost.

``copy_store`` is ``tracker migrate-store``: every table of the SQLite file
(its migration record aside: the target keeps its own) goes into the
PostgreSQL database's table of the same name, parents before children (the
foreign keys say which), rows in id order with their ids kept: an integer
primary key as itself, SQLite's implicit rowid into the ``rowid`` column the
translated schema gives such tables (some queries order by it). Then every
id sequence is moved past the largest id copied, so new rows do not collide.
It all happens in one transaction: a failure leaves the target as it was.

The triggers on ``sources`` are off during the copy: the health events they
would log are in ``source_events`` already, copied like any row.

Afterwards both sides are read again, independently: per table, the row
count and a SHA-256 over its rows in id order, every value written with its
kind (null, integer, real, text, bytes) so that ``1`` and ``'1'`` differ.
``TableCheck.ok`` is their agreement.

A target holding any row is refused unless ``replace`` is set; the rows it
held are then deleted in the same transaction as the copy. The source is
opened as any command would open it: a file a few migrations behind is
brought up to date first, and one written by a newer tracker is refused.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tracker.errors import StoreError
from tracker.store import MIGRATIONS, postgres, postgres_schema, schema
from tracker.store.postgres_sql import ROWID, TableInfo

_BATCH = 2000


@dataclass(frozen=True)
class TableCheck:
    """One table after the copy: its rows and content hash on each side."""

    table: str
    source_rows: int
    target_rows: int
    source_hash: str
    target_hash: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_hash == self.target_hash


def copy_store(
    source: Path, target_url: str, *, replace: bool = False, now: datetime
) -> list[TableCheck]:
    """Copy the SQLite store at ``source`` into ``target_url``; return the per-table checks.

    Raises ``StoreError`` when the source is missing or not a store, a table
    has no counterpart, or the target holds rows and ``replace`` is not set.
    """
    if not source.is_file():
        raise StoreError(f"{source}: no such store file")
    sqlite_db = schema.Db(source)
    try:
        schema.migrate(sqlite_db, MIGRATIONS, now)
        pg = postgres_schema.pg_schema(MIGRATIONS)
        pg_db = postgres.PgDb(target_url, pg.tables)
        try:
            postgres_schema.migrate(pg_db, pg, now)
            # One read transaction: the copy and its check see the same snapshot
            # of the file, even if a daemon writes to it meanwhile.
            sqlite_db.conn.execute("BEGIN")
            tables = _tables_in_order(sqlite_db.conn, pg.tables)
            _copy(sqlite_db.conn, pg_db, tables, replace=replace)
            checks = [_check(table, sqlite_db.conn, pg_db) for table in tables]
            sqlite_db.conn.execute("COMMIT")
            return checks
        except sqlite3.Error as exc:
            raise sqlite_db.error(exc, "cannot read") from exc
        finally:
            pg_db.close()
    finally:
        sqlite_db.close()


def _check(table: TableInfo, conn: sqlite3.Connection, pg_db: postgres.PgDb) -> TableCheck:
    source_rows, source_hash = _count_and_hash(conn.execute(_select(table, sqlite=True)))
    target_rows, target_hash = _count_and_hash(_pg_rows(pg_db, _select(table, sqlite=False)))
    return TableCheck(table.name, source_rows, target_rows, source_hash, target_hash)


def _tables_in_order(
    conn: sqlite3.Connection, pg_tables: Mapping[str, TableInfo]
) -> list[TableInfo]:
    """The source's tables, each after the tables its foreign keys point to."""
    names = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name <> ? ORDER BY name",
            (schema.MIGRATIONS_TABLE,),
        )
    ]
    for name in names:
        info = pg_tables.get(name)
        columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')]
        if info is None or set(columns) - set(info.columns):
            raise StoreError(f"table {name} has no PostgreSQL counterpart with all its columns")
    parents = {
        name: {row[2] for row in conn.execute(f'PRAGMA foreign_key_list("{name}")')} - {name}
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= set(ordered)]
        if not ready:
            raise StoreError(f"foreign keys form a cycle among {sorted(set(names) - set(ordered))}")
        ordered += ready
    return [pg_tables[name] for name in ordered]


def _select(table: TableInfo, *, sqlite: bool) -> str:
    # Every table has an integer identity on PostgreSQL; on SQLite it is the
    # rowid itself (named, or implicit and selected as such).
    columns = ", ".join(table.columns)
    order = table.identity or ROWID
    if sqlite and table.identity == ROWID:
        columns = ", ".join(c if c != ROWID else f"rowid AS {ROWID}" for c in table.columns)
    return f"SELECT {columns} FROM {table.name} ORDER BY {order}"


def _copy(
    conn: sqlite3.Connection, pg_db: postgres.PgDb, tables: Sequence[TableInfo], *, replace: bool
) -> None:
    with pg_db.write():
        held = [t.name for t in tables if pg_db.execute_raw(f"SELECT 1 FROM {t.name} LIMIT 1")]
        if held and not replace:
            raise StoreError(
                f"{pg_db.path}: the target already holds rows (in {', '.join(held)}); "
                "use --replace to delete them and copy"
            )
        for table in reversed(tables):  # children first
            pg_db.execute_raw(f"DELETE FROM {table.name}")
        pg_db.execute_raw("ALTER TABLE sources DISABLE TRIGGER USER")
        for table in tables:
            columns = ", ".join(table.columns)
            try:
                with pg_db.conn.cursor().copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                    for row in conn.execute(_select(table, sqlite=True)):
                        copy.write_row(row)
            except sqlite3.Error:
                raise
            except Exception as exc:  # the driver's, for a row PostgreSQL refuses
                raise StoreError(f"{pg_db.path}: cannot copy table {table.name}: {exc}") from exc
            if table.identity is not None:
                pg_db.execute_raw(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{table.identity}'), "
                    f"COALESCE(MAX({table.identity}), 0) + 1, false) FROM {table.name}"
                )
        pg_db.execute_raw("ALTER TABLE sources ENABLE TRIGGER USER")


def _pg_rows(pg_db: postgres.PgDb, sql: str) -> Iterator[tuple[Any, ...]]:
    # A named (server-side) cursor: a large table is read in batches, not at once.
    with pg_db.conn.transaction(), pg_db.conn.cursor(name="tracker_copy_check") as cursor:
        cursor.itersize = _BATCH
        cursor.execute(sql)
        yield from cursor


def _count_and_hash(rows: Iterable[Sequence[Any]]) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        count += 1
        for value in row:
            digest.update(_canonical(value))
        digest.update(b"\n")
    return count, digest.hexdigest()


def _canonical(value: Any) -> bytes:
    # Each value with its kind and length, so no two different rows hash alike.
    if value is None:
        return b"N;"
    if isinstance(value, bool | int):
        text, kind = str(int(value)).encode(), b"i"
    elif isinstance(value, float):
        text, kind = repr(value).encode(), b"r"
    elif isinstance(value, str):
        text, kind = value.encode("utf-8", "surrogatepass"), b"s"
    elif isinstance(value, bytes | bytearray | memoryview):
        text, kind = bytes(value), b"b"
    else:
        raise StoreError(f"cannot compare a stored {type(value).__name__}")
    return kind + str(len(text)).encode() + b":" + text
