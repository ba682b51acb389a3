"""A feed's next poll: backoff after failures, Retry-After, max-age and <ttl> as a floor,
and ``--force`` — real HTTP on 127.0.0.1, a real SQLite store, time from the clock."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import yaml

from tracker.config import Config, load_config
from tracker.demo.server import LocalServer
from tracker.refresh import run_refresh
from tracker.refresh.backoff import BACKOFF_BASE, BACKOFF_MAX, FLOOR_MAX, backoff_delay
from tracker.store import SourceHealth, open_store

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
RSS = "application/rss+xml"


def rss(ttl: int | None = None) -> str:
    ttl_element = f"<ttl>{ttl}</ttl>" if ttl is not None else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Quiet feed</title><link>https://example.org/</link>{ttl_element}"
        "</channel></rss>"
    )


def write_config(tmp_path: Path, feeds: dict[str, str]) -> Path:
    (tmp_path / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    data = {
        "state_dir": "state",
        "reports": [{"id": "ai", "path": "report.md", "language": "zh", "since": "2026-02-11"}],
        "feeds": [{"name": name, "url": url} for name, url in feeds.items()],
        "watch_cited": False,
        "fetch": {"allow_private_networks": True, "connect_timeout": 2, "read_timeout": 2},
    }
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def health(config: Config, url: str) -> SourceHealth:
    with open_store(config.database_path) as store:
        found = store.source(url)
    assert found is not None
    return found


def polled(server: LocalServer, path: str) -> int:
    return sum(1 for r in server.requests if r.path == path)


def refresh_at(config: Config, when: datetime) -> list[str]:
    """Refresh at ``when``; the warnings it gave."""
    summary = run_refresh(config, clock=lambda: when)
    assert summary.outcome == "ok"
    return [w.reason for w in summary.warnings]


def test_a_failing_feed_waits_out_its_backoff_and_is_polled_again_after(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    down = s.add("/down.xml", "broken", status=500)
    fine = s.add("/fine.xml", rss(), content_type=RSS)
    config = load_config(write_config(tmp_path, {"down": down, "fine": fine}))

    refresh_at(config, NOW)
    first = health(config, down)
    assert first.consecutive_failures == 1 and first.next_poll_reason == "backoff"
    assert first.next_poll == NOW + backoff_delay(down, 1)
    assert NOW + BACKOFF_BASE * 0.75 <= first.next_poll <= NOW + BACKOFF_BASE
    assert health(config, fine).next_poll is None  # healthy, no max-age: the schedule decides

    # Five minutes later the failing feed waits; the healthy one is polled as ever.
    warnings = refresh_at(config, NOW + timedelta(minutes=5))
    assert polled(s, "/down.xml") == 1 and polled(s, "/fine.xml") == 2
    assert any("1 failing feeds wait" in w and "--force" in w for w in warnings), warnings
    assert health(config, down).consecutive_failures == 1

    # Once its time has come it is polled again; recovered, nothing holds it back.
    s.add("/down.xml", rss(), content_type=RSS)
    refresh_at(config, first.next_poll)
    assert polled(s, "/down.xml") == 2
    recovered = health(config, down)
    assert recovered.consecutive_failures == 0 and recovered.next_poll is None
    refresh_at(config, first.next_poll + timedelta(seconds=1))
    assert polled(s, "/down.xml") == 3


def test_the_delay_doubles_with_each_failure_and_caps_at_a_day(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    urls = {name: s.add(f"/{name}.xml", "down", status=503) for name in ("a", "b")}
    config = load_config(write_config(tmp_path, urls))

    delays: dict[str, list[timedelta]] = {"a": [], "b": []}
    when = NOW
    for _ in range(12):
        refresh_at(config, when)
        for name, url in urls.items():
            h = health(config, url)
            assert h.next_poll is not None and h.last_checked == when
            delays[name].append(h.next_poll - when)
        # The next refresh comes when the later of the two is due: both are polled.
        when = max(when + d[-1] for d in delays.values())
    for name, url in urls.items():
        assert polled(s, f"/{name}.xml") == 12
        assert health(config, url).consecutive_failures == 12
        grown = delays[name]
        assert grown[0] <= BACKOFF_BASE
        below_cap = [d for d in grown if d < BACKOFF_MAX * 0.75]
        assert below_cap == sorted(below_cap) and len(set(below_cap)) == len(below_cap)
        assert len(below_cap) >= 6  # 15 min, 30 min, 1 h, 2 h, 4 h, 8 h before the cap
        assert all(d <= BACKOFF_MAX for d in grown)
        assert all(d >= BACKOFF_MAX * 0.75 for d in grown[-3:])
    # Jitter keeps two feeds that fail together from being retried together.
    assert all(a != b for a, b in zip(delays["a"], delays["b"], strict=True))


def test_retry_after_on_a_503_or_429_is_honoured(tmp_path: Path, local_server: LocalServer) -> None:
    s = local_server
    busy = s.add("/busy.xml", "busy", status=503, headers={"Retry-After": "120"})
    later = format_datetime(NOW + timedelta(hours=3), usegmt=True)
    limited = s.add("/limited.xml", "slow down", status=429, headers={"Retry-After": later})
    config = load_config(write_config(tmp_path, {"busy": busy, "limited": limited}))

    refresh_at(config, NOW)
    assert health(config, busy).next_poll == NOW + timedelta(seconds=120)
    assert health(config, busy).next_poll_reason == "retry-after"
    assert health(config, limited).next_poll == NOW + timedelta(hours=3)

    refresh_at(config, NOW + timedelta(seconds=60))
    assert polled(s, "/busy.xml") == 1
    refresh_at(config, NOW + timedelta(seconds=121))
    assert polled(s, "/busy.xml") == 2 and polled(s, "/limited.xml") == 1
    refresh_at(config, NOW + timedelta(hours=3))
    assert polled(s, "/limited.xml") == 2


def test_max_age_and_ttl_are_a_floor_between_polls_capped_at_a_day(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    feeds = {
        "cached": s.add(
            "/cached.xml", rss(), content_type=RSS, headers={"Cache-Control": "max-age=7200"}
        ),
        "ttl": s.add("/ttl.xml", rss(ttl=180), content_type=RSS),
        "hostile": s.add(
            "/hostile.xml",
            rss(ttl=60),
            content_type=RSS,
            headers={"Cache-Control": "public, max-age=31536000"},
        ),
    }
    config = load_config(write_config(tmp_path, feeds))

    refresh_at(config, NOW)
    plans = {name: health(config, url) for name, url in feeds.items()}
    assert (plans["cached"].next_poll, plans["cached"].next_poll_reason) == (
        NOW + timedelta(hours=2),
        "max-age",
    )
    assert (plans["ttl"].next_poll, plans["ttl"].next_poll_reason) == (
        NOW + timedelta(minutes=180),
        "ttl",
    )
    assert plans["hostile"].next_poll == NOW + FLOOR_MAX  # not a year

    # An hour on, nothing is polled and nothing is reported: these feeds are healthy.
    assert not any("wait" in w for w in refresh_at(config, NOW + timedelta(hours=1)))
    assert [polled(s, f"/{name}.xml") for name in feeds] == [1, 1, 1]

    # Two hours on the max-age feed is polled: a 304 whose Cache-Control sets the next floor.
    refresh_at(config, NOW + timedelta(hours=2))
    assert [polled(s, f"/{name}.xml") for name in feeds] == [2, 1, 1]
    assert [r.status for r in s.requests if r.path == "/cached.xml"][-1] == 304
    assert health(config, feeds["cached"]).next_poll == NOW + timedelta(hours=4)

    # The ttl feed answers 304 too (no body), and its <ttl> still holds.
    refresh_at(config, NOW + timedelta(hours=3))
    assert [r.status for r in s.requests if r.path == "/ttl.xml"] == [200, 304]
    ttl = health(config, feeds["ttl"])
    assert (ttl.next_poll, ttl.next_poll_reason) == (NOW + timedelta(hours=6), "ttl")


def tracker_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refresh_force_polls_a_feed_in_backoff_and_status_shows_next_polls(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    down = s.add("/down.xml", "broken", status=500)
    path = write_config(tmp_path, {"down": down})

    assert tracker_cli(path, "refresh", "--json").returncode == 0
    assert polled(s, "/down.xml") == 1
    again = tracker_cli(path, "refresh", "--json")
    assert polled(s, "/down.xml") == 1  # within its backoff
    assert "failing feeds wait" in again.stdout

    status = json.loads(tracker_cli(path, "status", "--json").stdout)
    (source,) = status["sources"]
    assert source["next_poll_reason"] == "backoff"
    next_poll = datetime.fromisoformat(source["next_poll"])
    last_checked = datetime.fromisoformat(source["last_checked"])
    assert timedelta(0) < next_poll - last_checked <= BACKOFF_BASE
    assert source["consecutive_failures"] == 1  # the fields it had are all still there
    table = tracker_cli(path, "status").stdout
    assert "next poll" in table and "(backoff)" in table

    forced = tracker_cli(path, "refresh", "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    assert polled(s, "/down.xml") == 2
    assert json.loads(forced.stdout)["sources_failed"] == 1
    assert "--force" in tracker_cli(path, "refresh", "--help").stdout


HTML_PAGE = (
    "<!doctype html><html><head><title>Welcome</title></head><body><p>Not a feed.</p></body></html>"
)


def test_a_feed_url_serving_html_backs_off_like_a_dead_feed_with_one_event(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    html = s.add("/feed.xml", HTML_PAGE, content_type="text/html")
    fine = s.add("/fine.xml", rss(), content_type=RSS)
    config = load_config(write_config(tmp_path, {"html": html, "fine": fine}))

    when = NOW
    delays = []
    for n in range(1, 6):
        summary = run_refresh(config, clock=lambda w=when: w)
        assert [f.source for f in summary.failures] == ["html"]
        h = health(config, html)
        # The parse failure counts as this refresh's one check: a streak that grows.
        assert h.consecutive_failures == n, h
        assert h.last_error is not None and h.last_error.startswith("not a feed")
        assert (h.next_poll, h.next_poll_reason) == (when + backoff_delay(html, n), "backoff")
        delays.append(h.next_poll - when)
        # Before its time it is left alone; the healthy feed is polled as ever.
        refresh_at(config, when + delays[-1] * 0.5)
        assert polled(s, "/feed.xml") == n
        when = h.next_poll
    assert delays == sorted(delays) and delays[-1] > 4 * delays[0]
    assert polled(s, "/fine.xml") == 10

    # One "failing" event for the whole streak, not a failing and a recovered per refresh.
    with open_store(config.database_path) as store:
        events = store.source_events(until=when + timedelta(days=1))
    assert [(e.url, e.event) for e in events] == [(html, "failing")]

    # Serving a feed again, it recovers: one event, and nothing holds it back.
    s.add("/feed.xml", rss(), content_type=RSS)
    refresh_at(config, when)
    recovered = health(config, html)
    assert recovered.consecutive_failures == 0 and recovered.next_poll is None
    with open_store(config.database_path) as store:
        events = store.source_events(until=when + timedelta(days=1))
    assert [(e.url, e.event) for e in events] == [(html, "failing"), (html, "recovered")]
