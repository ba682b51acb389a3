"""Which feeds a round polls, and in which batches: one host per batch.

A batch holds feeds of one host only, so the lock a poll job takes (one per
host, :func:`host_lock`) is all it takes for per-host politeness to hold
across every worker: two workers never poll one host at the same time, and
within a batch the fetcher's own per-host limit applies. Hosts with many
feeds get several batches, polled one after another under the same lock.

Pure functions over plain data: the round task reads the store and the
config, this module only decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from tracker.types import FeedEntry

# Feeds per poll job: large enough that a job's overhead (a store connection,
# an HTTP session, a queue round trip) is spread over many requests, small
# enough that a worker killed mid-batch leaves little to redo.
BATCH_SIZE = 50


@dataclass(frozen=True)
class HostBatch:
    """Feeds of one host, polled by one job; ``index`` numbers the host's batches."""

    host: str
    index: int
    urls: tuple[str, ...]


# A scheme's own port written out names the same server as no port at all.
_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(url: str) -> str:
    """The politeness key of a URL: host and port, lower case (one server, one key)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port: int | str | None = parts.port
    except ValueError:
        # Out of range or not a number (entry links come from feeds): the text as
        # written still names one key, where raising would fail the whole job.
        port = parts.netloc.rpartition(":")[2].lower()
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


def host_lock(host: str) -> str:
    """The queue engine's lock for a host: every job that fetches from it takes this one."""
    return f"host:{host}"


def batches_by_host(urls: Iterable[str], size: int = BATCH_SIZE) -> list[HostBatch]:
    """``urls`` grouped by host, each host's list cut into batches of at most ``size``.

    Hosts come in order of first appearance and keep their URLs' order, so the
    same feeds give the same batches (a re-planned round reuses the same
    queueing locks)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    by_host: dict[str, list[str]] = {}
    for url in dict.fromkeys(urls):
        by_host.setdefault(host_key(url), []).append(url)
    return [
        HostBatch(host, index, tuple(found[start : start + size]))
        for host, found in by_host.items()
        for index, start in enumerate(range(0, len(found), size))
    ]


def entries_by_host(entries: Iterable[FeedEntry]) -> dict[str, list[FeedEntry]]:
    """Entries by the host of the page their article is fetched from, in order: what
    one extract job (holding that host's lock) fetches."""
    grouped: dict[str, list[FeedEntry]] = {}
    for entry in entries:
        grouped.setdefault(host_key(entry.link or entry.url), []).append(entry)
    return grouped
