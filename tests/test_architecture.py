"""The package map of docs/architecture.md, enforced.

The contracts live in pyproject.toml (``[tool.importlinter]``) and are run
by import-linter over the real import graph: a package that imports one
above it, two stages that import each other, or a cycle between the modules
of one package fails here. The second and third tests run the same contracts
over a small made-up package with one planted violation each, so a contract
that silently stopped checking would fail too.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"


def lint_imports(config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(script), str(config), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_tracker_keeps_its_import_contracts() -> None:
    result = lint_imports(PYPROJECT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def contracts_for(root_name: str) -> str:
    """The project's own contracts, aimed at another root package."""
    text = PYPROJECT.read_text(encoding="utf-8")
    section = text[text.index("[tool.importlinter]") :]
    return section.replace('"tracker"', f'"{root_name}"')


def made_up_package(tmp_path: Path) -> Path:
    """A package with one empty module per layer of the real contract."""
    settings = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    (layers,) = (c["layers"] for c in settings["contracts"] if c["type"] == "layers")
    package = tmp_path / "fakeroot"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    for layer in layers:
        for name in layer.replace(":", "|").split("|"):
            (package / f"{name.strip()}.py").write_text("", encoding="utf-8")
    (tmp_path / "contracts.toml").write_text(contracts_for("fakeroot"), encoding="utf-8")
    return package


def test_an_upward_import_breaks_the_layers(tmp_path: Path) -> None:
    package = made_up_package(tmp_path)
    assert lint_imports(tmp_path / "contracts.toml", tmp_path).returncode == 0

    (package / "store.py").write_text("import fakeroot.app\n", encoding="utf-8")
    result = lint_imports(tmp_path / "contracts.toml", tmp_path)
    assert result.returncode == 1
    assert "fakeroot.store -> fakeroot.app" in result.stdout


@pytest.mark.parametrize(
    ("first", "second"),
    [("fetch", "feeds"), ("match", "suggest"), ("render", "store")],
)
def test_stages_may_not_import_each_other(tmp_path: Path, first: str, second: str) -> None:
    package = made_up_package(tmp_path)
    (package / f"{first}.py").write_text(f"import fakeroot.{second}\n", encoding="utf-8")
    result = lint_imports(tmp_path / "contracts.toml", tmp_path)
    assert result.returncode == 1
    assert f"fakeroot.{first} -> fakeroot.{second}" in result.stdout


def test_a_cycle_inside_a_package_is_refused(tmp_path: Path) -> None:
    package = made_up_package(tmp_path)
    (package / "render.py").unlink()
    inner = package / "render"
    inner.mkdir()
    (inner / "__init__.py").write_text("", encoding="utf-8")
    (inner / "edition.py").write_text("import fakeroot.render.html\n", encoding="utf-8")
    (inner / "html.py").write_text("import fakeroot.render.edition\n", encoding="utf-8")
    result = lint_imports(tmp_path / "contracts.toml", tmp_path)
    assert result.returncode == 1
    assert "No import cycles" in result.stdout and "BROKEN" in result.stdout
