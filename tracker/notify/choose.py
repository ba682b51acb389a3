"""Which period a digest covers and what goes in it, read from the store.

The period runs from ``since`` (when given), else from the end of the last
digest sent, else from seven days before ``now``; it ends at ``now``. Its
content is every pending suggestion created in it, for the configured
reports, with each report's outline (title, headings, references) so the
digest can order and name sections as the report does.

The feeds whose health changed are chosen here too: a feed that was healthy
at the start of the period and is failing at its end, or the other way round.
One that failed and recovered within the period is left out, as weather.

Nothing here writes: recording a sent digest is the digest's last step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.config import Config, ReportConfig
from tracker.errors import ReportError
from tracker.notify.compose import HealthChange, ReportOutline
from tracker.report import load_report
from tracker.store import SourceEvent, Store
from tracker.types import Suggestion, SuggestionStatus

DEFAULT_PERIOD = timedelta(days=7)


def digest_period(
    store: Store, *, now: datetime, since: datetime | None = None
) -> tuple[datetime, datetime]:
    """``(start, end)`` in UTC; ``start >= end`` means there is nothing left to cover."""
    end = utc(now)
    if since is not None:
        return utc(since), end
    last = store.last_digest()
    if last is not None:
        return utc(last.period_end), end
    return end - DEFAULT_PERIOD, end


def pending_in_period(
    config: Config, store: Store, start: datetime, end: datetime
) -> list[Suggestion]:
    """Pending suggestions of the configured reports created in ``[start, end)``."""
    chosen: list[Suggestion] = []
    for report in config.reports:
        chosen.extend(
            s
            for s in store.suggestions(
                report=report.id, status=SuggestionStatus.PENDING, since=start
            )
            if start <= utc(s.created_at) < end
        )
    return chosen


def health_changes(
    config: Config, store: Store, start: datetime, end: datetime
) -> list[HealthChange]:
    """Configured feeds that started failing or recovered in ``[start, end)``, by name.

    Each is judged by its state at the start (its last change before it) and
    at the end (its last change in the period); a feed with no change in the
    period is not news, whatever its state.
    """
    names = {feed.url: feed.name for feed in config.feeds}
    history: dict[str, list[SourceEvent]] = {}
    for event in store.source_events(until=end):
        if event.url in names:
            history.setdefault(event.url, []).append(event)
    changes: list[HealthChange] = []
    for url, events in history.items():
        before = [e for e in events if utc(e.at) < start]
        inside = [e for e in events if utc(e.at) >= start]
        if not inside:
            continue
        failing_at_start = bool(before) and before[-1].event == "failing"
        last = inside[-1]
        if not failing_at_start and last.event == "failing":
            changes.append(HealthChange(names[url], url, "failing", last.at, None, last.error))
        elif failing_at_start and last.event == "recovered":
            changes.append(HealthChange(names[url], url, "recovered", before[-1].at, last.at, None))
    return sorted(changes, key=lambda c: (c.state != "failing", c.name.lower(), c.url))


def outline(report: ReportConfig) -> ReportOutline:
    """Title, headings as written, reference numbers and language of a report;
    one that cannot be read still gets its digest, titled by its id and
    ordered by section id."""
    try:
        parsed = load_report(report.path, report_id=report.id, language=report.language)
    except (ReportError, OSError, UnicodeDecodeError):
        return ReportOutline(id=report.id, title=report.id, sections=(), language=report.language)
    return ReportOutline(
        id=report.id,
        title=parsed.title or report.id,
        sections=tuple((s.id, s.title) for s in parsed.sections),
        language=report.language,
        references=tuple((r.url, r.number) for r in parsed.references if r.url),
    )


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} must be timezone-aware")
    return moment.astimezone(UTC)
