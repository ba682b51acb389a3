"""Atomic replacement keeps files whole and their permissions ordinary."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tracker.atomic import TEMP_SUFFIX, replace_file


def test_a_new_file_gets_the_umask_default_not_a_private_mode(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        replace_file(tmp_path / "editions" / "2026-11-29.md", "正文".encode())
    finally:
        os.umask(previous)
    written = tmp_path / "editions" / "2026-11-29.md"
    assert written.read_text(encoding="utf-8") == "正文"
    assert stat.S_IMODE(written.stat().st_mode) == 0o644


def test_a_replaced_file_keeps_its_mode_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "CHANGELOG.md"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    replace_file(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(TEMP_SUFFIX)]
