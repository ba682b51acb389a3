"""``tracker daemon`` as a real subprocess against a real local feed server.

Every wait is a poll against a deadline; the assertions are on the store's
run records, the server's request log, the daemon's HTTP answers and its
exit code, never on how long something took.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from tracker.config import load_config
from tracker.daemon.api import ApiServer, RefreshBusy
from tracker.daemon.logging import LogfmtFormatter, logfmt_value
from tracker.daemon.metrics import Gauges, RunMetrics
from tracker.daemon.service import last_full_run
from tracker.demo.server import LocalServer
from tracker.errors import LockError, TrackerError
from tracker.lock import is_locked
from tracker.schedule import parse_schedule
from tracker.store import open_store
from tracker.store.runs import RunRecord
from tracker.triggers import fire_missed

SEED = Path(__file__).resolve().parent / "data" / "reports" / "seed.md"
T = TypeVar("T")

# ---------------------------------------------------------------- the feed site

STORIES = {
    "feed-a": [
        (
            "o3 reasoning model tops math benchmarks",
            "OpenAI's new reasoning model was trained with reinforcement learning from "
            "verifiable rewards and now solves olympiad mathematics problems.",
        ),
        (
            "Claude Code adds background agents",
            "Anthropic's coding agent Claude Code can now run asynchronous tasks in a sandbox "
            "and open pull requests when the tests pass.",
        ),
    ],
    "feed-b": [
        (
            "DeepSeek releases new open-weight model",
            "The Chinese lab DeepSeek published open weights for a model that ranks first "
            "among open models on the leaderboard.",
        ),
        (
            "Image generation model edits photos in place",
            "Google's image model can edit a photo from a text instruction while keeping "
            "faces consistent.",
        ),
    ],
}


def _page(title: str, text: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><article><h1>{title}</h1><p>{text}</p><p>{text}</p></article>"
        "</body></html>"
    )


def _rss(items: list[tuple[str, str, datetime]]) -> str:
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{format_datetime(d)}</pubDate>"
        f"<description>{t}.</description></item>"
        for t, link, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        f"<link>http://example.invalid/</link><description>d</description>{entries}"
        "</channel></rss>"
    )


@dataclass
class Site:
    server: LocalServer
    feeds: dict[str, str]  # name -> URL
    article_urls: set[str]
    gate: threading.Event  # while clear, feed-a's responses are held back

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()


@pytest.fixture
def site() -> Iterator[Site]:
    recent = datetime.now(UTC) - timedelta(days=2)
    with LocalServer() as server:
        feeds, articles = {}, set()
        gate = threading.Event()
        gate.set()
        for feed, stories in STORIES.items():
            items = []
            for n, (title, text) in enumerate(stories):
                url = server.add(f"/{feed}/story-{n}", _page(title, text))
                articles.add(url)
                items.append((title, url, recent))
            feeds[feed] = server.add_handler(f"/{feed}.xml", _gated(gate, _rss(items)))
        yield Site(server, feeds, articles, gate)
        gate.set()


def _gated(gate: threading.Event, body: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A feed that answers only while the gate is open (a refresh the test can hold)."""

    async def handler(request: web.Request) -> web.Response:
        while not gate.is_set():
            await asyncio.sleep(0.05)
        return web.Response(text=body, content_type="application/rss+xml")

    return handler


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(
    tmp_path: Path, site: Site, *, refresh: str, grace: float = 10, listen: str | None = None
) -> Path:
    report = tmp_path / "report.md"
    if not report.exists():
        shutil.copyfile(SEED, report)
    data = {
        "state_dir": "state",
        "reports": [{"id": "ai", "path": "report.md", "language": "zh", "since": "2026-02-11"}],
        "feeds": [{"name": name, "url": url} for name, url in site.feeds.items()],
        "watch_cited": False,
        "fetch": {"allow_private_networks": True, "respect_robots": False},
        "schedule": {"timezone": "UTC", "refresh": refresh, "digest": "mon 08:00"},
        "daemon": {
            "listen": listen or f"127.0.0.1:{free_port()}",
            "shutdown_grace_seconds": grace,
            "log_level": "debug",
        },
    }
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def poll(check: Callable[[], T], timeout: float, what: str) -> T:
    """Call ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_CONFIG", "TRACKER_API_TOKEN")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def tracker(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
    )


def _cli(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


class Daemon:
    """A ``tracker daemon`` subprocess with its stderr in a file."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.settings = load_config(config)
        self.log_path = log
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tracker.cli", "--config", str(config), "daemon"],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env=_env(),
        )

    @property
    def base(self) -> str:
        return f"http://{self.settings.daemon.listen}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def http(self, method: str, path: str, token: str | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.base + path, method=method, data=b"" if method == "POST" else None
        )
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read()

    def healthy(self) -> bool:
        if self.proc.poll() is not None:
            pytest.fail(f"daemon exited with {self.proc.returncode}:\n{self.log()}")
        try:
            status, body = self.http("GET", "/healthz")
        except OSError:
            return False
        return status == 200 and json.loads(body)["status"] == "ok"

    def wait_healthy(self) -> None:
        poll(self.healthy, 30, "the daemon's /healthz")

    def runs(self) -> list[RunRecord]:
        with open_store(self.settings.database_path) as store:
            return sorted(store.runs(limit=100), key=lambda r: r.id)

    def finished_runs(self, trigger: str | None = None) -> list[RunRecord]:
        return [
            r
            for r in self.runs()
            if r.finished_at is not None and (trigger is None or r.trigger == trigger)
        ]

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait_exit(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"daemon still running after {timeout}s:\n{self.log()}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._log.close()


@pytest.fixture
def daemons() -> Iterator[Callable[[Path, Path], Daemon]]:
    started: list[Daemon] = []

    def start(config: Path, log: Path) -> Daemon:
        daemon = Daemon(config, log)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.close()


def assert_consistent(database: Path) -> None:
    with open_store(database) as store:
        unfinished = [r.id for r in store.runs(limit=1000) if r.finished_at is None]
    assert unfinished == []
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        connection.close()


def assert_no_overlap(runs: list[RunRecord]) -> None:
    spans = sorted((r.started_at, r.finished_at, r.id) for r in runs)
    for (_, end, first), (start, _, second) in pairwise(spans):
        assert end is not None and end <= start, f"runs {first} and {second} overlap"


# ---------------------------------------------------------------- the daemon, end to end


def test_runs_on_schedule_survives_a_broken_reload_and_takes_a_valid_one(
    tmp_path: Path, site: Site, daemons: Callable[[Path, Path], Daemon]
) -> None:
    config = write_config(tmp_path, site, refresh="every 10s")
    daemon = daemons(config, tmp_path / "daemon.log")
    daemon.wait_healthy()
    state_file = daemon.settings.state_dir / "daemon.json"
    assert json.loads(state_file.read_text())["pid"] == daemon.proc.pid
    assert state_file.stat().st_mode & 0o777 == 0o600  # private, like the database

    # No run before: one catch-up refresh at once, recorded as scheduled.
    first = poll(lambda: daemon.finished_runs("schedule"), 30, "the catch-up refresh")[0]
    assert first.outcome == "ok"
    assert {r.url for r in _articles(daemon)} == site.article_urls

    good_config = config.read_text()
    config.write_text("schedule: {refresh: 'every 1s'\n")  # broken YAML and too short
    sighup_at = datetime.now(UTC)
    daemon.signal(signal.SIGHUP)
    poll(lambda: "event=config.reload_failed" in daemon.log(), 10, "the reload to be refused")
    assert daemon.healthy()
    # The old schedule still holds: another scheduled run starts after the failed reload.
    poll(
        lambda: [r for r in daemon.finished_runs("schedule") if r.started_at > sighup_at],
        30,
        "a scheduled run after the failed reload",
    )

    status, body = daemon.http("GET", "/metrics")
    assert status == 200
    _, families = parse_prometheus(body.decode())
    assert families["tracker_up"] == [({}, 1.0)]
    assert sum(v for labels, v in families["tracker_runs_total"] if labels["outcome"] == "ok") >= 2
    # Two finished runs fetched every feed (and the first every page) at least; the
    # server answered no fewer.
    fetched = {labels["status"]: v for labels, v in families["tracker_fetch_requests_total"]}
    served = sum(1 for r in site.server.requests if r.status == 200)
    assert 2 * len(site.feeds) + len(site.article_urls) <= fetched["200"] <= served

    status, body = daemon.http("GET", "/api/status")
    assert status == 200
    api_status = json.loads(body)
    assert api_status["daemon"]["pid"] == daemon.proc.pid
    assert {r["id"] for r in api_status["runs"]} >= {first.id}

    # A valid config takes effect for the next run: the refresh moves an hour out.
    config.write_text(good_config.replace("every 10s", "every 1h"))
    daemon.signal(signal.SIGHUP)
    poll(lambda: "event=config.reloaded" in daemon.log(), 10, "the valid reload")
    next_refresh = datetime.fromisoformat(
        json.loads(state_file.read_text())["next_run_times"]["refresh"]
    )
    assert next_refresh - datetime.now(UTC) > timedelta(minutes=30)

    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(30) == 0
    assert not state_file.exists()
    assert_consistent(daemon.settings.database_path)


def test_api_and_cli_refreshes_never_overlap(
    tmp_path: Path, site: Site, daemons: Callable[[Path, Path], Daemon]
) -> None:
    config = write_config(tmp_path, site, refresh="every 1h")
    daemon = daemons(config, tmp_path / "daemon.log")
    daemon.wait_healthy()
    poll(lambda: daemon.finished_runs("schedule"), 30, "the catch-up refresh")

    # Feeds held back by the test keep each refresh running until it lets go.
    site.hold()
    status, body = daemon.http("POST", "/api/refresh")
    assert status == 202, body
    api_run = json.loads(body)["run_id"]

    refused = tracker(config, "refresh")
    assert refused.returncode == 1
    assert "already running" in refused.stderr and str(daemon.proc.pid) in refused.stderr
    status, body = daemon.http("POST", "/api/refresh")
    assert status == 409 and json.loads(body)["holder"]["pid"] == daemon.proc.pid
    via_daemon = tracker(config, "refresh", "--via-daemon")
    assert via_daemon.returncode == 1 and "already running" in via_daemon.stderr

    waiting = _cli(config, "refresh", "--wait", "--json")
    site.release()
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert json.loads(out)["run_id"] > api_run

    # And the other way round: a CLI refresh holds the lock, the daemon answers 409.
    site.hold()
    cli = _cli(config, "refresh")
    try:
        poll(lambda: is_locked(daemon.settings.state_dir), 30, "the CLI refresh to hold the lock")
        status, body = daemon.http("POST", "/api/refresh")
        assert status == 409 and json.loads(body)["holder"]["pid"] == cli.pid
    finally:
        site.release()
        cli.communicate(timeout=60)
    assert cli.returncode == 0

    via_daemon = tracker(config, "refresh", "--via-daemon", "--json")
    assert via_daemon.returncode == 0, via_daemon.stderr
    last = json.loads(via_daemon.stdout)["run_id"]
    poll(lambda: any(r.id == last for r in daemon.finished_runs()), 30, "the last run")

    runs = daemon.runs()
    assert {"schedule", "api", "cli"} <= {r.trigger for r in runs}
    assert_no_overlap(runs)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(30) == 0


def test_sigterm_during_a_refresh_exits_0_with_a_consistent_database(
    tmp_path: Path, site: Site, daemons: Callable[[Path, Path], Daemon]
) -> None:
    config = write_config(tmp_path, site, refresh="every 1h", grace=1)
    site.server.latency = 2.0
    daemon = daemons(config, tmp_path / "daemon.log")
    daemon.wait_healthy()
    poll(lambda: [r for r in daemon.runs() if r.finished_at is None], 30, "a refresh to start")
    poll(lambda: site.server.requests, 30, "the refresh's first request")

    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(60) == 0, daemon.log()
    assert "event=refresh.cancelling" in daemon.log()
    assert [r.outcome for r in daemon.runs()] == ["interrupted"]
    assert_consistent(daemon.settings.database_path)
    assert not is_locked(daemon.settings.state_dir)
    assert not (daemon.settings.state_dir / "daemon.json").exists()


def test_kill_9_mid_refresh_then_restart_completes_without_duplicates(
    tmp_path: Path, site: Site, daemons: Callable[[Path, Path], Daemon]
) -> None:
    config = write_config(tmp_path, site, refresh="every 1h")
    site.server.latency = 2.0
    daemon = daemons(config, tmp_path / "first.log")
    daemon.wait_healthy()
    # Kill it while article pages are being fetched: entries stored, articles not yet.
    poll(
        lambda: any(r.path.startswith(("/feed-a/", "/feed-b/")) for r in site.server.requests),
        30,
        "article pages to be requested",
    )
    daemon.proc.kill()
    daemon.wait_exit(10)
    assert [r.finished_at for r in daemon.runs()] == [None]
    assert not is_locked(daemon.settings.state_dir)  # the kernel dropped the flock

    site.server.latency = 0
    again = daemons(config, tmp_path / "second.log")
    again.wait_healthy()
    done = poll(
        lambda: [r for r in again.finished_runs() if r.outcome == "ok"],
        30,
        "the catch-up refresh after the restart",
    )
    assert [r.outcome for r in again.runs()] == ["interrupted", "ok"]
    assert done[0].trigger == "schedule"

    articles = _articles(again)
    assert sorted(a.url for a in articles) == sorted(site.article_urls)
    with open_store(again.settings.database_path) as store:
        suggestions = store.suggestions()
    claimed = [url for s in suggestions for url in (s.urls or (s.url,))]
    assert claimed, "these stories are on the report's topics: some must be suggested"
    assert len(claimed) == len(set(claimed))

    # Another refresh finds nothing new and adds nothing.
    status, body = again.http("POST", "/api/refresh")
    assert status == 202
    run_id = json.loads(body)["run_id"]
    poll(lambda: any(r.id == run_id for r in again.finished_runs()), 30, "the second refresh")
    with open_store(again.settings.database_path) as store:
        assert len(store.articles()) == len(articles)
        assert len(store.suggestions()) == len(suggestions)
    again.signal(signal.SIGTERM)
    assert again.wait_exit(30) == 0
    assert_consistent(again.settings.database_path)


def test_beyond_loopback_the_daemon_needs_a_token(
    tmp_path: Path, site: Site, daemons: Callable[[Path, Path], Daemon]
) -> None:
    config = write_config(tmp_path, site, refresh="every 1h", listen=f"0.0.0.0:{free_port()}")
    daemon = daemons(config, tmp_path / "daemon.log")
    assert daemon.wait_exit(30) == 2
    assert "event=daemon.refused" in daemon.log() and "TRACKER_API_TOKEN" in daemon.log()
    assert site.server.requests == []


def _articles(daemon: Daemon) -> list[Any]:
    with open_store(daemon.settings.database_path) as store:
        return store.articles()


# ---------------------------------------------------------------- the control API and client


class _Backend:
    def __init__(self) -> None:
        self.busy = False

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "pid": 1, "uptime": 0.0}

    def status(self) -> dict[str, Any]:
        return {"runs": []}

    def start_refresh(self) -> int:
        if self.busy:
            raise RefreshBusy({"pid": 4242, "since": "2026-03-01T08:00:00+00:00"})
        return 7

    def metrics(self) -> str:
        return "tracker_up 1\n"


