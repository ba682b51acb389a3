"""Parsed reports cached in the store: a refresh reads an unchanged report back
instead of parsing it, and any change to its source (even a line break) is
parsed afresh."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from tracker.app import Tracker
from tracker.config import load_config
from tracker.demo.server import LocalServer
from tracker.report import load_report, parse_report
from tracker.store import open_store

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def test_a_cached_parse_is_the_parse(tmp_path: Path) -> None:
    report = load_report(SEED, report_id="ai", language="zh")
    with open_store(tmp_path / "t.db") as store:
        store.put_parsed_report(report, "key-1", NOW)
        assert store.parsed_report("ai", "key-1") == report
        assert store.parsed_report("ai", "key-2") is None
        assert store.parsed_report("other", "key-1") is None


def test_a_refresh_parses_a_changed_report_and_reuses_an_unchanged_one(
    tmp_path: Path, local_server: LocalServer
) -> None:
    feed = local_server.add(
        "/feed.xml",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>N</title></channel></rss>',
        content_type="application/rss+xml",
    )
    report_path = tmp_path / "report.md"
    report_path.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    config_path = tmp_path / "sources.yaml"
    config_path.write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "language": "zh"}],
                "feeds": [{"name": "N", "url": feed}],
                "watch_cited": False,
                "fetch": {"allow_private_networks": True},
            }
        ),
        encoding="utf-8",
    )
    config = load_config(config_path)
    tracker = Tracker(config, clock=lambda: NOW)
    tracker.refresh()

    def cached() -> list[tuple[str, str]]:
        with open_store(config.database_path) as store:
            return [
                (r["source_key"], r["created_at"])
                for r in store._db.rows("SELECT * FROM report_parses")
            ]

    first = cached()
    assert len(first) == 1
    tracker.refresh()
    assert cached() == first  # unchanged: read back, not parsed again

    # One more blank line moves every line number: a new parse, and it is the right one.
    report_path.write_text("\n" + SEED.read_text(encoding="utf-8"), encoding="utf-8")
    Tracker(config, clock=lambda: NOW.replace(hour=9)).refresh()
    second = cached()
    assert len(second) == 1 and second[0][0] != first[0][0]
    with open_store(config.database_path) as store:
        stored = store.parsed_report("ai", second[0][0])
    fresh = parse_report(
        report_path.read_text(encoding="utf-8"),
        report_id="ai",
        path=str(report_path),
        language="zh",
    )
    assert stored == fresh
    assert stored is not None and stored.sections[0].start_line == fresh.sections[0].start_line
