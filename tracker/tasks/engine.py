"""The queue engine: procrastinate's tasks, locks and retries in the shared PostgreSQL.

:class:`Engine` builds one procrastinate ``App`` over the store's database
and registers tracker's tasks on it, each a thin shell over a step of
:mod:`tracker.tasks.work` that takes the step's locks and defers what comes
next:

``tracker.round``  (lock ``round``: one plans at a time; queueing lock ``round``,
    ``round:<group>`` for a feed group's own ``every``: one waiting round of each at most)
    start the round's run (:mod:`tracker.tasks.rounds`); plan the due feeds in
    host batches; defer a ``poll`` per batch, an ``extract`` per host for
    entries an earlier round left without an article, and a ``cited`` per
    report. Every job a round leads to carries its run id (``run``), adds what
    it did to the run, and the last one finishes it.
``tracker.poll``   (lock ``host:<host>``; queueing lock per host batch)
    poll one host's batch; defer an ``extract`` per host of the new entries.
``tracker.extract`` (lock ``host:<host>``: article pages are fetched politely too)
    fetch and extract the pages; defer a ``match``.
``tracker.match``  (lock and queueing lock ``match``: one at a time, one waiting)
    match and suggest; defer a ``publish`` for each report.
``tracker.publish`` (lock and queueing lock ``publish:<report>``)
    publish one report: an engine lock, not the state folder's file lock, so
    workers on several machines never write one report at once.
``tracker.cited`` (lock ``publish:<report>``, queueing lock ``cited:<report>``)
    check the report's due cited pages (:mod:`tracker.tasks.cited`), then publish
    it, so the changelog tells what they showed (and decisions made since merge).
``tracker.digest`` (lock and queueing lock ``digest``)
    the period's digest; the store's digest record makes it once per period.
``tracker.recover`` (periodic, every few seconds, deferred by the workers)
    jobs left ``doing`` by a worker whose heartbeat stopped (killed, machine
    gone) are put back to ``todo``, where another worker takes them; and rounds
    whose jobs are all done are finished, should their last jobs have missed it.
``tracker.prune`` (periodic, hourly)
    jobs that ended failed, cancelled or aborted more than :data:`FINISHED_KEPT_HOURS`
    ago are deleted with their events (successful ones go as they end), so the
    queue's tables, and the scans of them per run, stay the size of a week's failures.

Every task retries with exponential backoff on any error (:data:`RETRY`, or
:mod:`tracker.tasks.retry` for the tasks with a queueing lock): a database
hiccup or a crash in a step is retried, while a failing source is not an
error (it is recorded as the source's health).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.job_context import JobContext
from procrastinate.jobs import Status

from tracker.config import Config, load_config
from tracker.errors import ConfigError
from tracker.store import Store
from tracker.store.location import redact_url
from tracker.tasks import cited, polling, rounds, work
from tracker.tasks.payload import entry_from_json, entry_to_json
from tracker.tasks.plan import BATCH_SIZE, entries_by_host, host_lock
from tracker.tasks.retry import retrying
from tracker.types import FeedEntry

log = logging.getLogger("tracker.tasks")
T = TypeVar("T")

# 2, 4, 8, 16, 32 s between attempts: a database restart or a network blip is over
# long before the sixth; a step failing six times has a bug the log names. The
# tasks with queueing locks keep the same rhythm in tasks/retry.py.
RETRY = procrastinate.RetryStrategy(max_attempts=6, exponential_wait=2)
# Entries a round hands back to extract jobs when an earlier round stored them
# but never fetched their pages (a worker killed between the two).
BACKLOG_LIMIT = 5000
# How long a job that failed for good stays in the queue's table for people to look
# at (its error is in the worker's log too); then the hourly prune deletes it.
FINISHED_KEPT_HOURS = 7 * 24


@dataclass(frozen=True)
class EngineSettings:
    """How workers watch each other: a worker whose heartbeat is older than
    ``stalled_after`` seconds is taken for dead and its running jobs are retried."""

    heartbeat_seconds: float = 10.0
    stalled_after: float = 30.0
    recover_every: int = 5  # seconds between checks for stalled jobs
    batch_size: int = BATCH_SIZE


class Engine:
    """tracker's tasks on one procrastinate app; one per process."""

    def __init__(
        self,
        config: Config,
        queue_url: str,
        open_store: Callable[[], AbstractContextManager[Store]],
        settings: EngineSettings | None = None,
        *,
        pool_size: int = 4,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self._config_stamp = _stamp(config.source_path)
        self.settings = settings or EngineSettings()
        self._open_store = open_store
        self.clock = clock
        connector = procrastinate.PsycopgConnector(
            conninfo=queue_url, min_size=1, max_size=max(2, pool_size)
        )
        self.app = procrastinate.App(connector=connector)
        self._register()

    # -- the tasks ---------------------------------------------------------------

    def _register(self) -> None:
        app = self.app
        # Tasks with a queueing lock re-queue themselves after a failure (tasks/retry.py);
        # extract has none, and procrastinate's own retry serves it.
        task = functools.partial(app.task, pass_context=True)
        self.round = task(name="tracker.round", lock="round", queueing_lock="round")(
            retrying(app, self._round)
        )
        self.poll = task(name="tracker.poll")(retrying(app, self._poll))
        self.extract = task(name="tracker.extract", retry=RETRY)(self._extract)
        self.match = task(name="tracker.match", lock="match", queueing_lock="match")(
            retrying(app, self._match)
        )
        self.publish = task(name="tracker.publish")(retrying(app, self._publish))
        self.cited = task(name="tracker.cited")(retrying(app, self._cited))
        self.digest = task(name="tracker.digest", lock="digest", queueing_lock="digest")(
            retrying(app, self._digest)
        )
        recover = app.task(name="tracker.recover")(self._recover)
        every = max(1, min(59, self.settings.recover_every))
        app.periodic(cron=f"* * * * * */{every}", periodic_id="stalled")(recover)
        prune = app.task(name="tracker.prune")(self._prune)
        app.periodic(cron="17 * * * *", periodic_id="prune")(prune)

    def _in_store(self, step: Callable[..., Any], *args: Any) -> Any:
        config = self._fresh_config()
        with self._open_store() as store:
            return step(config, store, *args)

    async def _with_store(self, step: Callable[[Store], T]) -> T:
        result: T = await asyncio.to_thread(self._in_store, lambda config, store: step(store))
        return result

    async def _record(self, run: int | None, job_id: int | None, **done: Any) -> None:
        """Add what a job of a round did to the round's run, and finish the run when no
        other job of it is left (``done``: keyword arguments of ``Store.add_to_run``)."""
        if run is None:  # queued before runs were recorded, or not by a round
            return
        await self._with_store(lambda store: store.add_to_run(run, **done))
        await rounds.finish_if_done(self.app, self._with_store, run, job_id, self.clock())

    def _fresh_config(self) -> Config:
        """The config file as it is now: a worker runs for weeks while feeds are added.
        Re-read when the file changed; an invalid one is logged and the last kept."""
        stamp = _stamp(self.config.source_path)
        if stamp != self._config_stamp:
            self._config_stamp = stamp
            try:
                self.config = load_config(self.config.source_path)
            except ConfigError as exc:
                log.error("config.reload_failed path=%s kept=previous: %s", exc.path, exc)
            else:
                log.info("config.reloaded path=%s", self.config.source_path)
        return self.config

    async def _round(
        self, due_only: bool = True, feeds: list[str] | None = None, job_id: int | None = None
    ) -> None:
        run = await self._with_store(lambda store: rounds.begin(store, self.clock()))
        await rounds.announce(self.app, job_id, run)
        try:
            await self._plan_round(run, due_only, feeds)
        except BaseException:
            # Retried as a new round with a run of its own (tasks/retry.py); the jobs
            # this one queued still run, uncounted.
            await self._with_store(lambda store: store.close_run(run, self.clock(), "failed"))
            raise
        await rounds.finish_if_done(self.app, self._with_store, run, job_id, self.clock())

    async def _plan_round(self, run: int, due_only: bool, feeds: list[str] | None) -> None:
        planning = self.clock()
        plan: work.RoundPlan = await asyncio.to_thread(
            self._in_store,
            lambda config, store: work.plan_round(
                config,
                store,
                self.clock(),
                due_only=due_only,
                feed_names=feeds,
                batch_size=self.settings.batch_size,
                backlog_limit=BACKLOG_LIMIT,
            ),
        )
        started = plan.started.isoformat()
        queued = 0
        for batch in plan.batches:
            deferrer = self.poll.configure(
                lock=host_lock(batch.host), queueing_lock=f"poll:{batch.host}:{batch.index}"
            )
            queued += await _defer_once(
                deferrer, urls=list(batch.urls), round_started=started, run=run
            )
        for host, entries in plan.backlog.items():
            await self._defer_extract(host, entries, run)
        # The config the plan was made with (re-read, when changed, on the plan's thread:
        # reading the file here would block the worker's event loop).
        for report in self.config.reports:
            # Its cited pages, then the report published (decisions made since merged).
            lock, waiting = f"publish:{report.id}", f"cited:{report.id}"
            deferrer = self.cited.configure(lock=lock, queueing_lock=waiting)
            await _defer_once(deferrer, report=report.id, run=run)
        # Every job of the plan is queued: from now the run ends with its last job.
        seconds = (self.clock() - planning).total_seconds()
        await self._with_store(
            lambda store: store.add_to_run(run, durations={rounds.PLANNED: seconds})
        )
        log.info(
            "round planned pid=%s run=%d batches=%d queued=%d held_back=%d backlog_hosts=%d",
            os.getpid(),
            run,
            len(plan.batches),
            queued,
            plan.held_back,
            len(plan.backlog),
        )

    async def _poll(
        self,
        urls: list[str],
        round_started: str,
        run: int | None = None,
        job_id: int | None = None,
    ) -> None:
        host = polling.host_of(urls)
        log.info("poll started pid=%s host=%s feeds=%d", os.getpid(), host, len(urls))
        started = datetime.fromisoformat(round_started)
        outcome: polling.PollOutcome = await asyncio.to_thread(
            self._in_store,
            lambda config, store: polling.poll_feeds(
                config, store, urls, round_started=started, clock=self.clock
            ),
        )
        for entry_host, entries in entries_by_host(outcome.new_entries).items():
            await self._defer_extract(entry_host, entries, run)
        # A round has no summary listing its failures: the worker's log names each one
        # (a feed's URL may carry its reader's password: never logged).
        for failure in outcome.warnings:
            where = f" {redact_url(failure.url)}" if failure.url else ""
            log.warning("poll %s%s: %s", failure.source, where, failure.reason)
        log.info(
            "poll finished pid=%s host=%s polled=%d already=%d failed=%d new_entries=%d",
            os.getpid(),
            host,
            outcome.polled,
            outcome.already_polled,
            outcome.failed,
            len(outcome.new_entries),
        )
        counts = {
            "sources_ok": outcome.polled - outcome.failed,
            "sources_failed": outcome.failed,
            "new_entries": len(outcome.new_entries),
        }
        await self._record(run, job_id, counts=counts, requests=outcome.requests)

    async def _defer_extract(self, host: str, entries: list[FeedEntry], run: int | None) -> None:
        payload: Any = [entry_to_json(e) for e in entries]
        await self.extract.configure(lock=host_lock(host)).defer_async(entries=payload, run=run)

    async def _extract(
        self, context: JobContext, entries: list[dict[str, Any]], run: int | None = None
    ) -> None:
        found = [entry_from_json(e) for e in entries]
        done: work.Extracted = await asyncio.to_thread(
            self._in_store, lambda config, store: work.extract(config, store, found, self.clock)
        )
        log.info(
            "extract finished pid=%s articles=%d already=%d warnings=%d",
            os.getpid(),
            done.articles,
            done.already,
            len(done.warnings),
        )
        if done.articles:
            await _defer_once(self.match, run=run)
        await self._record(run, context.job.id, counts={"new_articles": done.articles})

    async def _match(self, run: int | None = None, job_id: int | None = None) -> None:
        matched: work.Matched = await asyncio.to_thread(
            self._in_store, lambda config, store: work.match(config, store, self.clock)
        )
        for failure in matched.failures:
            log.warning("match %s: %s", failure.source, failure.reason)
        log.info("match finished pid=%s suggestions=%d", os.getpid(), matched.suggestions)
        if matched.suggestions:
            for report_id in matched.reports:
                await self._defer_publish(report_id, run)
        await self._record(run, job_id, counts={"new_suggestions": matched.suggestions})

    async def _defer_publish(self, report_id: str, run: int | None) -> None:
        lock = f"publish:{report_id}"
        deferrer = self.publish.configure(lock=lock, queueing_lock=lock)
        await _defer_once(deferrer, report=report_id, run=run)

    async def _publish(
        self, report: str, run: int | None = None, job_id: int | None = None
    ) -> None:
        written: list[str] = await asyncio.to_thread(
            self._in_store, lambda config, store: work.publish(config, store, report, self.clock)
        )
        log.info("publish finished pid=%s report=%s files=%d", os.getpid(), report, len(written))
        await self._record(run, job_id, editions=written)

    async def _cited(self, report: str, run: int | None = None, job_id: int | None = None) -> None:
        done: cited.CheckedAndPublished = await asyncio.to_thread(
            self._in_store,
            lambda config, store: cited.check_and_publish(config, store, report, self.clock),
        )
        for failure in done.failures:
            log.warning("cited %s %s: %s", failure.source, redact_url(failure.url), failure.reason)
        log.info(
            "cited finished pid=%s report=%s checked=%d suggestions=%d files=%d",
            os.getpid(),
            report,
            done.checked,
            done.suggestions,
            len(done.files),
        )
        counts = {"new_suggestions": done.suggestions}
        await self._record(run, job_id, counts=counts, editions=done.files)

    async def _digest(self, job_id: int | None = None) -> None:
        result = await asyncio.to_thread(
            self._in_store, lambda config, store: work.send_digest(config, store, self.clock())
        )
        log.info(
            "digest finished pid=%s sent=%s skipped=%s",
            os.getpid(),
            result.sent,
            result.skipped_reason,
        )

    async def _recover(self, timestamp: int) -> None:
        manager = self.app.job_manager
        stalled = list(
            await manager.get_stalled_jobs(seconds_since_heartbeat=self.settings.stalled_after)
        )
        for job in stalled:
            assert job.id is not None
            try:
                await manager.retry_job(job)
            except UniqueViolation:
                # The same job (its queueing lock) was queued again meanwhile and waits:
                # that one does the work, this one ends, freeing its lock.
                await manager.finish_job(job, Status.FAILED, delete_job=False)
                log.warning("job dropped pid=%s job=%s: a copy waits", os.getpid(), job.id)
                continue
            log.warning(
                "job recovered pid=%s job=%s task=%s lock=%s (its worker stopped beating)",
                os.getpid(),
                job.id,
                job.task_name,
                job.lock,
            )
        await manager.prune_stalled_workers(self.settings.stalled_after)
        await rounds.finish_done_runs(self.app, self._with_store, self.clock())

    async def _prune(self, timestamp: int) -> None:
        await self.app.job_manager.delete_old_jobs(
            nb_hours=FINISHED_KEPT_HOURS,
            include_failed=True,
            include_cancelled=True,
            include_aborted=True,
        )

    # -- for the scheduler and the worker command ------------------------------------

    def defer_round(
        self, *, due_only: bool = True, feed_names: list[str] | None = None
    ) -> int | None:
        """Queue a round unless the same one is waiting: the id of its job, None when it
        waits. ``feed_names``: a round of those feeds only (a group with its own
        ``every``), with a queueing lock of its own so it never holds up the full round.
        The app must be open (``app.open()``): this is called from synchronous code."""
        names: Any = None if feed_names is None else sorted(feed_names)
        lock = "round"
        if names is not None:
            lock += ":" + hashlib.sha256("\0".join(names).encode()).hexdigest()[:16]
        try:
            return self.round.configure(queueing_lock=lock).defer(due_only=due_only, feeds=names)
        except AlreadyEnqueued:
            return None

    def defer_digest(self) -> int | None:
        """Queue the digest unless one is waiting: the id of its job, None when one waits."""
        try:
            return self.digest.defer()
        except AlreadyEnqueued:
            return None

    def run_worker(self, concurrency: int, *, name: str | None = None) -> None:
        """Take jobs until SIGTERM/SIGINT (which let running jobs finish)."""
        asyncio.run(self.work(concurrency, name=name))

    async def work(
        self, concurrency: int, *, name: str | None = None, install_signal_handlers: bool = True
    ) -> None:
        """The worker on the running event loop; cancelling it stops it as SIGTERM does."""
        # Each job runs its step on a thread (asyncio.to_thread): the default pool
        # (cores + 4 threads) would quietly cap the jobs running at once.
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(concurrency, "tracker-job"))
        async with self.app.open_async():
            await self.app.run_worker_async(
                concurrency=concurrency,
                name=name or f"tracker-{os.getpid()}",
                update_heartbeat_interval=self.settings.heartbeat_seconds,
                stalled_worker_timeout=self.settings.stalled_after,
                delete_jobs="successful",
                install_signal_handlers=install_signal_handlers,
                worker_middleware=[self._beat_while_running],
            )

    async def _beat_while_running(
        self, call_next: Callable[[], Awaitable[Any]], context: JobContext, worker: Any
    ) -> Any:
        """Worker middleware: the worker beats while any job of it runs.

        Asked to stop (SIGTERM), procrastinate stops the worker's heartbeat first and
        then waits for its running jobs: a job outliving ``stalled_after`` would look
        abandoned, and another worker's recovery would run it again at the same time,
        its host lock no longer held. Beating from the job keeps the job its own."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(self.settings.heartbeat_seconds)
                if worker.worker_id is None:
                    continue
                try:
                    await self.app.job_manager.update_heartbeat(worker.worker_id)
                except Exception as exc:  # the worker's own heartbeat reports it too
                    log.debug("heartbeat failed pid=%s: %s", os.getpid(), exc)

        beating = asyncio.create_task(beat())
        try:
            return await call_next()
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size)


async def _defer_once(deferrer: Any, **kwargs: Any) -> int:
    """Defer, counting a job its queueing lock finds already waiting as done (it will
    run after this caller's writes, so it covers them): 1 when queued, 0 when not."""
    try:
        await deferrer.defer_async(**kwargs)
    except AlreadyEnqueued:
        return 0
    return 1
