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
PROC_LOCKS = "/proc/locks"


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
    """True when some live process holds the refresh lock right now.

    Never takes the lock, not even for an instant, so a refresh starting at
    the same moment cannot be turned away by the probe: on Linux the
    kernel's table of locks (``/proc/locks``) is read for an ``flock`` on the
    lock file's device and inode. Where that table is missing the lock is
    tried and released at once, which can, rarely, make a simultaneous
    ``refresh_lock(wait=False)`` fail.
    """
    path = state_dir / LOCK_NAME
    try:
        info = path.stat(follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = _flock_in_proc_locks(info.st_dev, info.st_ino)
    if held is not None:
        return held
    return _try_lock(path)


def _flock_in_proc_locks(device: int, inode: int) -> bool | None:
    """Whether ``/proc/locks`` lists an ``flock`` on the file; None without the table."""
    try:
        with open(PROC_LOCKS, encoding="ascii", errors="replace") as table:
            lines = table.readlines()
    except OSError:
        return None
    wanted = f"{os.major(device):02x}:{os.minor(device):02x}:{inode}"
    for line in lines:
        # "1: FLOCK  ADVISORY  WRITE 2794 fe:00:2146377 0 EOF"; lines with
        # "->" are waiters, not holders.
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
            return True
    return False


def _try_lock(path: Path) -> bool:
    try:
        handle = _open_lock_file(path)
    except TrackerError:
        return False
    with handle:
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
