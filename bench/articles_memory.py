"""Article-page memory benchmark: peak RSS of a refresh that meets many big new pages.

Serves ``--feeds`` feeds on 127.0.0.1 carrying ``--pages`` new entries between
them (100 per feed by default, under ``fetch.max_entries_per_feed``), each
linking to a page of ``--page-mb`` megabytes: a short article padded with an
HTML comment, so the bytes cross the wire and sit in memory like a real heavy
page while extraction stays cheap. Then runs ``tracker refresh`` as a child
process and prints its wall time, its peak RSS (``wait4``), how many requests
the server answered and the refresh's own stage durations.

Usage: ``python bench/articles_memory.py [--pages 1000] [--page-mb 1] [--feeds 10]``

The refresh imports tracker from the checkout this file sits in (``PYTHONPATH``
is set to it), so a copy of this file in another worktree measures that
worktree's code with the same venv.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import yaml
from aiohttp import web

from tracker.demo.server import LocalServer

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "tests" / "data" / "reports" / "seed.md"
BIN = Path(sys.executable).parent
# Every page lives on one host here, where in real use they span hundreds:
# the pool is opened to the whole default connection count.
CONNECTIONS = 128


def page(n: int, size: int) -> bytes:
    article = (
        f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
        + f"<p>A laboratory released model {n}, which plans longer tasks than before. </p>" * 10
        + "</article>"
    ).encode()
    padding = max(0, size - len(article) - 20)
    return article + b"<!-- " + b"x" * padding + b" --></body></html>"


def feed(name: str, links: list[tuple[int, str]], now: datetime) -> str:
    items = "".join(
        f"<item><title>Story {n}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=n))}</pubDate>"
        "<description>A short summary from the feed.</description></item>"
        for n, link in links
    )
    channel = f"<channel><title>{name}</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def serve(server: LocalServer, pages: int, feeds: int, size: int) -> list[str]:
    def handler(n: int):  # type: ignore[no-untyped-def]
        async def respond(request: web.Request) -> web.Response:
            # Built per request, so the server never holds the pages itself.
            return web.Response(body=page(n, size), content_type="text/html", charset="utf-8")

        return respond

    links = [(n, server.add_handler(f"/page/{n}", handler(n))) for n in range(pages)]
    now = datetime.now(UTC)
    return [
        server.add(
            f"/feed/{f}.rss",
            feed(f"feed {f}", links[f::feeds], now),
            content_type="application/rss+xml",
        )
        for f in range(feeds)
    ]


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
                    "per_host": CONNECTIONS,
                    "respect_robots": False,
                },
            }
        ),
        encoding="utf-8",
    )
    return config


def run_refresh(config: Path, workdir: Path) -> tuple[float, int, dict[str, object]]:
    """Wall seconds, peak RSS in MB and the JSON summary of one ``tracker refresh``."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [str(BIN / "tracker"), "--config", str(config), "refresh", "--json"]
    with tempfile.TemporaryFile("w+") as errors:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=workdir, stdout=subprocess.PIPE, stderr=errors, text=True, env=env
        )
        assert process.stdout is not None
        stdout = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            errors.seek(0)
            sys.exit(f"tracker refresh failed:\n{errors.read()}")
    return elapsed, usage.ru_maxrss // 1024, json.loads(stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--page-mb", type=float, default=1.0)
    parser.add_argument("--feeds", type=int, default=10)
    args = parser.parse_args()
    size = int(args.page_mb * 1024 * 1024)
    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config = write_config(workdir, serve(server, args.pages, args.feeds, size))
        seconds, peak_mb, summary = run_refresh(config, workdir)
        answered = sum(1 for r in server.requests if r.path.startswith("/page/"))
    durations = summary.get("durations") or {}
    print(f"code under test:    {REPO}")
    print(f"pages:              {args.pages} × {args.page_mb} MB over {args.feeds} feeds")
    print(f"page requests:      {answered}")
    print(f"new articles:       {summary.get('new_articles')}")
    print(f"refresh wall time:  {seconds:.1f} s  (stages: {json.dumps(durations)})")
    print(f"refresh peak RSS:   {peak_mb} MB")


if __name__ == "__main__":
    main()
