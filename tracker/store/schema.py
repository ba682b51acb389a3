"""The connection seam and the migration mechanism of the store.

``Db`` owns one SQLite connection and is the only path by which the domain
modules reach SQLite: it opens write transactions, runs statements and turns
every ``sqlite3`` error into a ``StoreError`` that names the file. The
statements go straight to the ``sqlite3`` connection; the sqlite-utils
``Database`` over that same connection (``Db.database``) is built on first
use only, because importing sqlite-utils costs ~0.2 s (it imports numpy) and
a refresh in which nothing changed must not pay for it.

Migrations are plain functions registered per domain module, each with a
name unique across the store (``"articles.0001_create"``). They are applied in
a fixed order, all pending ones in one transaction, and recorded in
``_migrations(name, applied_at)``. A database holding a migration name this
code does not know was written by a newer tracker; it is refused rather than
used, because older code could silently break invariants the newer schema
relies on.

This module does not define any domain table and does not decide the order of
the domain modules: the facade passes the groups in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.errors import StoreError

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_SECONDS = 30.0

Params = Sequence[Any] | Mapping[str, Any]
Migration = tuple[str, Callable[["Db"], None]]


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


class Db:
    """One connection to the store's SQLite file; errors come out as ``StoreError``.

    Not thread-safe: use one ``Db`` (one ``Store``) per thread. Reads outside
    ``write()`` run in autocommit mode and see everything other connections
    have committed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
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

    @cached_property
    def database(self) -> sqlite_utils.Database:
        """The sqlite-utils view of this connection, for introspection."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=False)

    def _configure(self) -> None:
        conn = self.conn
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        # What sqlite-utils' enable_wal() does; the mode is stored in the file.
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

    def table_exists(self, name: str) -> bool:
        try:
            found = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()
            return found is not None
        except sqlite3.Error as exc:
            raise self.error(exc) from exc


MIGRATIONS_TABLE = "_migrations"


def applied_migrations(db: Db) -> list[tuple[str, str]]:
    """(name, applied_at) of every applied migration, in the order applied."""
    if not db.table_exists(MIGRATIONS_TABLE):
        return []
    rows = db.rows(f"SELECT name, applied_at FROM {MIGRATIONS_TABLE} ORDER BY rowid")
    return [(r["name"], r["applied_at"]) for r in rows]


def apply_migrations(db: Db, groups: Sequence[Sequence[Migration]], now: datetime) -> list[str]:
    """Apply every pending migration, in order, in one transaction; return their names.

    Raises ``StoreError`` when the database records a migration unknown here
    (it was written by a newer version), before changing anything. A second
    process opening the same file at the same time waits for the write lock,
    then finds nothing pending.
    """
    known = [m for group in groups for m in group]
    names = [name for name, _ in known]
    if len(set(names)) != len(names):
        raise StoreError(f"{db.path}: duplicate migration names registered")

    # Checked before taking the write lock too: a refused file is never written,
    # and the common case (nothing pending) opens without writing at all.
    if set(names) <= _refuse_newer(db, set(names)):
        return []
    applied_now: list[str] = []
    with db.write():
        db.run(
            f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
            "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = _refuse_newer(db, set(names))
        for name, migrate in known:
            if name in done:
                continue
            migrate(db)
            db.run(
                f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)",
                (name, to_db_time(now)),
            )
            applied_now.append(name)
        # user_version mirrors the count so `sqlite3 file 'PRAGMA user_version'` shows it.
        db.run(f"PRAGMA user_version = {len(done) + len(applied_now)}")
    return applied_now


def _refuse_newer(db: Db, known: set[str]) -> set[str]:
    done = {name for name, _ in applied_migrations(db)}
    unknown = sorted(done - known)
    if unknown:
        raise StoreError(
            f"{db.path} was written by a newer version of tracker "
            f"(unknown schema migrations: {', '.join(unknown)}); "
            "upgrade tracker or use another state_dir"
        )
    return done
