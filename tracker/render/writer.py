"""Writing an edition and the changelog entry of one refresh to disk.

Decides whether anything is worth writing, then writes each file atomically
in an order that survives being killed at any point: the ``.diff`` and
``.html`` first; then the caller records the changelog entry
(``record_entry``), ``CHANGELOG.md`` gets it and the caller marks it written
(``entry_written``); then the caller records the edition (``record``), and
the edition's ``.md`` goes last.

The ``.md`` is the marker of a complete edition: as long as it is missing
(or still the older text), the next write sees a changed edition and writes
its files again. Because the record is made before the ``.md``, a complete
edition always has its record. The changelog entry is recorded, with what
it announces, before the file gets it, so a rerun never lists the same
things again; an entry recorded but not marked written comes back from the
caller (``unwritten``) and is written again, which is a no-op when the
killed run had already put it on top of the file. Either way it is in the
file once, under the date it was made on, whatever day the rerun runs.

What was published before comes from the caller (the store's record of it),
never from reading a published file back: the changelog lists new pending
suggestions not yet published as pending, decisions on suggestions that
were, and cited-source changes it has not reported. ``CHANGELOG.md`` is read
only to prepend to it. Pure apart from the files named here; does not read
the clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tracker.errors import RenderError
from tracker.render.changelog import changelog_entry, prepend_changelog, unreported_cited
from tracker.render.edition import render_edition
from tracker.render.files import write_atomic
from tracker.render.html import render_html
from tracker.render.unified import unified_diff
from tracker.types import CitedCheck, Report, Suggestion, SuggestionKind, SuggestionStatus

_EDITION_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.md$")
# Kinds whose acceptance changes the report's text (and gives it a reference).
_MERGED_KINDS = frozenset(
    {SuggestionKind.ADDITION, SuggestionKind.REVISION, SuggestionKind.CITATION}
)


@dataclass(frozen=True)
class Publication:
    """What :func:`write_edition` wrote (``None`` for a file it left alone)."""

    edition_md: Path | None
    edition_html: Path | None
    edition_diff: Path | None
    changelog: Path | None
    changed: bool


@dataclass(frozen=True)
class EntryToRecord:
    """A changelog entry about to be prepended to ``CHANGELOG.md``.

    ``cited`` are the cited-source changes it reports; ``pending`` and
    ``merged`` say how the report's suggestions stand once it is published,
    as for :class:`EditionToRecord`.
    """

    day: date
    text: str
    cited: tuple[CitedCheck, ...]
    pending: frozenset[int]
    merged: frozenset[int]


@dataclass(frozen=True)
class UnwrittenEntry:
    """A changelog entry recorded by an earlier write, not known to be in the file."""

    id: int
    text: str


@dataclass(frozen=True)
class EditionToRecord:
    """An edition whose other files are written and whose ``.md`` is written next.

    ``pending`` and ``merged`` are the ids of the report's suggestions it shows
    for review and merged into its text (accepted ones); rejected ones it
    does not show.
    """

    path: Path
    day: date
    text: str
    pending: frozenset[int]
    merged: frozenset[int]


def write_edition(
    report: Report,
    suggestions: Sequence[Suggestion],
    *,
    new_suggestions: Sequence[Suggestion],
    cited: Sequence[CitedCheck],
    editions_dir: Path,
    changelog_path: Path,
    previous_edition: Path | None,
    previously_pending: Collection[int],
    previously_merged: Collection[int],
    reported_cited: Mapping[str, CitedCheck],
    unwritten: Sequence[UnwrittenEntry],
    day: date,
    record_entry: Callable[[EntryToRecord], int],
    entry_written: Callable[[int], None],
    record: Callable[[EditionToRecord], None],
) -> Publication:
    """Write ``editions/<day>.md/.html/.diff`` and prepend ``CHANGELOG.md`` when needed.

    The edition is written when its text differs from ``previous_edition``
    (else the newest edition in ``editions_dir``, else the original report).
    A changelog entry is written when there is a new suggestion (or a
    pending one not yet published as pending: ``previously_pending``), a
    decision on a suggestion published as pending, an accepted addition,
    revision or citation not yet published merged (``previously_merged``),
    or a cited-source change ``reported_cited`` (per URL, the change the
    changelog last reported) does not already report. ``unwritten`` entries
    are written first, oldest first. Nothing is written otherwise
    (``changed=False``).

    ``record_entry`` is called before a new entry goes into the file and
    returns its id; ``entry_written`` is called with an entry's id once the
    file holds it. ``record`` is called once per written edition, before its
    ``.md``; if it raises, the ``.md`` is not written. The diff and the HTML
    highlighting compare with the newest edition of an earlier day, or the
    original report, so a second write on the same day rewrites that day's
    files with the whole day's changes.
    """
    edition = render_edition(report, suggestions, edition_date=day)
    # The caller's record may point at a .md never written (killed before it).
    if previous_edition is not None and not previous_edition.exists():
        previous_edition = None
    previous_edition = previous_edition or latest_edition(editions_dir)
    previous_text = _read(previous_edition) if previous_edition else report.markdown
    existing_log = _read(changelog_path) if changelog_path.exists() else None

    mine = [s for s in suggestions if s.report == report.id]
    listed = _dedupe(
        [
            *(s for s in new_suggestions if s.report == report.id),
            *_unpublished_pending(mine, previously_pending),
            *_decided_since(mine, previously_pending, previously_merged),
        ]
    )
    fresh_cited = unreported_cited(cited, reported_cited)
    edition_changed = edition != previous_text
    if not edition_changed and not listed and not fresh_cited and not unwritten:
        return Publication(None, None, None, None, changed=False)

    md_path = editions_dir / f"{day.isoformat()}.md"
    html_path = diff_path = None
    if edition_changed:
        base_name, base_text = _diff_base(report, editions_dir, day)
        to_name = f"{editions_dir.name}/{md_path.name}"
        diff_path = md_path.with_suffix(".diff")
        html_path = md_path.with_suffix(".html")
        write_atomic(
            diff_path, unified_diff(base_text, edition, from_name=base_name, to_name=to_name)
        )
        write_atomic(
            html_path,
            render_html(
                edition, base_text, title=report.title, edition_date=day, language=report.language
            ),
        )
    log_written = None
    pending, merged = _shown(mine)
    entries = list(unwritten)
    if listed or fresh_cited:
        text = changelog_entry(report, day=day, suggestions=listed, cited=fresh_cited)
        entry = EntryToRecord(day, text, tuple(fresh_cited), pending, merged)
        entries.append(UnwrittenEntry(record_entry(entry), text))
    # One entry at a time, each marked written before the next is prepended:
    # at most one entry is ever in doubt, and it is on top if it was written.
    for unconfirmed in entries:
        updated = prepend_changelog(existing_log, unconfirmed.text, title=_changelog_title(report))
        if updated != existing_log:
            write_atomic(changelog_path, updated)
            existing_log, log_written = updated, changelog_path
        entry_written(unconfirmed.id)
    if edition_changed:
        record(EditionToRecord(md_path, day, edition, pending, merged))
        write_atomic(md_path, edition)
    return Publication(
        edition_md=md_path if edition_changed else None,
        edition_html=html_path,
        edition_diff=diff_path,
        changelog=log_written,
        changed=edition_changed or log_written is not None,
    )


def latest_edition(editions_dir: Path, *, before: date | None = None) -> Path | None:
    """The newest complete edition (``YYYY-MM-DD.md``), optionally of a day before ``before``."""
    if not editions_dir.is_dir():
        return None
    found = []
    for path in editions_dir.iterdir():
        match = _EDITION_NAME.match(path.name)
        if match and (before is None or match.group(1) < before.isoformat()):
            found.append(path)
    return max(found, key=lambda p: p.name, default=None)


def _diff_base(report: Report, editions_dir: Path, day: date) -> tuple[str, str]:
    earlier = latest_edition(editions_dir, before=day)
    if earlier is None:
        return Path(report.path).name or "report.md", report.markdown
    return f"{editions_dir.name}/{earlier.name}", _read(earlier)


def _shown(suggestions: Sequence[Suggestion]) -> tuple[frozenset[int], frozenset[int]]:
    """(pending, merged): the ids an edition of these suggestions shows, by status."""
    stored = [(s.id, s.status) for s in suggestions if s.id is not None]
    pending = frozenset(i for i, status in stored if status is SuggestionStatus.PENDING)
    merged = frozenset(i for i, status in stored if status is SuggestionStatus.ACCEPTED)
    return pending, merged


def _unpublished_pending(
    suggestions: Sequence[Suggestion], previously_pending: Collection[int]
) -> list[Suggestion]:
    """Pending suggestions the previous edition did not show as pending.

    Normally exactly the refresh's new ones; after a refresh killed between
    storing suggestions and publishing, also those it stored, which would
    otherwise never reach the changelog.
    """
    return [
        s
        for s in suggestions
        if s.status is SuggestionStatus.PENDING
        and s.id is not None
        and s.id not in previously_pending
    ]


def _decided_since(
    suggestions: Sequence[Suggestion],
    previously_pending: Collection[int],
    previously_merged: Collection[int],
) -> list[Suggestion]:
    """Suggestions accepted or rejected since the previous edition was made.

    Those it showed as pending, plus accepted additions, revisions and
    citations it did not merge (accepted before they were ever published).
    """
    return [
        s
        for s in suggestions
        if s.status is not SuggestionStatus.PENDING
        and (
            s.id in previously_pending
            or (
                s.status is SuggestionStatus.ACCEPTED
                and s.kind in _MERGED_KINDS
                and s.id not in previously_merged
            )
        )
    ]


def _dedupe(suggestions: list[Suggestion]) -> list[Suggestion]:
    seen: set[object] = set()
    out = []
    for s in suggestions:
        key = s.id if s.id is not None else (s.url, s.section, s.kind)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _changelog_title(report: Report) -> str:
    suffix = " · 更新记录" if report.language.lower().startswith("zh") else " · Changelog"
    return f"{report.title}{suffix}"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"cannot read {path}: {exc}") from exc
