"""The editor's week, end to end: refresh, review, accept one, reject one,
refresh again, and read the new edition, its diff and its HTML.

Suggestions are read and decided through the CLI, exactly as the contract in
DESIGN.md describes; the refreshes run in-process with a clock so that the
two editions fall on two different days.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path

import yaml

from tracker.config import load_config
from tracker.demo.server import LocalServer
from tracker.refresh import run_refresh
from tracker.store import ShownSuggestions, open_store

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
DAY_1 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
DAY_2 = DAY_1 + timedelta(days=7)

STORIES = {
    "coding-agents": (
        "Coding agents now open pull requests on their own",
        "Anthropic's Claude Code can now run coding tasks in the background and open a pull "
        "request when the tests pass. Codex CLI and Gemini CLI added similar asynchronous modes.",
    ),
    "open-image-model": (
        "Qwen releases a new open-weight image model",
        "The Qwen team released an open-weight image generation model under Apache 2.0 that "
        "runs on a single consumer GPU and follows editing instructions closely.",
    ),
    "interpretability": (
        "Sparse autoencoders map a model's features",
        "Interpretability researchers used sparse autoencoders to find features inside a large "
        "language model, tracing how the model handles true and false statements differently.",
    ),
}

CONTRACT_FIELDS = {
    "id",
    "report",
    "section",
    "section_title",
    "kind",
    "score",
    "status",
    "title",
    "url",
    "published",
    "source",
    "excerpt",
    "proposed_text",
    "created_at",
    "urls",
}


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def serve(server: LocalServer) -> str:
    items = ""
    for slug, (title, text) in STORIES.items():
        url = server.add(
            f"/news/{slug}",
            f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"<p>{text}</p></article></body></html>",
        )
        items += (
            f"<item><title>{title}</title><link>{url}</link>"
            f"<pubDate>{format_datetime(DAY_1 - timedelta(days=1))}</pubDate>"
            f"<description>{text}</description></item>"
        )
    return server.add(
        "/feed.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}'
        "</channel></rss>",
        content_type="application/rss+xml",
    )


def write_config(tmp_path: Path, feed: str) -> Path:
    """A copy of the seed report and a config watching one feed."""
    (tmp_path / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    config_path = tmp_path / "sources.yaml"
    config_path.write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [
                    {"id": "ai", "path": "report.md", "language": "zh", "since": "2026-02-11"}
                ],
                "feeds": [{"name": "News", "url": feed}],
                "watch_cited": False,
                "fetch": {"allow_private_networks": True},
            }
        ),
        encoding="utf-8",
    )
    return config_path


def section_body(markdown: str, title: str) -> str:
    """The heading titled ``title`` and the body under it, up to the next heading."""
    lines = markdown.splitlines()
    start = next(
        i
        for i, line in enumerate(lines)
        if line.startswith("#") and line.lstrip("#").strip() == title
    )
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return "\n".join(lines[start:end])


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.inserted: list[str] = []
        self._in_ins = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_ins += tag == "ins"

    def handle_endtag(self, tag: str) -> None:
        self._in_ins -= tag == "ins"

    def handle_data(self, data: str) -> None:
        if self._in_ins:
            self.inserted.append(data)


def test_accept_one_reject_another_and_the_next_edition_shows_exactly_that(
    tmp_path: Path, local_server: LocalServer
) -> None:
    config_path = write_config(tmp_path, serve(local_server))
    config = load_config(config_path)

    first = run_refresh(config, clock=lambda: DAY_1)
    assert first.new_suggestions == 3, first
    suggestions = json.loads(cli(config_path, "suggestions", "--json").stdout)
    for s in suggestions:
        assert set(s) >= CONTRACT_FIELDS, CONTRACT_FIELDS - set(s)
        assert s["status"] == "pending" and s["kind"] == "addition" and s["urls"][0] == s["url"]
    by_slug = {s["url"].rsplit("/", 1)[1]: s for s in suggestions}
    accepted, rejected = by_slug["coding-agents"], by_slug["open-image-model"]
    assert accepted["section"].startswith("3") and rejected["section"].startswith("4")

    cli(config_path, "accept", str(accepted["id"]))
    cli(config_path, "reject", str(rejected["id"]))
    assert [
        s["id"]
        for s in json.loads(
            cli(config_path, "suggestions", "--json", "--status", "accepted").stdout
        )
    ] == [accepted["id"]]

    second = run_refresh(config, clock=lambda: DAY_2)
    editions = tmp_path / "editions"
    edition = (editions / "2026-11-27.md").read_text(encoding="utf-8")
    diff = (editions / "2026-11-27.diff").read_text(encoding="utf-8")
    assert str(editions / "2026-11-27.md") in second.editions

    # The accepted text sits in its own section with the next reference number,
    # and the reference list gained that entry with the article's URL.
    bullet = accepted["proposed_text"].rsplit("[", 1)[0].strip()
    section = section_body(edition, accepted["section_title"])
    assert f"{bullet} [6]" in section
    references = edition[edition.index("## 参考文献") :]
    new_reference = next(line for line in references.splitlines() if line.startswith("6. "))
    assert accepted["url"] in new_reference
    # The rejected story is gone; the third is still waiting in its section.
    assert rejected["url"] not in edition and rejected["title"] not in edition
    assert f"tracker accept {by_slug['interpretability']['id']}" in edition

    # The diff against the first day's edition is exactly that change.
    added = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++") and line[1:].strip()
    ]
    removed = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("-") and not line.startswith("---") and line[1:].strip()
    ]
    assert added == [f"{bullet} [6]", new_reference]
    assert removed and all(line.startswith(">") for line in removed)
    assert any(str(accepted["id"]) in line for line in removed)
    assert any(str(rejected["id"]) in line for line in removed)

    # The HTML highlights the insertion and shows it as text.
    page = _Elements()
    page.feed((editions / "2026-11-27.html").read_text(encoding="utf-8"))
    assert "script" not in page.tags
    assert accepted["url"] in "".join(page.inserted)

    changelog = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.index("2026-11-27") < changelog.index("2026-11-20")


def test_a_refresh_that_changes_nothing_writes_no_edition(
    tmp_path: Path, local_server: LocalServer
) -> None:
    config_path = write_config(tmp_path, serve(local_server))
    config = load_config(config_path)
    run_refresh(config, clock=lambda: DAY_1)
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "editions").iterdir()}
    changelog = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")

    again = run_refresh(config, clock=lambda: DAY_2)

    assert again.editions == ()
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "editions").iterdir()} == before
    assert (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8") == changelog
    result = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(config_path), "refresh"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    assert "no new edition" in result.stdout


def test_suggestions_of_a_refresh_killed_before_publishing_reach_the_changelog(
    tmp_path: Path, local_server: LocalServer
) -> None:
    config_path = write_config(tmp_path, serve(local_server))
    config = load_config(config_path)

    def suggestions_stored() -> bool:
        db = sqlite3.connect(config.database_path)
        try:
            return bool(db.execute("SELECT COUNT(*) FROM suggestions").fetchone()[0])
        finally:
            db.close()

    # Stops at the first stage boundary after suggestions were stored: before publishing.
    stopped = run_refresh(config, clock=lambda: DAY_1, should_stop=suggestions_stored)
    assert stopped.outcome == "interrupted" and stopped.new_suggestions == 3
    assert not (tmp_path / "CHANGELOG.md").exists()

    run_refresh(config, clock=lambda: DAY_1)
    changelog = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    suggestions = json.loads(cli(config_path, "suggestions", "--json").stdout)
    assert len(suggestions) == 3
    for s in suggestions:
        assert s["url"] in changelog, s["url"]


def test_an_edition_copied_over_the_report_is_not_merged_twice(
    tmp_path: Path, local_server: LocalServer
) -> None:
    config_path = write_config(tmp_path, serve(local_server))
    config = load_config(config_path)
    run_refresh(config, clock=lambda: DAY_1)
    suggestions = json.loads(cli(config_path, "suggestions", "--json").stdout)
    accepted = next(s for s in suggestions if s["url"].endswith("/coding-agents"))
    cli(config_path, "accept", str(accepted["id"]))
    run_refresh(config, clock=lambda: DAY_2)
    edition = (tmp_path / "editions" / "2026-11-27.md").read_text(encoding="utf-8")

    # The editor adopts the edition as the report: the accepted addition is now
    # the report's own text, reference 6 included; the pending ones stay pending.
    adopted = "\n".join(line for line in edition.split("\n") if "tracker accept" not in line)
    (tmp_path / "report.md").write_text(adopted, encoding="utf-8")
    run_refresh(config, clock=lambda: DAY_2 + timedelta(days=7))
    latest = (tmp_path / "editions" / "2026-12-04.md").read_text(encoding="utf-8")

    assert latest.count(accepted["url"]) == 1  # once, in reference 6
    assert "\n7. " not in latest
    bullet = accepted["proposed_text"].rsplit("[", 1)[0].strip()
    assert latest.count(bullet) == 1


def _forget_editions(config_path: Path) -> None:
    """Undo the store's record of every edition, as a refresh killed before recording would."""
    db = sqlite3.connect(load_config(config_path).database_path)
    try:
        db.execute("DELETE FROM edition_suggestions")
        db.execute("DELETE FROM editions")
        db.commit()
    finally:
        db.close()


