"""``tracker migrate-store``: a real installation's SQLite store, made by real refreshes
against a local server, copied into a throw-away PostgreSQL database; then the copy is
read through the store's own methods and refreshed again on PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import yaml
from test_refresh import NOW, World, write_config

from tracker.config import load_config
from tracker.demo.server import LocalServer
from tracker.refresh import run_refresh
from tracker.store import ClaimAnchor, ClaimVerdict, Store, open_store
from tracker.store.postgres import close_pools
from tracker.types import (
    Claim,
    ClaimStatus,
    PassageEvidence,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
)

HEALTHY = ("RSS 2.0", "Atom", "RSS 1.0", "JSON Feed", "GBK")


def tracker(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def everything(store: Store) -> dict[str, object]:
    """What the store holds, read through its own methods."""
    return {
        "counts": store.counts(),
        "sources": [asdict(s) for s in store.sources()],
        "articles": [asdict(a) for a in store.articles()],
        "suggestions": [asdict(s) for s in store.suggestions()],
        "decisions": [asdict(d) for d in store.decisions()],
        "runs": [asdict(r) for r in store.runs(limit=100)],
        "events": [asdict(e) for e in store.source_events(until=NOW + timedelta(days=1))],
        "backlog": [asdict(e) for e in store.entries_without_article()],
        "entry_sources": [
            store.entry_sources(a.url) for a in store.articles() if not a.from_feed_only
        ],
        "claims": [asdict(c) for c in store.claims(include_gone=True)],
        "anchors": [asdict(a) for a in store.claim_anchors(current=False)],
        "verdicts": [asdict(v) for c in store.claims() for v in store.claim_verdicts(c.id)],
        "snapshots": [asdict(s) for s in store.snapshots(CITED)],
        "rechecks": store.rechecks_listed("ai"),
    }


@pytest.fixture
def installation(tmp_path: Path, local_server: LocalServer) -> Path:
    """A config whose SQLite store two refreshes and an editor's decision filled."""
    world = World(local_server)
    feeds = {name: world.feeds[name] for name in (*HEALTHY, "Not found")}
    config_path = write_config(tmp_path, feeds)
    config = load_config(config_path)
    run_refresh(config, clock=lambda: NOW)
    run_refresh(config, clock=lambda: NOW + timedelta(hours=6))
    with open_store(config.database_path) as store:
        pending = store.suggestions(status=SuggestionStatus.PENDING)
        if pending:
            store.set_suggestion_status([pending[0].id], SuggestionStatus.ACCEPTED, NOW)
        _check_a_claim(store)
    return config_path


CITED = "https://blog.example.org/review"


def _check_a_claim(store: Store) -> None:
    """What claim checks store (issue 12): a claim index, an anchored passage, a verdict,
    a claim suggestion with its evidence, a dated statement listed by a digest."""
    claim = Claim(
        id="c0ffee000001", report="ai", section="3.3", text="年收入达到10亿美元[1]。",
        references=(1,), kind="sentence", numbers=("10亿美元",), names=("Claude Code",),
    )  # fmt: skip
    store.sync_claims("ai", [claim], key="key", at=NOW)
    text = "Claude Code reached $1 billion — “annual” revenue."
    snapshot = store.add_snapshot(CITED, final_url=None, text=text, content_hash="h", at=NOW)
    anchor = ClaimAnchor(
        claim.id, CITED, 1, text[:28], "", text[28:], 0, 28, snapshot, 0.6123456789,
        ClaimStatus.CHANGED, NOW,
    )  # fmt: skip
    store.put_claim_anchor(anchor)
    made = store.add_suggestion(
        Suggestion(
            report="ai", section="3.3", section_title="t", kind=SuggestionKind.CLAIM_CHANGED,
            score=0.61, title="Review", url=CITED, published=None, source="blog",
            excerpt="e", proposed_text="年收入达到12亿美元[1]。", created_at=NOW,
            target=claim.text,
            evidence=PassageEvidence(1, text, text.replace("$1", "$1.2"), 0.6123456789),
        )
    )  # fmt: skip
    store.record_claim_verdict(
        ClaimVerdict(
            claim.id, CITED, snapshot, "changed", ClaimStatus.CHANGED, 0.61, text, None, NOW,
            suggestion_id=made,
        )
    )  # fmt: skip
    store.record_rechecks("ai", ["目前最强的模型是X。"], at=NOW)


