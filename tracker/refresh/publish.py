"""The publish stage of a refresh: decide, for each report, whether to write
an edition and changelog entry, and record what was written.

The files are written by :func:`tracker.render.write_edition`; this stage
gives it what the store knows: the previous edition's file, how the
report's suggestions stood in what was last published (an edition or a
changelog entry alone), what the changelog last reported about each cited
URL, and any changelog entry a killed run recorded without knowing it
written. It records a new changelog entry, with the cited changes it
reports and the suggestions it announces, before the file gets it, marks it
written after; and records the new edition, with the suggestions it shows,
before its ``.md`` (the marker of a complete edition) is written. Nothing is
learnt by reading a published file.

A refresh that brought nothing new for a report (no new suggestion, no
noteworthy cited source) usually has nothing to publish either, and proving
that by rendering the edition costs more than the rest of such a refresh
(the render package and its template engine must be imported). So after a
publish that wrote nothing, a key of the store state that decided it is
kept in the store (``publish_checks``); while the key still matches, the
report is not rendered at all. The key covers the report's text, every field
of every suggestion of the report, the last edition record (and so what it
showed), how the suggestions stood as last published, the day and
tracker's version: anything that could change the outcome changes it. Files
changed behind tracker's back are noticed on the next day's check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.config import ReportConfig
from tracker.refresh.state import RunState
from tracker.store import (
    ChangelogEntryRecord,
    CitedReported,
    EditionRecord,
    ShownSuggestions,
    Store,
)
from tracker.types import CitedCheck, CitedStatus, Report, Suggestion

if TYPE_CHECKING:
    from tracker.render import EditionToRecord, EntryToRecord


@dataclass(frozen=True)
class _Published:
    """What the store knows of what was published for one report."""

    edition: EditionRecord | None  # the last edition recorded
    announced: ShownSuggestions  # how the suggestions stood as last published
    unwritten: list[ChangelogEntryRecord]  # entries recorded, not known to be in the file


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
        published = _Published(
            edition=store.last_edition(report.id),
            announced=store.announced_suggestions(report.id),
            unwritten=store.unwritten_changelog_entries(report.id),
        )
        key = None
        if not new_suggestions and not cited and not published.unwritten:
            key = _state_key(report_config, report, suggestions, published, today)
            if store.last_publish_check(report.id) == key:
                continue  # the same state published nothing last time
        changed = _publish(
            store,
            report_config,
            report,
            suggestions,
            new_suggestions,
            cited,
            published,
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
    published: _Published,
    state: RunState,
    clock: Callable[[], datetime],
) -> bool:
    """Write what changed, recording a new entry and edition; whether anything was written."""
    from tracker.render import UnwrittenEntry, write_edition
    from tracker.textutil import content_hash

    def record_entry(entry: EntryToRecord) -> int:
        return store.record_changelog_entry(
            report.id,
            entry.day.isoformat(),
            entry.text,
            clock(),
            cited=[_reported(store, check) for check in entry.cited],
            announced=ShownSuggestions(pending=entry.pending, merged=entry.merged),
        )

    def entry_written(entry_id: int) -> None:
        store.changelog_entry_written(entry_id, clock())

    def record(edition: EditionToRecord) -> None:
        shown = ShownSuggestions(pending=edition.pending, merged=edition.merged)
        with store.transaction():
            store.record_edition(
                report.id,
                edition.day.isoformat(),
                str(edition.path),
                content_hash(edition.text),
                clock(),
                shown=shown,
            )
            store.record_announced(report.id, shown)

    previous = published.edition
    publication = write_edition(
        report,
        suggestions,
        new_suggestions=new_suggestions,
        cited=cited,
        editions_dir=report_config.editions_path,
        changelog_path=report_config.output_dir / "CHANGELOG.md",
        previous_edition=Path(previous.path) if previous else None,
        previously_pending=published.announced.pending,
        previously_merged=published.announced.merged,
        reported_cited={
            url: CitedCheck(url, r.status, r.final_url, text_changed=r.snapshot_id is not None)
            for url, r in store.reported_cited(report.id).items()
        },
        unwritten=[UnwrittenEntry(e.id, e.text) for e in published.unwritten],
        day=state.now.date(),
        record_entry=record_entry,
        entry_written=entry_written,
        record=record,
    )
    state.editions.extend(
        str(path)
        for path in (publication.edition_md, publication.edition_html, publication.edition_diff)
        if path is not None
    )
    return publication.changed


def _reported(store: Store, check: CitedCheck) -> CitedReported:
    """The store's row for a reported cited change: a new text is its snapshot."""
    snapshot = store.latest_snapshot(check.url) if check.text_changed else None
    return CitedReported(
        check.url, check.status, check.final_url, snapshot.id if snapshot is not None else None
    )


def _state_key(
    report_config: ReportConfig,
    report: Report,
    suggestions: Sequence[Suggestion],
    published: _Published,
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
        repr(published.edition),
        repr((sorted(published.announced.pending), sorted(published.announced.merged))),
        # The frozen dataclasses' reprs carry every field, statuses included.
        repr(list(suggestions)),
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def _noteworthy(check: CitedCheck) -> bool:
    return check.text_changed or check.status is not CitedStatus.OK