@pytest.mark.parametrize("token", [None, "s3cret"])
def test_control_client_against_the_api(
    tmp_path: Path, site: Site, token: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.app import Tracker

    port = free_port()
    config = load_config(
        write_config(tmp_path, site, refresh="every 1h", listen=f"127.0.0.1:{port}")
    )
    request_refresh = Tracker(config).refresh_via_daemon
    backend = _Backend()
    server = ApiServer(backend, "127.0.0.1", port, token)
    server.start()
    try:
        if token:
            monkeypatch.delenv("TRACKER_API_TOKEN", raising=False)
            with pytest.raises(TrackerError, match="TRACKER_API_TOKEN"):
                request_refresh()
            monkeypatch.setenv("TRACKER_API_TOKEN", token)
        assert request_refresh() == 7
        backend.busy = True
        with pytest.raises(LockError) as busy:
            request_refresh()
        assert busy.value.holder_pid == 4242
        # The health check stays open without the token.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as reply:
            assert json.loads(reply.read())["status"] == "ok"
    finally:
        server.stop()
    with pytest.raises(TrackerError, match="no daemon answered"):
        request_refresh()


# ---------------------------------------------------------------- pieces


def test_catch_up_only_when_the_schedule_fired_since_the_last_full_run() -> None:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    six_hours = parse_schedule("every 6h")
    assert fire_missed(six_hours, "UTC", None, now)
    assert fire_missed(six_hours, "UTC", now - timedelta(hours=7), now)
    assert not fire_missed(six_hours, "UTC", now - timedelta(hours=5), now)
    cron = parse_schedule("0 */6 * * *")
    assert not fire_missed(
        cron,
        "UTC",
        datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC),
        datetime(2026, 3, 2, 17, 59, tzinfo=UTC),
    )
    assert fire_missed(
        cron,
        "UTC",
        datetime(2026, 3, 2, 11, 59, tzinfo=UTC),
        datetime(2026, 3, 2, 12, 0, 1, tzinfo=UTC),
    )

    def record(id: int, trigger: str, outcome: str, hour: int) -> RunRecord:
        at = datetime(2026, 3, 2, hour, tzinfo=UTC)
        return RunRecord(id, at, at, outcome, trigger, 1)

    runs = [
        record(1, "schedule", "ok", 1),
        record(2, "cli", "ok", 2),
        record(3, "schedule-feeds", "ok", 3),
        record(4, "api", "interrupted", 4),
    ]
    assert last_full_run(runs) == datetime(2026, 3, 2, 2, tzinfo=UTC)
    assert last_full_run([]) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("two words", '"two words"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("line\nbreak", '"line\\nbreak"'),
        (None, '""'),
        (1.5, "1.5"),
        (2.0, "2"),
        (datetime(2026, 3, 2, 8, 0, tzinfo=UTC), "2026-03-02T08:00:00Z"),
    ],
)
def test_logfmt_values(value: object, expected: str) -> None:
    assert logfmt_value(value) == expected


