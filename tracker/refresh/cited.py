"""The report's cited sources: snapshots, and suggestions when one changes or dies.

A cited page is kept as a new snapshot only when its extracted text changed;
every check is logged so that a source which stays unreachable over several
checks spread over days, and only then, gets a "source-gone" suggestion.

A page that some claim of the report cites (a cited sentence: see
:mod:`tracker.refresh.claim_checks`) is judged passage by passage when it
changes: the claims whose passages changed or vanished get suggestions of
their own, and a change that touches no cited passage gets none (the
changelog still records it). Only a page no claim cites still gets the
whole-page "source-changed" suggestion. Claims are indexed, and passages
anchored, whether or not any page was fetched this time, so a sentence the
editor just added is checked against the snapshot already stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from tracker.errors import ExtractError
from tracker.refresh.claim_checks import ClaimChecks, Judged
from tracker.refresh.state import RefreshEvents, RunState, failure_reason
from tracker.store import Store
from tracker.types import (
    CitedCheck,
    CitedStatus,
    FetchOutcome,
    FetchResult,
    PageContent,
    Reference,
    Report,
    Suggestion,
    SuggestionKind,
)


def check_cited(
    store: Store,
    reports: Sequence[Report],
    results: Sequence[FetchResult],
    state: RunState,
    *,
    gone_after: int,
    gone_after_days: float = 3.0,
    check_claims: bool = True,
    clock: Callable[[], datetime],
    events: RefreshEvents,
    offline: bool = False,
) -> None:
    """Record each cited URL's check and store the suggestions it calls for.

    ``offline`` (every source of the run was unreachable) means the fault is
    most likely this machine's network: unreachable cited pages are then not
    counted towards "gone", so an outage never ends in a pile of suggestions
    to replace every reference with an archived copy. ``check_claims`` off
    leaves the report's cited sentences unchecked.
    """
    claims = ClaimChecks(
        store,
        reports,
        enabled=check_claims,
        now=state.now,
        clock=clock,
        store_suggestion=lambda s: store_suggestion(store, s),
    )
    claims.index()
    state.warnings.extend(claims.unknown_references())
    if results:
        events.stage("cited", len(results))
    for result in results:
        page = _extract(result)
        # The model's work on a changed page is done before the transaction: it
        # holds the store's one write lock, which other writers wait for.
        judged = _judge(store, reports, result.url, page, claims)
        # The snapshot, the check and the suggestions they call for land together:
        # a snapshot stored without its suggestion would hide the change for good.
        with store.transaction():
            _check_one(
                store,
                reports,
                result,
                page,
                judged,
                state,
                (gone_after, gone_after_days),
                clock,
                offline,
                claims,
            )
        events.advance("cited", result.url)
    # First snapshots, and new claims citing pages already snapshotted.
    state.suggestions.extend(claims.anchor_new())


def _extract(result: FetchResult) -> PageContent | ExtractError | None:
    """The page's text (None when the fetch brought no page to read)."""
    if result.outcome is FetchOutcome.NOT_MODIFIED or not result.ok:
        return None
    from tracker.pages import extract_page

    try:
        return extract_page(result.body, url=result.final_url or result.url, headers=result.headers)
    except ExtractError as exc:
        return exc


def _judge(
    store: Store,
    reports: Sequence[Report],
    url: str,
    page: PageContent | ExtractError | None,
    claims: ClaimChecks,
) -> dict[str, list[Judged]]:
    """Per report, the claim checks of a page whose text differs from its latest snapshot."""
    if not isinstance(page, PageContent):
        return {}
    from tracker.textutil import content_hash

    previous = store.latest_snapshot(url)
    if previous is None or previous.content_hash == content_hash(page.text):
        return {}
    return {
        report.id: claims.judge(report, url, page.text)
        for report, reference in _references_to(reports, url)
        if claims.watches(report, reference)
    }


