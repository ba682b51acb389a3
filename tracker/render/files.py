"""Atomic file writes for editions and changelogs.

A reader (or a refresh killed half-way) only ever sees the old file or the
complete new one: the text goes to a temporary file in the same folder, is
flushed to disk, then renamed over the target. Nothing here decides *what*
to write or in which order; ``tracker.render.publish`` does.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from tracker.errors import RenderError

TEMP_SUFFIX = ".tmp"


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8, ``\\n`` newlines) in one rename.

    Creates the parent folder when missing. Raises :class:`RenderError` when
    the file cannot be written; the temporary file is removed in that case.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Same folder as the target so os.replace stays a rename on one filesystem.
        fd, tmp_name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX
        )
    except OSError as exc:
        raise RenderError(f"cannot write {path}: {exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise RenderError(f"cannot write {path}: {exc}") from exc
    _fsync_directory(path.parent)


def _fsync_directory(folder: Path) -> None:
    """Make the rename itself durable; not every platform allows it, hence best effort."""
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
