"""Queue rounds recorded in the store's ``runs``, as in-process refreshes are.

A round's run starts when the round plans and ends with the last job it led
to (tracker/tasks/rounds.py): ``tracker status`` lists it, ``/metrics``
counts it. Checked with a real worker and scheduler over PostgreSQL polling
local feeds, and, for the endings a worker rarely shows (a job failing for
good, a round killed while planning), with the engine's own calls.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import store_backends
import test_workers
import yaml
from feedfarm import FeedFarm
from procrastinate.jobs import Status
from test_workers import WORKER_OPTIONS, Process, start, wait_for, write_config

from tracker.store import Store, open_store
from tracker.tasks import rounds

db_path = store_backends.db_path
pg_store_url = store_backends.pg_store_url
store = store_backends.store
processes = test_workers.processes

T0 = datetime(2026, 2, 11, 8, 0, tzinfo=UTC)


def test_a_run_is_added_to_piece_by_piece_and_closed_once(store: Store) -> None:
    run = store.start_run(T0, trigger=rounds.TRIGGER, pid=7)
    other = store.start_run(T0, trigger="cli")
    assert store.add_to_run(run, counts={"sources_ok": 3}, requests={"200": 3})
    assert store.add_to_run(
        run, counts={"sources_ok": 2, "new_entries": 1}, requests={"200": 1, "304": 1}
    )
    assert store.add_to_run(run, editions=["a.md"], durations={"plan": 0.5})
    assert store.add_to_run(run, editions=["b.md"], durations={"plan": 0.25})
    assert [r.id for r in store.unfinished_runs(rounds.TRIGGER)] == [run]

    assert store.close_run(run, T0 + timedelta(minutes=1), "ok")
    assert not store.close_run(run, T0 + timedelta(minutes=2), "failed")  # once only
    assert not store.add_to_run(run, counts={"sources_ok": 100})  # finished: unchanged
    record = store.run(run)
    assert record is not None
    assert (record.outcome, record.finished_at) == ("ok", T0 + timedelta(minutes=1))
    assert record.counts == {"sources_ok": 5, "new_entries": 1}
    assert record.requests == {"200": 4, "304": 1}
    assert record.editions == ("a.md", "b.md")
    assert record.durations == {"plan": 0.75}
    assert store.unfinished_runs(rounds.TRIGGER) == []
    assert [r.id for r in store.unfinished_runs("cli")] == [other]


def test_an_in_process_refresh_leaves_the_queue_rounds_runs_running(store: Store) -> None:
    # `tracker refresh --in-process` holds the state folder's lock, which says nothing
    # about rounds on the workers: only the in-process runs it finds are dead.
    going = store.start_run(T0, trigger=rounds.TRIGGER)
    dead = store.start_run(T0, trigger="cli")
    assert store.interrupt_stale_runs(T0 + timedelta(hours=1)) == 1
    assert store.run(dead).outcome == "interrupted"  # type: ignore[union-attr]
    assert [r.id for r in store.unfinished_runs(rounds.TRIGGER)] == [going]


def test_a_round_is_one_run_with_its_jobs_counts_in_status_and_metrics(
    tmp_path: Path, postgres_url: str, processes: list[Process]
) -> None:
    with FeedFarm(2, 10) as farm:
        farm.new_round(every=5)  # 2 feeds of 10 carry a new entry
        config = write_config(tmp_path, farm, postgres_url)
        start(processes, config, "worker", "worker", "--concurrency", "2", *WORKER_OPTIONS)
        scheduler = start(processes, config, "scheduler", "daemon")  # catch-up round at start

        def finished() -> list[object]:
            with open_store(postgres_url) as found:
                return [r for r in found.runs() if r.finished_at is not None]

        wait_for(finished, 40, "the round's run to finish")
        with open_store(postgres_url) as found:
            runs = found.runs()
            suggestions = found.suggestions()
            counts = found.counts()
        assert len(farm.answered()) == 10
        assert len(runs) == 1
        run = runs[0]
        assert (run.trigger, run.outcome) == (rounds.TRIGGER, "ok")
        assert run.finished_at is not None and run.finished_at >= run.started_at
        assert run.counts["sources_ok"] == 10 and run.counts.get("sources_failed", 0) == 0
        assert run.counts["new_entries"] == counts["entries"] == 2
        assert run.counts["new_articles"] == counts["articles"] == 2
        assert run.counts.get("new_suggestions", 0) == len(suggestions)
        assert sum(run.requests.values()) >= 10
        assert rounds.PLANNED in run.durations
        # The report was published by the round (its cited job): the edition files.
        assert run.editions and all(Path(path).is_file() for path in run.editions)

        status = subprocess.run(
            [sys.executable, "-m", "tracker.cli", "--config", str(config), "status", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0, status.stderr
        listed = yaml.safe_load(status.stdout)["runs"]
        assert [(r["id"], r["outcome"]) for r in listed] == [(run.id, "ok")]
        listen = json.loads((tmp_path / "state" / "daemon.json").read_text())["listen"]
        with urllib.request.urlopen(f"http://{listen}/metrics", timeout=30) as response:
            metrics = response.read().decode()
        assert 'tracker_runs_total{outcome="ok"} 1.0' in metrics, metrics
        assert scheduler.stop() == 0


def test_a_round_ends_failed_when_a_job_fails_for_good_and_interrupted_when_killed_planning(
    tmp_path: Path, postgres_url: str
) -> None:
    from tracker.app import Tracker
    from tracker.config import load_config

    with FeedFarm(1, 2) as farm:
        engine = Tracker(load_config(write_config(tmp_path, farm, postgres_url))).task_engine()
    urls = [f.url for f in farm.feeds]

    async def with_store(step):  # type: ignore[no-untyped-def]
        with open_store(postgres_url) as opened:
            return step(opened)

    async def scenario() -> None:
        manager = engine.app.job_manager
        async with engine.app.open_async():
            worker = await manager.register_worker()
            with open_store(postgres_url) as opened:
                killed = rounds.begin(opened, T0)  # a round that never finished planning
                run = rounds.begin(opened, T0)  # the next round: the first was killed
                assert opened.run(killed).outcome == "interrupted"  # type: ignore[union-attr]
                opened.add_to_run(run, durations={rounds.PLANNED: 0.1})
            batch = engine.poll.configure(lock="host:h", queueing_lock="poll:h:0")
            await batch.defer_async(urls=urls, round_started=T0.isoformat(), run=run)
            # While its poll job waits, the run goes on, whoever checks.
            assert await rounds.finish_done_runs(engine.app, with_store, T0) == 0
            job = await manager.fetch_job(queues=None, worker_id=worker)
            assert job is not None
            assert await rounds.finish_done_runs(engine.app, with_store, T0) == 0  # running
            # Its last attempt fails: the job is failed for good, and the run with it.
            await manager.finish_job(job, Status.FAILED, delete_job=False)
            assert await rounds.finish_done_runs(engine.app, with_store, T0) == 1
            assert await rounds.finish_done_runs(engine.app, with_store, T0) == 0
            with open_store(postgres_url) as opened:
                assert opened.run(run).outcome == "failed"  # type: ignore[union-attr]
                assert opened.unfinished_runs(rounds.TRIGGER) == []

    asyncio.run(scenario())


def refresh(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(config), "refresh", *args],
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_refresh_on_a_postgresql_store_queues_a_round_and_waits_for_its_run(
    tmp_path: Path, postgres_url: str, processes: list[Process]
) -> None:
    with FeedFarm(2, 10) as farm:
        farm.new_round(every=5)
        config = write_config(tmp_path, farm, postgres_url)
        # No worker yet: the round waits in the queue, and the command gives up waiting.
        waited = refresh(config, "--timeout", "1")
        assert waited.returncode == 1, waited.stderr
        assert "no worker is running" in waited.stderr
        assert "did not finish within 1 s" in waited.stderr
        assert farm.answered() == {}

        # A second command while that round waits: it follows the waiting round.
        log = tmp_path / "refresh.log"
        with log.open("wb") as stderr:
            follower = subprocess.Popen(
                [sys.executable, "-m", "tracker.cli", "--config", str(config), "refresh"],
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        try:
            wait_for(lambda: "already waiting" in log.read_text(), 30, "the command to queue")
            start(processes, config, "worker", "worker", "--concurrency", "2", *WORKER_OPTIONS)
            printed, _ = follower.communicate(timeout=60)
        finally:
            follower.kill()
        assert follower.returncode == 0, log.read_text()
        assert "round started: run 1" in log.read_text()
        assert printed.startswith(
            "run 1 ok: 10 sources ok, 0 failed; 2 new entries, 2 new articles"
        )
        assert set(farm.answered().values()) == {1} and len(farm.answered()) == 10

        # --in-process: the pipeline in this process, as with SQLite (a run of its own).
        local = refresh(config, "--in-process", "--json")
        assert local.returncode == 0, local.stderr
        with open_store(postgres_url) as found:
            newest = found.runs(limit=1)[0]
        assert (newest.id, newest.trigger) == (json.loads(local.stdout)["run_id"], "cli")

        # With the worker running, --json: a new round of every feed, its run's summary.
        done = refresh(config, "--json", "--timeout", "60")
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        with open_store(postgres_url) as found:
            runs = found.runs()
    assert [r.id for r in runs] == [3, 2, 1]  # one run per round, one in-process
    assert summary["run_id"] == 3
    assert summary["outcome"] == "ok" and summary["finished_at"] is not None
    assert (summary["sources_ok"], summary["new_entries"]) == (10, 0)
    assert summary["requests"] == runs[0].requests
    assert set(farm.answered().values()) == {3}  # every feed polled once more each time
    # --force is the in-process pipeline's: refused on the queue, with the way to get it.
    forced = refresh(config, "--force")
    assert forced.returncode == 2 and "--in-process" in forced.stderr
