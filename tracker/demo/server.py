"""A real HTTP server on a loopback address, for tests, demos and benchmarks.

``LocalServer`` runs an aiohttp application on its own event loop in a
background thread, so synchronous code (pytest tests, the ``tracker demo``
command, ``bench/poll.py``) can serve documents over genuine sockets and then
inspect what the client actually sent.

Static documents registered with :meth:`LocalServer.add` behave like a
well-behaved origin: each carries an ``ETag`` derived from its content and a
``Last-Modified`` date, and a conditional request that matches gets ``304``.
Anything more unusual (stalls, endless bodies, redirect loops) is written as
a handler and registered with :meth:`LocalServer.add_handler`.

It deliberately does not do TLS, virtual hosts or content negotiation: a
document is served exactly as registered (pre-compress it and pass a
``Content-Encoding`` header to serve gzip).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from email.utils import formatdate, parsedate_to_datetime
from types import TracebackType

from aiohttp import web

from tracker.daemon.web import BackgroundSite

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Status recorded for a request whose handler has not produced a response yet
# (still running, or the client went away first).
NO_RESPONSE = 0


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it. ``status`` is 0 while unanswered."""

    method: str
    path: str  # path and query string, as sent
    headers: dict[str, str]
    status: int


@dataclass(frozen=True)
class _Document:
    body: bytes
    status: int
    headers: dict[str, str]
    conditional: bool
    etag: str
    last_modified: float  # seconds since the epoch, whole seconds


@dataclass
class _Routes:
    documents: dict[str, _Document] = field(default_factory=dict)
    handlers: dict[str, Handler] = field(default_factory=dict)


class LocalServer:
    """Serves registered documents and handlers on ``host`` (default 127.0.0.1).

    ``latency`` delays every response by that many seconds. Unknown paths,
    ``/robots.txt`` included, answer 404. Registration and the request log are
    safe to use from any thread while the server runs.
    """

    def __init__(self, *, latency: float = 0.0, host: str = "127.0.0.1", port: int = 0) -> None:
        self.latency = latency
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._routes = _Routes()
        self._log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._site: BackgroundSite | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> LocalServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # Cancel handlers whose client left and do not wait for stalled ones on
        # shutdown: tests deliberately leave handlers hanging.
        self._site = BackgroundSite(
            app,
            self.host,
            self._requested_port,
            name=f"LocalServer-{self.host}",
            shutdown_timeout=0.1,
            handler_cancellation=True,
        )
        self._port = self._site.start()
        return self

    def stop(self) -> None:
        if self._site is not None:
            self._site.stop(timeout=None)
            self._site = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # ------------------------------------------------------------------ content

    def add(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        conditional: bool = True,
    ) -> str:
        """Serve ``body`` at ``path`` and return its URL.

        The ETag is a hash of the body, so replacing a path's body changes it;
        Last-Modified moves forward on every replacement. With ``conditional``
        a matching If-None-Match (or, without one, an If-Modified-Since not
        older than the document) gets 304. ``headers`` override the defaults.
        """
        data = body.encode("utf-8") if isinstance(body, str) else body
        etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
        with self._lock:
            previous = self._routes.documents.get(path)
            modified = float(int(time.time()))
            if previous is not None and previous.etag != etag:
                modified = max(modified, previous.last_modified + 1)
            elif previous is not None:
                modified = previous.last_modified
            self._routes.handlers.pop(path, None)
            self._routes.documents[path] = _Document(
                body=data,
                status=status,
                headers={"Content-Type": content_type, **(headers or {})},
                conditional=conditional,
                etag=etag,
                last_modified=modified,
            )
        return self.url(path)

    def add_handler(self, path: str, handler: Handler) -> str:
        """Answer requests for ``path`` with ``handler``; return the URL."""
        with self._lock:
            self._routes.documents.pop(path, None)
            self._routes.handlers[path] = handler
        return self.url(path)

    def remove(self, path: str) -> None:
        """Forget ``path``: it answers 404 from now on."""
        with self._lock:
            self._routes.documents.pop(path, None)
            self._routes.handlers.pop(path, None)

    # ------------------------------------------------------------------ log

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # ------------------------------------------------------------------ serving

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        entry = LoggedRequest(
            method=request.method,
            path=request.path_qs,
            headers=dict(request.headers),
            status=NO_RESPONSE,
        )
        with self._lock:
            self._log.append(entry)
            index = len(self._log) - 1
            document = self._routes.documents.get(request.path_qs) or self._routes.documents.get(
                request.path
            )
            handler = self._routes.handlers.get(request.path_qs) or self._routes.handlers.get(
                request.path
            )
        status = 500
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            if handler is not None:
                response = await handler(request)
            elif document is not None:
                response = _respond(document, request)
            else:
                response = web.Response(status=404, text="not found")
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            with self._lock:
                # The log may have been cleared meanwhile: only fill our own slot.
                if index < len(self._log) and self._log[index] is entry:
                    self._log[index] = replace(entry, status=status)


def _respond(document: _Document, request: web.Request) -> web.Response:
    headers = dict(document.headers)
    if document.status == 200:
        headers.setdefault("ETag", document.etag)
        headers.setdefault("Last-Modified", formatdate(document.last_modified, usegmt=True))
        if document.conditional and _not_modified(document, request):
            return web.Response(status=304, headers=_validator_headers(headers))
    return web.Response(status=document.status, body=document.body, headers=headers)


def _validator_headers(headers: dict[str, str]) -> dict[str, str]:
    keep = {"etag", "last-modified", "cache-control", "expires", "vary"}
    return {k: v for k, v in headers.items() if k.lower() in keep}


def _not_modified(document: _Document, request: web.Request) -> bool:
    # RFC 9110 §13.2.2: If-None-Match takes precedence over If-Modified-Since.
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        return "*" in tags or any(t.removeprefix("W/") == document.etag for t in tags)
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since is not None:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return document.last_modified <= since
    return False
