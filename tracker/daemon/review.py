"""The review pages' backend as the daemon implements it: each call goes to its ``Tracker``.

A mixin of :class:`~tracker.daemon.service.Daemon`, kept apart so the
service module stays about the service's lifecycle. It holds no state and
decides nothing: ``self.tracker`` (replaced on a config reload) does the work.
"""

from __future__ import annotations

from tracker.app import Decided, Tracker
from tracker.status import Status
from tracker.store import Decision, EditionRecord
from tracker.types import Report, Suggestion, SuggestionStatus


class ReviewMethods:
    """:class:`~tracker.daemon.pages.ReviewBackend` over ``self.tracker``."""

    tracker: Tracker

    def report_ids(self) -> list[str]:
        return [report.id for report in self.tracker.config.reports]

    def report(self, report_id: str) -> Report:
        return self.tracker.report(report_id)

    def suggestions(
        self, *, report: str | None, status: SuggestionStatus | None, section: str | None
    ) -> list[Suggestion]:
        return self.tracker.suggestions(report=report, status=status, section=section)

    def suggestion(self, suggestion_id: int) -> Suggestion | None:
        return self.tracker.suggestion(suggestion_id)

    def decide(
        self, ids: list[int], status: SuggestionStatus, edited_text: str | None = None
    ) -> Decided:
        return self.tracker.decide(ids, status, edited_text=edited_text)

    def undo(self) -> list[Decision]:
        return self.tracker.undo()

    def editions(self, report_id: str) -> list[EditionRecord]:
        return self.tracker.editions(report_id)

    def compare_editions(self, report_id: str, old: EditionRecord, new: EditionRecord) -> str:
        return self.tracker.compare_editions(report_id, old, new)

    def overview(self) -> Status:
        return self.tracker.status()

    def adopt_feed(self, feed_url: str) -> int:
        """Add an advertised feed to the config file, then have the daemon reload it
        (as SIGHUP does), so the next refresh polls it. Returns how many were added."""
        added = len(self.tracker.adopt_feed(feed_url).added)
        if added:
            self.request_reload()
        return added

    def request_reload(self) -> None:
        """Re-read the config on the service's own thread (the daemon implements it)."""
