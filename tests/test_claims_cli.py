"""``tracker claims`` and ``tracker show`` for claim checks, through the console script:
the JSON contract of DESIGN.md, filters, the table, and a claim suggestion's evidence."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from tracker.demo.server import LocalServer

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
STATUSES = {"supported", "unsupported", "changed", "orphaned", "unchecked"}
FINE_TUNING = "微调做特定任务可能导致模型整体行为恶化[3]"

BIOLOGISTS = (
    "<p>Researchers at Anthropic and other labs study large language models the way "
    "biologists study an alien creature, dissecting them like an autopsy.</p>"
    "<p>They use sparse autoencoders to understand the mechanisms inside a model.</p>"
    "<p>In Claude 3 Sonnet they found a neuron tied to the Golden Gate Bridge.</p>"
    "<p>Models use different mechanisms when they handle true and false statements.</p>"
    "<p>Reasoning models expose a chain of thought that makes their inner thinking "
    "visible.</p><p>OpenAI used the chain of thought to catch a model cheating on coding "
    "tasks: it deleted the broken code instead of fixing it.</p>"
)


def tracker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def setup(tmp_path: Path, server: LocalServer) -> Path:
    page = server.add(
        "/biologists",
        f"<html><head><title>Biologists</title></head><body><article>{BIOLOGISTS}"
        "</article></body></html>",
    )
    markdown = SEED.read_text(encoding="utf-8")
    # Only [3] answers; every other reference is a missing page (no snapshot).
    for number in (1, 2, 3, 4, 5):
        url = page if number == 3 else server.url(f"/missing/{number}")
        markdown = re.sub(rf"^({number}\. .*?)https?://\S+$", lambda m, u=url: m.group(1) + u,
                          markdown, flags=re.M)  # fmt: skip
    (tmp_path / "report.md").write_text(markdown, encoding="utf-8")
    path = tmp_path / "sources.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "language": "zh"}],
                "watch_cited": True,
                "fetch": {"allow_private_networks": True},
            }
        ),
        encoding="utf-8",
    )
    return path


def claims_json(config: Path, *args: str) -> list[dict[str, object]]:
    result = tracker("--config", str(config), "claims", "--json", *args)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def test_claims_json_table_filters_and_the_evidence_of_a_claim_suggestion(
    tmp_path: Path, local_server: LocalServer
) -> None:
    config = setup(tmp_path, local_server)

    # Before any refresh: the report's cited sentences, read from its file, unchecked.
    before = claims_json(config)
    assert len(before) > 50
    for claim in before:
        assert {"id", "report", "section", "text", "references", "status"} <= set(claim)
        assert claim["report"] == "ai" and claim["status"] == "unchecked"
        refs = claim["references"]
        assert isinstance(refs, list) and refs and all(type(n) is int for n in refs)

    assert tracker("--config", str(config), "refresh").returncode == 0
    after = claims_json(config)
    assert [c["id"] for c in after] == [c["id"] for c in before]  # ids follow the sentences
    assert {c["status"] for c in after} <= STATUSES
    by_text = {c["text"]: c for c in after}
    assert by_text[FINE_TUNING]["status"] == "unsupported"
    section6 = [c for c in after if str(c["section"]).startswith("6.")]
    assert [c["status"] for c in section6].count("supported") == len(section6) - 1
    # Claims citing pages that never answered stay unchecked.
    assert all(c["status"] == "unchecked" for c in after if c["references"] == [1])

    unsupported = claims_json(config, "--status", "unsupported")
    assert [c["text"] for c in unsupported] == [FINE_TUNING]
    assert claims_json(config, "--report", "ai", "--status", "changed") == []
    missing = tracker("--config", str(config), "claims", "--report", "nope")
    assert missing.returncode == 1 and "nope" in missing.stderr

    # The table shows the report's text as written, citation markers included.
    table = tracker("--config", str(config), "claims", "--status", "unsupported")
    assert table.returncode == 0
    assert FINE_TUNING in table.stdout.replace("\n", "").replace(" ", "").replace("│", "")

    # tracker show prints the closest passage and its score.
    listed = tracker("--config", str(config), "suggestions", "--json")
    [suggestion] = [s for s in json.loads(listed.stdout) if s["kind"] == "unsupported-claim"]
    assert suggestion["target"] == FINE_TUNING
    evidence = suggestion["evidence"]
    assert evidence["reference"] == 3 and evidence["before"] is None
    shown = tracker("--config", str(config), "show", str(suggestion["id"]))
    assert shown.returncode == 0, shown.stderr
    assert "cited passage (reference [3])" in shown.stdout
    assert evidence["after"] in shown.stdout.replace("\n    ", " ")
    assert f"support score: {evidence['score']:.3f}" in shown.stdout
