"""The store on PostgreSQL: ``PgDb``, the same seam as ``schema.Db`` over psycopg 3.

The domain classes do not change: they hand ``PgDb`` the SQLite-dialect SQL
they hand ``schema.Db``, and ``postgres_sql`` translates it (cached per
statement). Connections come from a psycopg-pool pool per database URL and
process, so a daemon opening a store per request reuses them; ``close()``
gives the connection back.

Concurrency. SQLite's ``BEGIN IMMEDIATE`` lets one writer in at a time, and
some domain methods rely on it: read-then-write sequences such as the next
decision batch number (``MAX(batch) + 1``), appending to a suggestion's URL
list, or a claim taken by whoever reads it first. ``write()`` keeps that
contract on PostgreSQL with one transaction-scoped advisory lock
(``WRITE_LOCK``) taken when the outermost write begins: writers queue as
they do on SQLite, readers never wait, and every statement inside a write
sees every write committed before it (READ COMMITTED). Upserts are
``ON CONFLICT`` statements, atomic on their own. Serializable transactions
with retries would let writers overlap, but a retry must re-run the caller's
whole block, which a context manager cannot do; writes are short (the slow
work, fetching and matching, happens outside them), so one writer at a time
costs little. A nested ``write()`` is a savepoint, as on SQLite.

Errors come out as ``StoreError`` naming the URL without its password.
Reads outside ``write()`` run in autocommit mode and see everything committed.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import Dumper, Loader
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from tracker.errors import StoreError
from tracker.store.location import redact_message, redact_url
from tracker.store.postgres_sql import TableInfo, translate_query
from tracker.store.schema import Params

# The advisory lock every write transaction holds (see the module docstring).
# Any 64-bit number works; this one spells "tracker" in ASCII.
WRITE_LOCK = 0x74726163_6B6572
CONNECT_TIMEOUT_SECONDS = 10
# As long as SQLite's busy timeout: how long a write waits for the one before it.
LOCK_TIMEOUT = "30s"
_POOL_MAX = 10


@dataclass(frozen=True)
class PgResult:
    """What ``run`` tells, like the parts of a ``sqlite3.Cursor`` the domains read."""

    rowcount: int
    lastrowid: int | None


class _BoolAsUnknown(Dumper):
    # SQLite stores a bool as 0/1, and the domains pass bools both to INTEGER
    # columns and to CASE WHEN. Sent as an untyped '1'/'0', PostgreSQL reads it as
    # whichever of boolean or integer the statement needs.
    oid = 0

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _NumericAsNumber(Loader):
    # SUM over an integer column is NUMERIC on PostgreSQL; the domains expect
    # what SQLite returns: an int when whole, else a float.
    def load(self, data: Any) -> int | float:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_dumper(bool, _BoolAsUnknown)
    conn.adapters.register_loader("numeric", _NumericAsNumber)
    conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")


_pools: dict[tuple[int, str], ConnectionPool[Any]] = {}
_pools_guard = threading.Lock()


def _pool(url: str) -> ConnectionPool[Any]:
    """This process's pool for ``url``, made on first use (after one direct connection,
    so a wrong URL fails at once with libpq's reason rather than as a pool timeout)."""
    key = (os.getpid(), url)
    with _pools_guard:
        pool = _pools.get(key)
        if pool is not None:
            return pool
        try:
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS).close()
        except psycopg.Error as exc:
            reason = redact_message(str(exc), url)
            raise StoreError(f"{redact_url(url)}: cannot open: {reason}") from exc
        pool = ConnectionPool(
            url,
            min_size=0,
            max_size=_POOL_MAX,
            open=True,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
            configure=_configure,
            check=ConnectionPool.check_connection,
            name=redact_url(url),
            max_idle=60.0,
            num_workers=2,
        )
        _pools[key] = pool
        return pool


def close_pools(url: str | None = None) -> None:
    """Close this process's pools (only ``url``'s when given), ending their connections."""
    with _pools_guard:
        keys = [k for k in _pools if url is None or k[1] == url]
        pools = [_pools.pop(k) for k in keys]
    for pool in pools:
        pool.close()


atexit.register(close_pools)


class PgDb:
    """One pooled connection to a PostgreSQL store; errors come out as ``StoreError``.

    Not thread-safe: use one ``PgDb`` (one ``Store``) per thread.
    """

    def __init__(self, url: str, tables: Mapping[str, TableInfo]) -> None:
        self.url = url
        self.path = redact_url(url)
        self.tables = tables
        self._pool = _pool(url)
        try:
            self.conn: psycopg.Connection[Any] = self._pool.getconn()
        except (PoolTimeout, psycopg.Error) as exc:
            raise self.error(exc, "cannot open") from exc
        self._closed = False

    def error(self, exc: BaseException, doing: str = "database error") -> StoreError:
        return StoreError(f"{self.path}: {doing}: {redact_message(str(exc), self.url)}")

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.putconn(self.conn)

    @property
    def in_transaction(self) -> bool:
        return self.conn.info.transaction_status != pq.TransactionStatus.IDLE

    @contextmanager
    def write(self) -> Iterator[PgDb]:
        """One write transaction under the store's write lock; nested, a savepoint."""
        outer = not self.in_transaction
        try:
            with self.conn.transaction():
                if outer:
                    self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                yield self
        except psycopg.Error as exc:
            raise self.error(exc) from exc

    def run(self, sql: str, params: Params = ()) -> PgResult:
        """Execute one statement (normally inside ``write()``)."""
        query = translate_query(sql, self.tables, want_id=True)
        try:
            cursor = self.conn.execute(query.sql, query.bind(params))
            lastrowid = None
            if query.returns_id:
                returned = cursor.fetchall()
                lastrowid = int(returned[-1][0]) if returned else None
            return PgResult(cursor.rowcount, lastrowid)
        except psycopg.Error as exc:
            raise self.error(exc) from exc

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        if not rows:
            return
        query = translate_query(sql, self.tables)
        try:
            with self.conn.cursor() as cursor:
                cursor.executemany(query.sql, [query.bind(r) for r in rows])
        except psycopg.Error as exc:
            raise self.error(exc) from exc

    def rows(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        query = translate_query(sql, self.tables)
        try:
            with self.conn.cursor(row_factory=dict_row) as cursor:
                cursor.execute(query.sql, query.bind(params))
                return cursor.fetchall() if cursor.description else []
        except psycopg.Error as exc:
            raise self.error(exc) from exc

    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Params = ()) -> Any:
        query = translate_query(sql, self.tables)
        try:
            cursor = self.conn.execute(query.sql, query.bind(params))
            found = cursor.fetchall() if cursor.description else []
        except psycopg.Error as exc:
            raise self.error(exc) from exc
        return found[0][0] if found else None

    def execute_raw(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run PostgreSQL SQL as written (migrations, the store copy); return its rows."""
        try:
            cursor = self.conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
        except psycopg.Error as exc:
            raise self.error(exc) from exc

    def count_rows(self, table: str) -> int | None:
        """Rows in ``table``, or None when there is no such table (one round trip)."""
        try:
            found = self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        except psycopg.errors.UndefinedTable:
            return None
        except psycopg.Error as exc:
            raise self.error(exc) from exc
        return int(found[0]) if found else 0

    def applied_migrations(self) -> list[tuple[str, str]]:
        from tracker.store import postgres_schema

        return postgres_schema.applied_migrations(self)
