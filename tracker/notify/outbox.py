"""Write a message as an ``.eml`` file: the embedded default when no SMTP is configured.

The file appears whole or not at all (written beside its final name, synced,
then renamed), so a crash never leaves half a message for a mail client to
choke on. The name is chosen by the caller; writing the same name again
replaces the file rather than adding a second copy.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tracker.errors import NotifyError


def write_outbox(message: bytes, outbox_dir: Path, name: str) -> Path:
    """Store ``message`` as ``outbox_dir/name`` atomically and return the path."""
    if "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".eml"):
        raise ValueError(f"not a plain .eml file name: {name!r}")
    target = outbox_dir / name
    try:
        outbox_dir.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=outbox_dir, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(message)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        _sync_directory(outbox_dir)
    except OSError as exc:
        raise NotifyError(f"cannot write the digest to {target}: {exc}") from exc
    return target


def _sync_directory(path: Path) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
