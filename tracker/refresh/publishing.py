"""Moved to :mod:`tracker.refresh.publish` (the publish stage of a refresh).

Kept only so the orchestrator's import keeps working until it imports
``publish_editions`` from there; then this module goes.
"""

from tracker.refresh.publish import publish_editions

__all__ = ["publish_editions"]
