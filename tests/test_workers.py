"""Distributed refresh: real ``tracker worker`` and ``tracker daemon`` processes over one
PostgreSQL database (tests/postgres.py), polling 200 feeds on 8 loopback hosts whose
servers log every request (tests/feedfarm.py).

What is checked is what the queue promises: every feed answered exactly once per
round however many workers poll; a worker SIGKILLed with requests in flight loses
nothing and doubles nothing, and the other worker takes its job over once its
heartbeat stops; a restarted scheduler carries on; a SQLite config has no workers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
import yaml
from feedfarm import FeedFarm

from tracker.store import open_store
from tracker.types import Suggestion, SuggestionKind

T = TypeVar("T")
ENGLISH = Path(__file__).parent / "data" / "reports" / "english.md"
HOSTS = 8
FEEDS = 200
NEWS_EVERY = 20  # every 20th feed carries a new entry each round: 10 per round
# Fast heartbeats so a killed worker is noticed in seconds, not the default 30.
WORKER_OPTIONS = ("--heartbeat", "0.5", "--stalled-after", "2")


def wait_for(check: Callable[[], T], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def write_config(
    tmp_path: Path, farm: FeedFarm, url: str | None, **extra: dict[str, object]
) -> Path:
    shutil.copyfile(ENGLISH, tmp_path / "report.md")
    data = {
        "state_dir": "state",
        "reports": [{"id": "open", "path": "report.md", "language": "en", "since": "2026-02-11"}],
        "feeds": [{"name": f.name, "url": f.url} for f in farm.feeds],
        "watch_cited": False,
        "fetch": {"allow_private_networks": True, "respect_robots": False, "per_host": 4},
        "schedule": {"timezone": "UTC", "refresh": "every 6h", "digest": "mon 08:00"},
        "daemon": {"listen": "127.0.0.1:0", "log_level": "info"},
    }
    if url is not None:
        data["store"] = {"url": url}
    data.update(extra)
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


class Process:
    """A ``tracker`` subprocess with its stderr (logfmt lines) in a file."""

    def __init__(self, config: Path, log: Path, *args: str) -> None:
        self.log_path = log
        self._log = log.open("ab")
        env = {k: v for k, v in os.environ.items() if k != "TRACKER_CONFIG"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tracker.cli", "--config", str(config), *args],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env={**env, "PYTHONUNBUFFERED": "1"},
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    """Every process a test starts, killed at the end whatever happened."""
    started: list[Process] = []
    yield started
    for process in started:
        process.kill()


def start(processes: list[Process], config: Path, name: str, *args: str) -> Process:
    process = Process(config, config.parent / f"{name}.log", *args)
    processes.append(process)
    return process


def queue_rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return list(conn.execute(sql))  # type: ignore[arg-type]


def registered_workers(url: str) -> int:
    try:
        return int(queue_rows(url, "SELECT COUNT(*) FROM procrastinate_workers")[0][0])  # type: ignore[call-overload]
    except psycopg.errors.UndefinedTable:
        return 0


def idle(url: str) -> bool:
    """No job of a round waiting or running (the periodic stalled-job check aside)."""
    rows = queue_rows(
        url,
        "SELECT COUNT(*) FROM procrastinate_jobs "
        "WHERE status IN ('todo', 'doing') "
        "AND task_name NOT IN ('tracker.recover', 'tracker.prune')",
    )
    return rows[0][0] == 0


def wait_round(url: str, farm: FeedFarm, timeout: float = 40) -> None:
    """Until every feed was answered and the queue stays idle for a moment."""
    wait_for(lambda: len(farm.answered()) == FEEDS, timeout, "every feed to be polled")
    wait_for(lambda: idle(url) and (time.sleep(0.5) or idle(url)), timeout, "the queue to drain")


def polled_hosts(log: str) -> set[str]:
    return set(re.findall(r"poll started pid=\d+ host=(\S+?) ", log))


def counts(url: str) -> dict[str, int]:
    with open_store(url) as store:
        found = store.counts()
        suggestions = store.suggestions()
    found["distinct_suggested_urls"] = len({s.url for s in suggestions})
    found["suggestion_rows"] = len(suggestions)
    return found


def test_two_workers_and_a_scheduler_poll_each_feed_once_per_round(
    tmp_path: Path, postgres_url: str, processes: list[Process]
) -> None:
    # 3 hosts of 66-67 feeds: two poll batches each (50 a batch), which two workers
    # would poll at once were it not for the host's lock.
    with FeedFarm(3, FEEDS, latency=0.02) as farm:
        farm.new_round(every=NEWS_EVERY)
        config = write_config(tmp_path, farm, postgres_url)
        workers = [
            start(processes, config, f"worker{n}", "worker", "--concurrency", "2", *WORKER_OPTIONS)
            for n in (1, 2)
        ]
        wait_for(lambda: registered_workers(postgres_url) == 2, 30, "two workers to register")
        scheduler = start(processes, config, "scheduler", "daemon")

        # Round 1: the scheduler's catch-up round at start (nothing was ever polled).
        wait_round(postgres_url, farm)
        assert set(farm.answered()) == {f.url for f in farm.feeds}
        assert set(farm.answered().values()) == {1}, farm.answered().most_common(3)
        first = counts(postgres_url)
        assert (first["entries"], first["articles"]) == (10, 10)
        # Both workers took poll jobs, yet no host ever had more requests at once than
        # fetch.per_host (4): its batches ran one after the other under its lock.
        assert all(polled_hosts(w.log()) for w in workers), [w.log()[-2000:] for w in workers]
        assert max(farm.most_in_flight().values()) <= 4, farm.most_in_flight()

        # The scheduler restarts while the workers run; its catch-up queues round 2.
        assert scheduler.stop() == 0
        farm.reset_counts()
        farm.new_round(every=NEWS_EVERY)
        scheduler = start(processes, config, "scheduler2", "daemon")
        wait_round(postgres_url, farm)
        assert set(farm.answered().values()) == {1}, farm.answered().most_common(3)
        second = counts(postgres_url)
        assert (second["entries"], second["articles"]) == (20, 20)
        assert second["distinct_suggested_urls"] == second["suggestion_rows"]

        status = subprocess.run(
            [sys.executable, "-m", "tracker.cli", "--config", str(config), "status", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0, status.stderr
        queue = yaml.safe_load(status.stdout)["queue"]
        assert len(queue["workers"]) == 2
        assert queue["waiting"].get("tracker.poll", 0) == 0
        # The scheduler's /metrics exports the queue (daemon.json says where it listens).
        listen = json.loads((tmp_path / "state" / "daemon.json").read_text())["listen"]
        with urllib.request.urlopen(f"http://{listen}/metrics", timeout=30) as response:
            metrics = response.read().decode()
        assert "tracker_queue_workers 2.0" in metrics
        assert "tracker_queue_oldest_waiting_seconds" in metrics

        for worker in workers:
            assert worker.stop() == 0  # SIGTERM: running jobs finish, then it unregisters
        wait_for(lambda: registered_workers(postgres_url) == 0, 10, "workers to unregister")
        assert scheduler.stop() == 0


def test_a_worker_killed_mid_round_loses_nothing_and_doubles_nothing(
    tmp_path: Path, postgres_url: str, processes: list[Process]
) -> None:
    with FeedFarm(HOSTS, FEEDS) as farm:
        farm.new_round(every=NEWS_EVERY)
        config = write_config(tmp_path, farm, postgres_url)
        farm.hold(0)  # host 0 answers nothing until released
        held = farm.host_key(0)
        # One job at a time each: the killed worker has only host 0's requests in flight.
        workers = [
            start(processes, config, f"worker{n}", "worker", "--concurrency", "1", *WORKER_OPTIONS)
            for n in (1, 2)
        ]
        wait_for(lambda: registered_workers(postgres_url) == 2, 30, "two workers to register")
        start(processes, config, "scheduler", "daemon")

        # fetch.per_host (4) requests in flight, all held: the poll job's window is full.
        wait_for(lambda: farm.waiting(0) == 4, 30, "a worker to poll the held host")
        victim = next(w for w in workers if held in polled_hosts(w.log()))
        survivor = next(w for w in workers if w is not victim)
        in_flight = farm.waiting(0)
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(10)
        wait_for(lambda: sum(farm.unanswered().values()) == in_flight, 10, "the server to notice")
        farm.release(0)

        wait_round(postgres_url, farm, timeout=45)
        # Every feed's answer reached a worker exactly once; the requests the kill cut
        # off were never answered, and were sent again by the survivor.
        assert set(farm.answered()) == {f.url for f in farm.feeds}
        assert set(farm.answered().values()) == {1}, farm.answered().most_common(3)
        assert set(farm.unanswered()) <= {f.url for f in farm.feeds if f.host == 0}
        assert held in polled_hosts(survivor.log())
        assert "job recovered" in survivor.log()
        found = counts(postgres_url)
        assert (found["entries"], found["articles"]) == (10, 10)
        assert found["distinct_suggested_urls"] == found["suggestion_rows"]
        with open_store(postgres_url) as store:
            polled = [s for s in store.sources(kind="feed") if s.last_checked is not None]
        assert len(polled) == FEEDS
        assert survivor.stop() == 0


def test_a_worker_needs_the_postgresql_store(tmp_path: Path) -> None:
    with FeedFarm(1, 1) as farm:
        config = write_config(tmp_path, farm, None)
        done = subprocess.run(
            [sys.executable, "-m", "tracker.cli", "--config", str(config), "worker"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert "PostgreSQL store" in done.stderr and "store.url" in done.stderr


def test_queue_status_names_the_oldest_waiting_job(postgres_url: str, tmp_path: Path) -> None:
    from tracker.app import Tracker
    from tracker.config import load_config

    with FeedFarm(2, 4) as farm:
        tracker = Tracker(load_config(write_config(tmp_path, farm, postgres_url)))
        engine = tracker.task_engine()
        with engine.app.open():
            first = engine.defer_round()
            assert first is not None
            assert engine.defer_round() is None  # one waiting round at most
            # A group of feeds with its own `every` has a round of its own, also one at most.
            group = engine.defer_round(feed_names=["feed 1", "feed 0"])
            assert group is not None
            assert engine.defer_round(feed_names=["feed 0", "feed 1"]) is None
            assert engine.defer_digest() is not None
        queue = tracker.queue_status()
    assert queue is not None
    assert queue.waiting == {"tracker.round": 2, "tracker.digest": 1}
    assert queue.depth == 3 and queue.workers == () and queue.running == 0
    assert queue.oldest_waiting is not None
    assert queue.oldest_waiting.id == first and queue.oldest_waiting.task == "tracker.round"
    assert queue.oldest_waiting.waiting_since <= datetime.now(UTC)


def test_the_digest_goes_once_per_period_however_often_it_is_queued(
    tmp_path: Path, postgres_url: str, processes: list[Process]
) -> None:
    from tracker.app import Tracker
    from tracker.config import load_config

    with FeedFarm(1, 2) as farm:
        email = {"to": ["editor@example.org"], "from": "tracker@example.org"}  # to the outbox
        config = write_config(tmp_path, farm, postgres_url, email=email)
        tracker = Tracker(load_config(config))
        engine = tracker.task_engine()
        with open_store(postgres_url) as store:  # one pending suggestion: news for the digest
            store.add_suggestion(
                Suggestion(
                    report="open",
                    section="1",
                    section_title="Introduction",
                    kind=SuggestionKind.ADDITION,
                    score=0.8,
                    title="An open model tops a leaderboard",
                    url=farm.feeds[0].url,
                    published=None,
                    source="feed 0",
                    excerpt="An open model tops a leaderboard.",
                    proposed_text="An open model topped a leaderboard [9].",
                    created_at=datetime.now(UTC) - timedelta(hours=1),
                )
            )
        workers = [
            start(processes, config, f"worker{n}", "worker", *WORKER_OPTIONS) for n in (1, 2)
        ]
        with engine.app.open():
            assert engine.defer_digest() is not None
            assert engine.defer_digest() is None  # one waiting at most
            wait_for(lambda: idle(postgres_url), 30, "the digest job")
            assert engine.defer_digest() is not None  # a later fire in the same period
            wait_for(lambda: idle(postgres_url), 30, "the second digest job")
    outbox = list((tmp_path / "state" / "outbox").glob("*.eml"))
    assert len(outbox) == 1, outbox
    logs = "".join(w.log() for w in workers)
    assert logs.count("digest finished") == 2
    # The second job covers only the moments since the first: nothing new, nothing sent.
    assert logs.count("sent=True") == 1 and "nothing new in this period" in logs
    for worker in workers:
        assert worker.stop() == 0


def test_a_worker_names_a_database_it_cannot_reach(tmp_path: Path) -> None:
    with FeedFarm(1, 1) as farm:
        # A socket folder with no server in it: refused at once, no network involved.
        url = f"postgresql://tracker:secret@/tracker?host={tmp_path}"
        config = write_config(tmp_path, farm, url)
        done = subprocess.run(
            [sys.executable, "-m", "tracker.cli", "--config", str(config), "worker"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert "task queue" in done.stderr and str(tmp_path) in done.stderr
    assert "secret" not in done.stderr and "internal error" not in done.stderr


def test_a_round_checks_the_cited_pages_and_publishes_what_they_showed(
    tmp_path: Path, postgres_url: str, processes: list[Process]
) -> None:
    from tracker.app import Tracker
    from tracker.config import load_config
    from tracker.types import CitedStatus

    with FeedFarm(1, 2) as farm:
        site = farm.servers[0]
        review = site.add("/review", "<html><body><article><p>" + "Open models. " * 40 + "</p>")
        withdrawn = site.add("/withdrawn", "withdrawn", status=410)
        notes = site.add("/notes", "<html><body><article><p>Release notes.</p></article>")
        missing = site.url("/missing")
        config = write_config(
            tmp_path,
            farm,
            postgres_url,
            watch_cited=True,  # type: ignore[arg-type]
            match={"check_claims": False},
        )
        # The report's references point at the local pages.
        report = tmp_path / "report.md"
        text = report.read_text(encoding="utf-8")
        for old, new in (
            ("https://simonwillison.net/2025/Dec/31/the-year-in-llms/", review),
            ("https://example.org/survey", withdrawn),
            ("https://example.com/kimi-k2?utm_source=rss", notes),
            ("https://example.net/licensing", missing),
        ):
            text = text.replace(old, new)
        report.write_text(text, encoding="utf-8")
        engine = Tracker(load_config(config)).task_engine()
        start(processes, config, "worker", "worker", *WORKER_OPTIONS)
        with engine.app.open():
            engine.defer_round(due_only=False)
        wait_for(lambda: idle(postgres_url) and site.requests, 30, "the round")
        wait_for(lambda: idle(postgres_url), 30, "the round to drain")
        paths = sorted(r.path for r in site.requests if not r.path.startswith("/feeds/"))
    assert paths == ["/missing", "/notes", "/review", "/withdrawn"]
    with open_store(postgres_url) as store:
        assert len(store.snapshots(review)) == 1
        assert store.cited_checks(withdrawn)[-1][0] is CitedStatus.GONE
        gone = [s.url for s in store.suggestions() if s.kind is SuggestionKind.SOURCE_GONE]
        editions = store.editions("open")
    assert gone == [withdrawn]  # a 410 counts at once; a 404 waits for more checks
    assert len(editions) == 1  # published by the same job, under the report's lock
    assert "withdrawn" in (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")


def test_a_failed_job_is_queued_again_later_unless_a_copy_already_waits(
    postgres_url: str, tmp_path: Path
) -> None:
    import asyncio

    from procrastinate.job_context import JobContext

    from tracker.app import Tracker
    from tracker.config import load_config

    with FeedFarm(1, 2) as farm:
        engine = Tracker(load_config(write_config(tmp_path, farm, postgres_url))).task_engine()
    batch = {"lock": "host:h", "queueing_lock": "poll:h:0"}
    waiting = (
        "SELECT args->>'attempt', scheduled_at > NOW() FROM procrastinate_jobs "
        "WHERE status = 'todo' AND task_name = 'tracker.poll'"
    )

    async def scenario() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        manager = engine.app.job_manager
        async with engine.app.open_async():
            worker = await manager.register_worker()
            # A poll job that fails when run: its round's start is not a time.
            await engine.poll.configure(**batch).defer_async(urls=[], round_started="never")
            job = await manager.fetch_job(queues=None, worker_id=worker)
            assert job is not None
            context = JobContext(
                app=engine.app, job=job, start_timestamp=0, abort_reason=lambda: None
            )
            await engine.poll(context, **job.task_kwargs)  # fails: queued again, for later
            again = queue_rows(postgres_url, waiting)
            # It fails once more while that copy waits: the copy is left to do the work.
            await engine.poll(context, **job.task_kwargs)
            return again, queue_rows(postgres_url, waiting)

    again, after = asyncio.run(scenario())
    assert again == [("1", True)]
    assert after == [("1", True)]
