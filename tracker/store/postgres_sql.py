"""The store's SQLite-dialect SQL, translated for PostgreSQL.

The domain modules write one dialect (SQLite's); this module turns their
statements into PostgreSQL's so that one set of domain classes serves both
backends. It is a translator for the constructs the store uses, not for
SQLite in general: whatever it does not know it refuses with
``Untranslatable`` naming the construct, so a new construct fails loudly in
the store tests (which run on both backends) instead of misbehaving.

Queries (``translate_query``):

- placeholders ``?``, ``?N`` and ``:name`` become psycopg's ``%s`` and
  ``%(name)s`` (``?N`` by reordering the arguments), and a literal ``%``
  becomes ``%%``;
- ``INSERT OR IGNORE`` becomes ``ON CONFLICT DO NOTHING``; ``INSERT OR
  REPLACE`` becomes an upsert on the table's primary key that sets every
  column listed (SQLite would also reset the columns not listed; the store
  always lists them all);
- ``WHERE 1`` becomes ``WHERE TRUE``, ``IFNULL`` becomes ``COALESCE``, and a
  negative ``LIMIT`` argument (SQLite's "no limit") becomes NULL;
- an ``INSERT`` into a table with an integer key gains ``RETURNING`` it, so
  the result carries ``lastrowid``.

Schema changes (``Translator.migration``): ``CREATE TABLE`` and ``ALTER
TABLE … ADD COLUMN`` map SQLite's types to PostgreSQL's by SQLite's own
affinity rules (INT → BIGINT, TEXT → TEXT in the "C" collation so text sorts
by code point as SQLite's BINARY does, REAL → DOUBLE PRECISION, BLOB →
BYTEA), ``INTEGER PRIMARY KEY`` becomes an identity column, and a table
without one gains a ``rowid`` identity column, because the store orders some
tables by SQLite's implicit rowid. Indexes and data statements carry over;
triggers cannot be translated and need a hand-written counterpart
(``postgres_schema.OVERRIDES``). The translator also keeps the resulting
table layouts (``TableInfo``), which the upserts, ``lastrowid`` and
``tracker migrate-store`` rely on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tracker.errors import StoreError

ROWID = "rowid"


class Untranslatable(StoreError):
    """A statement uses SQLite SQL this translator does not carry over to PostgreSQL."""


@dataclass
class TableInfo:
    """One table's layout on PostgreSQL, as its translated migrations made it."""

    name: str
    columns: list[str] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    # The integer column PostgreSQL numbers (SQLite's INTEGER PRIMARY KEY, or
    # the added ``rowid``): what ``lastrowid`` returns and what orders a copy.
    identity: str | None = None


@dataclass(frozen=True)
class Query:
    """A translated statement and how to bind the caller's arguments to it."""

    sql: str
    style: str  # "none", "qmark", "numbered" or "named"
    order: tuple[int, ...] = ()  # numbered: which argument each %s takes
    limit_slots: tuple[int | str, ...] = ()  # arguments that are a LIMIT
    returns_id: bool = False

    def bind(self, params: Sequence[Any] | Mapping[str, Any]) -> Any:
        if self.style == "named":
            if not isinstance(params, Mapping):
                raise StoreError("named placeholders need a mapping of arguments")
            if not self.limit_slots:
                return params
            named = dict(params)
            for name in self.limit_slots:
                named[str(name)] = _limit(named.get(str(name)))
            return named
        if isinstance(params, Mapping):
            raise StoreError("positional placeholders need a sequence of arguments")
        values = list(params)
        if self.style == "numbered":
            values = [values[i] for i in self.order]
        for slot in self.limit_slots:
            assert isinstance(slot, int)
            values[slot] = _limit(values[slot])
        return values


def _limit(value: Any) -> Any:
    # SQLite reads a negative LIMIT as "no limit"; PostgreSQL's is LIMIT NULL.
    return None if isinstance(value, int) and value < 0 else value


