"""OPML in and out of sources.yaml: parsing real and hostile OPML, editing the
config without disturbing it, refusing edits that would break it, the CLI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tracker.app import Tracker
from tracker.config import load_config
from tracker.errors import ConfigError, TrackerError
from tracker.sources import OpmlFeed, add_feeds, export_opml, read_opml
from tracker.store import open_store

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "opml"
SHIPPED_CONFIG = ROOT / "sources.yaml"  # the project's own, comments and all
SHIPPED_REPORT = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen seed
MALFORMED: dict[str, str] = yaml.safe_load((DATA / "malformed.yaml").read_text(encoding="utf-8"))
EDITS: dict[str, dict[str, str]] = yaml.safe_load((DATA / "edits.yaml").read_text(encoding="utf-8"))
NEW_FEEDS = [
    OpmlFeed("New One", "https://new.example.org/feed"),
    OpmlFeed("名字: with colon", "https://new.example.org/zh"),
]


def shipped_config(folder: Path) -> Path:
    """A copy of the project's sources.yaml with the report it names."""
    report = folder / "reports" / "ai-2024-2025" / "report.md"
    report.parent.mkdir(parents=True)
    shutil.copyfile(SHIPPED_REPORT, report)
    path = folder / "sources.yaml"
    shutil.copyfile(SHIPPED_CONFIG, path)
    return path


def small_config(folder: Path, text: str) -> Path:
    (folder / "report.md").write_text("# Report\n", encoding="utf-8")
    path = folder / "sources.yaml"
    path.write_bytes(text.encode("utf-8"))
    return path


def pairs(feeds: object) -> list[tuple[str, str]]:
    return [(feed.name, feed.url) for feed in feeds]  # type: ignore[attr-defined]


# -- reading OPML ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["subscriptions", "opml1", "latin1"])
def test_opml_files_read_as_their_expected_feeds(name: str) -> None:
    path = DATA / f"{name}.opml"
    expected = json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))
    feeds = read_opml(path.read_bytes(), source=str(path))
    assert [{"name": f.name, "url": f.url} for f in feeds] == expected


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_opml_is_refused_naming_the_file_and_the_problem(name: str) -> None:
    path = DATA / name
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        read_opml(path.read_bytes(), source=str(path))
    assert time.monotonic() - started < 1  # the entity bomb is not expanded
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert MALFORMED[name] in message
    assert "\n" not in message


def test_an_empty_file_is_not_opml() -> None:
    with pytest.raises(ConfigError, match=r"empty\.opml: not well-formed XML"):
        read_opml(b"", source="empty.opml")


def test_an_opml_without_body_is_refused() -> None:
    with pytest.raises(ConfigError, match="has no <body>"):
        read_opml(b'<opml version="2.0"><head/></opml>', source="x.opml")


# -- exporting -------------------------------------------------------------------


def test_export_then_import_into_a_fresh_config_gives_the_same_feeds(tmp_path: Path) -> None:
    config = load_config(shipped_config(tmp_path / "old"))
    exported = export_opml(config)
    assert exported.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    (tmp_path / "new").mkdir()
    fresh = small_config(tmp_path / "new", "reports:\n- id: ai\n  path: report.md\nfeeds: []\n")

    result = add_feeds(fresh, read_opml(exported, source="exported.opml"))

    assert pairs(result.added) == pairs(config.feeds)
    assert result.skipped_existing == ()
    reloaded = load_config(fresh)
    assert pairs(reloaded.feeds) == pairs(config.feeds)
    assert export_opml(reloaded).split(b"<body>")[1] == exported.split(b"<body>")[1]


