"""The deployment files in deploy/: they cannot run here, so check what can be
checked — they parse, and every path and command they name exists."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path, PurePosixPath

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def console_scripts() -> dict[str, str]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]["scripts"]


# ------------------------------------------------------------------ systemd


@pytest.fixture(scope="module")
def unit() -> configparser.ConfigParser:
    # systemd units are INI-like; keys are case-sensitive and may repeat.
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "tracker.service").read_text(encoding="utf-8"))
    return parser


def test_unit_has_the_three_sections(unit: configparser.ConfigParser) -> None:
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_unit_runs_tracker_daemon(unit: configparser.ConfigParser) -> None:
    argv = shlex.split(unit["Service"]["ExecStart"])
    assert PurePosixPath(argv[0]).is_absolute()  # systemd wants an absolute path
    assert PurePosixPath(argv[0]).name in console_scripts()
    assert argv[1:] == ["daemon"]
    assert "$MAINPID" in unit["Service"]["ExecReload"] and "-HUP" in unit["Service"]["ExecReload"]


def test_unit_restarts_on_failure_but_not_on_a_bad_config(
    unit: configparser.ConfigParser,
) -> None:
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"].split() == ["2"]  # the CLI's bad-config code


def test_unit_is_hardened_with_a_writable_state_folder(unit: configparser.ConfigParser) -> None:
    service = unit["Service"]
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes"
    assert service.get("User") not in (None, "", "root")
    writable = [PurePosixPath(p.lstrip("-")) for p in service["ReadWritePaths"].split()]
    config = PurePosixPath(service["Environment"].split("=", 1)[1])
    assert config.name.endswith(".yaml")
    work = PurePosixPath(service["WorkingDirectory"])
    # The config's folder (where ./state and the reports resolve) must be writable.
    for folder in (config.parent, work):
        assert any(folder == w or w in folder.parents for w in writable), folder


def service_directives() -> dict[str, list[str]]:
    """[Service] keys with every value, in order (configparser keeps only the last)."""
    directives: dict[str, list[str]] = {}
    section = None
    for line in (DEPLOY / "tracker.service").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service":
            key, _, value = line.partition("=")
            directives.setdefault(key.strip(), []).append(value.strip())
    return directives


HARDENING = {
    "PrivateMounts": "yes",
    "PrivateUsers": "yes",
    "ProtectProc": "invisible",
    "ProcSubset": "pid",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallArchitectures": "native",
    "SystemCallErrorNumber": "EPERM",
    "CapabilityBoundingSet": "",
    "RemoveIPC": "yes",
    "RestrictNamespaces": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "PrivateDevices": "yes",
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
}


def test_unit_has_the_hardening_directives() -> None:
    service = service_directives()
    for key, value in HARDENING.items():
        assert service.get(key, [None])[-1] == value, key
    assert service["SystemCallFilter"] == ["@system-service", "~@privileged @resources"]
    assert service["MemoryMax"] and service["TasksMax"]
    # The daemon fetches feeds and sends mail: Internet sockets and all outbound
    # addresses stay allowed, only named addresses are denied.
    assert set(service["RestrictAddressFamilies"][-1].split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}
    denied = " ".join(service.get("IPAddressDeny", [])).split()
    assert "any" not in denied and "0.0.0.0/0" not in denied and "::/0" not in denied
    assert "PrivateNetwork" not in service


EXPOSURE = re.compile(r"Overall exposure level for \S+: (\d+\.\d+)")


def test_unit_exposure_is_at_most_2(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit_file = tmp_path / "tracker.service"
    shutil.copyfile(DEPLOY / "tracker.service", unit_file)
    done = subprocess.run(
        [analyze, "security", "--offline=yes", "--no-pager", str(unit_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    exposure = EXPOSURE.search(done.stdout)
    assert exposure, done.stdout + done.stderr
    assert "Unknown key" not in done.stderr, done.stderr
    assert float(exposure.group(1)) <= 2.0, done.stdout


# ------------------------------------------------------------------ Dockerfile


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        pairs.append((instruction.upper(), rest.strip()))
    return pairs


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return dockerfile_instructions(DEPLOY / "Dockerfile")


def _all(dockerfile: list[tuple[str, str]], instruction: str) -> list[str]:
    return [rest for name, rest in dockerfile if name == instruction]


def test_dockerfile_builds_from_a_slim_python(dockerfile: list[tuple[str, str]]) -> None:
    assert dockerfile[0][0] == "FROM"
    image = _all(dockerfile, "FROM")[0]
    # Pinned by digest once the registry is reachable (see the comment in the Dockerfile).
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?(@sha256:[0-9a-f]{64})?", image), image


def test_dockerfile_copies_only_what_exists(dockerfile: list[tuple[str, str]]) -> None:
    copies = _all(dockerfile, "COPY")
    assert copies
    for rest in copies:
        *sources, _target = shlex.split(rest)
        for source in sources:
            assert not source.startswith("--"), "no COPY --from stages expected"
            assert (ROOT / source).exists(), f"COPY source {source} is missing"
    # What pip installs needs the package and the files pyproject names.
    copied = {s for rest in copies for s in shlex.split(rest)[:-1]}
    assert {"pyproject.toml", "README.md", "tracker"} <= copied


def test_dockerfile_ignore_file_lets_the_copied_files_through() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copies = _all(dockerfile_instructions(DEPLOY / "Dockerfile"), "COPY")
    assert {s for rest in copies for s in shlex.split(rest)[:-1]} <= allowed


def test_dockerfile_runs_tracker_daemon_as_a_non_root_user(
    dockerfile: list[tuple[str, str]],
) -> None:
    users = _all(dockerfile, "USER")
    assert users and users[-1] not in ("root", "0")
    entrypoint = json.loads(_all(dockerfile, "ENTRYPOINT")[-1])
    command = json.loads(_all(dockerfile, "CMD")[-1])
    assert entrypoint[0] in console_scripts()
    assert entrypoint[1:] + command == ["daemon"]


def test_dockerfile_keeps_state_on_a_volume_and_checks_health(
    dockerfile: list[tuple[str, str]],
) -> None:
    volumes = [v for rest in _all(dockerfile, "VOLUME") for v in json.loads(rest)]
    env = " ".join(_all(dockerfile, "ENV"))
    config = re.search(r"TRACKER_CONFIG=(\S+)", env)
    assert config, "the image names its config file"
    assert PurePosixPath(config.group(1)).parent.as_posix() in volumes
    health = _all(dockerfile, "HEALTHCHECK")[-1]
    port = re.search(r"127\.0\.0\.1:(\d+)/healthz", health)
    assert port, health
    assert port.group(1) in _all(dockerfile, "EXPOSE")[-1].split()


# ------------------------------------------------------------------ compose


def test_compose_file_builds_the_dockerfile_with_a_volume() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["tracker"]
    context = (DEPLOY / service["build"]["context"]).resolve()
    assert (context / service["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert context == ROOT
    volume, _, mount = service["volumes"][0].partition(":")
    assert volume in compose["volumes"]
    assert mount == service["environment"]["TRACKER_CONFIG"].rsplit("/", 1)[0]
    assert "TRACKER_API_TOKEN" in service["environment"]
    assert service["restart"] in ("unless-stopped", "always", "on-failure")
    # Published on the host's loopback only: the container's 0.0.0.0 is not the world.
    assert all(str(p).startswith("127.0.0.1:") for p in service["ports"])


def test_compose_service_is_read_only_without_capabilities_and_limited() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["tracker"]
    assert service["read_only"] is True
    # With the image read-only, temporary files need a tmpfs.
    assert any(str(t).split(":")[0] == "/tmp" for t in service["tmpfs"])
    assert service["cap_drop"] == ["ALL"]
    assert "cap_add" not in service
    assert "no-new-privileges:true" in service["security_opt"]
    assert "privileged" not in service
    limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
    assert service.get("mem_limit") or limits.get("memory")
    assert service.get("pids_limit") or limits.get("pids")
