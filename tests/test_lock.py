"""tracker.lock: the refresh lock's file, and probing it without taking it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker.errors import TrackerError
from tracker.lock import LOCK_NAME, refresh_lock
from tracker.notify.outbox import write_outbox
from tracker.store import open_store


@pytest.fixture
def default_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_lock_file_is_created_private(tmp_path: Path, default_umask: None) -> None:
    with refresh_lock(tmp_path):
        pass
    assert _mode(tmp_path / LOCK_NAME) == 0o600


def test_the_lock_never_follows_a_symbolic_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    state = tmp_path / "state"
    state.mkdir()
    (state / LOCK_NAME).symlink_to(victim)
    with pytest.raises(TrackerError, match="symbolic link"), refresh_lock(state):
        pass
    assert victim.read_text(encoding="utf-8") == "precious"


def test_a_new_database_and_its_wal_are_private(tmp_path: Path, default_umask: None) -> None:
    database = tmp_path / "state" / "tracker.db"
    with open_store(database):
        pass
    private = [database, *database.parent.glob("tracker.db-*")]
    assert {p.name: _mode(p) for p in private} == {p.name: 0o600 for p in private}


def test_an_outbox_message_is_private(tmp_path: Path, default_umask: None) -> None:
    path = write_outbox(b"Subject: hi\r\n\r\nbody\r\n", tmp_path / "outbox", "digest.eml")
    assert _mode(path) == 0o600
