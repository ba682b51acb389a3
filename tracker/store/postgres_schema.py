"""The PostgreSQL store's migrations: the SQLite ones, translated, plus hand-written triggers.

Every migration in ``tracker.store.MIGRATIONS`` has a PostgreSQL counterpart
of the same name, so both backends share one schema history and a future
migration cannot be forgotten on one side: ``postgres_sql.Translator`` turns
each statement into PostgreSQL's dialect, and a statement it cannot
translate (a trigger) must have a hand-written replacement in ``OVERRIDES``,
keyed by migration name and statement index, or the PostgreSQL schema
refuses to build (and the counterpart test fails). A replacement must not
create or change tables: the translator never sees it, and the table layouts
it keeps are what the upserts and ``tracker migrate-store`` rely on.

Applied migrations are recorded in ``schema_migrations(name, applied_at,
position)``; a database recording as many as this code knows is current
(one count, as SQLite's user_version is one read). ``migrate`` applies the
pending ones under the store's write lock, in one transaction (PostgreSQL's
DDL is transactional), so concurrent openers wait and then find nothing to
do. A database holding a migration
name this code does not know was written by a newer tracker and is refused,
unchanged, as the SQLite store refuses one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from tracker.errors import StoreError
from tracker.store.postgres_sql import TableInfo, Translator, Untranslatable
from tracker.store.schema import Migration, to_db_time

if TYPE_CHECKING:
    from tracker.store.postgres import PgDb

MIGRATIONS_TABLE = "schema_migrations"

# health.0001: the SQLite triggers that log a feed's health changes. PostgreSQL
# triggers call a function; the conditions are the SQLite triggers' WHEN clauses.
# An INSERT … ON CONFLICT DO UPDATE fires the UPDATE trigger when it updates,
# as SQLite's upsert does.
_SOURCE_EVENTS_FUNCTION = """
CREATE FUNCTION source_events_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO source_events (url, name, event, at, error)
    VALUES (NEW.url, NEW.name,
            CASE WHEN NEW.consecutive_failures > 0 THEN 'failing' ELSE 'recovered' END,
            NEW.last_checked,
            CASE WHEN NEW.consecutive_failures > 0 THEN NEW.last_error END);
    RETURN NULL;
END
$$"""

OVERRIDES: Mapping[str, Mapping[int, tuple[str, ...]]] = {
    "health.0001_source_events": {
        2: (
            _SOURCE_EVENTS_FUNCTION,
            """CREATE TRIGGER source_events_first_check AFTER INSERT ON sources
               FOR EACH ROW WHEN (NEW.kind = 'feed' AND NEW.consecutive_failures > 0)
               EXECUTE FUNCTION source_events_log()""",
        ),
        3: (
            """CREATE TRIGGER source_events_change
               AFTER UPDATE OF consecutive_failures ON sources
               FOR EACH ROW WHEN (NEW.kind = 'feed'
                   AND (OLD.consecutive_failures = 0) <> (NEW.consecutive_failures = 0))
               EXECUTE FUNCTION source_events_log()""",
        ),
    },
}


@dataclass(frozen=True)
class PgSchema:
    """The PostgreSQL statements of each migration, and the tables they leave."""

    migrations: tuple[tuple[str, tuple[str, ...]], ...]
    tables: Mapping[str, TableInfo]


@lru_cache(maxsize=4)
def pg_schema(known: tuple[Migration, ...]) -> PgSchema:
    """Translate ``known``; raise ``Untranslatable`` naming every statement left without one."""
    translator = Translator()
    translated: list[tuple[str, tuple[str, ...]]] = []
    missing: list[str] = []
    for migration in known:
        overrides = OVERRIDES.get(migration.name, {})
        statements: list[str] = []
        for index, statement in enumerate(migration.statements):
            if index in overrides:
                statements.extend(overrides[index])
                continue
            try:
                statements.append(translator.statement(statement))
            except Untranslatable as exc:
                missing.append(f"{migration.name}[{index}]: {exc}")
        translated.append((migration.name, tuple(statements)))
    if missing:
        raise Untranslatable(
            "migrations without a PostgreSQL counterpart (add one to "
            "tracker/store/postgres_schema.py OVERRIDES):\n" + "\n".join(missing)
        )
    return PgSchema(tuple(translated), translator.tables)


def applied_migrations(db: PgDb) -> list[tuple[str, str]]:
    """(name, applied_at) of every applied migration, in the order applied."""
    if not _has_table(db):
        return []
    rows = db.execute_raw(f"SELECT name, applied_at FROM {MIGRATIONS_TABLE} ORDER BY position")
    return [(str(name), str(at)) for name, at in rows]


def _has_table(db: PgDb) -> bool:
    found = db.execute_raw("SELECT to_regclass(%s) IS NOT NULL", [MIGRATIONS_TABLE])
    return bool(found[0][0])


def migrate(db: PgDb, schema: PgSchema, now: datetime) -> list[str]:
    """Bring the schema up to date; return the names of the migrations applied now.

    Raises ``StoreError`` for a database written by a newer tracker, before
    changing anything.
    """
    names = [name for name, _ in schema.migrations]
    if len(set(names)) != len(names):
        raise StoreError(f"{db.path}: duplicate migration names registered")
    # As many recorded as known: current, taken on one count as SQLite takes
    # its user_version (a store opens often: the daemon opens one per request).
    if db.count_rows(MIGRATIONS_TABLE) == len(names):
        return []
    _refuse_newer(db, [name for name, _ in applied_migrations(db)], names)
    with db.write():
        if not _has_table(db):
            db.execute_raw(
                f"""CREATE TABLE {MIGRATIONS_TABLE} (
                    name TEXT COLLATE "C" PRIMARY KEY,
                    applied_at TEXT COLLATE "C" NOT NULL,
                    position BIGINT GENERATED ALWAYS AS IDENTITY
                )"""
            )
        # Again under the lock: another process may have migrated meanwhile.
        applied = {name for name, _ in applied_migrations(db)}
        _refuse_newer(db, applied, names)
        pending = [(n, s) for n, s in schema.migrations if n not in applied]
        for name, statements in pending:
            for statement in statements:
                db.execute_raw(statement)
            db.execute_raw(
                f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (%s, %s)",
                [name, to_db_time(now)],
            )
    return [name for name, _ in pending]


def _refuse_newer(db: PgDb, applied: Sequence[str] | set[str], known: Sequence[str]) -> None:
    unknown = sorted(set(applied) - set(known))
    if unknown:
        raise StoreError(
            f"{db.path} was written by a newer version of tracker (unknown schema "
            f"migrations: {', '.join(unknown)}); upgrade tracker or use another store.url"
        )
