"""compose's "distributed" profile: PostgreSQL, the scheduler and N workers, hardened like
the single service. The files cannot run here (no container engine): check what they say."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "deploy" / "compose.yaml"


def services() -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    return found


def test_the_profile_adds_postgres_and_workers_and_leaves_the_single_service_as_it_was() -> None:
    found = services()
    assert "profiles" not in found["tracker"]  # `up` without a profile: the one daemon
    assert found["postgres"]["profiles"] == ["distributed"]
    assert found["worker"]["profiles"] == ["distributed"]
    # The daemon is the scheduler when its config names the PostgreSQL store; it
    # waits for the database only when the profile runs it.
    assert found["tracker"]["depends_on"]["postgres"] == {
        "condition": "service_healthy",
        "required": False,
    }
    worker = found["worker"]
    assert worker["command"][0] == "worker" and "--concurrency" in worker["command"]
    assert worker["image"] == found["tracker"]["image"]
    assert worker["build"] == found["tracker"]["build"]
    assert worker["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert str(worker["deploy"]["replicas"]).startswith("${TRACKER_WORKERS")
    assert worker["volumes"] == found["tracker"]["volumes"]  # the config and the reports
    assert "ports" not in worker and "ports" not in found["postgres"]
    assert "pg_isready" in found["postgres"]["healthcheck"]["test"]


def test_every_service_is_read_only_unprivileged_and_limited() -> None:
    for name, service in services().items():
        assert service["read_only"] is True, name
        assert any(str(t).startswith("/tmp:") for t in service["tmpfs"]), name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "privileged" not in service, name
        assert service["mem_limit"] and service["pids_limit"], name
    # Only PostgreSQL's entrypoint needs any capability: to hand its folder to its user.
    assert set(services()["postgres"]["cap_add"]) <= {
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "SETGID",
        "SETUID",
    }
    assert "cap_add" not in services()["worker"]


def test_the_image_has_the_queue_engine() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert 'pip install ".[postgres]"' in dockerfile and "libpq5" in dockerfile
    with (ROOT / "pyproject.toml").open("rb") as handle:
        extras = tomllib.load(handle)["project"]["optional-dependencies"]["postgres"]
    assert any(e.startswith("procrastinate") for e in extras)
    assert any(e.startswith("psycopg") for e in extras)
