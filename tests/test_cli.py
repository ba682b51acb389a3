"""The console script as other tools use it: exit codes, JSON contracts, help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml

from tracker.cli import app
from tracker.demo.server import LocalServer

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes


def tracker(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def config_file(tmp_path: Path, **data: object) -> Path:
    (tmp_path / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    base = {
        "state_dir": "state",
        "reports": [{"id": "ai", "path": "report.md", "language": "zh", "since": "2026-02-11"}],
        "watch_cited": False,
        "fetch": {"allow_private_networks": True},
    }
    base.update(data)
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")
    return path


def test_a_broken_config_exits_2_with_one_line_naming_the_key(tmp_path: Path) -> None:
    path = config_file(tmp_path, feeds=[{"name": "x", "url": "https://example.org/f", "colour": 1}])
    result = tracker("--config", str(path), "refresh")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "feeds[0].colour" in lines[0] and str(path) in lines[0]
    assert "Traceback" not in result.stderr


def test_config_comes_from_the_environment(tmp_path: Path) -> None:
    path = config_file(tmp_path, feeds=[])
    env_run = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "status", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "TRACKER_CONFIG": str(path)},
    )
    assert env_run.returncode == 0, env_run.stderr
    assert json.loads(env_run.stdout)["config"] == str(path)


def test_refresh_json_with_failing_sources_exits_0(tmp_path: Path) -> None:
    with LocalServer() as server:
        feed = server.add(
            "/feed.xml",
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
            content_type="application/rss+xml",
        )
        path = config_file(
            tmp_path,
            feeds=[{"name": "ok", "url": feed}, {"name": "dead", "url": server.url("/nope.xml")}],
        )
        result = tracker("--config", str(path), "refresh", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["outcome"] == "ok"
    assert summary["sources_ok"] == 1 and summary["sources_failed"] == 1
    [failure] = summary["failures"]
    assert failure["source"] == "dead" and failure["url"].endswith("/nope.xml")
    assert "404" in failure["reason"]


def test_suggestions_json_is_a_list_even_when_empty(tmp_path: Path) -> None:
    path = config_file(tmp_path, feeds=[])
    result = tracker("--config", str(path), "suggestions", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_unknown_suggestion_ids_are_an_error(tmp_path: Path) -> None:
    path = config_file(tmp_path, feeds=[])
    result = tracker("--config", str(path), "accept", "999")
    assert result.returncode == 1
    assert "999" in result.stderr


def _commands(typer_app: typer.Typer, prefix: str = "") -> list[str]:
    """Every command by its full name, sub-commands as ``group command``."""
    names = [
        prefix + (c.name or c.callback.__name__)
        for c in typer_app.registered_commands
        if c.callback
    ]
    for group in typer_app.registered_groups:
        assert group.name and group.typer_instance
        names += _commands(group.typer_instance, f"{prefix}{group.name} ")
    return names


COMMANDS = sorted(_commands(app))


def test_sub_commands_are_among_the_commands() -> None:
    assert {"feeds import", "feeds export"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_documented(command: str) -> None:
    result = tracker(*command.split(), "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"tracker {command}" in readme


HOSTILE_TITLE = "Agents [/dim] ship [bold]now[/bold]"


def test_listings_show_feed_text_literally_even_when_it_looks_like_markup(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from tracker.config import load_config
    from tracker.store import open_store
    from tracker.types import Article, FetchOutcome, Suggestion, SuggestionKind

    path = config_file(tmp_path, feeds=[])
    now = datetime(2026, 3, 1, tzinfo=UTC)
    url = "https://example.org/a[/x]"
    with open_store(load_config(path).database_path) as store:
        store.add_article(Article(url, HOSTILE_TITLE, "text", now, "en", "Feed [/i]", "h"), now)
        suggestion = Suggestion(
            report="ai",
            section="3.2",
            section_title="Agents",
            kind=SuggestionKind.ADDITION,
            score=0.9,
            title=HOSTILE_TITLE,
            url=url,
            published=now,
            source="Feed [/i]",
            excerpt="excerpt",
            proposed_text="proposed",
            created_at=now,
        )
        store.add_suggestion(suggestion)
        store.record_fetch(
            url,
            kind="feed",
            name="Feed [/i]",
            outcome=FetchOutcome.HTTP_ERROR,
            status=500,
            validators=None,
            error="HTTP 500 [/red]",
            at=now,
        )
    wide = {**__import__("os").environ, "COLUMNS": "250"}
    for command in ("articles", "suggestions", "status"):
        result = subprocess.run(
            [sys.executable, "-m", "tracker.cli", "--config", str(path), command],
            capture_output=True,
            text=True,
            timeout=120,
            env=wide,
        )
        assert result.returncode == 0, (command, result.stderr)
        shown = {"articles": HOSTILE_TITLE, "suggestions": HOSTILE_TITLE, "status": "[/red]"}
        assert shown[command] in result.stdout, (command, result.stdout)


FACT_KEYS = {"actor", "event", "object", "date", "numbers", "sentence"}
ROW = "| 1 | GLM-4.7 | 智谱AI |"


def stored_edits(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A config over the seed report, its store holding an addition and a revision."""
    from dataclasses import replace
    from datetime import UTC, date, datetime

    from tracker.config import load_config
    from tracker.store import open_store
    from tracker.types import Fact, Novelty, Suggestion, SuggestionKind

    path = config_file(tmp_path, feeds=[])
    now = datetime(2026, 11, 20, tzinfo=UTC)
    addition = Suggestion(
        report="ai",
        section="5.1",
        section_title="开源权重模型排名",
        kind=SuggestionKind.ADDITION,
        score=0.7,
        title="A new open model",
        url="https://example.org/open-model",
        published=now,
        source="Example News",
        excerpt="A lab released a new open model.",
        proposed_text="- 2026-11-20，某实验室发布新的开源模型 [6]",
        created_at=now,
    )
    revision = replace(
        addition,
        kind=SuggestionKind.REVISION,
        title="GLM-5 tops the open-weights ranking",
        url="https://example.org/glm-5",
        target=ROW,
        proposed_text="| 1 | GLM-5[6] | 智谱AI |",
        fact=Fact(
            actor="Zhipu AI",
            event="ranking",
            object="GLM-5",
            date=date(2026, 11, 18),
            numbers=("#1", "68 points"),
            sentence="Zhipu AI's GLM-5 is now the top open-weights model with 68 points.",
        ),
        drafter="qwen2.5:7b-instruct",
        needs_translation=True,
        novelty=Novelty.COVERED,
    )
    with open_store(load_config(path).database_path) as store:
        ids = {"addition": store.add_suggestion(addition)}
        ids["revision"] = store.add_suggestion(revision)
    return path, ids


