"""An aiohttp application served from its own event loop in a background thread.

The daemon's web site (control API) and the demo's local server
(:mod:`tracker.demo.server`) are servers of synchronous programs: the caller
keeps its thread, the site gets a loop of its own. Start-up errors (a port in
use) are raised in the caller's thread. The bound port is read from the
runner's public ``addresses``, so asking for port 0 is race-free.
"""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web


class BackgroundSite:
    def __init__(
        self,
        app: web.Application,
        host: str,
        port: int,
        *,
        name: str,
        shutdown_timeout: float = 1.0,
        handler_cancellation: bool = False,
    ) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.name = name
        self.shutdown_timeout = shutdown_timeout
        self.handler_cancellation = handler_cancellation
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> int:
        """Bind and serve; return the bound port (useful when asked for port 0)."""
        if self._thread is not None:
            raise RuntimeError(f"{self.name} already started")
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._bind())
            except BaseException as exc:  # handed to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=serve, name=self.name, daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        assert self.port is not None
        return self.port

    async def _bind(self) -> None:
        self._runner = web.AppRunner(
            self.app,
            access_log=None,
            handler_cancellation=self.handler_cancellation,
            shutdown_timeout=self.shutdown_timeout,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.requested_port, reuse_address=True)
        await site.start()
        # (host, port) for IPv4, (host, port, flow, scope) for IPv6.
        self.port = int(self._runner.addresses[0][1])

    def stop(self, timeout: float | None = 10) -> None:
        if self._loop is None or self._thread is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None
        self._loop = None
        self._runner = None
