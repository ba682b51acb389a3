"""One refresh at a time per state folder, across processes.

The lock is an ``flock`` on ``<state_dir>/refresh.lock``. The kernel drops
it when the holding process dies, however it dies, so a crashed refresh never
leaves a lock that has to be cleaned up by hand: the next caller simply gets
it. The file's content (pid, start time, trigger) is only there to tell a
waiting caller who holds the lock and since when.

The file is opened with ``O_NOFOLLOW`` and created ``0600``: a symbolic link
planted at its name is refused rather than followed (and truncated), and the
holder's description is the owner's alone.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from tracker.errors import LockError, TrackerError

LOCK_NAME = "refresh.lock"
LOCK_MODE = 0o600


@dataclass(frozen=True)
class LockHolder:
    pid: int | None
    since: str | None
    trigger: str | None


def read_holder(state_dir: Path) -> LockHolder:
    """Who wrote the lock file last (may be a finished process if nobody holds it)."""
    try:
        data = json.loads((state_dir / LOCK_NAME).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return LockHolder(None, None, None)
    return LockHolder(data.get("pid"), data.get("since"), data.get("trigger"))


def is_locked(state_dir: Path) -> bool:
    """True when some live process holds the refresh lock right now."""
    path = state_dir / LOCK_NAME
    if not path.exists():
        return False
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


@contextmanager
def refresh_lock(
    state_dir: Path, *, trigger: str = "cli", wait: bool = False, timeout: float | None = None
) -> Iterator[None]:
    """Hold the refresh lock for the ``with`` block.

    Without ``wait`` a held lock raises :class:`LockError` at once, naming the
    holder; with ``wait`` the call blocks (up to ``timeout`` seconds if given).
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_NAME
    handle = _open_lock_file(path)
    try:
        _acquire(handle, path, state_dir, wait=wait, timeout=timeout)
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(json.dumps({"pid": os.getpid(), "since": since, "trigger": trigger}))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _open_lock_file(path: Path) -> TextIO:
    # Opened for appending so that a failed attempt never truncates the
    # holder's description of itself.
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, LOCK_MODE)
    except OSError as exc:
        if path.is_symlink():
            raise TrackerError(
                f"{path} is a symbolic link; the refresh lock never follows one: remove it"
            ) from None
        raise TrackerError(f"cannot open the refresh lock {path}: {exc}") from exc
    return os.fdopen(fd, "a+", encoding="utf-8")


def _acquire(
    handle: TextIO, path: Path, state_dir: Path, *, wait: bool, timeout: float | None
) -> None:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if not wait or (deadline is not None and time.monotonic() >= deadline):
                holder = read_holder(state_dir)
                raise LockError(holder.pid, holder.since, str(path)) from None
            time.sleep(0.2)
