"""Distributed refresh at scale: many feeds on many loopback hosts, 1, 2 and 4 workers.

    .venv/bin/python bench/scale.py                      # 10,000 feeds, 100 hosts
    .venv/bin/python bench/scale.py --feeds 2000 --hosts 40 --workers 1,2

What it does, on a throw-away PostgreSQL cluster (tests/postgres.py):

1. serves ``--feeds`` RSS feeds from ``--hosts`` servers, each on an address
   of its own in 127.0.0.0/8 (tests/feedfarm.py), every request counted;
2. for each worker count: a fresh database, that many ``tracker worker``
   processes (``--concurrency`` jobs each), then ``--rounds`` rounds queued
   one after the other. Round 1 is cold (every feed answers 200 with its
   document); later rounds are warm (conditional requests, 304s) with a new
   entry in every ``--news-every``-th feed, whose article page is fetched,
   extracted, matched and published. It prints, per round, the seconds until
   every feed was answered (the polling), the feeds per second that makes,
   and the seconds until the queue drained (articles, matching, publishing),
   and the CPU seconds the round cost the workers, PostgreSQL and the feed
   servers (from /proc): what the round would take on idle cores;
3. the same rounds run in-process (``Tracker.refresh``, as ``tracker daemon``
   does with one machine) on the SQLite store and on the PostgreSQL store:
   the per-round cost of the two stores side by side.

Everything shares this machine's cores: the feed servers (one process, so
one core at most for all of them), PostgreSQL and the workers (each one
process: one core at most for its parsing and storing). Throughput stops
growing once the cores are busy, so on a 2-core machine expect 2 workers to
beat 1 and 4 to add little; on a machine other work also loads, more
processes also win a larger share of it, which the CPU seconds expose.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from feedfarm import FeedFarm  # noqa: E402
from postgres import PgCluster  # noqa: E402

from tracker.app import Tracker  # noqa: E402
from tracker.config import load_config  # noqa: E402

REPORT = ROOT / "tests" / "data" / "reports" / "english.md"
WORKER = (sys.executable, "-m", "tracker.cli")
CPU_PARTS = ("tracker", "postgres", "servers")


@dataclass
class Round:
    label: str
    polled_seconds: float
    drained_seconds: float
    feeds: int
    # CPU seconds the round cost: tracker (the workers, or this process in-process),
    # PostgreSQL (every backend), the feed servers (this process's other threads).
    cpu: dict[str, float]

    @property
    def feeds_per_second(self) -> float:
        return self.feeds / self.polled_seconds if self.polled_seconds else 0.0


def write_config(folder: Path, farm: FeedFarm, url: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPORT, folder / "report.md")
    data: dict[str, object] = {
        "state_dir": "state",
        "reports": [{"id": "open", "path": "report.md", "language": "en", "since": "2026-02-11"}],
        "feeds": [{"name": f.name, "url": f.url} for f in farm.feeds],
        "watch_cited": False,
        "fetch": {"allow_private_networks": True, "respect_robots": False},
        "daemon": {"log_level": "warning"},
    }
    if url is not None:
        data["store"] = {"url": url}
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _proc_cpu(pid: int, children: bool = False) -> float:
    """CPU seconds of a process (and of its reaped children) from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu(cluster: PgCluster) -> float:
    """The cluster's CPU so far: the postmaster with its reaped backends, and live ones."""
    postmaster = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
    total = _proc_cpu(postmaster, children=True)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == postmaster:
            total += _proc_cpu(int(stat.parent.name))
    return total


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def busy_jobs(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM procrastinate_jobs "
            "WHERE status IN ('todo', 'doing') "
            "AND task_name NOT IN ('tracker.recover', 'tracker.prune')"
        ).fetchone()
    return int(row[0]) if row else 0


def wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def distributed(
    cluster: PgCluster, farm: FeedFarm, workers: int, args: argparse.Namespace, folder: Path
) -> list[Round]:
    url = cluster.create_database(f"scale_{workers}")
    config = write_config(folder / f"workers{workers}", farm, url)
    tracker = Tracker(load_config(config))
    engine = tracker.task_engine()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = []
    for n in range(workers):
        log = (config.parent / f"worker{n}.log").open("ab")
        procs.append(
            subprocess.Popen(
                [*WORKER, "--config", str(config), "worker", "-n", str(args.concurrency)],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=env,
            )
        )
        log.close()
    rounds = []
    try:
        with psycopg.connect(url) as conn:

            def registered() -> bool:
                row = conn.execute("SELECT COUNT(*) FROM procrastinate_workers").fetchone()
                return row is not None and row[0] == workers

            wait(registered, 60, f"{workers} workers to register")
        with engine.app.open():
            for number in range(1, args.rounds + 1):
                if number > 1:
                    farm.new_round(every=args.news_every)
                farm.reset_counts()
                started = time.perf_counter()
                before = (sum(_proc_cpu(p.pid) for p in procs), postgres_cpu(cluster), self_cpu())
                engine.defer_round(due_only=False)
                wait(lambda: len(farm.answered()) >= len(farm.feeds), 1800, "every feed")
                polled = time.perf_counter() - started
                wait(lambda: busy_jobs(url) == 0, 1800, "the queue to drain")
                drained = time.perf_counter() - started
                after = (sum(_proc_cpu(p.pid) for p in procs), postgres_cpu(cluster), self_cpu())
                cpu = dict(
                    zip(CPU_PARTS, (b - a for a, b in zip(before, after, strict=True)), strict=True)
                )
                label = "cold" if number == 1 else "warm"
                name = f"{workers} workers, round {number} ({label})"
                rounds.append(Round(name, polled, drained, len(farm.feeds), cpu))
                print(f"  {rounds[-1].label}: {_line(rounds[-1])}", flush=True)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
    return rounds


def in_process(
    farm: FeedFarm,
    cluster: PgCluster,
    url: str | None,
    args: argparse.Namespace,
    folder: Path,
    name: str,
) -> list[Round]:
    config = write_config(folder / name, farm, url)
    tracker = Tracker(load_config(config))
    rounds = []
    for number in range(1, args.rounds + 1):
        if number > 1:
            farm.new_round(every=args.news_every)
        farm.reset_counts()
        started = time.perf_counter()
        before = (self_cpu(), postgres_cpu(cluster))
        summary = tracker.refresh(trigger="bench")
        seconds = time.perf_counter() - started
        mine, pg = (b - a for a, b in zip(before, (self_cpu(), postgres_cpu(cluster)), strict=True))
        # Here tracker and the feed servers share this process: counted as tracker.
        cpu = {"tracker": mine, "postgres": pg if url else 0.0, "servers": 0.0}
        label = "cold" if number == 1 else "warm"
        # In one process the stages follow each other: polling is the fetch stage.
        polled = summary.durations.get("fetch", seconds)
        rounds.append(
            Round(f"{name}, round {number} ({label})", polled, seconds, len(farm.feeds), cpu)
        )
        print(f"  {rounds[-1].label}: {_line(rounds[-1])}", flush=True)
    return rounds


def _line(r: Round) -> str:
    cpu = ", ".join(f"{part} {seconds:.1f}" for part, seconds in r.cpu.items())
    return (
        f"every feed answered after {r.polled_seconds:.1f} s ({r.feeds_per_second:.0f} feeds/s), "
        f"round done after {r.drained_seconds:.1f} s; CPU s: {cpu}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--workers", default="1,2,4", help="worker counts to measure")
    # Enough jobs per worker that waiting on the network is not what limits it.
    parser.add_argument("--concurrency", type=int, default=16, help="jobs at once per worker")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--news-every", type=int, default=500)
    parser.add_argument("--skip-in-process", action="store_true")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",") if n]
    print(
        f"{args.feeds} feeds on {args.hosts} hosts, {os.cpu_count()} cores; "
        f"rounds after the first bring {args.feeds // args.news_every} new articles",
        flush=True,
    )
    folder = Path(tempfile.mkdtemp(prefix="tracker-scale-"))
    try:
        with PgCluster.started() as cluster:
            for workers in counts:
                with FeedFarm(args.hosts, args.feeds, distinct_addresses=True) as farm:
                    distributed(cluster, farm, workers, args, folder)
            if not args.skip_in_process:
                with FeedFarm(args.hosts, args.feeds, distinct_addresses=True) as farm:
                    in_process(farm, cluster, None, args, folder, "in-process, SQLite")
                url = cluster.create_database("scale_in_process")
                with FeedFarm(args.hosts, args.feeds, distinct_addresses=True) as farm:
                    in_process(farm, cluster, url, args, folder, "in-process, PostgreSQL")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
