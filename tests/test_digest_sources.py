"""Feeds that stop or come back are told once, in the next digest.

Real refreshes against feeds on a local server write the store; the digest
is sent to the outbox and read back from the .eml file, week after week.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import yaml

from tracker.config import Config, load_config
from tracker.demo.server import LocalServer
from tracker.notify.digest import run_digest
from tracker.refresh import run_refresh
from tracker.store import open_store

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
DAY0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def rss(title: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.org/</link></channel></rss>"
    )


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


def write_config(tmp_path: Path, server: LocalServer, language: str) -> Config:
    (tmp_path / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "language": language}],
                "feeds": [
                    {"name": "Steady Wire", "url": server.url("/steady.rss")},
                    {"name": "Flaky Lab Blog", "url": server.url("/flaky.rss")},
                ],
                "watch_cited": False,
                "fetch": {"allow_private_networks": True},
                "email": {"to": ["editor@example.org"], "from": "tracker@example.org"},
                "digest": {"send_empty": True},
            }
        ),
        encoding="utf-8",
    )
    return load_config(tmp_path / "sources.yaml")


def digest_at(config: Config, when: datetime) -> str:
    with open_store(config.database_path) as store:
        result = run_digest(config, store, now=when, send=True)
    assert result.sent and result.outbox_path is not None
    message = message_from_bytes(result.outbox_path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return f"{text.get_content()}\n{html.get_content()}"


def test_a_feed_that_stops_and_one_that_returns_are_each_told_once(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    s.add("/steady.rss", rss("Steady"))
    s.add("/flaky.rss", rss("Flaky"))
    config = write_config(tmp_path, s, "en")
    refresh = lambda n: run_refresh(config, clock=lambda: day(n))  # noqa: E731

    refresh(0)
    s.add("/flaky.rss", "upstream exploded", status=503)
    refresh(2)
    refresh(4)  # still failing: no new news
    first = digest_at(config, day(7))
    assert first.count("Flaky Lab Blog") == 2  # once in the text, once in the HTML
    assert "failing since 4 Nov" in first and "503" in first
    assert "Steady Wire" not in first

    refresh(9)
    refresh(11)
    assert "Flaky Lab Blog" not in digest_at(config, day(14))  # told already

    s.add("/flaky.rss", rss("Flaky"))
    refresh(16)
    s.add("/steady.rss", "", status=500)  # a blip inside one week is weather
    refresh(18)
    s.add("/steady.rss", rss("Steady"))
    refresh(20)
    third = digest_at(config, day(21))
    assert "back since 18 Nov (failing since 4 Nov)" in third
    assert "Steady Wire" not in third
    assert "Flaky Lab Blog" not in digest_at(config, day(28))


def test_the_alert_is_worded_in_the_reports_language(
    tmp_path: Path, local_server: LocalServer
) -> None:
    s = local_server
    s.add("/steady.rss", rss("Steady"))
    s.add("/flaky.rss", "gone", status=404)
    config = write_config(tmp_path, s, "zh")
    run_refresh(config, clock=lambda: day(1))
    shown = digest_at(config, day(7))
    assert "信息源状态变化" in shown and "自11月3日起无法获取" in shown
    assert shown.count("Flaky Lab Blog") == 2