def _check_one(
    store: Store,
    reports: Sequence[Report],
    result: FetchResult,
    page: PageContent | ExtractError | None,
    judged: dict[str, list[Judged]],
    state: RunState,
    gone_after: tuple[int, float],  # failed checks, and the days they must span
    clock: Callable[[], datetime],
    offline: bool,
    claims: ClaimChecks,
) -> None:
    from tracker.suggest import source_changed, source_gone

    check, old_text, new_text = _snapshot(store, result, page, clock)
    state.cited.append(check)
    if offline and check.status is CitedStatus.UNREACHABLE:
        return
    streak = store.record_cited_check(result.url, check.status, clock(), error=check.error)
    for report, reference in _references_to(reports, result.url):
        suggestion: Suggestion | None = None
        if check.text_changed and claims.watches(report, reference):
            snapshot = store.latest_snapshot(result.url)
            if snapshot is not None:
                found = judged.get(report.id)
                if found is None or not claims.still_current(report, result.url, found):
                    # Another writer changed the anchors meanwhile: judged again, here.
                    found = claims.judge(report, result.url, snapshot.text)
                state.suggestions.extend(claims.apply(report, found, snapshot))
        elif check.text_changed and old_text is not None and new_text is not None:
            suggestion = source_changed(report, reference, old_text, new_text, now=state.now)
        elif check.status in _DEAD and not _gone_already_suggested(store, report.id, result.url):
            last_good = store.latest_snapshot(result.url)
            suggestion = source_gone(
                report,
                reference,
                consecutive_failures=streak.count,
                failing_since=streak.since,
                # The HTTP status when there was one: a 410 is a removal, a 404 may pass.
                status=str(result.status) if result.status else check.status,
                now=state.now,
                min_failures=gone_after[0],
                min_days=gone_after[1],
                last_good=last_good.fetched_at.date() if last_good else None,
            )
        if suggestion is not None:
            state.suggestions.append(store_suggestion(store, suggestion))


def store_suggestion(store: Store, suggestion: Suggestion) -> Suggestion:
    stored = store.suggestion(store.add_suggestion(suggestion))
    assert stored is not None
    return stored


def _snapshot(
    store: Store,
    result: FetchResult,
    page: PageContent | ExtractError | None,
    clock: Callable[[], datetime],
) -> tuple[CitedCheck, str | None, str | None]:
    """Classify one cited URL; keep a snapshot when its text changed.

    Returns the check and, when the text changed since an earlier snapshot,
    the old and new texts.
    """
    if result.outcome is FetchOutcome.NOT_MODIFIED:
        return CitedCheck(result.url, CitedStatus.OK, result.final_url, False), None, None
    if not result.ok:
        status = (
            CitedStatus.GONE if result.outcome is FetchOutcome.GONE else CitedStatus.UNREACHABLE
        )
        reason = failure_reason(result)
        return CitedCheck(result.url, status, result.final_url, False, reason), None, None

    from tracker.textutil import content_hash

    status = CitedStatus.REDIRECTED if result.redirects else CitedStatus.OK
    if isinstance(page, ExtractError):
        return CitedCheck(result.url, status, result.final_url, False, page.reason), None, None
    assert page is not None  # an answered fetch is always read (_extract)
    now = clock()
    for feed_url in page.feed_links:
        store.add_feed_candidate(result.url, feed_url, page.title, now)
    digest = content_hash(page.text)
    previous = store.latest_snapshot(result.url)
    if previous is not None and previous.content_hash == digest:
        return CitedCheck(result.url, status, result.final_url, False), None, None
    store.add_snapshot(
        result.url, final_url=result.final_url, text=page.text, content_hash=digest, at=now
    )
    if previous is None:  # the first snapshot is the baseline, not a change
        return CitedCheck(result.url, status, result.final_url, False), None, None
    return CitedCheck(result.url, status, result.final_url, True), previous.text, page.text


def _gone_already_suggested(store: Store, report_id: str, url: str) -> bool:
    """Whether this death of ``url`` already has a source-gone suggestion.

    Any suggestion counts, whatever the editor did with it, as long as it was
    made after the page last answered: a rejected "use the archived copy" must
    not come back every refresh while the page stays dead, yet a page that
    recovers and later dies again is news again. Every suggestion is looked
    at, not just the URL's oldest: a reference that once changed and later
    died has a source-changed suggestion first.
    """
    alive = [at for status, at, _ in store.cited_checks(url) if status in _ALIVE]
    last_alive = max(alive, default=None)
    return any(
        s.kind == SuggestionKind.SOURCE_GONE
        and url in (s.url, *s.urls)
        and (last_alive is None or s.created_at > last_alive)
        for s in store.suggestions(report=report_id)
    )


_ALIVE = (CitedStatus.OK, CitedStatus.REDIRECTED)
_DEAD = (CitedStatus.GONE, CitedStatus.UNREACHABLE)


def _references_to(reports: Sequence[Report], url: str) -> list[tuple[Report, Reference]]:
    return [(report, ref) for report in reports for ref in report.references if ref.url == url]
