"""Telling a dead network from dead hosts, so an offline machine finishes fast.

With no network at all every fetch fails, each after its own DNS or connect
timeout: a refresh over a few hundred article links then spends minutes
waiting, and stores every article as its bare feed summary. When the pages
of several distinct hosts all fail to connect and nothing at all answered,
the fault is almost certainly this machine's; the pipeline then stops
fetching and leaves the remaining entries for the next refresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from tracker.types import FetchOutcome, FetchRequest, FetchResult

# Distinct hosts that must all fail before the network, not the hosts, is blamed.
MIN_HOSTS = 3
# Hosts tried first, together, before the rest of a batch is fetched.
PROBE_HOSTS = 6


def probe_first(requests: Sequence[FetchRequest]) -> tuple[list[FetchRequest], list[FetchRequest]]:
    """Split ``requests`` into one request per host for the first few hosts, and the rest.

    Batches that reach fewer than :data:`MIN_HOSTS` hosts are not split: they
    could not show that the network is down anyway.
    """
    seen: set[str] = set()
    probe: list[FetchRequest] = []
    rest: list[FetchRequest] = []
    for request in requests:
        name = _host(request.url)
        if name not in seen and len(seen) < PROBE_HOSTS:
            seen.add(name)
            probe.append(request)
        else:
            rest.append(request)
    if len(seen) < MIN_HOSTS:
        return [*probe, *rest], []
    return probe, rest


def network_down(results: Sequence[FetchResult]) -> bool:
    """Whether ``results`` look like no network: nothing answered, from several hosts.

    Only ``unreachable`` counts (DNS, connect, timeout, reset): a host that
    refused by policy or answered with an error status proves the network works.
    """
    hosts = {_host(r.url) for r in results}
    return len(hosts) >= MIN_HOSTS and all(r.outcome is FetchOutcome.UNREACHABLE for r in results)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
