"""Replacing a file so that readers see the old content or the new, never half.

The data goes to a uniquely named temporary file in the target's folder (so
the final rename stays on one filesystem and concurrent writers never share
a temporary), is flushed to disk, then renamed over the target; the folder
is synced so the rename itself survives a power cut. Callers translate the
``OSError`` into their own domain's error.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def replace_file(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Atomically make ``path`` hold ``data``, creating its folder if needed.

    With ``mode`` the file gets exactly that mode (``0o600`` for private
    files: mail, daemon state). Without it the file keeps the permissions it
    had, and a new one gets the usual ``0o666`` less the umask, not the
    private ``0o600`` of a temporary file, so an edition is as readable as
    any file the user writes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _sync_folder(path.parent)


def _umask() -> int:
    # os.umask can only be read by setting it, which races with other threads;
    # Linux publishes it in /proc, so only elsewhere is the set-and-restore used.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def _sync_folder(folder: Path) -> None:
    # Best effort: not every platform lets a directory be opened and synced.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
