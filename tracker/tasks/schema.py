"""The queue engine's tables, created once in the shared database.

procrastinate keeps its jobs, workers, locks and events in tables of its own
beside the store's. Every worker and the scheduler call :func:`ensure_schema`
at start; an advisory lock makes the first one create them while the others
wait, and everyone after finds them there.
"""

from __future__ import annotations

from procrastinate.schema import SchemaManager

from tracker.errors import StoreError
from tracker.store.location import redact_message, redact_url

# Any fixed number: the advisory lock that serialises creating the engine's tables.
_SCHEMA_LOCK = 0x7472_6163  # "trac"


def ensure_schema(queue_url: str) -> bool:
    """Create procrastinate's tables unless present; True when this call created them.

    Raises ``StoreError`` naming the database (without its password) when it
    cannot be reached or written."""
    import psycopg

    try:
        with psycopg.connect(queue_url, connect_timeout=10) as conn:  # one transaction
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
            if row is not None and row[0]:
                return False
            # No parameters: sent as it is, every statement of the engine's schema file.
            conn.execute(SchemaManager.get_schema())
            return True
    except psycopg.Error as exc:
        reason = redact_message(str(exc), queue_url)
        raise StoreError(f"{redact_url(queue_url)}: the task queue: {reason}") from exc
