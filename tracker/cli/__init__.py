"""The ``tracker`` command: a thin layer over :class:`tracker.app.Tracker`.

Commands live by what they are for: :mod:`~tracker.cli.review` (articles,
suggestions, decisions) and :mod:`~tracker.cli.operate` (refresh, status,
digest, daemon, demo); :mod:`~tracker.cli.base` holds what they share.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tracker.cli import feeds, operate, review, workers  # noqa: F401  (registers the commands)
from tracker.cli.base import app, err

__all__ = ["app", "main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    _run(app, argv)


def _run(command: Callable[..., Any], argv: Sequence[str] | None) -> None:
    try:
        command(args=list(argv) if argv is not None else None, prog_name="tracker")
    except KeyboardInterrupt:
        err().print("tracker: interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: one line, the traceback on request
        if os.environ.get("TRACKER_DEBUG"):
            raise
        err().print(
            f"tracker: internal error: {type(exc).__name__}: {exc} "
            "(run with TRACKER_DEBUG=1 for the traceback)",
            markup=False,
        )
        sys.exit(1)
