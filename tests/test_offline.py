"""A machine without network finishes a refresh fast and loses nothing.

Article links point at several loopback hosts (127.0.0.2 …) on a port where
nothing listens, as every host looks to a machine whose network is down; later
servers start on those very addresses, as when the network comes back.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tracker.config import load_config
from tracker.demo.server import LocalServer
from tracker.refresh import run_refresh
from tracker.refresh.network import network_down, probe_first
from tracker.store import open_store
from tracker.types import FetchOutcome, FetchRequest, FetchResult

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
HOSTS = [f"127.0.0.{n}" for n in range(2, 8)]


def free_port() -> int:
    """A port nothing listens on, on any of HOSTS (checked, not assumed)."""
    for _ in range(20):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if all(_closed(host, port) for host in HOSTS):
            return port
    raise RuntimeError("no port free on every test host")


def _closed(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def feed(links: list[str]) -> str:
    items = "".join(
        f"<item><title>OpenAI ships a new reasoning model, story {i}</title><link>{link}</link>"
        f"<guid>{link}</guid><pubDate>Thu, 19 Nov 2026 0{i}:00:00 GMT</pubDate>"
        "<description>A short summary from the feed.</description></item>"
        for i, link in enumerate(links)
    )
    channel = f"<channel><title>News</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def article(n: int) -> str:
    return (
        f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
        + "<p>OpenAI released a reasoning model that plans longer tasks. " * 8
        + "</p></article></body></html>"
    )


def test_no_network_leaves_article_pages_for_the_next_refresh(
    tmp_path: Path, local_server: LocalServer
) -> None:
    port = free_port()
    # Two stories per host: the first of each host is tried, the second waits.
    links = [f"http://{host}:{port}/story-{n}" for n in (1, 2) for host in HOSTS]
    waiting = links[len(HOSTS) :]
    feed_url = local_server.add("/news.rss", feed(links))
    (tmp_path / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "since": "2026-02-11"}],
                "feeds": [{"name": "News", "url": feed_url}],
                "watch_cited": False,
                "fetch": {"allow_private_networks": True, "connect_timeout": 2},
            }
        ),
        encoding="utf-8",
    )
    config = load_config(tmp_path / "sources.yaml")

    offline = run_refresh(config, clock=lambda: NOW)

    [line] = [w.reason for w in offline.warnings if w.source == "network"]
    assert "network looks down" in line and f"{len(waiting)} article pages" in line
    assert offline.new_articles == len(HOSTS)  # the tried pages, as their feed summaries
    with open_store(config.database_path) as store:
        assert sorted(e.link or e.url for e in store.entries_without_article()) == sorted(waiting)

    # The network is back: the same entries are fetched in full, nothing was lost.
    servers = [LocalServer(host=host, port=port).start() for host in HOSTS]
    try:
        for server in servers:
            for n in (1, 2):
                server.add(f"/story-{n}", article(n))
        online = run_refresh(config, clock=lambda: NOW + timedelta(hours=6))
    finally:
        for server in servers:
            server.stop()
    assert online.new_articles == len(waiting)
    assert not [w for w in online.warnings if w.source == "network"]
    with open_store(config.database_path) as store:
        assert store.entries_without_article() == []
        texts = {a.url: a.text for a in store.articles()}
    assert all("plans longer tasks" in texts[url] for url in waiting)


def _result(url: str, outcome: FetchOutcome) -> FetchResult:
    return FetchResult(url=url, outcome=outcome)


@pytest.mark.parametrize(
    ("outcomes", "down"),
    [
        ({"a": "unreachable", "b": "unreachable", "c": "unreachable"}, True),
        ({"a": "unreachable", "b": "unreachable"}, False),  # two hosts may both be down
        ({"a": "unreachable", "b": "unreachable", "c": "http-error"}, False),  # c answered
        ({"a": "unreachable", "b": "unreachable", "c": "refused"}, False),
        ({"a": "unreachable", "b": "unreachable", "c": "ok"}, False),
    ],
)
def test_the_network_is_blamed_only_when_several_hosts_all_fail_to_answer(outcomes, down):
    results = [_result(f"https://{h}.example/x", FetchOutcome(o)) for h, o in outcomes.items()]
    assert network_down(results) is down


def test_the_probe_takes_one_page_per_host_and_leaves_small_batches_whole():
    urls = [f"https://{h}.example/{i}" for i in range(3) for h in "abcdefgh"]
    probe, rest = probe_first([FetchRequest(u) for u in urls])
    assert [r.url for r in probe] == [f"https://{h}.example/0" for h in "abcdef"]
    assert len(probe) + len(rest) == len(urls)
    few = [FetchRequest(f"https://{h}.example/{i}") for i in range(5) for h in "ab"]
    assert probe_first(few) == (few, [])
