"""The queue's upkeep, on a real database with the engine's own calls: the jobs of a
worker whose heartbeat stopped go back to the queue (or end, when a copy waits), and
finished jobs the workers keep (failed, cancelled, aborted: successful ones are
deleted as they end) go after a week, so the queue's tables do not grow for ever."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from feedfarm import FeedFarm
from procrastinate.jobs import Status
from test_workers import queue_rows, registered_workers, write_config


def test_failed_jobs_older_than_a_week_are_pruned_and_recent_ones_kept(
    tmp_path: Path, postgres_url: str
) -> None:
    from tracker.app import Tracker
    from tracker.config import load_config

    with FeedFarm(1, 1) as farm:
        engine = Tracker(load_config(write_config(tmp_path, farm, postgres_url))).task_engine()

    async def scenario() -> list[int]:
        manager = engine.app.job_manager
        async with engine.app.open_async():
            worker = await manager.register_worker()
            ended = []
            for _ in range(2):
                await engine.extract.configure(lock="host:h").defer_async(entries=[])
                job = await manager.fetch_job(queues=None, worker_id=worker)
                assert job is not None and job.id is not None
                await manager.finish_job(job, Status.FAILED, delete_job=False)
                ended.append(job.id)
            old, recent = ended
            # The first failed eight days ago: its events say so.
            await engine.app.connector.execute_query_async(
                f"UPDATE procrastinate_events SET at = at - interval '8 days' WHERE job_id = {old}"
            )
            await engine.app.job_manager.delete_old_jobs(0)  # successful only: both stay
            assert len(queue_rows(postgres_url, "SELECT id FROM procrastinate_jobs")) >= 2
            await engine._prune(0)
            return [old, recent]

    old, recent = asyncio.run(scenario())
    left = {row[0] for row in queue_rows(postgres_url, "SELECT id FROM procrastinate_jobs")}
    assert old not in left
    assert recent in left
    events = queue_rows(
        postgres_url, f"SELECT COUNT(*) FROM procrastinate_events WHERE job_id = {old}"
    )
    assert events == [(0,)]


def test_recovery_requeues_a_dead_workers_job_or_drops_it_when_a_copy_waits(
    postgres_url: str, tmp_path: Path
) -> None:
    import asyncio

    from tracker.app import Tracker
    from tracker.config import load_config
    from tracker.tasks.engine import EngineSettings

    with FeedFarm(1, 2) as farm:
        tracker = Tracker(load_config(write_config(tmp_path, farm, postgres_url)))
        engine = tracker.task_engine(EngineSettings(heartbeat_seconds=0.5, stalled_after=1))
    urls = [f.url for f in farm.feeds]
    batch = {"lock": "host:h", "queueing_lock": "poll:h:0"}

    async def scenario() -> list[tuple[object, ...]]:
        manager = engine.app.job_manager
        async with engine.app.open_async():
            # Two jobs a worker took and then died holding (its heartbeat stops at once).
            dead = await manager.register_worker()
            first = await engine.poll.configure(**batch).defer_async(urls=urls, round_started="x")
            other = await engine.extract.configure(lock="host:g").defer_async(entries=[])
            for _ in (first, other):
                assert await manager.fetch_job(queues=None, worker_id=dead) is not None
            # The next round queued the first one's batch again: that copy waits.
            copy = await engine.poll.configure(**batch).defer_async(urls=urls, round_started="y")
            # Its heartbeat is a minute old: no fixed sleep racing the stalled_after clock.
            await engine.app.connector.execute_query_async(
                "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 minute' "
                f"WHERE id = {dead}"
            )
            await engine._recover(0)
            return queue_rows(
                postgres_url,
                f"SELECT id, status::text, worker_id FROM procrastinate_jobs "
                f"WHERE id IN ({first}, {other}, {copy}) ORDER BY id",
            )

    rows = asyncio.run(scenario())
    # The job with no copy waits again for any worker; the one with a copy ended,
    # releasing the host's lock to its copy; the dead worker is forgotten.
    assert [(status, worker) for _, status, worker in rows] == [
        ("failed", None),
        ("todo", None),
        ("todo", None),
    ]
    assert registered_workers(postgres_url) == 0


def test_a_stopping_worker_still_beats_while_its_running_job_finishes(
    tmp_path: Path, postgres_url: str
) -> None:
    # procrastinate stops a worker's heartbeat as soon as the worker is asked to stop,
    # then waits for its running jobs: a job outliving stalled_after then looked
    # abandoned, and another worker's recovery ran it a second time, at once.
    import time

    from tracker.app import Tracker
    from tracker.config import load_config
    from tracker.tasks.engine import EngineSettings

    with FeedFarm(1, 2) as farm:
        farm.hold(0)
        tracker = Tracker(load_config(write_config(tmp_path, farm, postgres_url)))
        engine = tracker.task_engine(EngineSettings(heartbeat_seconds=0.2, stalled_after=1))
        urls = [f.url for f in farm.feeds]

        async def scenario() -> list[tuple[object, ...]]:
            async with engine.app.open_async():
                await engine.poll.configure(lock="host:h").defer_async(
                    urls=urls, round_started="2026-02-11T08:00:00+00:00"
                )
            running = asyncio.create_task(engine.work(1, install_signal_handlers=False))
            deadline = time.monotonic() + 30
            while farm.waiting(0) < len(urls):  # the job's requests wait on the host
                assert time.monotonic() < deadline, "the job never polled the held host"
                await asyncio.sleep(0.05)
            stopped = queue_rows(postgres_url, "SELECT now()")[0][0]
            running.cancel()  # as SIGTERM: stop taking jobs, let the running one finish
            beating = (
                "SELECT COUNT(*) FROM procrastinate_workers "
                f"WHERE last_heartbeat > '{stopped}'::timestamptz + interval '1.5 seconds'"
            )
            deadline = time.monotonic() + 30
            while queue_rows(postgres_url, beating) != [(1,)]:
                assert time.monotonic() < deadline, "the stopping worker stopped beating"
                await asyncio.sleep(0.1)
            # What another worker's recovery would retry: nothing.
            manager = engine.app.job_manager
            assert list(await manager.get_stalled_jobs(seconds_since_heartbeat=1)) == []
            doing = queue_rows(
                postgres_url,
                "SELECT status::text FROM procrastinate_jobs WHERE task_name = 'tracker.poll'",
            )
            farm.release(0)
            with contextlib.suppress(asyncio.CancelledError):
                await running
            return doing

        assert asyncio.run(scenario()) == [("doing",)]
        assert set(farm.answered()) == set(urls)
    assert set(farm.answered().values()) == {1}
    assert registered_workers(postgres_url) == 0
