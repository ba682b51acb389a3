"""Row counts of every domain's tables, for ``tracker status`` and metrics.

Each domain module lists its own counting queries (``COUNTS``); this only
runs them together, in one statement, so every count comes from the same
snapshot of the file.
"""

from __future__ import annotations

from tracker.store import (
    articles,
    cited,
    claims,
    digests,
    editions,
    runs,
    sources,
    suggestions,
    vectors,
)
from tracker.store.schema import Domain

QUERIES: dict[str, str] = {
    **sources.COUNTS,
    **articles.COUNTS,
    **cited.COUNTS,
    **runs.COUNTS,
    **suggestions.COUNTS,
    **vectors.COUNTS,
    **editions.COUNTS,
    **digests.COUNTS,
    **claims.COUNTS,
}


class Counts(Domain):
    """Reads every domain's ``COUNTS``; owns no table."""

    def counts(self) -> dict[str, int]:
        """Row counts, by name (``sources``, ``sources_failing``, …, ``digests``)."""
        select = ", ".join(f"({sql}) AS {name}" for name, sql in QUERIES.items())
        row = self._db.one(f"SELECT {select}")
        assert row is not None
        return {name: int(value) for name, value in row.items()}