def test_a_log_line_with_a_traceback_stays_one_line() -> None:
    import logging

    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record = logging.LogRecord(
            "tracker.daemon", logging.ERROR, __file__, 1, "refresh.error", None, sys.exc_info()
        )
    record.tracker_fields = {"run": 3}
    line = LogfmtFormatter().format(record)
    assert "\n" not in line
    assert " level=error event=refresh.error run=3 exc=" in line


def test_metrics_count_each_finished_run_once_and_parse() -> None:
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def record(id: int, outcome: str, seconds: float) -> RunRecord:
        end = None if outcome == "running" else start + timedelta(seconds=seconds)
        return RunRecord(
            id,
            start,
            end,
            outcome,
            "schedule",
            1,
            counts={"sources_failed": 2},
            requests={"200": 3, "304": 1},
        )

    metrics = RunMetrics(after_run_id=1)
    runs = [
        record(1, "ok", 1),
        record(2, "ok", 4),
        record(3, "interrupted", 100),
        record(4, "running", 0),
    ]
    assert metrics.ingest(runs) == 2
    assert metrics.ingest(runs) == 0
    text = metrics.render(Gauges({'r"1': 3}, 1, True, 12.5))
    kinds, families = parse_prometheus(text)
    assert kinds == {
        "tracker_up": "gauge",
        "tracker_uptime_seconds": "gauge",
        "tracker_runs": "counter",
        "tracker_source_failures": "counter",
        "tracker_fetch_requests": "counter",
        "tracker_refresh_duration_seconds": "histogram",
        "tracker_last_refresh_duration_seconds": "gauge",
        "tracker_refresh_running": "gauge",
        "tracker_sources_failing": "gauge",
        "tracker_pending_suggestions": "gauge",
    }
    assert dict((lab["outcome"], v) for lab, v in families["tracker_runs_total"]) == {
        "ok": 1,
        "interrupted": 1,
        "failed": 0,
    }
    assert families["tracker_source_failures_total"] == [({}, 4)]
    assert dict((lab["status"], v) for lab, v in families["tracker_fetch_requests_total"]) == {
        "200": 6,
        "304": 2,
    }
    assert families["tracker_pending_suggestions"] == [({"report": 'r"1'}, 3)]
    buckets = [(lab["le"], v) for lab, v in families["tracker_refresh_duration_seconds_bucket"]]
    assert buckets[-1] == ("+Inf", 2)
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert dict(buckets)["5"] == 1 and dict(buckets)["120"] == 2
    assert families["tracker_refresh_duration_seconds_sum"] == [({}, 104)]
    assert families["tracker_refresh_duration_seconds_count"] == [({}, 2)]
    assert families["tracker_last_refresh_duration_seconds"] == [({}, 100)]
    assert families["tracker_up"] == [({}, 1)]
    assert families["tracker_uptime_seconds"] == [({}, 12.5)]
    assert families["tracker_refresh_running"] == [({}, 1)]
    assert families["tracker_sources_failing"] == [({}, 1)]


