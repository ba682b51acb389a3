"""The daemon's control API: a small aiohttp server on its own thread.

Routes::

    GET  /healthz       200 {"status": "ok", "pid", "uptime"}   (never needs the token)
    GET  /api/status    the same object as ``tracker status --json``
    POST /api/refresh   202 {"run_id"} once the run record exists;
                        409 {"error", "holder"} when a refresh is already running
    GET  /metrics       Prometheus text

Without a token (the default, on loopback) a request must name a local
host in ``Host`` and, when it carries an ``Origin``, come from a local page:
a web page the editor happens to open cannot drive the daemon through the
browser (cross-site POST, DNS rebinding). When a token is configured every
route but ``/healthz`` wants
``Authorization: Bearer <token>`` (the scheme in any case) and answers 401
without it, or with a header that is not UTF-8. The health
check stays open so container and service managers can probe it without a
secret; it reveals only the pid and the uptime.

Given a review backend, the same site serves the review pages
(:mod:`tracker.daemon.pages`); they have their own gate (sessions, CSRF).
In token mode a logged-in browser may also GET the API with its session
cookie (the runs page polls ``/api/status``); POSTs to the API still want
the bearer token.

The server only translates HTTP to calls on a :class:`Backend`; it decides
nothing about refreshes itself. Backend calls may block (they read SQLite or
wait for a run to start), so they run in the default executor.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from tracker.daemon.errors import RefreshBusy, ShuttingDown
from tracker.daemon.metrics import CONTENT_TYPE
from tracker.daemon.pages import Pages, ReviewBackend
from tracker.daemon.security import Guard, local_request
from tracker.daemon.web import BackgroundSite

__all__ = ["ApiServer", "Backend", "RefreshBusy", "ShuttingDown"]


class Backend(Protocol):
    def health(self) -> dict[str, Any]: ...
    def status(self) -> dict[str, Any]: ...
    def start_refresh(self) -> int: ...  # raises RefreshBusy or ShuttingDown
    def metrics(self) -> str: ...


# A client must finish sending a request's headers this long after it
# connects (or after the previous response): a slow drip of header bytes
# cannot hold connections open. aiohttp's keep-alive timer is what enforces
# it; a handler already running is never cut short by it.
HEADER_TIMEOUT_SECONDS = 15.0

_API_PATHS = frozenset({"/healthz", "/metrics"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiServer:
    """Serves the control API on ``host:port`` until :meth:`stop`."""

    def __init__(
        self,
        backend: Backend,
        host: str,
        port: int,
        token: str | None,
        *,
        review: ReviewBackend | None = None,
        header_timeout: float = HEADER_TIMEOUT_SECONDS,
    ) -> None:
        self.backend = backend
        self.header_timeout = header_timeout
        self.host = host
        self.port = port
        self.token = token
        self.pages = Pages(review, Guard(token)) if review is not None else None
        self._site: BackgroundSite | None = None

    def start(self) -> None:
        """Bind and serve in a background thread; raise ``OSError`` if the bind fails.

        ``port`` is the bound port afterwards (useful when asked for port 0).
        """
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/api/status", self._status)
        app.router.add_post("/api/refresh", self._refresh)
        app.router.add_get("/metrics", self._metrics)
        if self.pages is not None:
            self.pages.add_routes(app)
        self._site = _ApiSite(
            app, self.host, self.port, name="control-api", header_timeout=self.header_timeout
        )
        self.port = self._site.start()

    def stop(self) -> None:
        if self._site is not None:
            self._site.stop()
            self._site = None

    # -- middleware and routes -------------------------------------------------

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.token and not local_request(request):
            # Without a token the API trusts "it came from this machine". A web
            # page in the editor's browser also runs on this machine: refuse a
            # foreign Host (DNS rebinding) or a foreign Origin (a cross-site POST).
            return web.json_response(
                {"error": "only local clients may use this API without a token"}, status=403
            )
        api = request.path in _API_PATHS or request.path.startswith("/api/")
        if self.pages is not None and not api:
            return await self.pages.guarded(request, handler)
        if (
            self.token
            and request.path != "/healthz"
            and not self._bearer_matches(request)
            and not self._page_session_reads(request)
        ):
            return web.json_response(
                {"error": "a bearer token is required"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="tracker"'},
            )
        return await handler(request)

    def _bearer_matches(self, request: web.Request) -> bool:
        # RFC 9110: the scheme is case-insensitive. A header that is not UTF-8
        # (aiohttp keeps its bytes as surrogate escapes) is a wrong token, not
        # a server error.
        assert self.token is not None
        scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer":
            return False
        try:
            given = credentials.strip().encode("utf-8")
        except UnicodeEncodeError:
            return False
        return hmac.compare_digest(given, self.token.encode("utf-8"))

    def _page_session_reads(self, request: web.Request) -> bool:
        # The runs page polls /api/status while a refresh runs: a logged-in
        # browser may read (never POST) the API with its session cookie.
        return (
            request.method in ("GET", "HEAD")
            and self.pages is not None
            and self.pages.guard.session(request) is not None
        )

    async def _call(self, function: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, function)

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response(await self._call(self.backend.health))

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response(await self._call(self.backend.status))

    async def _refresh(self, request: web.Request) -> web.Response:
        try:
            run_id = await self._call(self.backend.start_refresh)
        except RefreshBusy as busy:
            return web.json_response(
                {"error": "a refresh is already running", "holder": busy.holder}, status=409
            )
        except ShuttingDown:
            return web.json_response({"error": "the daemon is shutting down"}, status=503)
        except Exception as exc:
            return web.json_response({"error": str(exc)}, status=500)
        return web.json_response({"run_id": run_id}, status=202)

    async def _metrics(self, request: web.Request) -> web.Response:
        text = await self._call(self.backend.metrics)
        return web.Response(body=text.encode("utf-8"), headers={"Content-Type": CONTENT_TYPE})


class _ApiSite(BackgroundSite):
    """The background site with aiohttp's idle timer as the header deadline."""

    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout

    async def _bind(self) -> None:
        self._runner = web.AppRunner(
            self.app,
            access_log=None,
            handler_cancellation=self.handler_cancellation,
            shutdown_timeout=self.shutdown_timeout,
            keepalive_timeout=self.header_timeout,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.requested_port, reuse_address=True)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
