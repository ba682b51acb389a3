"""Exceptions raised by tracker.

One root with a branch per domain::

    TrackerError
    ├── ConfigError          bad or missing configuration (exit code 2)
    ├── ReportError          a report file that cannot be parsed
    ├── SourceError          one source failed; becomes a line in the run summary
    │   ├── FetchError       the request failed (network, policy, caps)
    │   └── ExtractError     the document arrived but could not be parsed
    ├── StoreError           the database cannot be opened or written
    ├── LockError            another refresh holds the state folder's lock
    ├── RenderError          an edition or changelog cannot be written
    └── NotifyError          a digest could not be built or delivered
        └── PermanentNotifyError   the server refused for good (5xx): no retry

Library errors are translated where the library is called (``raise … from``),
so callers only ever catch these.
"""

from __future__ import annotations


class TrackerError(Exception):
    """Root of every error tracker raises on purpose."""


class ConfigError(TrackerError):
    """The configuration is invalid. ``problems`` holds one line per issue."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class ReportError(TrackerError):
    pass


class SourceError(TrackerError):
    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class FetchError(SourceError):
    pass


class ExtractError(SourceError):
    pass


class StoreError(TrackerError):
    pass


class LockError(TrackerError):
    def __init__(self, holder_pid: int | None, since: str | None, path: str) -> None:
        self.holder_pid = holder_pid
        self.since = since
        self.path = path
        who = f"process {holder_pid}" if holder_pid else "another process"
        when = f" since {since}" if since else ""
        super().__init__(f"a refresh is already running ({who}{when}; lock {path})")


class RenderError(TrackerError):
    pass


class NotifyError(TrackerError):
    pass


class PermanentNotifyError(NotifyError):
    pass
