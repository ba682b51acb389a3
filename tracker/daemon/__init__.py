"""The background service: scheduler, control API, metrics and logs.

``run_daemon`` is imported lazily so that ``tracker status`` (which needs
only :mod:`tracker.daemon.triggers`) does not load the scheduler and the web
server.
"""

from __future__ import annotations


def run_daemon(config_path: str | None) -> int:
    """Run ``tracker daemon`` in the foreground; return the process exit code."""
    from tracker.daemon.service import run_daemon as run

    return run(config_path)


__all__ = ["run_daemon"]
