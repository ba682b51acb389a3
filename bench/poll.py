"""Polling benchmark: N feeds on a fast local server, cold and steady-state.

Prints, side by side in one run:

* a bare aiohttp loop doing the same conditional requests (the floor);
* ``tracker refresh`` as a whole process, cold and then with nothing changed,
  with its own fetch-phase time, requests by status and peak memory;
* ``urlwatch`` (stock 2.29) polling the same feeds, steady-state.

Usage: ``python bench/poll.py [--feeds 1000] [--latency-ms 0 50] [--no-urlwatch]``

Feeds alternate RSS 2.0 and Atom, 20 entries each, with ETag and
Last-Modified. All but one entry of every tenth feed are dated before the
report's ``since``, so the cold run also exercises pages, extraction and
matching on ~100 new articles without turning a polling benchmark into an
extraction benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import aiohttp
import yaml

from tracker.testserver import LocalServer

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "reports" / "ai-2024-2025" / "report.md"
OLD = datetime(2025, 1, 1, tzinfo=UTC)
NEW = datetime.now(UTC) - timedelta(days=1)


def feed_body(n: int, server: LocalServer) -> tuple[str, str]:
    entries = []
    for i in range(20):
        fresh = n % 10 == 0 and i == 0
        when = NEW if fresh else OLD - timedelta(hours=i)
        link = server.url(f"/p/{n}/{i}")
        title = f"Feed {n} item {i}: a coding agent update" if fresh else f"Feed {n} item {i}"
        entries.append((title, link, when))
    if n % 2:
        items = "".join(
            f'<entry><title>{t}</title><link href="{link}"/><id>{link}</id>'
            f"<updated>{w.isoformat()}</updated><summary>{t}.</summary></entry>"
            for t, link, w in entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Feed {n}</title><id>urn:feed:{n}</id><updated>{OLD.isoformat()}</updated>"
            f"{items}</feed>",
            "application/atom+xml",
        )
    items = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{format_datetime(w)}</pubDate><description>{t}.</description></item>"
        for t, link, w in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>http://example.invalid/</link>"
        f"<description>bench</description>{items}</channel></rss>",
        "application/rss+xml",
    )


def article_page(n: int) -> str:
    return (
        f"<html><head><title>Update {n}</title></head><body><article><h1>Update {n}</h1>"
        "<p>Anthropic shipped a new Claude Code release with background agents that open pull "
        "requests on their own.</p><p>Developers run several agents in parallel.</p>"
        "</article></body></html>"
    )


def serve(server: LocalServer, count: int) -> list[str]:
    urls = []
    for n in range(count):
        body, kind = feed_body(n, server)
        urls.append(server.add(f"/f/{n}.xml", body, content_type=kind))
        if n % 10 == 0:
            server.add(f"/p/{n}/0", article_page(n))
    return urls


async def bare_loop(urls: list[str], etags: dict[str, str], connections: int) -> Counter[str]:
    statuses: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> None:
            async with session.get(url, headers={"If-None-Match": etags[url]}) as response:
                await response.read()
                statuses[str(response.status)] += 1

        await asyncio.gather(*(one(u) for u in urls))
    return statuses


async def collect_etags(urls: list[str]) -> dict[str, str]:
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> tuple[str, str]:
            async with session.get(url) as response:
                await response.read()
                return url, response.headers["ETag"]

        return dict(await asyncio.gather(*(one(u) for u in urls)))


def run_measured(command: list[str], cwd: Path) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MB, stdout of a child process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None
    stdout = process.stdout.read()
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode}):\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024, stdout


def tracker_run(config: Path, workdir: Path) -> tuple[float, int, dict]:  # type: ignore[type-arg]
    import json

    tracker = Path(sys.executable).with_name("tracker")
    seconds, peak, out = run_measured(
        [str(tracker), "--config", str(config), "refresh", "--json"], workdir
    )
    return seconds, peak, json.loads(out)


def urlwatch_run(urls: list[str], workdir: Path) -> tuple[float, float]:
    binary = shutil.which("urlwatch") or str(Path(sys.executable).with_name("urlwatch"))
    jobs = workdir / "urls.yaml"
    jobs.write_text("\n---\n".join(f"url: {u}" for u in urls) + "\n", encoding="utf-8")
    config = workdir / "urlwatch.yaml"
    config.write_text(
        yaml.safe_dump({"report": {"stdout": {"enabled": False}, "text": {}, "html": {}},
                        "job_defaults": {"all": {}}}),
        encoding="utf-8",
    )
    hooks = workdir / "hooks.py"
    hooks.write_text("", encoding="utf-8")
    command = [binary, "--urls", str(jobs), "--config", str(config), "--hooks", str(hooks),
               "--cache", str(workdir / "cache.db")]
    cold, _, _ = run_measured(command, workdir)
    steady, _, _ = run_measured(command, workdir)
    return cold, steady


def bench(count: int, latency: float, with_urlwatch: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp, LocalServer(latency=latency) as server:
        workdir = Path(tmp)
        urls = serve(server, count)
        (workdir / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
        config = workdir / "sources.yaml"
        config.write_text(
            yaml.safe_dump({
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "since": "2026-02-11"}],
                "feeds": [{"name": f"feed {n}", "url": u} for n, u in enumerate(urls)],
                "watch_cited": False,
                "fetch": {"allow_private_networks": True, "concurrency": 64, "per_host": 64,
                          "respect_robots": False},
            }),
            encoding="utf-8",
        )
        etags = asyncio.run(collect_etags(urls))
        start = time.perf_counter()
        statuses = asyncio.run(bare_loop(urls, etags, 64))
        bare = time.perf_counter() - start

        cold_s, cold_mb, cold = tracker_run(config, workdir)
        server.clear_log()
        steady_s, steady_mb, steady = tracker_run(config, workdir)
        log = server.requests
        conditional = sum(
            1 for r in log if "If-None-Match" in r.headers or "If-Modified-Since" in r.headers
        )
        print(f"\n== {count} feeds, server latency {latency * 1000:.0f} ms ==")
        print(f"bare aiohttp loop (64 conns):   {bare:6.3f} s   {dict(statuses)}")
        print(
            f"tracker refresh, cold:           {cold_s:6.3f} s   peak {cold_mb} MB   "
            f"requests {cold['requests']}   new articles {cold['new_articles']}   "
            f"stages {cold['durations']}"
        )
        print(
            f"tracker refresh, steady-state:   {steady_s:6.3f} s   peak {steady_mb} MB   "
            f"requests {steady['requests']}   stages {steady['durations']}"
        )
        fetch = steady["durations"].get("fetch", float("nan"))
        print(
            f"  fetch phase {fetch:.3f} s = {fetch / bare:.2f}× the bare loop; "
            f"{conditional}/{len(log)} requests conditional; statuses "
            f"{dict(Counter(r.status for r in log))}"
        )
        if with_urlwatch:
            cold_u, steady_u = urlwatch_run(urls, workdir)
            print(f"urlwatch 2.29, cold:             {cold_u:6.3f} s")
            print(
                f"urlwatch 2.29, steady-state:     {steady_u:6.3f} s   "
                f"→ tracker is {steady_u / steady_s:.1f}× faster"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0, 50])
    parser.add_argument("--no-urlwatch", action="store_true")
    args = parser.parse_args()
    for latency in args.latency_ms:
        bench(args.feeds, latency / 1000, not args.no_urlwatch)


if __name__ == "__main__":
    main()
