"""Who may use the daemon's web pages, and which POSTs count as the editor's.

Two modes, chosen by whether ``daemon.token_env`` names a token:

* **No token** (the default, loopback only): a request must name this
  machine exactly in ``Host`` (``localhost`` or a loopback address literal,
  nothing that merely starts with ``127.``) and, with an ``Origin``, come
  from such a page. This stops DNS rebinding and cross-site requests from
  another page open in the editor's browser. Forms carry a per-process CSRF
  secret.
* **Token**: ``/login`` exchanges the token (compared in constant time) for
  a session: a random id in an HttpOnly, SameSite=Strict cookie (Secure
  over TLS), kept in memory with an expiry, each with its own CSRF token.
  Pages without a session redirect to the login form. Sessions end with
  the process; nothing is written to disk.

Every POST to a page must carry the CSRF token in the form field ``csrf``
and, when the browser sends an ``Origin``, come from the site's own origin.

What it does not do: rate-limit logins, or know users — the token is the
only credential, shared by whoever holds it.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

SESSION_COOKIE = "tracker_session"
SESSION_SECONDS = 12 * 3600
CSRF_FIELD = "csrf"


def local_name(host: str | None) -> bool:
    """Whether a ``Host`` value (or an origin's netloc) names this machine exactly."""
    if not host:
        return False
    name = host.strip().lower()
    if name.startswith("["):  # [::1]:8765
        end = name.find("]")
        if end < 0:
            return False
        name = name[1:end]
    elif name.count(":") == 1:  # 127.0.0.1:8765
        name = name.split(":", 1)[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def local_request(request: web.Request) -> bool:
    """A local ``Host`` and, when present, a local ``Origin``."""
    if not local_name(request.headers.get("Host")):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return local_name(urlsplit(origin).netloc)


def same_origin(request: web.Request) -> bool:
    """True without an ``Origin`` header, else when it names this site's host."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    host = request.headers.get("Host", "")
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc == host.lower()


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirects)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return default
    return target


@dataclass
class Session:
    id: str
    csrf: str
    expires: float


class Sessions:
    """Logged-in browser sessions, in memory, each with its CSRF token."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._sessions: dict[str, Session] = {}
        self._clock = clock

    def create(self) -> Session:
        now = self._clock()
        self._sessions = {k: s for k, s in self._sessions.items() if s.expires > now}
        session = Session(
            id=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            expires=now + SESSION_SECONDS,
        )
        self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        if session.expires <= self._clock():
            del self._sessions[session_id]
            return None
        return session

    def drop(self, session_id: str | None) -> None:
        if session_id:
            self._sessions.pop(session_id, None)


class Guard:
    """The pages' access rules for one daemon: token (or none), sessions, CSRF."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.sessions = Sessions()
        # Without a token every form carries this process's secret.
        self._process_csrf = secrets.token_urlsafe(32)

    def token_matches(self, given: str) -> bool:
        assert self.token is not None
        return hmac.compare_digest(given.encode(), self.token.encode())

    def session(self, request: web.Request) -> Session | None:
        return self.sessions.get(request.cookies.get(SESSION_COOKIE))

    def csrf_for(self, request: web.Request) -> str:
        """The CSRF token the pages put in this request's forms."""
        if not self.token:
            return self._process_csrf
        session = self.session(request)
        return session.csrf if session else ""

    def csrf_valid(self, request: web.Request, given: str) -> bool:
        expected = self.csrf_for(request)
        return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())

    def log_in(self, request: web.Request, response: web.StreamResponse) -> None:
        session = self.sessions.create()
        response.set_cookie(
            SESSION_COOKIE,
            session.id,
            max_age=SESSION_SECONDS,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=request.secure,
        )

    def log_out(self, request: web.Request, response: web.StreamResponse) -> None:
        self.sessions.drop(request.cookies.get(SESSION_COOKIE))
        response.del_cookie(SESSION_COOKIE, path="/")
