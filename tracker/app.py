"""The library's front door: :class:`Tracker`.

A ``Tracker`` is built from a validated :class:`~tracker.config.Config` and
is the only place that wires the config, the store and the pipelines
together. Every interface is a thin layer over it: the ``tracker`` command,
the daemon's scheduler, control API and pages, the demo, and ``eval/``.
Its methods take and return typed data (dataclasses from
:mod:`tracker.types`, the store and the pipelines), never dicts.

What it deliberately does not do: print, parse arguments, speak HTTP or
schedule anything. It holds no open resources either: each call opens the
store for its own duration, so one ``Tracker`` may be shared by threads
(the daemon's scheduler, its worker and its web handlers).
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.config import Config, ReportConfig, load_config
from tracker.errors import ConfigError, TrackerError
from tracker.store import Decision, EditionRecord, RunRecord, Store, open_store
from tracker.types import (
    Article,
    Claim,
    ClaimStatus,
    Report,
    RunSummary,
    Suggestion,
    SuggestionStatus,
)

# The pipelines are imported by the methods that run them: a command pays
# only for what it uses (`tracker suggestions` never loads aiohttp, a refresh
# with nothing new never loads jinja2, `tracker refresh` never loads APScheduler).
if TYPE_CHECKING:
    from tracker.notify.digest import DigestResult
    from tracker.refresh import RefreshEvents
    from tracker.sources import AddResult
    from tracker.status import QueueStatus, Status
    from tracker.tasks.engine import Engine, EngineSettings
    from tracker.tasks.request import RoundWait


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Decided:
    """What :meth:`Tracker.decide` did: the ids it set, and those it found no suggestion for."""

    status: SuggestionStatus
    done: tuple[int, ...]
    missing: tuple[int, ...]


@dataclass(frozen=True)
class MetricsSnapshot:
    """What the daemon's ``/metrics`` needs at one moment."""

    runs: list[RunRecord]  # the most recent, newest first
    pending_suggestions: dict[str, int]  # report id → count
    sources_failing: int
    refresh_running: bool
    queue: QueueStatus | None = None  # with a PostgreSQL store: the shared task queue


