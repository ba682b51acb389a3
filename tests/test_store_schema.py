"""The store's schema: plain SQL migrations keyed on PRAGMA user_version.

``tests/data/store/tracker-v9.db`` is a real file written by the store as it
was before (tables made by sqlite-utils, applied migrations in its
``_sqlite_migrations`` table, user_version 9), made by ``make_v9.py`` beside
it; ``schema-v9.txt`` is that file's schema as ``outline`` prints it. A new
file must get the same tables, column for column, and the old file must open
and upgrade without losing a row.

These tests are about SQLite files (user_version, WAL, files written by older
trackers) and run on SQLite only; the PostgreSQL schema's own contracts (every
table and column mirrored, migrated once, a newer database refused) are in
test_store_postgres.py.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tracker.errors import StoreError
from tracker.store import (
    MIGRATIONS,
    ShownSuggestions,
    articles,
    changelogs,
    cited,
    claims,
    digests,
    drafts,
    editions,
    health,
    open_store,
    parses,
    rechecks,
    runs,
    schema,
    sources,
    suggestions,
    vectors,
)
from tracker.types import Suggestion, SuggestionKind

DATA = Path(__file__).parent / "data" / "store"
OLD_FILE = DATA / "tracker-v9.db"
OLD_SCHEMA = DATA / "schema-v9.txt"
OLD_VERSION = 9  # migrations the old store knew; all of them are in OLD_FILE
T0 = datetime(2026, 2, 11, 8, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=30)
ALL_MIGRATIONS = [m.name for m in MIGRATIONS]


def outline(db_path: Path, tables: set[str] | None = None) -> str:
    """Every table's columns, keys and indexes as SQLite itself reports them.

    Compared instead of the ``CREATE`` statements, whose spelling (quoting,
    spacing) differs between sqlite-utils and hand-written SQL without
    changing the schema. Migration bookkeeping tables are left out.
    """
    lines: list[str] = []
    with closing(sqlite3.connect(db_path)) as conn:
        names = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%migrations' ORDER BY name"
            )
            if tables is None or name in tables
        ]
        for table in names:
            lines.append(f"table {table}")
            for _, name, type_, notnull, default, pk, _ in conn.execute(
                f"PRAGMA table_xinfo({table})"
            ):
                column = f"  column {name} {type_}"
                column += " NOT NULL" if notnull else ""
                column += f" DEFAULT {default}" if default is not None else ""
                column += f" PRIMARY KEY #{pk}" if pk else ""
                lines.append(column)
            for _, _, other, column, to, on_update, on_delete, match in conn.execute(
                f"PRAGMA foreign_key_list({table})"
            ):
                lines.append(
                    f"  foreign key {column} -> {other}({to}) "
                    f"on update {on_update}, on delete {on_delete}, match {match}"
                )
            indexes = []
            for _, name, unique, origin, partial in conn.execute(f"PRAGMA index_list({table})"):
                columns = [c for _, _, c in conn.execute(f"PRAGMA index_info({name})")]
                # SQLite names the indexes behind PRIMARY KEY and UNIQUE itself.
                shown = "(automatic)" if name.startswith("sqlite_autoindex_") else name
                indexes.append(
                    f"  index {shown} on ({', '.join(columns)}) origin {origin}"
                    + (" UNIQUE" if unique else "")
                    + (" PARTIAL" if partial else "")
                )
            lines.extend(sorted(indexes))
    return "\n".join(lines) + "\n"


def user_version(db_path: Path) -> int:
    with closing(sqlite3.connect(db_path)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def tables(db_path: Path) -> set[str]:
    with closing(sqlite3.connect(db_path)) as conn:
        return {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "tracker.db"


@pytest.fixture
def old_file(tmp_path: Path) -> Iterator[Path]:
    """A copy of the file the previous store wrote."""
    copy = tmp_path / "old" / "tracker.db"
    copy.parent.mkdir()
    shutil.copyfile(OLD_FILE, copy)
    yield copy


# --------------------------------------------------------------------------
# A new file


def test_open_creates_folder_wal_and_applies_every_migration_once(db_path: Path) -> None:
    with open_store(db_path, now=T0) as s:
        assert s.path == db_path
        assert [name for name, _ in s.migrations()] == ALL_MIGRATIONS
        assert {at for _, at in s.migrations()} == {T0}
    with open_store(db_path, now=LATER) as s:
        # Re-opening applies nothing: the stamps are still the first open's.
        assert {at for _, at in s.migrations()} == {T0}
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(ALL_MIGRATIONS)
        rows = conn.execute("SELECT name FROM schema_migrations ORDER BY rowid").fetchall()
        assert [r[0] for r in rows] == ALL_MIGRATIONS


def test_the_history_holds_every_domain_migration_once_in_domain_order() -> None:
    domains = (
        sources,
        articles,
        cited,
        runs,
        suggestions,
        vectors,
        editions,
        digests,
        changelogs,
        drafts,
        parses,
        health,
        rechecks,
        claims,
    )
    declared = [m.name for d in domains for m in d.MIGRATIONS]
    assert sorted(ALL_MIGRATIONS) == sorted(declared)
    assert len(set(ALL_MIGRATIONS)) == len(ALL_MIGRATIONS)
    for d in domains:  # each domain's own order is kept
        mine = [m.name for m in d.MIGRATIONS]
        assert [n for n in ALL_MIGRATIONS if n in mine] == mine


def test_the_old_file_is_what_the_schema_fixture_describes(old_file: Path) -> None:
    assert user_version(old_file) == OLD_VERSION
    assert outline(old_file) == OLD_SCHEMA.read_text(encoding="utf-8")


def test_a_new_file_has_the_old_stores_tables_column_for_column(db_path: Path) -> None:
    # The migrations the old store knew, written as SQL, make exactly its schema;
    # later migrations change it on purpose (each with its own test).
    db_path.parent.mkdir(parents=True)
    db = schema.Db(db_path)
    try:
        schema.migrate(db, MIGRATIONS[:OLD_VERSION], T0)
    finally:
        db.close()
    assert outline(db_path) == OLD_SCHEMA.read_text(encoding="utf-8")


OPEN_AND_LIST_MODULES = """
import json, sys
from pathlib import Path
from tracker.store import open_store
open_store(Path(sys.argv[1])).close()
print(json.dumps(sorted(sys.modules)))
"""


def modules_after_open(path: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", OPEN_AND_LIST_MODULES, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return {name.split(".")[0] for name in json.loads(done.stdout)}


def test_creating_or_opening_a_database_imports_nothing_heavy(db_path: Path) -> None:
    assert {"sqlite_utils", "numpy"} & modules_after_open(db_path) == set()  # creates it
    assert {"sqlite_utils", "numpy"} & modules_after_open(db_path) == set()  # opens it
    with open_store(db_path) as s:
        assert [name for name, _ in s.migrations()] == ALL_MIGRATIONS


# --------------------------------------------------------------------------
# Files written by earlier versions


def test_a_current_file_opens_unchanged_with_no_work(db_path: Path) -> None:
    open_store(db_path, now=T0).close()
    before = db_path.read_bytes()
    with open_store(db_path, now=LATER) as s:
        assert {at for _, at in s.migrations()} == {T0}
        assert s.counts()["editions"] == 0
    assert db_path.read_bytes() == before


def rows_of(
    path: Path, columns: dict[str, list[str]] | None = None
) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, or of the given tables' given columns."""
    with closing(sqlite3.connect(path)) as conn:
        if columns is None:
            columns = {table: ["*"] for table in tables(path) if not table.endswith("migrations")}
        return {
            table: conn.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY rowid").fetchall()
            for table, names in columns.items()
        }


