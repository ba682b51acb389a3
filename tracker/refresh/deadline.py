"""Each fetching stage of a refresh ends by its deadline, whatever the servers do.

A request has its own deadline (``fetch.total_timeout``), but a stage makes
many, a few at a time per host: a host that answers every request just
before its deadline could still hold the refresh, and with it the refresh
lock, for hours. ``fetch.stage_timeout`` bounds each stage as a whole. What a
stage had not finished by then is failed with a reason that names the
deadline (sources) or left for the next refresh (article pages), so nothing
is lost and the next run starts on time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from tracker.fetch import Fetcher
from tracker.types import FetchOutcome, FetchRequest, FetchResult


def stage_deadline_reason(seconds: float) -> str:
    return f"not finished within the refresh's {seconds:g} s deadline for this stage"


async def fetch_all_within(
    fetcher: Fetcher,
    requests: Sequence[FetchRequest],
    seconds: float,
    on_result: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """``fetcher.fetch_many`` that returns by ``seconds``: results in input order,
    each request still running then cancelled and given an ``unreachable``
    result naming the deadline."""
    got: dict[int, FetchResult] = {}

    async def one(index: int, request: FetchRequest) -> None:
        result = await fetcher.fetch(request)
        got[index] = result
        if on_result is not None:
            on_result(result)

    try:
        async with asyncio.timeout(seconds):
            await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))
    except TimeoutError:
        pass
    late = stage_deadline_reason(seconds)
    return [
        got.get(i) or FetchResult(url=r.url, outcome=FetchOutcome.UNREACHABLE, error=late)
        for i, r in enumerate(requests)
    ]