def test_a_refresh_killed_around_recording_its_edition_completes_it_once_next_time(
    tmp_path: Path, local_server: LocalServer
) -> None:
    config_path = write_config(tmp_path, serve(local_server))
    config = load_config(config_path)
    run_refresh(config, clock=lambda: DAY_1)
    edition = tmp_path / "editions" / "2026-11-20.md"
    text, changelog = (
        edition.read_text(encoding="utf-8"),
        (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8"),
    )
    ids = {s["id"] for s in json.loads(cli(config_path, "suggestions", "--json").stdout)}

    # Killed after the changelog, before the record: nothing of the edition is in the store.
    _forget_editions(config_path)
    edition.unlink()
    run_refresh(config, clock=lambda: DAY_1)
    # Killed after the record, before the .md.
    edition.unlink()
    run_refresh(config, clock=lambda: DAY_1)

    assert edition.read_text(encoding="utf-8") == text
    assert (tmp_path / "CHANGELOG.md").read_text(
        encoding="utf-8"
    ) == changelog  # nothing announced twice
    with open_store(config.database_path) as store:
        last = store.last_edition("ai")
        assert last is not None and last.path == str(edition)
        assert store.shown_in_edition("ai", last.edition_date) == ShownSuggestions(
            pending=frozenset(ids)
        )


def test_the_nothing_changed_key_is_kept_in_the_store(
    tmp_path: Path, local_server: LocalServer
) -> None:
    config_path = write_config(tmp_path, serve(local_server))
    config = load_config(config_path)
    run_refresh(config, clock=lambda: DAY_1)
    with open_store(config.database_path) as store:
        assert store.last_publish_check("ai") is None  # that refresh wrote an edition
    run_refresh(config, clock=lambda: DAY_1)
    with open_store(config.database_path) as store:
        assert store.last_publish_check("ai") is not None
    assert not (tmp_path / "state" / "publish").exists()


def test_a_refresh_killed_right_after_writing_the_changelog_adds_nothing_on_a_later_day(
    tmp_path: Path, local_server: LocalServer
) -> None:
    config_path = write_config(tmp_path, serve(local_server))
    config = load_config(config_path)
    changelog = tmp_path / "CHANGELOG.md"
    killed: list[bool] = []

    def clock() -> datetime:
        # Killed at the first moment after CHANGELOG.md holds the entry: whatever
        # the store would record next is not recorded.
        if changelog.exists() and not killed:
            killed.append(True)
            raise KeyboardInterrupt
        return DAY_1

    with contextlib.suppress(KeyboardInterrupt):
        run_refresh(config, clock=clock)
    assert killed
    written = changelog.read_text(encoding="utf-8")
    assert written.count("## 2026-11-20") == 1

    again = run_refresh(config, clock=lambda: DAY_2)  # a week later

    assert changelog.read_text(encoding="utf-8") == written  # nothing announced twice
    assert str(tmp_path / "editions" / "2026-11-27.md") in again.editions


def test_a_decision_announced_in_the_changelog_alone_is_announced_once(
    tmp_path: Path, local_server: LocalServer
) -> None:
    config_path = write_config(tmp_path, serve(local_server))
    config = load_config(config_path)
    run_refresh(config, clock=lambda: DAY_1)
    suggestions = json.loads(cli(config_path, "suggestions", "--json").stdout)
    folded = next(s for s in suggestions if s["url"].endswith("/coding-agents"))

    # The editor folds the story into the report by hand, citing it, and then
    # accepts it: the edition already reads as the report does, so the
    # decision changes only the changelog.
    report = tmp_path / "report.md"
    text = report.read_text(encoding="utf-8")
    rule = text.rindex("\n---\n")
    report.write_text(
        f"{text[:rule]}\n6. {folded['title']}. {folded['url']}\n{text[rule:]}", encoding="utf-8"
    )
    run_refresh(config, clock=lambda: DAY_2)
    cli(config_path, "accept", str(folded["id"]))
    third = run_refresh(config, clock=lambda: DAY_2 + timedelta(days=1))
    assert third.editions == ()
    changelog = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# ") and "## 2026-11-28" in changelog

    run_refresh(config, clock=lambda: DAY_2 + timedelta(days=2))

    assert (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8") == changelog


def test_a_changelog_entry_a_killed_refresh_recorded_reaches_the_file_once(
    tmp_path: Path, local_server: LocalServer
) -> None:
    config_path = write_config(tmp_path, serve(local_server))
    config = load_config(config_path)
    changelog = tmp_path / "CHANGELOG.md"
    run_refresh(config, clock=lambda: DAY_1)
    written = changelog.read_text(encoding="utf-8")

    # Killed after the entry was recorded, before the file got it (and so
    # before the edition was recorded or its .md written).
    changelog.unlink()
    (tmp_path / "editions" / "2026-11-20.md").unlink()
    _forget_editions(config_path)
    db = sqlite3.connect(config.database_path)
    try:
        db.execute("UPDATE changelog_entries SET written_at = NULL")
        db.commit()
    finally:
        db.close()

    run_refresh(config, clock=lambda: DAY_2)  # a week later
    assert changelog.read_text(encoding="utf-8") == written  # under its own date, once
    run_refresh(config, clock=lambda: DAY_2)
    assert changelog.read_text(encoding="utf-8") == written
    with open_store(config.database_path) as store:
        assert store.unwritten_changelog_entries("ai") == []
        assert [e.entry_date for e in store.changelog_entries("ai")] == ["2026-11-20"]
