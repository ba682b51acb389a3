"""One report's cited pages checked, then the report published: a round's last word on it.

The in-process refresh checks every report's cited pages in one stage and
hands what changed to the publishing stage, which writes the changelog's
lines about them. Here one job per report does both, under the report's
publish lock: the checks it makes (snapshots, changed, gone, claim checks,
each stored as the pipeline stores them) reach the same report's changelog,
and no other job writes that report meanwhile. A page two reports cite is
checked by each report's job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.config import Config, ReportConfig
from tracker.fetch import Fetcher, FetchPolicy
from tracker.refresh import recheck
from tracker.refresh.cited import check_cited
from tracker.refresh.deadline import fetch_all_within
from tracker.refresh.publish import publish_editions
from tracker.refresh.reports import load_reports
from tracker.refresh.source_health import record_fetched, record_validators
from tracker.refresh.state import RunState, SilentEvents
from tracker.store import Store
from tracker.types import FetchOutcome, FetchRequest, Report, SourceFailure


@dataclass(frozen=True)
class CheckedAndPublished:
    checked: int  # cited pages fetched
    suggestions: int  # from what they showed (changed, gone, claim checks)
    files: list[str]  # edition files written
    failures: list[SourceFailure]


def check_and_publish(
    config: Config, store: Store, report_id: str, clock: Callable[[], datetime]
) -> CheckedAndPublished:
    """Check the report's due cited pages (``match.cited_recheck_days``), then publish it."""
    reports, failures = load_reports(config, store, clock)
    chosen = [(c, r) for c, r in reports if c.id == report_id]
    state = RunState(now=clock())
    checked = 0
    if chosen and config.watch_cited:
        checked = asyncio.run(_check(config, store, chosen[0], state, clock))
    publish_editions(store, chosen, state, clock=clock)
    return CheckedAndPublished(
        checked, len(state.suggestions), state.editions, failures + state.failures
    )


async def _check(
    config: Config,
    store: Store,
    chosen: tuple[ReportConfig, Report],
    state: RunState,
    clock: Callable[[], datetime],
) -> int:
    _, report = chosen
    interval = timedelta(days=config.match.cited_recheck_days)
    cited = list(dict.fromkeys(report.cited_urls))
    health = store.sources_for(cited)
    due = [url for url in cited if recheck.due(health.get(url), state.now, interval)]
    if not due:
        return 0
    validators = store.validators_for(due)
    requests = [FetchRequest(url, validators[url]) for url in due]
    async with Fetcher(FetchPolicy.from_config(config.fetch)) as fetcher:
        results = await fetch_all_within(fetcher, requests, config.fetch.stage_timeout)
    fetched = [(r, "cited", "cited") for r in results]
    record_fetched(store, fetched, state, now=clock(), recheck_interval=interval)
    # As in the pipeline: when nothing answered, the network is down, not the pages.
    offline = len(results) > 1 and all(r.outcome is FetchOutcome.UNREACHABLE for r in results)
    check_cited(
        store,
        [report],
        results,
        state,
        gone_after=config.match.gone_after,
        gone_after_days=config.match.gone_after_days,
        check_claims=config.match.check_claims,
        clock=clock,
        events=SilentEvents(),
        offline=offline,
    )
    record_validators(store, [(r, "cited", "cited") for r in results if r.ok], now=clock())
    return len(results)