# ---------------------------------------------------------------- reading /metrics

Samples = dict[str, list[tuple[dict[str, str], float]]]


def parse_prometheus(text: str) -> tuple[dict[str, str], Samples]:
    """Each family's type, and the samples by sample name, read by prometheus_client.

    Its parser is lax: a sample outside its declared family becomes an untyped
    family of its own. So every family must be typed and declared once.
    """
    assert text.endswith("\n")
    kinds: dict[str, str] = {}
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        assert family.type != "untyped" and family.name not in kinds, family
        kinds[family.name] = family.type
        for sample in family.samples:
            assert not math.isnan(sample.value), sample
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return kinds, samples


def test_without_a_token_only_local_clients_may_drive_the_api(tmp_path: Path) -> None:
    backend = _Backend()
    port = free_port()
    server = ApiServer(backend, "127.0.0.1", port, None)
    server.start()

    def post(headers: dict[str, str]) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/refresh", data=b"", method="POST", headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as reply:
                return reply.status
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code

    try:
        assert post({}) == 202  # urllib names 127.0.0.1:PORT as the Host
        assert post({"Host": f"localhost:{port}"}) == 202
        # A page on another site, in the editor's browser: a cross-site POST...
        assert post({"Origin": "https://evil.example"}) == 403
        # ...or a rebound DNS name pointing at 127.0.0.1.
        assert post({"Host": f"evil.example:{port}"}) == 403
        # Only exact loopback names: a name that merely starts like an address is not one.
        assert post({"Host": f"127.evil.example:{port}"}) == 403
        assert post({"Origin": "http://127.0.0.1.evil.example"}) == 403
        assert post({"Host": f"[::1]:{port}"}) == 202
        assert post({"Origin": f"http://127.0.0.1:{port}"}) == 202
    finally:
        server.stop()
