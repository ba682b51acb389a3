"""Why the daemon would not start a refresh; raised by the backend, answered by the web layer."""

from __future__ import annotations

from typing import Any


class RefreshBusy(Exception):
    """A refresh is already running; ``holder`` says whose (pid, since, trigger)."""

    def __init__(self, holder: dict[str, Any]) -> None:
        super().__init__("a refresh is already running")
        self.holder = holder


class ShuttingDown(Exception):
    """The daemon is stopping and starts no new refresh."""
