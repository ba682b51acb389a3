"""Polling benchmark: N feeds on a fast local server, cold and steady-state.

Prints, side by side in one run, against the same server:

* a bare aiohttp loop doing the same conditional requests with the same
  connection limits (the floor for tracker's fetch phase);
* ``tracker refresh`` as a whole process, cold and then with nothing changed,
  with its own fetch-phase time, requests by status and peak memory;
* ``urlwatch`` (stock 2.29) polling the same feeds, cold and steady-state.

Usage: ``python bench/poll.py [--feeds 1000] [--latency-ms 0 50] [--repeat 3]
[--no-urlwatch]``

The server (``bench/serve.py``) runs in a process of its own, so it never
shares an interpreter with the client being measured. Every timed run is
audited through the server's request log: the number of requests, how many
were conditional and their statuses are printed beside the time, and the
benchmark stops if a client did not poll every feed (a run that fetched
nothing would otherwise look fast). Steady-state runs are repeated
``--repeat`` times; the median is the figure compared, every run is shown.

Feeds alternate RSS 2.0 and Atom, 20 entries each, with ETag and
Last-Modified. All but one entry of every tenth feed are dated before the
report's ``since``, so the cold run also exercises pages, extraction and
matching on ~N/10 new articles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "reports" / "ai-2024-2025" / "report.md"
BIN = Path(sys.executable).parent
# Both tracker and the bare loop get these pool limits: tracker's default pool,
# and as many per host, since here every feed lives on one host where in
# real use 1,000 feeds span hundreds (tracker's per-host default is 6).
CONNECTIONS = 128
PER_HOST = 128


@dataclass(frozen=True)
class Audit:
    """What the server saw during one timed run."""

    requests: int
    conditional: int
    statuses: dict[str, int]

    def __str__(self) -> str:
        return f"{self.conditional}/{self.requests} conditional, statuses {self.statuses}"


class FeedServer:
    """``bench/serve.py`` in a child process; stops when its stdin closes."""

    def __init__(self, feeds: int, latency_ms: float) -> None:
        self._process = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "bench" / "serve.py"),
                "--feeds",
                str(feeds),
                "--latency-ms",
                str(latency_ms),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        hello = json.loads(self._process.stdout.readline())
        self.base_url: str = hello["base_url"]
        self.feeds: list[str] = hello["feeds"]

    def clear(self) -> None:
        request = urllib.request.Request(self.base_url + "/_bench/clear", method="POST")
        urllib.request.urlopen(request).read()

    def audit(self) -> Audit:
        with urllib.request.urlopen(self.base_url + "/_bench/log") as response:
            data = json.load(response)
        return Audit(data["requests"], data["conditional"], dict(sorted(data["statuses"].items())))

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)


# --------------------------------------------------------------------------
# the three clients


async def bare_loop(urls: list[str], validators: dict[str, tuple[str, str]]) -> None:
    """The same conditional GETs as tracker sends, and nothing else."""
    connector = aiohttp.TCPConnector(limit=CONNECTIONS, limit_per_host=PER_HOST)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> None:
            etag, modified = validators[url]
            headers = {"If-None-Match": etag, "If-Modified-Since": modified}
            async with session.get(url, headers=headers) as response:
                await response.read()

        await asyncio.gather(*(one(u) for u in urls))


async def collect_validators(urls: list[str]) -> dict[str, tuple[str, str]]:
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> tuple[str, tuple[str, str]]:
            async with session.get(url) as response:
                await response.read()
                return url, (response.headers["ETag"], response.headers["Last-Modified"])

        return dict(await asyncio.gather(*(one(u) for u in urls)))


def run_child(command: list[str], cwd: Path) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MB and stdout of one child process.

    The child is reaped with ``wait4`` for its own resource usage
    (``communicate()`` would reap it first); stderr goes to a file so that
    reading stdout to its end cannot stall on a full stderr pipe.
    """
    with tempfile.TemporaryFile("w+") as errors:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        assert process.stdout is not None
        stdout = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = code = os.waitstatus_to_exitcode(status)
        process.stdout.close()
        if code != 0:
            errors.seek(0)
            raise SystemExit(f"{command[0]} failed ({code}):\n{errors.read()[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024, stdout


@dataclass(frozen=True)
class TrackerRun:
    seconds: float
    peak_mb: int
    summary: dict[str, Any]
    audit: Audit


def tracker_run(config: Path, workdir: Path, server: FeedServer) -> TrackerRun:
    server.clear()
    seconds, peak, out = run_child(
        [str(BIN / "tracker"), "--config", str(config), "refresh", "--json"], workdir
    )
    return TrackerRun(seconds, peak, json.loads(out), server.audit())


def urlwatch_command(urls: list[str], workdir: Path) -> list[str]:
    jobs = workdir / "urls.yaml"
    jobs.write_text("\n---\n".join(f"url: {u}" for u in urls) + "\n", encoding="utf-8")
    config = workdir / "urlwatch.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "report": {"stdout": {"enabled": False}, "text": {}, "html": {}},
                "job_defaults": {"all": {}},
            }
        ),
        encoding="utf-8",
    )
    hooks = workdir / "hooks.py"
    hooks.write_text("", encoding="utf-8")
    return [
        str(BIN / "urlwatch"),
        "--urls",
        str(jobs),
        "--config",
        str(config),
        "--hooks",
        str(hooks),
        "--cache",
        str(workdir / "cache.db"),
    ]


def timed_urlwatch(command: list[str], workdir: Path, server: FeedServer) -> tuple[float, Audit]:
    server.clear()
    seconds, _, _ = run_child(command, workdir)
    return seconds, server.audit()


