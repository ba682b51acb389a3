"""tracker.lock: the refresh lock's file, and probing it without taking it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker.errors import TrackerError
from tracker.lock import LOCK_NAME, is_locked, refresh_lock
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


# ---------------------------------------------------------------- the probe

_HOLDER = """
import sys, time
from pathlib import Path
from tracker.lock import refresh_lock
with refresh_lock(Path(sys.argv[1]), trigger="test"):
    print("held", flush=True)
    sys.stdin.read()
"""

_TRIER = """
import sys
from pathlib import Path
from tracker.errors import LockError
from tracker.lock import refresh_lock
refused = 0
print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[2])):
    try:
        with refresh_lock(Path(sys.argv[1]), trigger="test"):
            pass
    except LockError:
        refused += 1
print(refused, flush=True)
"""


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )


def test_a_lock_held_by_another_process_is_seen(tmp_path: Path) -> None:
    assert not is_locked(tmp_path)
    with _python(_HOLDER, str(tmp_path)) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            assert is_locked(tmp_path)
        finally:
            holder.communicate("", timeout=30)
    assert holder.returncode == 0
    assert not is_locked(tmp_path)


def test_probing_never_takes_the_lock(tmp_path: Path) -> None:
    # Another process takes and drops the lock with wait=False, a few hundred
    # times, while this one probes in a tight loop: none of its tries may be
    # refused because of the probe.
    with refresh_lock(tmp_path):
        pass
    with _python(_TRIER, str(tmp_path), "1000") as trier:
        assert trier.stdin is not None and trier.stdout is not None
        assert trier.stdout.readline().strip() == "ready"
        trier.stdin.write("go\n")
        trier.stdin.flush()
        probes = 0
        while trier.poll() is None:
            is_locked(tmp_path)
            probes += 1
        refused = trier.stdout.read().strip()
    assert trier.returncode == 0
    assert probes > 100
    assert refused == "0"
