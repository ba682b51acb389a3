"""Which period a digest covers and what goes in it, read from the store.

The period runs from ``since`` (when given), else from the end of the last
digest sent, else from seven days before ``now``; it ends at ``now``. Its
content is every pending suggestion created in it, for the configured
reports, with each report's outline (title, headings, references) so the
digest can order and name sections as the report does.

Nothing here writes: recording a sent digest is the digest's last step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.config import Config, ReportConfig
from tracker.errors import ReportError
from tracker.notify.compose import ReportOutline
from tracker.report import load_report
from tracker.store import Store
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
