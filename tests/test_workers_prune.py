"""The queue's table does not grow for ever: finished jobs the workers keep (failed,
cancelled, aborted: successful ones are deleted as they end) go after a week."""

from __future__ import annotations

import asyncio
from pathlib import Path

from feedfarm import FeedFarm
from procrastinate.jobs import Status
from test_workers import queue_rows, write_config


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
