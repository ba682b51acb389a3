"""The connection seam and the schema migrations of the store.

``Db`` owns one SQLite connection and is the only path by which the domain
modules reach SQLite: it opens write transactions, runs statements and turns
every ``sqlite3`` error into a ``StoreError`` that names the file.

The schema is plain SQL. Each domain module lists its schema changes as
``Migration``s: a name unique across the store (``"articles.0001_create"``)
and the statements that make the change. ``migrate`` applies the pending
ones, in the order the facade gives, in one transaction that also records
each in ``schema_migrations(name, applied_at)`` and sets ``PRAGMA
user_version`` to the number of migrations this code knows. Opening a file whose user_version
already says so is one PRAGMA read and nothing else.

Files written before this module spoke SQL itself (sqlite-utils created the
tables and kept ``_sqlite_migrations``; the very first version kept
``_migrations``) have the same tables, column for column. The first
migration after such a file is opened copies its record of applied names
into ``schema_migrations`` and drops the old table.

A database holding a migration name this code does not know, or a
user_version beyond its count, was written by a newer tracker; it is refused,
unchanged, rather than used, because older code could silently break
invariants the newer schema relies on.

This module defines no domain table and does not decide the order of the
migrations: the facade passes them in. The statements are SQLite's dialect,
which is the one dialect the domain modules write: ``Database`` is the seam
they use, and ``postgres.PgDb`` implements it for PostgreSQL by translating
their SQL and these migrations (``postgres_sql``, ``postgres_schema``).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from tracker.errors import StoreError

BUSY_TIMEOUT_SECONDS = 30.0

Params = Sequence[Any] | Mapping[str, Any]


@dataclass(frozen=True)
class Migration:
    """One schema change: its name and its SQL statements, run in order.

    The statements run inside the migrating transaction, so none of them may
    commit (no ``VACUUM``, no ``PRAGMA journal_mode``).
    """

    name: str
    statements: tuple[str, ...]


def to_db_time(value: datetime) -> str:
    """ISO-8601 UTC with fixed microseconds, so stored strings sort as times do.

    A naive datetime is taken to be UTC: callers should pass aware ones, but a
    stray naive value from a feed must not abort a refresh.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def opt_db_time(value: datetime | None) -> str | None:
    return None if value is None else to_db_time(value)


def from_db_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def req_db_time(value: str) -> datetime:
    parsed = from_db_time(value)
    assert parsed is not None
    return parsed


def _create_private(path: Path) -> None:
    # SQLite would create the file 0644 under the usual umask; the store holds
    # the editor's decisions and mail history, so a new one is 0600. SQLite
    # gives its -wal and -shm files the database file's mode.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class RunResult(Protocol):
    """What the domains read from ``run``: rows changed, and the id an INSERT gave."""

    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...


class Database(Protocol):
    """The seam between the domain classes and a database: ``Db`` (SQLite) or ``PgDb``.

    SQL handed to it is SQLite's dialect with ``?``, ``?N`` or ``:name``
    placeholders; every failure comes out as ``StoreError`` naming ``path``.
    """

    @property
    def path(self) -> Path | str: ...

    @property
    def in_transaction(self) -> bool: ...

    def write(self) -> AbstractContextManager[Any]: ...
    def run(self, sql: str, params: Params = ()) -> RunResult: ...
    def run_many(self, sql: str, rows: Sequence[Params]) -> None: ...
    def rows(self, sql: str, params: Params = ()) -> list[dict[str, Any]]: ...
    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None: ...
    def scalar(self, sql: str, params: Params = ()) -> Any: ...
    def applied_migrations(self) -> list[tuple[str, str]]: ...
    def close(self) -> None: ...


