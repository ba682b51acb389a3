"""Structured log lines for the daemon, one event per line on stderr.

Lines are logfmt (``key=value``, values quoted only when they need it), which
journald stores as-is and log tools can split without a schema::

    ts=2026-03-02T08:00:01Z level=info event=refresh.finished run=12 outcome=ok duration=3.2

Events come from :func:`log_event`; records from other modules (the refresh,
libraries) are printed the same way with ``logger=`` and ``msg=``. A
traceback is folded into one ``exc=`` value so one problem stays one line.

This module only formats and configures handlers; it decides nothing about
what is worth logging.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

LOGGER_NAME = "tracker.daemon"
_FIELDS = "tracker_fields"
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def logfmt_value(value: object) -> str:
    """One value as logfmt: bare when safe, else double-quoted with escapes."""
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0").rstrip(".")
    elif isinstance(value, datetime):
        text = value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    elif value is None:
        text = ""
    else:
        text = str(value)
    if text and not any(c in text for c in ' "=\\\n\r\t'):
        return text
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


class LogfmtFormatter(logging.Formatter):
    """Formats a record as one logfmt line (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC)
        parts: list[tuple[str, object]] = [
            ("ts", stamp),
            ("level", record.levelname.lower()),
        ]
        fields: Mapping[str, Any] | None = getattr(record, _FIELDS, None)
        if fields is not None:
            parts.append(("event", record.getMessage()))
            parts.extend(fields.items())
        else:
            parts.append(("logger", record.name))
            parts.append(("msg", record.getMessage()))
        if record.exc_info and record.exc_info[0] is not None:
            parts.append(("exc", "".join(traceback.format_exception(*record.exc_info)).strip()))
        return " ".join(f"{key}={logfmt_value(value)}" for key, value in parts)


def configure_logging(level: str, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record of the process to ``stream`` (stderr) as logfmt.

    Returns the handler so a config reload can change its level with
    :func:`set_level`. Chatty libraries are held at warning.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    set_level(level)
    for noisy in ("apscheduler", "aiohttp.access", "trafilatura", "htmldate", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


def set_level(level: str) -> None:
    logging.getLogger().setLevel(_LEVELS.get(level, logging.INFO))


def log_event(level: int, event: str, /, exc_info: bool = False, **fields: object) -> None:
    """Log one named event with its fields, e.g. ``log_event(INFO, "refresh.started", run=3)``."""
    logging.getLogger(LOGGER_NAME).log(level, event, exc_info=exc_info, extra={_FIELDS: fields})
