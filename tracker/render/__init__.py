"""Rendering: refreshed editions, their diffs, the report's changelog, and the
weekly digest's bodies (:mod:`tracker.render.digest`).

* :func:`render_edition` — the report's Markdown with suggestions merged;
* :func:`render_html` / :func:`unified_diff` — the edition against the previous one;
* :func:`changelog_entry` / :func:`prepend_changelog` — CHANGELOG.md text;
* :func:`publish` — the only function here that touches the disk: decides
  what changed and writes it atomically (:func:`write_atomic`).

jinja2 and diff_match_patch are imported in this package only.
"""

from tracker.render.changelog import changelog_entry, prepend_changelog
from tracker.render.edition import render_edition
from tracker.render.files import write_atomic
from tracker.render.html import render_html
from tracker.render.publish import Publication, latest_edition, publish
from tracker.render.unified import unified_diff

__all__ = [
    "Publication",
    "changelog_entry",
    "latest_edition",
    "prepend_changelog",
    "publish",
    "render_edition",
    "render_html",
    "unified_diff",
    "write_atomic",
]