def test_suggestions_json_carries_the_edit_fields(tmp_path: Path) -> None:
    path, ids = stored_edits(tmp_path)
    result = tracker("--config", str(path), "suggestions", "--json")
    assert result.returncode == 0, result.stderr
    by_id = {s["id"]: s for s in json.loads(result.stdout)}
    for s in by_id.values():
        assert {"target", "fact", "drafter", "needs_translation", "novelty"} <= set(s)
        assert s["fact"] is None or set(s["fact"]) == FACT_KEYS
    addition, revision = by_id[ids["addition"]], by_id[ids["revision"]]
    assert (addition["kind"], addition["target"], addition["fact"]) == ("addition", None, None)
    assert (addition["drafter"], addition["needs_translation"], addition["novelty"]) == (
        "offline",
        False,
        "new",
    )
    assert revision["kind"] == "revision" and revision["target"] == ROW
    assert revision["fact"] == {
        "actor": "Zhipu AI",
        "event": "ranking",
        "object": "GLM-5",
        "date": "2026-11-18",
        "numbers": ["#1", "68 points"],
        "sentence": "Zhipu AI's GLM-5 is now the top open-weights model with 68 points.",
    }
    assert (revision["drafter"], revision["needs_translation"], revision["novelty"]) == (
        "qwen2.5:7b-instruct",
        True,
        "covered",
    )


def test_show_prints_the_target_the_key_fact_and_who_drafted_it(tmp_path: Path) -> None:
    path, ids = stored_edits(tmp_path)
    wide = {**__import__("os").environ, "COLUMNS": "250"}
    shown = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(path), "show", str(ids["revision"])],
        capture_output=True, text=True, timeout=120, env=wide,
    ).stdout  # fmt: skip
    assert f"#{ids['revision']} revision · pending" in shown
    assert f"replaces:\n{ROW}" in shown
    for line in (
        "actor    Zhipu AI",
        "event    ranking",
        "object   GLM-5",
        "date     2026-11-18",
        "numbers  #1, 68 points",
        "sentence Zhipu AI's GLM-5 is now the top open-weights model with 68 points.",
        "drafter qwen2.5:7b-instruct",
        "novelty covered",
        "needs translation: yes",
    ):
        assert line in shown, line  # fmt: skip
    plain = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(path), "show", str(ids["addition"])],
        capture_output=True, text=True, timeout=120, env=wide,
    ).stdout  # fmt: skip
    assert "drafter offline" in plain and "needs translation: no" in plain
    assert "key fact" not in plain and "replaces" not in plain

    table = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(path), "suggestions"],
        capture_output=True, text=True, timeout=120, env=wide,
    ).stdout  # fmt: skip
    assert "revision" in table and "addition" in table
    assert table.count("needs translation") == 1