def test_a_refreshed_installation_is_copied_without_loss_and_refreshes_on(
    installation: Path, postgres_url: str, local_server: LocalServer
) -> None:
    config_path = installation
    config = load_config(config_path)
    with open_store(config.database_path) as store:
        before = everything(store)
    assert before["counts"]["articles"] >= 6  # type: ignore[index]
    assert before["events"]  # the dead feed started failing

    done = tracker(
        "migrate-store", "--from", f"sqlite:{config.database_path}", "--to", postgres_url
    )
    assert done.returncode == 0, done.stderr
    with closing(sqlite3.connect(config.database_path)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'"
            )
        ]
        rows = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    printed = {line.split("│")[1].strip(): line for line in done.stdout.splitlines() if "│" in line}
    for table in tables:
        assert f" {rows[table]} " in printed[table], table
        assert "ok" in printed[table], table
    assert "every count and hash matches" in done.stdout

    with open_store(postgres_url) as store:
        assert everything(store) == before
        # The ids go on after the copied ones.
        assert store.start_run(NOW + timedelta(hours=7)) == before["runs"][0]["id"] + 1  # type: ignore[index]
    close_pools(postgres_url)

    # The same installation on PostgreSQL: its validators came along, so a refresh
    # asks only conditional questions and finds nothing new.
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["store"] = {"url": postgres_url}
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    on_postgres = load_config(config_path)
    local_server.clear_log()
    summary = run_refresh(on_postgres, clock=lambda: NOW + timedelta(hours=12))
    assert (summary.new_entries, summary.new_articles) == (0, 0)
    feeds_asked = [r for r in local_server.requests if r.path != "/missing.xml"]
    assert {r.status for r in feeds_asked} == {304}
    with open_store(postgres_url) as store:
        assert store.counts()["articles"] == before["counts"]["articles"]  # type: ignore[index]
    close_pools(postgres_url)


def test_a_target_holding_rows_is_refused_unless_replace(
    installation: Path, postgres_url: str
) -> None:
    config = load_config(installation)
    source = f"sqlite:{config.database_path}"
    assert tracker("migrate-store", "--from", source, "--to", postgres_url).returncode == 0
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO runs (started_at, outcome, trigger) VALUES ('x', 'ok', 'cli')")
        held = conn.execute("SELECT COUNT(*) FROM runs").fetchone()

    refused = tracker("migrate-store", "--from", source, "--to", postgres_url)
    assert refused.returncode == 1
    assert "already holds rows" in refused.stderr and "--replace" in refused.stderr
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone() == held

    replaced = tracker("migrate-store", "--from", source, "--to", postgres_url, "--replace")
    assert replaced.returncode == 0, replaced.stderr
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == held[0] - 1


def test_a_row_postgresql_cannot_hold_fails_the_copy_and_leaves_the_target_empty(
    tmp_path: Path, postgres_url: str
) -> None:
    path = tmp_path / "tracker.db"
    with open_store(path) as store:
        store.record_publish_check("ok", "fine", NOW)
    with closing(sqlite3.connect(path)) as conn, conn:
        # SQLite keeps a NUL inside text; PostgreSQL's text cannot hold one.
        conn.execute("UPDATE publish_checks SET state_key = 'a' || char(0) || 'b'")
    done = tracker("migrate-store", "--from", f"sqlite:{path}", "--to", postgres_url)
    assert done.returncode == 1
    assert "publish_checks" in done.stderr
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM publish_checks").fetchone() == (0,)


def test_bad_arguments_are_refused_with_exit_2(tmp_path: Path) -> None:
    bad_source = tracker("migrate-store", "--from", str(tmp_path), "--to", "postgresql://h/d")
    assert bad_source.returncode == 2 and "sqlite:PATH" in bad_source.stderr
    bad_target = tracker(
        "migrate-store", "--from", f"sqlite:{tmp_path}/x.db", "--to", "mysql://u:pw@h/d"
    )
    assert bad_target.returncode == 2 and "pw" not in bad_target.stderr
    missing = tracker(
        "migrate-store", "--from", f"sqlite:{tmp_path}/none.db", "--to", "postgresql://h/d"
    )
    assert missing.returncode == 1 and "none.db" in missing.stderr