class Tracker:
    """tracker as a library: refresh, review, publish and report, for one config."""

    def __init__(self, config: Config, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.clock = clock

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None = None) -> Tracker:
        """Load and validate a config (``None``: ``$TRACKER_CONFIG``, then ``./sources.yaml``).

        Raises :class:`~tracker.errors.ConfigError` listing every problem.
        """
        return cls(load_config(path))

    @contextmanager
    def _store(self) -> Iterator[Store]:
        with open_store(self.config.store_location) as store:
            yield store

    # -- refreshing ---------------------------------------------------------

    def refresh(
        self,
        *,
        trigger: str = "cli",
        wait: bool = False,
        events: RefreshEvents | None = None,
        due_only: bool = False,
        feed_names: Sequence[str] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        on_started: Callable[[int], None] | None = None,
        force: bool = False,
    ) -> RunSummary:
        """One full cycle for every report, under the state folder's refresh lock.

        See :func:`tracker.refresh.pipeline.run_refresh` for the arguments.
        Raises :class:`~tracker.errors.LockError` when another refresh runs.
        """
        from tracker.refresh import run_refresh

        return run_refresh(
            self.config,
            trigger=trigger,
            wait=wait,
            events=events,
            due_only=due_only,
            feed_names=feed_names,
            clock=self.clock,
            should_stop=should_stop,
            on_started=on_started,
            force=force,
        )

    def refresh_on_queue(
        self, *, timeout: float | None = None, seen: RoundWait | None = None
    ) -> RunSummary:
        """With a PostgreSQL store: a round of every feed queued for the workers (or the
        one already waiting), waited for; its run's summary. See
        :func:`tracker.tasks.request.refresh_on_queue`."""
        from tracker.tasks import shared_queue_url
        from tracker.tasks.request import refresh_on_queue

        engine = self.task_engine(pool_size=2)
        url = shared_queue_url(self.config)
        assert url is not None  # task_engine refuses the SQLite store
        return refresh_on_queue(engine, url, self._store, timeout=timeout, seen=seen)

    def refresh_via_daemon(self) -> int:
        """Ask the running daemon to refresh now; return the id of the run it started."""
        from tracker.control import request_refresh

        return request_refresh(self.config)

    def runs(self, limit: int = 10) -> list[RunRecord]:
        with self._store() as store:
            return store.runs(limit=limit)

    # -- what the report and its sources hold --------------------------------

    def report(self, report_id: str) -> Report:
        """The report as it stands on disk, parsed. Raises ``ReportError``."""
        from tracker.report import load_report

        config = self._report_config(report_id)
        return load_report(config.path, report_id=config.id, language=config.language)

    def articles(self, *, source: str | None = None, limit: int | None = None) -> list[Article]:
        """Collected articles, newest first."""
        with self._store() as store:
            return store.articles(source=source, limit=limit)

    # -- review ----------------------------------------------------------------

    def suggestions(
        self,
        *,
        report: str | None = None,
        status: SuggestionStatus | None = None,
        section: str | None = None,
    ) -> list[Suggestion]:
        with self._store() as store:
            return store.suggestions(report=report, status=status, section=section)

    def suggestion(self, suggestion_id: int) -> Suggestion | None:
        with self._store() as store:
            return store.suggestion(suggestion_id)

    def claims(
        self, *, report: str | None = None, status: ClaimStatus | None = None
    ) -> list[Claim]:
        """The reports' cited sentences, each with where it stands against the pages it
        cites, as the last refresh indexed and checked them. A report no refresh has
        indexed yet is read from its file, every claim ``unchecked``."""
        configs = [self._report_config(report)] if report is not None else self.config.reports
        found: list[Claim] = []
        with self._store() as store:
            for config in configs:
                if store.claim_index_key(config.id) is not None:
                    found.extend(store.claims(report=config.id, status=status))
                elif status in (None, ClaimStatus.UNCHECKED):
                    from tracker.claims.index import claims_of

                    found.extend(claims_of(self.report(config.id)))
        return found

    def decide(
        self, ids: Sequence[int], status: SuggestionStatus, *, edited_text: str | None = None
    ) -> Decided:
        """Accept or reject suggestions, as one decision; the next refresh publishes an
        edition that shows it.

        ``edited_text`` accepts one suggestion in the editor's wording: the edition
        merges it, the suggestion keeps its original ``proposed_text``.
        """
        if status is SuggestionStatus.PENDING:
            raise TrackerError("a decision accepts or rejects; use undo() to take one back")
        if edited_text is not None:
            if len(set(ids)) != 1 or status is not SuggestionStatus.ACCEPTED:
                raise TrackerError("edited text goes with accepting exactly one suggestion")
            if not edited_text.strip():
                raise TrackerError("the edited text is empty")
        with self._store() as store:
            done = store.set_suggestion_status(ids, status, self.clock(), edited_text=edited_text)
        missing = tuple(sorted(set(ids) - set(done)))
        return Decided(status=status, done=tuple(done), missing=missing)

    def undo(self) -> list[Decision]:
        """Take back the last decision (a whole batch): each suggestion returns to the
        state it had before. Returns what was undone; empty when nothing was left."""
        with self._store() as store:
            return store.undo_last_decision(self.clock())

    def compare_editions(self, report: str, old: EditionRecord, new: EditionRecord) -> str:
        """The HTML page of edition ``new`` with what changed since ``old`` highlighted.

        Raises :class:`~tracker.errors.TrackerError` when either file is missing.
        """
        from tracker.render import render_html

        parsed = self.report(report)
        try:
            old_md = Path(old.path).read_text(encoding="utf-8")
            new_md = Path(new.path).read_text(encoding="utf-8")
        except OSError as exc:
            raise TrackerError(f"an edition's file is missing: {exc}") from exc
        return render_html(
            new_md,
            old_md,
            title=parsed.title,
            edition_date=date.fromisoformat(new.edition_date),
            language=parsed.language,
        )

    def editions(self, report: str) -> list[EditionRecord]:
        """The report's published editions, newest first."""
        self._report_config(report)
        with self._store() as store:
            return store.editions(report)

    # -- the weekly digest -------------------------------------------------------

    def digest(
        self,
        *,
        send: bool,
        since: datetime | None = None,
        to: Sequence[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        environ: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> DigestResult:
        """Compose the digest of the period and, with ``send``, deliver it once.

        See :func:`tracker.notify.digest.run_digest`; a naive ``since`` is read
        in ``schedule.timezone``.
        """
        from tracker.notify.digest import run_digest

        with self._store() as store:
            return run_digest(
                self.config,
                store,
                now=self.clock(),
                send=send,
                since=since,
                to=to,
                ssl_context=ssl_context,
                environ=environ,
                sleep=sleep,
            )

    def last_digest_sent(self) -> datetime | None:
        with self._store() as store:
            record = store.last_digest()
        return record.sent_at if record else None

    # -- the feeds in sources.yaml ---------------------------------------------------

    def import_opml(self, path: str | os.PathLike[str]) -> AddResult:
        """Append the feeds of an OPML file to the config file, skipping URLs already
        there; see :func:`tracker.sources.add_feeds`. This ``Tracker`` keeps the
        config it was built with: the next one (or the daemon's reload) sees them.

        Raises ``ConfigError`` naming the OPML file or the config file.
        """
        from tracker.sources import add_feeds, read_opml

        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(str(path), [f"cannot be read: {exc.strerror or exc}"]) from None
        return add_feeds(self.config.source_path, read_opml(data, source=str(path)))

    def export_opml(self) -> bytes:
        """Every configured feed as an OPML 2.0 document (UTF-8)."""
        from tracker.sources import export_opml

        return export_opml(self.config)

    def adopt_feed(self, feed_url: str) -> AddResult:
        """Add a feed a cited page advertises (a ``Status.feed_candidates`` URL) to the
        config file under the page's title for it, as :meth:`import_opml` does."""
        from tracker.sources import adopt_feed

        with self._store() as store:
            candidates = store.feed_candidates()
        return adopt_feed(self.config.source_path, candidates, feed_url)

    # -- operations ----------------------------------------------------------------

    def status(self, *, runs: int = 10) -> Status:
        """Runs, sources' health, the daemon and next scheduled jobs, pending counts."""
        from tracker.status import collect_status

        found = collect_status(self.config, now=self.clock(), runs=runs)
        queue = self.queue_status()
        return found if queue is None else replace(found, queue=queue)

    def metrics(self, *, runs: int = 200) -> MetricsSnapshot:
        from tracker.lock import is_locked

        with self._store() as store:
            recent = store.runs(limit=runs)
            counts = store.counts()
            pending: dict[str, int] = {}
            for suggestion in store.suggestions(status=SuggestionStatus.PENDING):
                pending[suggestion.report] = pending.get(suggestion.report, 0) + 1
        return MetricsSnapshot(
            runs=recent,
            pending_suggestions=pending,
            sources_failing=counts.get("sources_failing", 0),
            refresh_running=is_locked(self.config.state_dir),
            queue=self.queue_status(),
        )

    # -- the shared task queue (PostgreSQL store only) -----------------------------------

    def uses_task_queue(self) -> bool:
        """Whether refreshes run as tasks on the shared queue (a PostgreSQL store)."""
        from tracker.tasks import shared_queue_url

        return shared_queue_url(self.config) is not None

    def queue_status(self) -> QueueStatus | None:
        """Workers, waiting jobs and the oldest waiting one; None with the SQLite store."""
        from tracker.tasks import shared_queue_url

        url = shared_queue_url(self.config)
        if url is None:
            return None
        from tracker.tasks.monitor import queue_status

        return queue_status(url, self.clock())

    def task_engine(self, settings: EngineSettings | None = None, *, pool_size: int = 4) -> Engine:
        """The task queue over the shared store, its tables created if missing.

        Raises :class:`~tracker.errors.ConfigError` when the store is the SQLite
        file: workers on several machines need one database they all reach."""
        from tracker.tasks import shared_queue_url

        url = shared_queue_url(self.config)
        if url is None:
            raise ConfigError(
                str(self.config.source_path),
                [
                    "workers need a PostgreSQL store (store.url: postgresql://...) that "
                    f"they and the scheduler share; this config uses the SQLite file "
                    f"{self.config.database_path}, which `tracker daemon` refreshes in-process"
                ],
            )
        from tracker.tasks.engine import Engine
        from tracker.tasks.schema import ensure_schema

        ensure_schema(url)
        return Engine(
            self.config, url, self._store, settings, pool_size=pool_size, clock=self.clock
        )

    # -- helpers -----------------------------------------------------------------------

    def _report_config(self, report_id: str) -> ReportConfig:
        for report in self.config.reports:
            if report.id == report_id:
                return report
        known = ", ".join(r.id for r in self.config.reports) or "none"
        raise TrackerError(f"no report {report_id!r} in {self.config.source_path} (known: {known})")

    @property
    def state_dir(self) -> Path:
        return self.config.state_dir
