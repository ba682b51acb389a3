"""The connection seam and the schema migrations of the store.

``Db`` owns one SQLite connection and is the only path by which the domain
modules reach SQLite: it opens write transactions, runs statements and turns
every ``sqlite3`` error into a ``StoreError`` that names the file. Statements
go straight to the ``sqlite3`` connection.

The schema is sqlite-utils' business. Each domain module lists its schema
changes as functions of a ``sqlite_utils.Database``, each with a name unique
across the store (``"articles.0001_create"``); ``migrate`` registers them, in
the facade's order, in one ``sqlite_utils.migrations.Migrations`` set named
``"tracker"`` and applies the pending ones, all in one transaction, over the
store's own connection. sqlite-utils records them in its
``_sqlite_migrations`` table.

Importing sqlite-utils costs ~0.1-0.2 s (it imports numpy), and a refresh in
which nothing changed must not pay for it. So the same transaction also sets
``PRAGMA user_version`` to the number of migrations this code knows, and
opening a file whose user_version already says so is one PRAGMA read: no
sqlite-utils at all. Any other value (a new file, an older schema, a newer
one) takes the slow path through sqlite-utils.

A database holding a migration name this code does not know, or a
user_version beyond its count, was written by a newer tracker; it is refused,
unchanged, rather than used, because older code could silently break
invariants the newer schema relies on.

This module defines no domain table and does not decide the order of the
domain modules: the facade passes the groups in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tracker.errors import StoreError

if TYPE_CHECKING:
    import sqlite_utils
    from sqlite_utils.migrations import Migrations

BUSY_TIMEOUT_SECONDS = 30.0

Params = Sequence[Any] | Mapping[str, Any]


class MigrationFunction(Protocol):
    """One schema change, run by sqlite-utils inside the migrating transaction."""

    __name__: str

    def __call__(self, db: sqlite_utils.Database, /) -> None: ...


Migration = tuple[str, MigrationFunction]


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
        """The sqlite-utils view of this same connection (imports sqlite-utils: not cheap).

        Built without plugins and without sqlite-utils' default of turning on
        recursive triggers, so the connection behaves the same whether or not
        this was ever used.
        """
        import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=False, recursive_triggers=False)

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


MIGRATION_SET = "tracker"
# sqlite_utils.migrations.Migrations.migrations_table, named here so reading the
# applied list does not import sqlite-utils (a test pins the two together).
MIGRATIONS_TABLE = "_sqlite_migrations"


def schema_version(db: Db) -> int:
    """``PRAGMA user_version``: the number of migrations applied, as the last writer knew it."""
    return int(db.scalar("PRAGMA user_version"))


def applied_migrations(db: Db) -> list[tuple[str, str]]:
    """(name, applied_at) of every applied migration of the store, in the order applied."""
    if not db.table_exists(MIGRATIONS_TABLE):
        return []
    rows = db.rows(
        f"SELECT name, applied_at FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid",
        (MIGRATION_SET,),
    )
    return [(r["name"], r["applied_at"]) for r in rows]


def migrate(db: Db, groups: Sequence[Sequence[Migration]], now: datetime) -> list[str]:
    """Bring the schema up to date; return the names of the migrations applied now.

    A file whose user_version equals the number of known migrations is taken
    as current without importing sqlite-utils. Otherwise every pending
    migration is applied in order, in one transaction that also stamps them
    with ``now`` and sets user_version. A second process opening the same
    file at the same time waits for the write lock, then finds nothing
    pending. Raises ``StoreError`` for a file written by a newer tracker,
    before changing anything.
    """
    known = [m for group in groups for m in group]
    names = [name for name, _ in known]
    if len(set(names)) != len(names):
        raise StoreError(f"{db.path}: duplicate migration names registered")
    if schema_version(db) == len(known):
        return []

    migrations = migration_set(known)
    database = db.database
    # Checked before taking the write lock too, so a refused file is never written.
    _refuse_newer(db, migrations, database, names)
    with db.write():
        _refuse_newer(db, migrations, database, names)
        pending = [m.name for m in migrations.pending(database)]
        migrations.apply(database)
        if pending:
            # sqlite-utils stamps with the clock; the store's callers pass the time in.
            marks = ", ".join("?" for _ in pending)
            db.run(
                f"UPDATE {MIGRATIONS_TABLE} SET applied_at = ? "
                f"WHERE migration_set = ? AND name IN ({marks})",
                (_stamp(now), MIGRATION_SET, *pending),
            )
        db.run(f"PRAGMA user_version = {len(known)}")
    return pending


def migration_set(known: Sequence[Migration]) -> Migrations:
    """The store's sqlite-utils ``Migrations`` set, registered in the given order."""
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(MIGRATION_SET)
    for name, change in known:
        migrations(name=name)(change)
    return migrations


def _refuse_newer(
    db: Db, migrations: Migrations, database: sqlite_utils.Database, known: Sequence[str]
) -> None:
    try:
        applied = [m.name for m in migrations.applied(database)]
    except sqlite3.Error as exc:
        raise db.error(exc, "cannot read the schema version") from exc
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


def _stamp(now: datetime) -> str:
    """``now`` as sqlite-utils writes ``applied_at`` (``2026-02-11 08:00:00.000000+00:00``)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(UTC).isoformat(sep=" ", timespec="microseconds")
