"""Rendering: refreshed editions, their diffs and the report's changelog.

* :func:`render_edition` — the report's Markdown with suggestions merged;
* :func:`render_html` / :func:`unified_diff` — the edition against the previous one;
* :func:`changelog_entry` / :func:`prepend_changelog` / :func:`unreported_cited` —
  CHANGELOG.md text, and which cited changes it has yet to report;
* :func:`write_edition` — the only function here that touches the disk:
  decides what changed and writes it atomically (:func:`write_atomic`),
  letting the caller record the changelog entry before the file gets it and
  the edition before its ``.md`` marks it complete.

diff_match_patch is imported in this package only; jinja2 here and in
:mod:`tracker.notify.render` (each package renders from its own templates).
"""

from tracker.render.changelog import changelog_entry, prepend_changelog, unreported_cited
from tracker.render.edition import render_edition
from tracker.render.files import write_atomic
from tracker.render.html import render_html
from tracker.render.unified import unified_diff
from tracker.render.writer import (
    EditionToRecord,
    EntryToRecord,
    Publication,
    UnwrittenEntry,
    latest_edition,
    write_edition,
)

__all__ = [
    "EditionToRecord",
    "EntryToRecord",
    "Publication",
    "UnwrittenEntry",
    "changelog_entry",
    "latest_edition",
    "prepend_changelog",
    "render_edition",
    "render_html",
    "unified_diff",
    "unreported_cited",
    "write_atomic",
    "write_edition",
]