# --------------------------------------------------------------------------
# one benchmark configuration


def require(audit: Audit, who: str, count: int, status: str) -> None:
    """Stop unless the server saw every feed answered with ``status``."""
    if audit.statuses.get(status, 0) < count:
        raise SystemExit(f"{who}: expected {count} × {status}, server saw {audit}")
    if status == "304" and audit.conditional < count:
        raise SystemExit(f"{who}: expected {count} conditional requests, server saw {audit}")


def spread(values: list[float]) -> str:
    return "median of " + ", ".join(f"{v:.3f}" for v in values)


def write_config(workdir: Path, urls: list[str]) -> Path:
    (workdir / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    config = workdir / "sources.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "since": "2026-02-11"}],
                "feeds": [{"name": f"feed {n}", "url": u} for n, u in enumerate(urls)],
                "watch_cited": False,
                "fetch": {
                    "allow_private_networks": True,
                    "concurrency": CONNECTIONS,
                    "per_host": PER_HOST,
                    "respect_robots": False,
                },
            }
        ),
        encoding="utf-8",
    )
    return config


def bench(count: int, latency_ms: float, repeat: int, with_urlwatch: bool) -> None:
    server = FeedServer(count, latency_ms)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _bench(server, Path(tmp), count, latency_ms, repeat, with_urlwatch)
    finally:
        server.close()


def _bench(
    server: FeedServer,
    workdir: Path,
    count: int,
    latency_ms: float,
    repeat: int,
    with_urlwatch: bool,
) -> None:
    urls = server.feeds
    config = write_config(workdir, urls)
    validators = asyncio.run(collect_validators(urls))
    urlwatch = urlwatch_command(urls, workdir) if with_urlwatch else None
    print(
        f"\n== {count} feeds, server latency {latency_ms:.0f} ms, "
        f"{CONNECTIONS} connections, {os.cpu_count()} CPUs =="
    )

    cold = tracker_run(config, workdir, server)
    require(cold.audit, "tracker cold", count, "200")
    print(
        f"tracker refresh, cold:           {cold.seconds:6.3f} s   peak {cold.peak_mb} MB   "
        f"new articles {cold.summary['new_articles']}   {cold.audit}\n"
        f"    stages {cold.summary['durations']}"
    )
    if urlwatch:
        cold_u, cold_audit = timed_urlwatch(urlwatch, workdir, server)
        require(cold_audit, "urlwatch cold", count, "200")
        print(f"urlwatch 2.29, cold:             {cold_u:6.3f} s   {cold_audit}")

    # The steady-state runs of the three clients take turns, so that load from
    # anything else on the machine falls on all of them alike.
    bare: list[float] = []
    steady: list[TrackerRun] = []
    watched: list[tuple[float, Audit]] = []
    for _ in range(repeat):
        server.clear()
        start = time.perf_counter()
        asyncio.run(bare_loop(urls, validators))
        bare.append(time.perf_counter() - start)
        bare_audit = server.audit()
        require(bare_audit, "bare loop", count, "304")
        run = tracker_run(config, workdir, server)
        require(run.audit, "tracker steady-state", count, "304")
        steady.append(run)
        if urlwatch:
            seconds, audit = timed_urlwatch(urlwatch, workdir, server)
            require(audit, "urlwatch steady-state", count, "304")
            watched.append((seconds, audit))

    bare_s = statistics.median(bare)
    steady_s = statistics.median(r.seconds for r in steady)
    peak = max(r.peak_mb for r in [cold, *steady])
    print(f"bare aiohttp loop:               {bare_s:6.3f} s   ({spread(bare)})   {bare_audit}")
    print(
        f"tracker refresh, steady-state:   {steady_s:6.3f} s   "
        f"({spread([r.seconds for r in steady])})   peak {max(r.peak_mb for r in steady)} MB   "
        f"{steady[-1].audit}\n"
        f"    stages {steady[-1].summary['durations']}"
    )
    fetches = [r.summary["durations"]["fetch"] for r in steady]
    fetch_s = statistics.median(fetches)
    print(
        f"  fetch phase {fetch_s:.3f} s ({spread(fetches)}) "
        f"= {fetch_s / bare_s:.2f}× the bare loop   "
        f"[target ≤ 1.5×: {'met' if fetch_s <= 1.5 * bare_s else 'MISSED'}]"
    )
    print(f"  peak memory {peak} MB   [target < 300 MB: {'met' if peak < 300 else 'MISSED'}]")
    if watched:
        steady_u = statistics.median(s for s, _ in watched)
        need = 3 if latency_ms == 0 else 5  # the targets: 3× at 0 ms, 5× at 50 ms
        ratio = steady_u / steady_s
        print(
            f"urlwatch 2.29, steady-state:     {steady_u:6.3f} s   "
            f"({spread([s for s, _ in watched])})   {watched[-1][1]}\n"
            f"  tracker is {ratio:.1f}× faster   "
            f"[target ≥ {need}×: {'met' if ratio >= need else 'MISSED'}]"
        )


def main() -> None:
    global CONNECTIONS, PER_HOST
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0, 50])
    parser.add_argument("--repeat", type=int, default=3, help="steady-state runs to take")
    parser.add_argument("--no-urlwatch", action="store_true")
    parser.add_argument(
        "--connections",
        type=int,
        default=CONNECTIONS,
        help="pool size for tracker and the bare loop alike (all feeds share one host, "
        "so the per-host limit is set to the same number)",
    )
    args = parser.parse_args()
    CONNECTIONS = PER_HOST = args.connections
    for latency in args.latency_ms:
        bench(args.feeds, latency, args.repeat, not args.no_urlwatch)


if __name__ == "__main__":
    main()