class Db:
    """One connection to the store's SQLite file; errors come out as ``StoreError``.

    Not thread-safe: use one ``Db`` (one ``Store``) per thread. Reads outside
    ``write()`` run in autocommit mode and see everything other connections
    have committed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            _create_private(path)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create: {exc}") from exc
        try:
            # isolation_level=None: the sqlite3 module never opens transactions
            # behind our back; write() is the only place one begins.
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        except sqlite3.Error as exc:
            raise self.error(exc, "cannot open") from exc
        self.conn = conn
        try:
            self._configure()
        except sqlite3.Error as exc:
            conn.close()
            raise self.error(exc, "cannot open") from exc

    def _configure(self) -> None:
        conn = self.conn
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        # The mode is stored in the file: only its first open pays for the switch.
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = wal")
        # NORMAL is consistent under WAL (a crash loses at most the last
        # commits, never integrity) and avoids an fsync per transaction.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")

    def error(self, exc: BaseException, doing: str = "database error") -> StoreError:
        return StoreError(f"{self.path}: {doing}: {exc}")

    def close(self) -> None:
        self.conn.close()

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    @contextmanager
    def write(self) -> Iterator[Db]:
        """One write transaction: everything inside commits together or not at all.

        ``BEGIN IMMEDIATE`` takes the write lock up front (waiting up to the
        busy timeout), so a transaction never fails half-way because another
        process wrote in between. A nested call is a savepoint inside the outer
        transaction: if it fails, its own writes are undone and the outer
        transaction may carry on.
        """
        conn = self.conn
        if self.in_transaction:
            with self._savepoint(conn):
                yield self
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self.error(exc, "cannot start a write") from exc
        try:
            yield self
        except sqlite3.Error as exc:
            self._rollback()
            raise self.error(exc) from exc
        except BaseException:
            self._rollback()
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise self.error(exc, "cannot commit") from exc

    @contextmanager
    def _savepoint(self, conn: sqlite3.Connection) -> Iterator[None]:
        try:
            conn.execute("SAVEPOINT nested_write")
        except sqlite3.Error as exc:
            raise self.error(exc) from exc
        try:
            yield
        except BaseException as exc:
            # An error may already have ended the whole transaction (and the savepoint).
            if self.in_transaction:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK TO nested_write")
                    conn.execute("RELEASE nested_write")
            if isinstance(exc, sqlite3.Error):
                raise self.error(exc) from exc
            raise
        try:
            conn.execute("RELEASE nested_write")
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def _rollback(self) -> None:
        # If even ROLLBACK fails the connection is unusable; the original error matters more.
        if self.in_transaction:
            with suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")

    def run(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        """Execute one statement (normally inside ``write()``)."""
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def rows(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        try:
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Params = ()) -> Any:
        try:
            # fetchall, not fetchone: an INSERT … RETURNING must run to completion.
            found = self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self.error(exc) from exc
        return found[0][0] if found else None

    def applied_migrations(self) -> list[tuple[str, str]]:
        return applied_migrations(self)

    def table_exists(self, name: str) -> bool:
        try:
            found = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()
            return found is not None
        except sqlite3.Error as exc:
            raise self.error(exc) from exc


class Domain:
    """One domain's part of the store: methods over its tables, reaching the database by ``_db``.

    The facade ``Store`` is all the parts in one class. A part owns every
    statement on its tables (its migrations, its queries, its row counts)
    and none on another part's.
    """

    def __init__(self, db: Database) -> None:
        self._db = db


MIGRATIONS_TABLE = "schema_migrations"
# Where earlier trackers recorded applied migrations, newest layout first:
# (table, the condition that selects tracker's rows).
_LEGACY_TABLES = (("_sqlite_migrations", "migration_set = 'tracker'"), ("_migrations", "1"))


def schema_version(db: Db) -> int:
    """``PRAGMA user_version``: the number of migrations applied, as the last writer knew it."""
    return int(db.scalar("PRAGMA user_version"))


def applied_migrations(db: Db) -> list[tuple[str, str]]:
    """(name, applied_at) of every applied migration of the store, in the order applied.

    Read from ``schema_migrations``, or from an earlier tracker's table in a
    file not migrated since.
    """
    for table, condition in ((MIGRATIONS_TABLE, "1"), *_LEGACY_TABLES):
        if db.table_exists(table):
            rows = db.rows(f"SELECT name, applied_at FROM {table} WHERE {condition} ORDER BY rowid")
            return [(r["name"], r["applied_at"]) for r in rows]
    return []


def migrate(db: Db, known: Sequence[Migration], now: datetime) -> list[str]:
    """Bring the schema up to date; return the names of the migrations applied now.

    A file whose user_version equals the number of known migrations is taken
    as current without reading anything else. Otherwise every migration not
    recorded as applied is applied in order, in one transaction that also
    records it (stamped with ``now``) and sets user_version. A second process
    opening the same file at the same time waits for the write lock, then
    finds nothing pending. Raises ``StoreError`` for a file written by a newer
    tracker, before changing anything.
    """
    names = [m.name for m in known]
    if len(set(names)) != len(names):
        raise StoreError(f"{db.path}: duplicate migration names registered")
    if schema_version(db) == len(known):
        return []
    # Checked before taking the write lock too, so a refused file is never written.
    _refuse_newer(db, names)
    with db.write():
        if schema_version(db) == len(known):
            return []  # another process migrated it while this one waited
        _refuse_newer(db, names)
        _adopt_legacy_record(db)
        done = {name for name, _ in applied_migrations(db)}
        pending = [m for m in known if m.name not in done]
        for migration in pending:
            for statement in migration.statements:
                db.run(statement)
            db.run(
                f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)",
                (migration.name, to_db_time(now)),
            )
        db.run(f"PRAGMA user_version = {len(known)}")
    return [m.name for m in pending]


def _adopt_legacy_record(db: Db) -> None:
    """Create ``schema_migrations``, carrying over an earlier tracker's record of applied names."""
    if db.table_exists(MIGRATIONS_TABLE):
        return
    legacy = applied_migrations(db)
    db.run(f"CREATE TABLE {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    db.run_many(
        f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)",
        [(name, to_db_time(req_db_time(at))) for name, at in legacy],
    )
    for table, _ in _LEGACY_TABLES:
        db.run(f"DROP TABLE IF EXISTS {table}")


def _refuse_newer(db: Db, known: Sequence[str]) -> None:
    applied = [name for name, _ in applied_migrations(db)]
    unknown = sorted(set(applied) - set(known))
    version = schema_version(db)
    if not unknown and version <= len(known):
        return
    detail = (
        f"unknown schema migrations: {', '.join(unknown)}"
        if unknown
        else f"schema version {version}, this tracker knows {len(known)}"
    )
    raise StoreError(
        f"{db.path} was written by a newer version of tracker ({detail}); "
        "upgrade tracker or use another state_dir"
    )