# Literals and comments are left alone; the code between them is rewritten.
_LITERAL = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.S)
_PLACEHOLDER = re.compile(r"\?(\d+)?|(?<![:\w]):([A-Za-z_]\w*)|%")
_LIMIT_BEFORE = re.compile(r"\b(LIMIT|OFFSET)\s*$", re.I)
_INSERT_OR = re.compile(
    r"^\s*(?:INSERT\s+OR\s+(IGNORE|REPLACE|ABORT|FAIL|ROLLBACK)|(REPLACE))\s+INTO\s+", re.I
)
_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+\"?(\w+)\"?\s*(?:\(([^)]*)\))?", re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)
_WHERE_TRUE = re.compile(r"\bWHERE\s+1\b(?!\s*[=<>!])", re.I)
_IFNULL = re.compile(r"\bIFNULL\s*\(", re.I)
# SQLite-only words and functions: refused by name rather than left for PostgreSQL
# to reject with a less helpful message (or, worse, to accept with other meaning).
_REFUSED = re.compile(
    r"\b(PRAGMA|GLOB|WITHOUT\s+ROWID|COLLATE\s+NOCASE)\b"
    r"|\b(strftime|julianday|unixepoch|date|time|datetime|group_concat|json_\w+|typeof"
    r"|instr|printf|total|randomblob|last_insert_rowid|changes)\s*\(",
    re.I,
)


def _mask(sql: str) -> tuple[str, list[str]]:
    """Replace each literal and comment by a marker; return the code and the literals."""
    literals: list[str] = []

    def keep(m: re.Match[str]) -> str:
        literals.append(m.group(0))
        return f"\x00{len(literals) - 1}\x00"

    return _LITERAL.sub(keep, sql), literals


def _unmask(code: str, literals: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: literals[int(m.group(1))].replace("%", "%%"), code)


def translate_query(sql: str, tables: Mapping[str, TableInfo], *, want_id: bool = False) -> Query:
    """Translate one SQLite statement (see the module docstring); raise ``Untranslatable``."""
    return _translate(sql, _TablesKey(tables), want_id)


class _TablesKey:
    """Tables as a cache key: the translation of a statement depends only on its table's layout."""

    def __init__(self, tables: Mapping[str, TableInfo]) -> None:
        self.tables = tables

    def __hash__(self) -> int:
        return id(self.tables)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _TablesKey) and other.tables is self.tables


@lru_cache(maxsize=2048)
def _translate(sql: str, key: _TablesKey, want_id: bool) -> Query:
    tables = key.tables
    code, literals = _mask(sql.strip().rstrip(";"))
    refused = _REFUSED.search(code)
    if refused:
        raise Untranslatable(f"no PostgreSQL translation for {refused.group(0)!r} in: {sql}")
    code = _WHERE_TRUE.sub("WHERE TRUE", code)
    code = _IFNULL.sub("COALESCE(", code)
    conflict = ""
    mode = _INSERT_OR.match(code)
    if mode:
        verb = (mode.group(1) or mode.group(2)).upper()
        code = "INSERT INTO " + code[mode.end() :]
        if verb == "IGNORE":
            conflict = " ON CONFLICT DO NOTHING"
        elif verb == "REPLACE":
            conflict = _replace_clause(code, tables, sql)
        else:
            raise Untranslatable(f"no PostgreSQL translation for INSERT OR {verb}: {sql}")
    returns_id = False
    if want_id and not _RETURNING.search(code):
        target = _INSERT_INTO.match(code)
        info = tables.get(target.group(1).lower()) if target else None
        if info is not None and info.identity is not None:
            code += f" RETURNING {info.identity}"
            returns_id = True
    if conflict:
        found = _RETURNING.search(code)
        at = found.start() if found else len(code)
        code = code[:at].rstrip() + conflict + (" " + code[at:] if found else "")
    code, style, order, limits = _placeholders(code, sql)
    return Query(_unmask(code, literals), style, order, limits, returns_id)


def _replace_clause(code: str, tables: Mapping[str, TableInfo], sql: str) -> str:
    target = _INSERT_INTO.match(code)
    if target is None or target.group(2) is None:
        raise Untranslatable(f"INSERT OR REPLACE needs a column list on PostgreSQL: {sql}")
    info = tables.get(target.group(1).lower())
    if info is None or not info.primary_key:
        raise Untranslatable(f"INSERT OR REPLACE into a table without a known key: {sql}")
    columns = [c.strip().strip('"') for c in target.group(2).split(",")]
    updates = [c for c in columns if c not in info.primary_key]
    keys = ", ".join(info.primary_key)
    if not updates:
        return f" ON CONFLICT ({keys}) DO NOTHING"
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in updates)
    return f" ON CONFLICT ({keys}) DO UPDATE SET {sets}"


