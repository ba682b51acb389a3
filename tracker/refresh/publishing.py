"""Publishing each report's edition and changelog at the end of a refresh.

A refresh that brought nothing new for a report (no new suggestion, no
noteworthy cited source) usually has nothing to publish either, and proving
that by rendering the edition costs more than the rest of such a refresh
(the render package and its template engine must be imported). So after a
publish that wrote nothing, a fingerprint of everything that decided it
is kept in ``<state_dir>/publish/<report>.key``; while the fingerprint
still matches, the report is not rendered at all. Anything that could change
the outcome (the report text, any suggestion or its status, the edition
files, the day, tracker's version) changes the fingerprint.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from tracker.config import ReportConfig
from tracker.refresh.state import RunState
from tracker.store import EditionRecord, Store
from tracker.types import CitedCheck, CitedStatus, Report, Suggestion


def publish_editions(
    store: Store,
    reports: Sequence[tuple[ReportConfig, Report]],
    state: RunState,
    *,
    clock: Callable[[], datetime],
    state_dir: Path,
) -> None:
    today = state.now.date()
    for report_config, report in reports:
        suggestions = store.suggestions(report=report.id)
        new_suggestions = [s for s in state.suggestions if s.report == report.id]
        cited = [c for c in state.cited if c.url in report.cited_urls and _noteworthy(c)]
        previous = store.last_edition(report.id)
        key_path = state_dir / "publish" / f"{report.id}.key"
        key = None
        if not new_suggestions and not cited:
            key = _unchanged_key(report_config, report, suggestions, previous, today)
            if _read_key(key_path) == key:
                continue  # the same inputs published nothing last time
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
            _write_key(key_path, key)


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
    """Render and write what changed; whether anything was written."""
    from tracker.render import publish
    from tracker.textutil import content_hash

    today = state.now.date()
    previous_path = Path(previous.path) if previous else None
    if previous_path is not None and not previous_path.exists():
        previous_path = None
    publication = publish(
        report,
        suggestions,
        new_suggestions=new_suggestions,
        cited=cited,
        editions_dir=report_config.editions_path,
        changelog_path=report_config.output_dir / "CHANGELOG.md",
        previous_edition=previous_path,
        day=today,
    )
    if not publication.changed or publication.edition_md is None:
        return publication.changed
    text = publication.edition_md.read_text(encoding="utf-8")
    store.record_edition(
        report.id, today.isoformat(), str(publication.edition_md), content_hash(text), clock()
    )
    state.editions.extend(
        str(path)
        for path in (publication.edition_md, publication.edition_html, publication.edition_diff)
        if path is not None
    )
    return True


def _unchanged_key(
    report_config: ReportConfig,
    report: Report,
    suggestions: Sequence[Suggestion],
    previous: EditionRecord | None,
    day: date,
) -> str:
    """A digest of every input of ``publish`` when there is nothing new to list."""
    from tracker import __version__

    digest = hashlib.sha256()
    for part in (
        __version__,
        day.isoformat(),
        report.id,
        report.language,
        str(report.path),
        report.markdown,
        str(report_config.editions_path),
        repr(previous),
        # The frozen dataclasses' reprs carry every field, statuses included.
        repr(list(suggestions)),
        # The edition files publish may compare with: names, sizes, modification times.
        repr(_listing(report_config.editions_path)),
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def _listing(folder: Path) -> list[tuple[str, int, int]]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = []
    for entry in entries:
        try:
            info = entry.stat()
        except OSError:
            continue
        found.append((entry.name, info.st_size, info.st_mtime_ns))
    return sorted(found)


def _read_key(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None


def _write_key(path: Path, key: str) -> None:
    # A cache: losing or tearing it only means rendering once more next time.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(key, encoding="ascii")
    except OSError:
        pass


def _noteworthy(check: CitedCheck) -> bool:
    return check.text_changed or check.status is not CitedStatus.OK