def test_export_escapes_what_feed_names_and_urls_hold(tmp_path: Path) -> None:
    hostile = "<script>alert(\"x\")</script> & 'Co' \x07"
    url = "https://example.org/feed?a=1&b=<2>"
    path = small_config(
        tmp_path, "reports:\n- id: ai\n  path: report.md\nfeeds:\n- name: placeholder\n  url: x\n"
    )
    path.write_text(
        yaml.safe_dump(
            {
                "reports": [{"id": "ai", "path": "report.md"}],
                "feeds": [{"name": hostile, "url": url}],
            }
        ),
        encoding="utf-8",
    )
    exported = export_opml(load_config(path))
    assert b"<script>" not in exported
    outline = ET.fromstring(exported).find("body/outline")
    assert outline is not None
    assert outline.get("text") == hostile.replace("\x07", "")
    assert outline.get("xmlUrl") == url
    assert pairs(read_opml(exported, source="x")) == [(hostile.replace("\x07", "").strip(), url)]


# -- editing sources.yaml ----------------------------------------------------------


@pytest.mark.parametrize("case", sorted(EDITS))
def test_appending_keeps_everything_else_byte_for_byte(tmp_path: Path, case: str) -> None:
    path = small_config(tmp_path, EDITS[case]["before"])
    result = add_feeds(path, NEW_FEEDS)
    assert result.added == tuple(NEW_FEEDS)
    assert path.read_text(encoding="utf-8") == EDITS[case]["after"]
    assert pairs(load_config(path).feeds)[-2:] == pairs(NEW_FEEDS)


def test_the_shipped_config_gains_feeds_after_its_last_one_and_nothing_else(
    tmp_path: Path,
) -> None:
    path = shipped_config(tmp_path)
    before = path.read_text(encoding="utf-8")
    opml = DATA / "subscriptions.opml"

    result = add_feeds(path, read_opml(opml.read_bytes(), source=str(opml)))

    after = path.read_text(encoding="utf-8")
    last_feed = "    url: https://sspai.com/feed\n"
    cut = before.index(last_feed) + len(last_feed)
    assert after.startswith(before[:cut]) and after.endswith(before[cut:])
    appended = yaml.safe_load(after[cut : len(after) - len(before) + cut])
    assert [(e["name"], e["url"]) for e in appended] == pairs(result.added)
    assert pairs(result.added) == [
        ("Anthropic News", "https://www.anthropic.com/rss.xml"),
        ("Mistral AI", "https://mistral.ai/news/rss.xml"),
        ("Papers & Notes (weekly)", "https://example.org/feed?lang=en&format=rss"),
        ("机器之心", "https://www.jiqizhixin.com/rss"),
    ]
    # Simon Willison's feed is configured with a trailing slash; the second
    # Anthropic outline differs only by host case and a tracking parameter.
    assert [f.url for f in result.skipped_existing] == [
        "https://WWW.anthropic.com/rss.xml?utm_source=reader",
        "https://simonwillison.net/atom/everything",
    ]


def test_importing_twice_adds_nothing_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = small_config(tmp_path, EDITS["comments-everywhere"]["before"])
    add_feeds(path, NEW_FEEDS)
    written = path.read_bytes()
    again = add_feeds(path, NEW_FEEDS)
    assert again.added == ()
    assert again.skipped_existing == tuple(NEW_FEEDS)
    assert path.read_bytes() == written


def test_a_name_already_taken_gets_a_number(tmp_path: Path) -> None:
    path = small_config(tmp_path, EDITS["comments-everywhere"]["before"])
    result = add_feeds(
        path,
        [
            OpmlFeed("Alpha", "https://other.example.org/feed"),
            OpmlFeed("Alpha", "https://third.example.org/feed"),
        ],
    )
    assert [f.name for f in result.added] == ["Alpha (2)", "Alpha (3)"]
    assert [f.name for f in load_config(path).feeds] == ["Alpha", "Alpha (2)", "Alpha (3)"]


def test_windows_line_endings_stay(tmp_path: Path) -> None:
    case = EDITS["indented-sequences"]
    path = small_config(tmp_path, case["before"].replace("\n", "\r\n"))
    add_feeds(path, NEW_FEEDS)
    assert path.read_bytes() == case["after"].replace("\n", "\r\n").encode("utf-8")