def _placeholders(code: str, sql: str) -> tuple[str, str, tuple[int, ...], tuple[int | str, ...]]:
    styles: set[str] = set()
    order: list[int] = []
    limits: list[int | str] = []
    out: list[str] = []
    last = 0
    slot = 0
    for m in _PLACEHOLDER.finditer(code):
        out.append(code[last : m.start()])
        last = m.end()
        if m.group(0) == "%":
            out.append("%%")
            continue
        after_limit = bool(_LIMIT_BEFORE.search(code[: m.start()]))
        if m.group(2) is not None:
            styles.add("named")
            out.append(f"%({m.group(2)})s")
            if after_limit:
                limits.append(m.group(2))
            continue
        if m.group(1) is not None:
            styles.add("numbered")
            order.append(int(m.group(1)) - 1)
        else:
            styles.add("qmark")
        if after_limit:
            limits.append(slot)
        slot += 1
        out.append("%s")
    out.append(code[last:])
    if len(styles) > 1:
        raise Untranslatable(f"mixed placeholder styles {sorted(styles)}: {sql}")
    style = styles.pop() if styles else "none"
    return "".join(out), style, tuple(order), tuple(limits)


# --- schema changes -------------------------------------------------------------

_CREATE_TABLE = re.compile(
    r"^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?\"?(\w+)\"?\s*\((.*)\)\s*$", re.I | re.S
)
_ADD_COLUMN = re.compile(
    r"^\s*ALTER\s+TABLE\s+\"?(\w+)\"?\s+ADD\s+(?:COLUMN\s+)?(.*)$", re.I | re.S
)
_DROP_TABLE = re.compile(r"^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?\"?(\w+)\"?\s*$", re.I)
_PASS_THROUGH = re.compile(
    r"^\s*(CREATE\s+(UNIQUE\s+)?INDEX|DROP\s+INDEX|ALTER\s+TABLE\s+\w+\s+RENAME)\b", re.I
)
_DATA = re.compile(r"^\s*(INSERT|UPDATE|DELETE|WITH)\b", re.I)
_TABLE_CONSTRAINT = re.compile(r"^\s*(PRIMARY\s+KEY|FOREIGN\s+KEY|UNIQUE|CHECK|CONSTRAINT)\b", re.I)
_COLUMN_CONSTRAINT = re.compile(
    r"\b(PRIMARY|NOT|NULL|DEFAULT|REFERENCES|UNIQUE|CHECK|COLLATE|CONSTRAINT|GENERATED)\b", re.I
)
_INLINE_KEY = re.compile(r"\bPRIMARY\s+KEY(\s+(ASC|DESC))?(\s+AUTOINCREMENT)?", re.I)


