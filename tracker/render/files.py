"""Atomic file writes for editions and changelogs.

A reader (or a refresh killed half-way) only ever sees the old file or the
complete new one: the text goes to a temporary file in the same folder, is
flushed to disk, then renamed over the target. Nothing here decides *what*
to write or in which order; :mod:`tracker.render.writer` does.
"""

from __future__ import annotations

from pathlib import Path

from tracker.atomic import TEMP_SUFFIX, replace_file
from tracker.errors import RenderError

__all__ = ["TEMP_SUFFIX", "write_atomic"]


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8, ``\\n`` newlines) in one rename.

    Creates the parent folder when missing. Raises :class:`RenderError` when
    the file cannot be written; the temporary file is removed in that case.
    """
    try:
        replace_file(Path(path), text.encode("utf-8"))
    except OSError as exc:
        raise RenderError(f"cannot write {path}: {exc}") from exc
