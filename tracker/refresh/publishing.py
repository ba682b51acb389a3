"""Publishing each report's edition and changelog at the end of a refresh."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from tracker.config import ReportConfig
from tracker.refresh.state import RunState
from tracker.store import Store
from tracker.types import CitedCheck, CitedStatus, Report


def publish_editions(
    store: Store,
    reports: Sequence[tuple[ReportConfig, Report]],
    state: RunState,
    *,
    clock: Callable[[], datetime],
) -> None:
    from tracker.render import publish
    from tracker.textutil import content_hash

    today = state.now.date()
    for report_config, report in reports:
        previous = store.last_edition(report.id)
        previous_path = Path(previous.path) if previous else None
        if previous_path is not None and not previous_path.exists():
            previous_path = None
        publication = publish(
            report,
            store.suggestions(report=report.id),
            new_suggestions=[s for s in state.suggestions if s.report == report.id],
            cited=[c for c in state.cited if c.url in report.cited_urls and _noteworthy(c)],
            editions_dir=report_config.editions_path,
            changelog_path=report_config.output_dir / "CHANGELOG.md",
            previous_edition=previous_path,
            day=today,
        )
        if not publication.changed or publication.edition_md is None:
            continue
        text = publication.edition_md.read_text(encoding="utf-8")
        store.record_edition(
            report.id, today.isoformat(), str(publication.edition_md), content_hash(text), clock()
        )
        state.editions.extend(
            str(path)
            for path in (publication.edition_md, publication.edition_html, publication.edition_diff)
            if path is not None
        )


def _noteworthy(check: CitedCheck) -> bool:
    return check.text_changed or check.status is not CitedStatus.OK