class Translator:
    """Translates migrations statement by statement, keeping the tables they make."""

    def __init__(self) -> None:
        self.tables: dict[str, TableInfo] = {}

    def statement(self, sql: str) -> str:
        """The PostgreSQL form of one migration statement; raise ``Untranslatable``."""
        code, literals = _mask(sql.strip().rstrip(";"))
        if _REFUSED.search(code):
            raise Untranslatable(f"no PostgreSQL translation for: {sql}")
        if m := _CREATE_TABLE.match(code):
            return _unmask(self._create_table(m.group(1) or "", m.group(2), m.group(3)), literals)
        if m := _ADD_COLUMN.match(code):
            info = self._table(m.group(1), sql)
            definition, _ = self._column(m.group(2), info, inline_key_allowed=False)
            return _unmask(f"ALTER TABLE {info.name} ADD COLUMN {definition}", literals)
        if m := _DROP_TABLE.match(code):
            self.tables.pop(m.group(1).lower(), None)
            return sql
        if _PASS_THROUGH.match(code):
            if re.search(r"\bRENAME\b", code, re.I):
                raise Untranslatable(f"renames are not tracked by the translator yet: {sql}")
            return _unmask(_WHERE_TRUE.sub("WHERE TRUE", code), literals)
        if _DATA.match(code):
            # Not cached: the tables are still changing while migrations are translated.
            query = _translate.__wrapped__(sql, _TablesKey(self.tables), False)
            if query.style != "none":
                raise Untranslatable(f"a migration statement takes no arguments: {sql}")
            return query.sql.replace("%%", "%")
        raise Untranslatable(f"no PostgreSQL translation for this statement: {sql}")

    def _table(self, name: str, sql: str) -> TableInfo:
        info = self.tables.get(name.lower())
        if info is None:
            raise Untranslatable(f"table {name} is not known to the translator: {sql}")
        return info

    def _create_table(self, if_not_exists: str, name: str, body: str) -> str:
        info = TableInfo(name.lower())
        parts: list[str] = []
        part_of: dict[str, int] = {}
        for item in _split_top_level(body):
            if _TABLE_CONSTRAINT.match(item):
                key = re.match(r"^\s*PRIMARY\s+KEY\s*\(([^)]*)\)", item, re.I)
                if key:
                    names = key.group(1).split(",")
                    info.primary_key = tuple(c.strip().strip('"').lower() for c in names)
                parts.append(item.strip())
                continue
            definition, column = self._column(item, info, inline_key_allowed=True)
            part_of[column] = len(parts)
            parts.append(definition)
        if len(info.primary_key) == 1 and info.identity is None:
            column = info.primary_key[0]
            index = part_of[column]
            if parts[index].startswith(f"{column} BIGINT"):
                # PRIMARY KEY (id) on an INTEGER column makes it the rowid, as inline.
                parts[index] = parts[index].replace(
                    f"{column} BIGINT", f"{column} BIGINT GENERATED BY DEFAULT AS IDENTITY", 1
                )
                info.identity = column
        if info.identity is None:
            # Some queries order by SQLite's implicit rowid; PostgreSQL has none.
            parts.append(f"{ROWID} BIGINT GENERATED BY DEFAULT AS IDENTITY NOT NULL")
            info.columns.append(ROWID)
            info.identity = ROWID
        self.tables[info.name] = info
        inner = ",\n    ".join(parts)
        return f"CREATE TABLE {if_not_exists}{info.name} (\n    {inner}\n)"

    def _column(self, item: str, info: TableInfo, *, inline_key_allowed: bool) -> tuple[str, str]:
        m = re.match(r"^\s*\"?(\w+)\"?\s*(.*)$", item.strip(), re.S)
        if m is None:
            raise Untranslatable(f"cannot read the column definition {item!r}")
        name, rest = m.group(1).lower(), m.group(2)
        constraint = _COLUMN_CONSTRAINT.search(rest)
        declared = (rest[: constraint.start()] if constraint else rest).strip()
        constraints = rest[constraint.start() :].strip() if constraint else ""
        if name == ROWID:
            raise Untranslatable(f"column name {ROWID!r} is taken by the translation: {item}")
        pg_type = _pg_type(declared, item)
        info.columns.append(name)
        inline_key = _INLINE_KEY.search(constraints)
        if inline_key:
            if not inline_key_allowed:
                raise Untranslatable(f"ADD COLUMN cannot add a primary key: {item}")
            info.primary_key = (name,)
            if pg_type == "BIGINT":
                constraints = _INLINE_KEY.sub("", constraints).strip()
                info.identity = name
                pg_type = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
        if re.search(r"\bAUTOINCREMENT\b", constraints, re.I):
            raise Untranslatable(f"AUTOINCREMENT outside INTEGER PRIMARY KEY: {item}")
        if re.search(r"\bCOLLATE\s+BINARY\b", constraints, re.I):
            constraints = re.sub(r"\bCOLLATE\s+BINARY\b", "", constraints, flags=re.I).strip()
        return f"{name} {pg_type} {constraints}".strip(), name


def _pg_type(declared: str, item: str) -> str:
    # SQLite's affinity rules (section 3.1 of its datatype page), in its order.
    upper = declared.upper()
    if "INT" in upper:
        return "BIGINT"
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return 'TEXT COLLATE "C"'
    if "BLOB" in upper:
        return "BYTEA"
    if any(word in upper for word in ("REAL", "FLOA", "DOUB")):
        return "DOUBLE PRECISION"
    raise Untranslatable(f"no PostgreSQL type for SQLite type {declared!r} in {item!r}")


def _split_top_level(body: str) -> list[str]:
    """Split a table body at the commas outside parentheses."""
    items: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(body[start:i])
            start = i + 1
    items.append(body[start:])
    return [item for item in items if item.strip()]
