"""Deliver a built message: over SMTP when ``email.smtp`` is configured,
else as an ``.eml`` file in the outbox folder.

Returns where it went; raises :class:`~tracker.errors.NotifyError` when the
SMTP server cannot be reached or refuses (after :mod:`tracker.notify.smtp`'s
retries). It records nothing: the caller marks the digest sent only after
this returned.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tracker.config import Config
from tracker.notify.outbox import write_outbox
from tracker.notify.smtp import send_message


@dataclass(frozen=True)
class Delivery:
    """Where a message went: an outbox file, or an SMTP server after ``attempts`` tries."""

    outbox_path: Path | None
    attempts: int  # 0 for the outbox


def deliver(
    payload: bytes,
    config: Config,
    *,
    sender: str,
    recipients: Sequence[str],
    outbox_name: str,
    environ: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    smtp = config.email.smtp if config.email else None
    if smtp is None:
        return Delivery(
            outbox_path=write_outbox(payload, config.outbox_dir, outbox_name), attempts=0
        )
    sent = send_message(
        payload,
        smtp,
        sender=sender,
        recipients=recipients,
        environ=environ,
        ssl_context=ssl_context,
        sleep=sleep,
    )
    return Delivery(outbox_path=None, attempts=sent.attempts)
