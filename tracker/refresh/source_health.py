"""What a refresh records about each source it fetched, once, and when each is polled next.

A source's health row (``Store.record_fetches``) is written once per refresh,
when its fate in that refresh is known:

- a feed that failed to fetch, or answered 304, and every cited page: right
  after the fetch;
- a feed that answered 200: after parsing, as a success (with the document's
  validators, now that its entries are stored) or, when the document is not a
  feed, as a failure naming the parse error, planned by the same backoff as
  any other failure.

Recording the 200 as a success first and the parse failure after would reset
the failure streak on every refresh: a URL serving HTML would never back off,
and the health triggers (``tracker.store.health``) would log a "recovered"
and a "failing" event on every refresh.

What this module does not do: decide what a check means for a cited page
(``tracker.refresh.cited``), or when a source is due (``backoff``, ``recheck``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from tracker.refresh import backoff, recheck
from tracker.refresh.state import RunState, failure_reason
from tracker.store import FetchRecord, PollPlan, Store
from tracker.types import FetchOutcome, FetchResult, Validators

# (result, kind, name): a fetched document and the source it belongs to.
Fetched = tuple[FetchResult, str, str]
_HEALTHY = (FetchOutcome.OK, FetchOutcome.NOT_MODIFIED)


def record_fetched(
    store: Store,
    fetched: Sequence[Fetched],
    state: RunState,
    *,
    now: datetime,
    recheck_interval: timedelta,
) -> None:
    """Record the health of every fetched source except feeds that answered 200, which
    wait for ``record_parsed``; plan the next poll of each source recorded."""
    batch = []
    feeds = []
    for result, kind, name in fetched:
        healthy = result.outcome in _HEALTHY
        if kind == "feed":
            if healthy:
                state.sources_ok += 1
            else:
                state.fail(name, result.url, failure_reason(result))
            if result.outcome is FetchOutcome.OK:
                continue
            feeds.append(result)
        # A new document's validators are kept only once it has been processed
        # (record_validators): stored now, a refresh killed before then would
        # get a 304 next time and never see its news.
        unchanged = result.outcome is FetchOutcome.NOT_MODIFIED
        batch.append(
            fetch_record(
                result,
                kind,
                name,
                validators=result.validators if unchanged else None,
                error=None if healthy else failure_reason(result),
                at=now,
            )
        )
    with store.transaction():
        store.record_fetches(batch)
        health = {s.url: s for s in store.sources(kind="feed")}
        plans = [backoff.plan(r, health.get(r.url), now) for r in feeds]
        # Every cited page, fetched now or not: a changed interval shows in status at once.
        plans += [recheck.plan(h, recheck_interval) for h in store.sources(kind="cited")]
        store.plan_polls(plans)


def record_parsed(
    store: Store,
    parsed: Sequence[Fetched],
    not_feeds: Sequence[tuple[FetchResult, str, str]],
    *,
    now: datetime,
) -> None:
    """Record the feeds that answered 200: ``parsed`` as healthy with their validators,
    ``not_feeds`` (result, name, parse error) as failures of their source.

    A document that is not a feed keeps none of its validators, so the next poll
    fetches it whole rather than getting a 304 that would read as healthy.
    """
    records = [
        fetch_record(result, kind, name, validators=result.validators, error=None, at=now)
        for result, kind, name in parsed
    ]
    records += [
        FetchRecord(
            url=result.url,
            kind="feed",
            name=name,
            outcome=FetchOutcome.HTTP_ERROR,
            status=result.status,
            validators=Validators(),
            error=f"not a feed: {reason}",
            at=now,
        )
        for result, name, reason in not_feeds
    ]
    with store.transaction():
        store.record_fetches(records)
        health = {s.url: s for s in store.sources(kind="feed")}
        plans: list[PollPlan] = [
            backoff.plan(result, health.get(result.url), now) for result, _, _ in parsed
        ]
        plans += [
            backoff.plan(result, health.get(result.url), now, failed=True)
            for result, _, _ in not_feeds
        ]
        store.plan_polls(plans)


def record_validators(store: Store, fetched: Sequence[Fetched], *, now: datetime) -> None:
    """Keep the validators of documents whose content is now stored."""
    store.record_fetches(
        [
            fetch_record(result, kind, name, validators=result.validators, error=None, at=now)
            for result, kind, name in fetched
        ]
    )


def fetch_record(
    result: FetchResult,
    kind: str,
    name: str,
    *,
    validators: Validators | None,
    error: str | None,
    at: datetime,
) -> FetchRecord:
    return FetchRecord(
        url=result.url,
        kind=kind,
        name=name,
        outcome=result.outcome,
        status=result.status,
        validators=validators,
        error=error,
        at=at,
    )
