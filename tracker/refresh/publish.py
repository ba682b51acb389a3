"""The publish stage of a refresh: decide, for each report, whether to write
an edition and changelog entry, and record what was written.

The files are written by :func:`tracker.render.write_edition`; this stage
gives it what the store knows about the previous edition (its file, the
suggestions it showed pending or merged) and records the new edition, with
the suggestions it shows, before its ``.md`` (the marker of a complete
edition) is written. Nothing is learnt by reading a published file.

A refresh that brought nothing new for a report (no new suggestion, no
noteworthy cited source) usually has nothing to publish either, and proving
that by rendering the edition costs more than the rest of such a refresh
(the render package and its template engine must be imported). So after a
publish that wrote nothing, a key of the store state that decided it is
kept in the store (``publish_checks``); while the key still matches, the
report is not rendered at all. The key covers the report's text, every field
of every suggestion of the report, the last edition record (and so what it
showed), the day and tracker's version: anything that could change the
outcome changes it. Files changed behind tracker's back are noticed on the
next day's check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from tracker.config import ReportConfig
from tracker.refresh.state import RunState
from tracker.store import EditionRecord, ShownSuggestions, Store
from tracker.types import CitedCheck, CitedStatus, Report, Suggestion


def publish_editions(
    store: Store,
    reports: Sequence[tuple[ReportConfig, Report]],
    state: RunState,
    *,
    clock: Callable[[], datetime],
) -> None:
    """Publish what changed for each report; add the edition files written to ``state``."""
    today = state.now.date()
    for report_config, report in reports:
        suggestions = store.suggestions(report=report.id)
        new_suggestions = [s for s in state.suggestions if s.report == report.id]
        cited = [c for c in state.cited if c.url in report.cited_urls and _noteworthy(c)]
        previous = store.last_edition(report.id)
        key = None
        if not new_suggestions and not cited:
            key = _state_key(report_config, report, suggestions, previous, today)
            if store.last_publish_check(report.id) == key:
                continue  # the same state published nothing last time
        changed = _publish(
            store,
            report_config,
            report,
            suggestions,
            new_suggestions,
            cited,
            previous,
            state,
            clock,
        )
        if key is not None and not changed:
            store.record_publish_check(report.id, key, clock())


def _publish(
    store: Store,
    report_config: ReportConfig,
    report: Report,
    suggestions: Sequence[Suggestion],
    new_suggestions: Sequence[Suggestion],
    cited: Sequence[CitedCheck],
    previous: EditionRecord | None,
    state: RunState,
    clock: Callable[[], datetime],
) -> bool:
    """Write what changed, recording a new edition; whether anything was written."""
    from tracker.render import EditionToRecord, write_edition
    from tracker.textutil import content_hash

    shown = (
        store.shown_in_edition(report.id, previous.edition_date) if previous else ShownSuggestions()
    )

    def record(edition: EditionToRecord) -> None:
        store.record_edition(
            report.id,
            edition.day.isoformat(),
            str(edition.path),
            content_hash(edition.text),
            clock(),
            shown=ShownSuggestions(pending=edition.pending, merged=edition.merged),
        )

    publication = write_edition(
        report,
        suggestions,
        new_suggestions=new_suggestions,
        cited=cited,
        editions_dir=report_config.editions_path,
        changelog_path=report_config.output_dir / "CHANGELOG.md",
        previous_edition=Path(previous.path) if previous else None,
        previously_pending=shown.pending,
        previously_merged=shown.merged,
        day=state.now.date(),
        record=record,
    )
    state.editions.extend(
        str(path)
        for path in (publication.edition_md, publication.edition_html, publication.edition_diff)
        if path is not None
    )
    return publication.changed


def _state_key(
    report_config: ReportConfig,
    report: Report,
    suggestions: Sequence[Suggestion],
    previous: EditionRecord | None,
    day: date,
) -> str:
    """A digest of everything that decides a publish when there is nothing new to list."""
    from tracker import __version__

    digest = hashlib.sha256()
    for part in (
        __version__,
        day.isoformat(),
        report.id,
        report.language,
        str(report.path),
        hashlib.sha256(report.markdown.encode("utf-8", "surrogatepass")).hexdigest(),
        str(report_config.editions_path),
        str(report_config.output_dir),
        # The record names the edition, and so the suggestions it showed.
        repr(previous),
        # The frozen dataclasses' reprs carry every field, statuses included.
        repr(list(suggestions)),
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def _noteworthy(check: CitedCheck) -> bool:
    return check.text_changed or check.status is not CitedStatus.OK
