"""Feed entries as task arguments: JSON out, the same frozen dataclass back in.

An extract job carries its entries whole rather than their URLs, so it needs
no read of the backlog to find them (a read that grows with the backlog, per
job); what it stores is keyed by the entry's URL, so an entry sent twice is
still one article.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from tracker.types import FeedEntry

_TIMES = ("published", "first_seen")


def entry_to_json(entry: FeedEntry) -> dict[str, Any]:
    data = asdict(entry)
    for name in _TIMES:
        value = data[name]
        data[name] = value.isoformat() if value is not None else None
    return data


def entry_from_json(data: dict[str, Any]) -> FeedEntry:
    """Raises ``TypeError``/``ValueError`` for a payload this version did not write."""
    values = dict(data)
    for name in _TIMES:
        value = values.get(name)
        values[name] = datetime.fromisoformat(value) if value is not None else None
    return FeedEntry(**values)
