"""Client of the daemon's control API, for ``tracker refresh --via-daemon``.

A one-off local HTTP call, so plain ``urllib.request``, with an opener that
ignores ``http_proxy`` and friends: the bearer token goes straight to the
daemon, never to a proxy on the way. The address comes
from ``daemon.listen`` (a wildcard bind is reached on loopback); the bearer
token from the environment variable named by ``daemon.token_env``, when set.

Errors become tracker's own: :class:`~tracker.errors.LockError` when the
daemon answers that a refresh is already running (409), so the CLI prints
the same "who holds the lock, since when" line as for a local refresh, and
:class:`~tracker.errors.TrackerError` for everything else.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from tracker.config import Config
from tracker.errors import LockError, TrackerError
from tracker.lock import LOCK_NAME

TIMEOUT_SECONDS = 90.0  # the daemon answers once the run record exists
# An empty ProxyHandler: no proxy from the environment, ever.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def base_url(config: Config) -> str:
    """The control API's root URL for this config."""
    host = config.daemon.host
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.daemon.port}"


def request_refresh(config: Config) -> int:
    """Ask the running daemon to refresh now; return the id of the run it started."""
    reply = _call(config, "POST", "/api/refresh")
    if not isinstance(reply, dict) or not isinstance(reply.get("run_id"), int):
        raise TrackerError(f"the daemon at {base_url(config)} sent an unexpected reply: {reply!r}")
    run_id: int = reply["run_id"]
    return run_id


def _call(config: Config, method: str, path: str) -> Any:
    url = base_url(config) + path
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    token = os.environ.get(config.daemon.token_env)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        with exc:
            body = _json_or_none(exc.read())
        if exc.code == 409:
            holder = (body or {}).get("holder") or {}
            raise LockError(
                holder.get("pid"), holder.get("since"), str(config.state_dir / LOCK_NAME)
            ) from None
        if exc.code == 401:
            raise TrackerError(
                f"the daemon at {url} refused the request: set ${config.daemon.token_env} "
                "to its token"
            ) from None
        detail = (body or {}).get("error") or exc.reason
        raise TrackerError(f"the daemon at {url} answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TrackerError(
            f"no daemon answered at {url} ({reason}); is `tracker daemon` running?"
        ) from None
    except ValueError:
        raise TrackerError(f"the daemon at {url} sent a reply that is not JSON") from None


def _json_or_none(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data.decode("utf-8"))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
