"""Suggested edits, as data: what to propose and in which words.

Plain functions, no I/O and no clock; the refresh decides what is new and
stores it. :mod:`~tracker.suggest.additions` (news for a section, and what
must not become a second suggestion), :mod:`~tracker.suggest.sources` (cited
pages that changed or went away).
"""

from tracker.suggest.additions import addition, is_already_cited, near_duplicate, reference_entry
from tracker.suggest.sources import archive_url, changed_passages, source_changed, source_gone

__all__ = [
    "addition",
    "archive_url",
    "changed_passages",
    "is_already_cited",
    "near_duplicate",
    "reference_entry",
    "source_changed",
    "source_gone",
]