def test_an_edit_that_would_make_the_config_invalid_writes_nothing(tmp_path: Path) -> None:
    path = shipped_config(tmp_path)
    before = path.read_bytes()
    with pytest.raises(ConfigError) as caught:
        add_feeds(path, [OpmlFeed("FTP", "ftp://files.example.org/feed")])
    assert caught.value.path == str(path)
    assert caught.value.problems[0] == "left unchanged: the edit would make it invalid"
    assert "feeds[22].url: 'ftp://files.example.org/feed' is not an http(s) URL" in str(
        caught.value
    )
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports", "sources.yaml"]  # no temp


def test_a_config_already_broken_is_not_touched(tmp_path: Path) -> None:
    path = small_config(
        tmp_path, "reports:\n- id: ai\n  path: report.md\nfeeds: []\ncolour: blue  # typo\n"
    )
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="colour: unknown key"):
        add_feeds(path, NEW_FEEDS)
    assert path.read_bytes() == before


# -- through the facade --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_importing_malformed_opml_leaves_sources_yaml_untouched(tmp_path: Path, name: str) -> None:
    path = shipped_config(tmp_path)
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=re.escape(MALFORMED[name])):
        Tracker.from_file(path).import_opml(DATA / name)
    assert path.read_bytes() == before


def test_adopting_a_feed_a_cited_page_advertises(tmp_path: Path) -> None:
    path = small_config(tmp_path, EDITS["indented-sequences"]["before"])
    tracker = Tracker.from_file(path)
    with open_store(tracker.config.database_path) as store:
        store.add_feed_candidate(
            "https://lab.example.org/post",
            "https://lab.example.org/feed.xml",
            "Lab  Blog",
            datetime(2026, 3, 1, tzinfo=UTC),
        )
    [candidate] = tracker.status().feed_candidates

    result = tracker.adopt_feed(candidate.feed_url)

    assert pairs(result.added) == [("Lab Blog", "https://lab.example.org/feed.xml")]
    assert pairs(load_config(path).feeds)[-1] == ("Lab Blog", "https://lab.example.org/feed.xml")
    assert tracker.adopt_feed("https://LAB.example.org/feed.xml").added == ()
    with pytest.raises(TrackerError, match="no cited page advertises"):
        tracker.adopt_feed("https://elsewhere.example.org/feed")


# -- the command ---------------------------------------------------------------------


def tracker_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_import_says_what_it_added_and_skipped(tmp_path: Path) -> None:
    path = shipped_config(tmp_path)
    result = tracker_cli("--config", str(path), "feeds", "import", str(DATA / "subscriptions.opml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{path}: added 4 feeds, skipped 2 already configured"
    assert len(load_config(path).feeds) == 22 + 4


@pytest.mark.parametrize("name", ["truncated.opml", "entity-bomb.opml", "missing.opml"])
def test_cli_import_of_a_bad_opml_exits_2_naming_the_file(tmp_path: Path, name: str) -> None:
    path = shipped_config(tmp_path)
    before = path.read_bytes()
    opml = DATA / name
    result = tracker_cli("--config", str(path), "feeds", "import", str(opml))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"tracker: {opml}: ")
    assert path.read_bytes() == before


def test_cli_import_into_a_broken_config_exits_2(tmp_path: Path) -> None:
    path = small_config(tmp_path, "reports:\n- id: ai\n  path: missing.md\n")
    before = path.read_bytes()
    result = tracker_cli("--config", str(path), "feeds", "import", str(DATA / "opml1.opml"))
    assert result.returncode == 2
    assert str(path) in result.stderr and "missing.md" in result.stderr
    assert path.read_bytes() == before


def test_cli_export_to_stdout_and_to_a_file(tmp_path: Path) -> None:
    path = shipped_config(tmp_path)
    printed = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(path), "feeds", "export"],
        capture_output=True,
        timeout=120,
    )
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == export_opml(load_config(path))

    target = tmp_path / "out" / "feeds.opml"
    written = tracker_cli("--config", str(path), "feeds", "export", "--output", str(target))
    assert written.returncode == 0, written.stderr
    assert target.read_bytes() == printed.stdout
