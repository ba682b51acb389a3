"""Write a message as an ``.eml`` file: the embedded default when no SMTP is configured.

The file appears whole or not at all (written beside its final name, synced,
then renamed), so a crash never leaves half a message for a mail client to
choke on. The name is chosen by the caller; writing the same name again
replaces the file rather than adding a second copy. The file is the
editor's mail, so it is created ``0600``, whatever the umask.
"""

from __future__ import annotations

from pathlib import Path

from tracker.atomic import replace_file
from tracker.errors import NotifyError


def write_outbox(message: bytes, outbox_dir: Path, name: str) -> Path:
    """Store ``message`` as ``outbox_dir/name`` atomically and return the path."""
    if "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".eml"):
        raise ValueError(f"not a plain .eml file name: {name!r}")
    target = outbox_dir / name
    try:
        replace_file(target, message, mode=0o600)
    except OSError as exc:
        raise NotifyError(f"cannot write the digest to {target}: {exc}") from exc
    return target