def columns_of(path: Path) -> dict[str, list[str]]:
    with closing(sqlite3.connect(path)) as conn:
        return {
            table: [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            for table in tables(path)
            if not table.endswith("migrations")
        }


def test_the_previous_stores_file_is_upgraded_in_place_keeping_every_row(
    old_file: Path, db_path: Path
) -> None:
    old_columns = columns_of(old_file)
    rows_before = rows_of(old_file, old_columns)
    with open_store(old_file, now=LATER) as s:
        # The names sqlite-utils recorded are carried over with their times;
        # only the migrations written since ran now.
        applied = s.migrations()
        assert [name for name, _ in applied] == ALL_MIGRATIONS
        assert [name for name, at in applied if at == T0] == ALL_MIGRATIONS[:OLD_VERSION]
        assert [name for name, at in applied if at == LATER] == ALL_MIGRATIONS[OLD_VERSION:]
        # What the one edition showed follows from the suggestions' times: made
        # an hour after T0, it listed 1, 3 and 5 for review (3 and 5 were decided
        # later) and had 2 merged (accepted before); 6 was rejected before it, 4
        # came after it.
        assert s.shown_in_edition("ai-2024-2025", "2026-02-11") == ShownSuggestions(
            pending=frozenset({1, 3, 5}), merged=frozenset({2})
        )
    assert user_version(old_file) == len(ALL_MIGRATIONS)
    assert "_sqlite_migrations" not in tables(old_file)
    # Columns added since hold their defaults; every value the file had is kept.
    assert rows_of(old_file, old_columns) == rows_before
    # Same schema as a file created now.
    open_store(db_path).close()
    assert outline(old_file) == outline(db_path)
    with open_store(old_file, now=LATER + timedelta(days=1)) as s:
        assert {at for _, at in s.migrations()} == {T0, LATER}


def test_what_was_announced_before_changelogs_were_stored_is_the_last_editions_record(
    db_path: Path,
) -> None:
    with open_store(db_path) as s:
        ids = [s.add_suggestion(_suggestion(f"https://news.example/{i}")) for i in range(3)]
        first = ShownSuggestions(pending=frozenset(ids))
        last = ShownSuggestions(pending=frozenset(ids[:1]), merged=frozenset(ids[1:2]))
        s.record_edition("r", "2026-02-11", "e/2026-02-11.md", "h1", T0, shown=first)
        s.record_edition("r", "2026-02-12", "e/2026-02-12.md", "h2", T0, shown=last)
        s.record_edition("other", "2026-02-11", "o/2026-02-11.md", "h3", T0, shown=first)
    # The file as it was before the changelogs' tables.
    with closing(sqlite3.connect(db_path)) as conn:
        for table in ("changelog_cited", "changelog_entries", "announced_suggestions"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DELETE FROM schema_migrations WHERE name = 'changelogs.0001_create'")
        conn.execute(f"PRAGMA user_version = {len(ALL_MIGRATIONS) - 1}")
        conn.commit()
    with open_store(db_path, now=LATER) as s:
        assert dict(s.migrations())["changelogs.0001_create"] == LATER
        assert s.announced_suggestions("r") == last
        assert s.announced_suggestions("other") == first
        # Which cited changes the files report was never stored: nothing is made up.
        assert s.reported_cited("r") == {} and s.changelog_entries("r") == []


def _suggestion(url: str) -> Suggestion:
    return Suggestion(
        report="r", section="1", section_title="One", kind=SuggestionKind.ADDITION, score=0.5,
        title="t", url=url, published=None, source="s", excerpt="e", proposed_text="p",
        created_at=T0,
    )  # fmt: skip


def test_a_file_of_the_first_store_layout_is_upgraded_too(old_file: Path) -> None:
    # The first store recorded migrations in _migrations(name, applied_at).
    with closing(sqlite3.connect(old_file)) as conn:
        conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        conn.execute(
            "INSERT INTO _migrations SELECT name, '2026-02-11T08:00:00.000000+00:00' "
            "FROM _sqlite_migrations ORDER BY id"
        )
        conn.execute("DROP TABLE _sqlite_migrations")
        conn.commit()
    with open_store(old_file, now=LATER) as s:
        applied = s.migrations()
        assert [name for name, at in applied if at == T0] == ALL_MIGRATIONS[:OLD_VERSION]
        assert [name for name, at in applied if at == LATER] == ALL_MIGRATIONS[OLD_VERSION:]
    assert not {"_migrations", "_sqlite_migrations"} & tables(old_file)


def test_an_older_database_is_upgraded_keeping_its_rows(db_path: Path) -> None:
    with open_store(db_path) as s:
        run_id = s.start_run(T0)
    # Turn the file back into what the first schema version wrote.
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("ALTER TABLE runs DROP COLUMN durations")
        conn.execute("DELETE FROM schema_migrations WHERE name = 'runs.0002_durations'")
        conn.execute(f"PRAGMA user_version = {len(ALL_MIGRATIONS) - 1}")
        conn.commit()
    with open_store(db_path, now=LATER) as s:
        applied = dict(s.migrations())
        assert applied["runs.0002_durations"] == LATER
        assert applied["runs.0001_create"] != LATER
        run = s.run(run_id)
        assert run is not None and run.started_at == T0 and run.durations == {}
    assert user_version(db_path) == len(ALL_MIGRATIONS)


def test_a_failing_migration_leaves_the_file_as_it_was(old_file: Path) -> None:
    # Recorded as pending while its column is still there: the migration fails.
    with closing(sqlite3.connect(old_file)) as conn:
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'runs.0002_durations'")
        conn.execute(f"PRAGMA user_version = {OLD_VERSION - 1}")
        conn.commit()
    rows_before = rows_of(old_file)
    with pytest.raises(StoreError, match="duplicate column") as info:
        open_store(old_file)
    assert str(old_file) in str(info.value)
    assert user_version(old_file) == OLD_VERSION - 1
    assert "schema_migrations" not in tables(old_file)
    assert "_sqlite_migrations" in tables(old_file)
    assert rows_of(old_file) == rows_before


# --------------------------------------------------------------------------
# Files this tracker cannot use


@pytest.mark.parametrize(
    ("statements", "named"),
    [
        pytest.param(
            [
                "INSERT INTO schema_migrations (name, applied_at) "
                "VALUES ('runs.0099_future', '2030-01-01T00:00:00+00:00')",
                f"PRAGMA user_version = {len(ALL_MIGRATIONS) + 1}",
            ],
            "runs.0099_future",
            id="newer-migration",
        ),
        pytest.param(
            [f"PRAGMA user_version = {len(ALL_MIGRATIONS) + 1}"],
            f"schema version {len(ALL_MIGRATIONS) + 1}",
            id="newer-version-only",
        ),
        pytest.param(
            [
                "INSERT INTO schema_migrations (name, applied_at) "
                "VALUES ('runs.0099_future', '2030-01-01T00:00:00+00:00')",
                "PRAGMA user_version = 3",
            ],
            "runs.0099_future",
            id="unknown-migration-behind",
        ),
    ],
)
def test_database_from_a_newer_version_is_refused_untouched(
    db_path: Path, statements: list[str], named: str
) -> None:
    open_store(db_path).close()
    with closing(sqlite3.connect(db_path)) as conn:
        for sql in statements:
            conn.execute(sql)
        conn.commit()
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="newer version") as info:
        open_store(db_path)
    assert str(db_path) in str(info.value)
    assert named in str(info.value)
    assert db_path.read_bytes() == before


def test_an_old_file_naming_an_unknown_migration_is_refused_untouched(old_file: Path) -> None:
    with closing(sqlite3.connect(old_file)) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('tracker', 'runs.0099_future', '2030-01-01 00:00:00+00:00')"
        )
        conn.execute(f"PRAGMA user_version = {OLD_VERSION - 1}")  # so it is read at all
        conn.commit()
    before = old_file.read_bytes()
    with pytest.raises(StoreError, match=r"runs\.0099_future"):
        open_store(old_file)
    assert old_file.read_bytes() == before


def test_a_file_that_is_not_a_database_gives_store_error_naming_it(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError) as info:
        open_store(db_path)
    assert str(db_path) in str(info.value)


def test_unopenable_path_gives_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError) as info:
        open_store(blocker / "sub" / "tracker.db")
    assert str(blocker) in str(info.value)
