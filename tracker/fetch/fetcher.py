"""The fetcher: all HTTP of a refresh, through one aiohttp session.

``Fetcher`` turns ``FetchRequest`` values into ``FetchResult`` values. Every
per-URL failure becomes a result with an outcome and a human-readable reason;
``fetch`` never raises for one bad URL (only cancellation propagates).

What it enforces, in order, on every hop of a redirect chain:

* scheme: only ``http`` and ``https`` (REFUSED otherwise);
* address: the host's resolved addresses must be public unless the policy
  allows private networks (:mod:`tracker.fetch.guard`). Numeric hosts that
  are not canonical dotted quads (``127.1``, ``2130706433``) and metadata
  service names are refused before any lookup. IP literals are
  checked before connecting; names are checked inside the connector's
  resolver, so the connection can only ever go to an address that passed the
  check (no window for DNS rebinding). Cloud metadata addresses are refused
  even when private networks are allowed;
* robots.txt, for requests that ask for it;
* redirects: followed by hand, at most ``max_redirects``, loops stopped;
* time: separate connect and read (per socket read) timeouts, and a total
  deadline for the whole request, redirects and body included, so a server
  dripping one byte at a time cannot hold a fetch until the size cap;
* size: the body is decompressed here, incrementally, and cut off as soon as
  the decompressed bytes pass ``max_body_bytes``, so neither an endless
  response nor a gzip bomb is ever held in memory.

Concurrency is capped globally and per host by the connector's pool.
aiohttp errors are translated to outcomes in one place, ``_translate``.

It deliberately does not retry, cache bodies, keep cookies or honour proxy
environment variables: retries and caching decisions belong to the caller,
and cookies or proxies would let one feed's server influence another's fetch.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
import zlib
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType

import aiohttp
from yarl import URL

from tracker import __version__
from tracker.config import FetchConfig
from tracker.fetch.guard import (
    BlockedAddressError,
    GuardedResolver,
    address_refusal,
    host_refusal,
)
from tracker.fetch.inflate import Inflater
from tracker.robots import RobotsRules
from tracker.types import FetchOutcome, FetchRequest, FetchResult, Validators

# The one User-Agent tracker sends unless ``fetch.user_agent`` says otherwise:
# an honest product token with the version, and where to read about it.
USER_AGENT = f"tracker/{__version__} (report watcher; +https://github.com/tracker-project/tracker)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ROBOTS_MAX_BYTES = 512 * 1024
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchPolicy:
    """Limits and manners for every request of a refresh.

    ``allowed_networks`` lists CIDR ranges exempt from the private-address
    guard (an intranet mirror, say) while everything else private stays
    refused; ``allow_private_networks`` lifts the guard entirely.
    ``total_timeout`` bounds one ``fetch`` from start to last body byte,
    redirects and robots.txt included; ``read_timeout`` only bounds the wait
    for each next piece.
    """

    user_agent: str = USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    max_connections: int = 128
    max_per_host: int = 6
    allow_private_networks: bool = False
    allowed_networks: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, fetch: FetchConfig) -> FetchPolicy:
        """The policy the config's ``fetch:`` section asks for."""
        return cls(
            user_agent=fetch.user_agent or USER_AGENT,
            connect_timeout=fetch.connect_timeout,
            read_timeout=fetch.read_timeout,
            total_timeout=fetch.total_timeout,
            max_body_bytes=int(fetch.max_body_mb * 1024 * 1024),
            max_redirects=fetch.max_redirects,
            max_connections=fetch.concurrency,
            max_per_host=fetch.per_host,
            allow_private_networks=fetch.allow_private_networks,
            allowed_networks=tuple(fetch.allowed_networks),
        )


# --------------------------------------------------------------------------
# Internal failures, translated to outcomes by ``_translate``


class _Stop(Exception):
    """A fetch ends here with this outcome; raised from anywhere inside it."""

    def __init__(self, outcome: FetchOutcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


def _refused(reason: str) -> _Stop:
    return _Stop(FetchOutcome.REFUSED, reason)


def _too_large(cap: int) -> _Stop:
    return _Stop(FetchOutcome.TOO_LARGE, f"body larger than {cap} bytes")


@dataclass
class _Progress:
    """Where a fetch had got to, so a failure can still report it."""

    url: str
    chain: list[str] = field(default_factory=list)
    status: int | None = None


# --------------------------------------------------------------------------
# Reading a body with a ceiling


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        inflater = None
        if response.content_length is not None and response.content_length > cap:
            raise _too_large(cap)
    elif encoding in ("gzip", "x-gzip", "deflate"):
        inflater = Inflater(encoding)
    else:
        raise _Stop(FetchOutcome.HTTP_ERROR, f"unsupported Content-Encoding {encoding!r}")
    body = bytearray()
    try:
        async for chunk in response.content.iter_chunked(_READ_CHUNK):
            if inflater is not None:
                chunk = inflater.decompress(chunk, cap - len(body) + 1)
            body += chunk
            if len(body) > cap:
                raise _too_large(cap)
        if inflater is not None:
            body += inflater.flush()
    except zlib.error as exc:
        raise _Stop(FetchOutcome.HTTP_ERROR, f"corrupt {encoding} body: {exc}") from exc
    if len(body) > cap:
        raise _too_large(cap)
    return bytes(body)


# --------------------------------------------------------------------------
# The fetcher


class Fetcher:
    """An async context manager owning the refresh's one HTTP session."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self.stats: Counter[str] = Counter()
        self._exempt = tuple(
            ipaddress.ip_network(n, strict=False) for n in self.policy.allowed_networks
        )
        self._session: aiohttp.ClientSession | None = None
        self._robots = RobotsRules(self.policy.user_agent, self._load_robots)

    async def __aenter__(self) -> Fetcher:
        policy = self.policy
        connector = aiohttp.TCPConnector(
            limit=policy.max_connections,
            limit_per_host=policy.max_per_host,
            resolver=GuardedResolver(policy.allow_private_networks, self._exempt),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            # sock_connect rather than connect: waiting for a free pool slot
            # behind a thousand queued feeds is not a slow server.
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=policy.connect_timeout, sock_read=policy.read_timeout
            ),
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
            auto_decompress=False,  # decoded here, under the size cap
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._robots.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch_many(
        self,
        requests: Sequence[FetchRequest],
        on_result: Callable[[FetchResult], None] | None = None,
    ) -> list[FetchResult]:
        """Fetch all concurrently (within the pool's limits); results in input order.

        ``on_result`` is called with each result as soon as it is ready.
        """

        async def one(request: FetchRequest) -> FetchResult:
            result = await self.fetch(request)
            if on_result is not None:
                on_result(result)
            return result

        return list(await asyncio.gather(*(one(r) for r in requests)))

    async def fetch_each(
        self, requests: Sequence[FetchRequest], *, window: int
    ) -> AsyncGenerator[FetchResult, None]:
        """Fetch concurrently and yield each result as it completes, in completion order.

        At most ``window`` results exist at a time, in flight or waiting to be
        taken: the next request starts only when the caller has taken (and is
        done with) an earlier result, so however many requests there are, no
        more than ``window`` bodies are ever held. Closing the iterator early
        cancels the fetches still running.
        """
        if window < 1:
            raise ValueError("window must be at least 1")
        slots = asyncio.Semaphore(window)
        done: asyncio.Queue[FetchResult | BaseException] = asyncio.Queue()
        running: set[asyncio.Task[None]] = set()

        async def one(request: FetchRequest) -> None:
            try:
                await done.put(await self.fetch(request))
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # a bug, not a failed URL: surfaces in the caller
                await done.put(exc)

        async def start_all() -> None:
            for request in requests:
                await slots.acquire()
                task = asyncio.create_task(one(request))
                running.add(task)
                task.add_done_callback(running.discard)

        starter = asyncio.create_task(start_all())
        try:
            for _ in range(len(requests)):
                item = await done.get()
                if isinstance(item, BaseException):
                    raise item
                try:
                    yield item
                finally:
                    del item  # the caller is done with this body: let it go
                    slots.release()
        finally:
            pending = [starter, *running]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one URL. Never raises for a failure of that URL."""
        started = time.perf_counter()
        progress = _Progress(url=request.url)
        try:
            result = await self._fetch_by_deadline(request, progress, self.policy.max_body_bytes)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            outcome, reason = _translate(exc, self.policy)
            if progress.status is None:
                self.stats["refused" if outcome is FetchOutcome.REFUSED else "error"] += 1
            result = FetchResult(
                url=request.url,
                outcome=outcome,
                final_url=progress.url,
                status=progress.status,
                redirects=tuple(progress.chain),
                error=reason,
            )
        return replace(result, elapsed=time.perf_counter() - started)

    # ------------------------------------------------------------------ internals

    async def _fetch_by_deadline(
        self, request: FetchRequest, progress: _Progress, cap: int
    ) -> FetchResult:
        total = self.policy.total_timeout
        try:
            async with asyncio.timeout(total) as deadline:
                return await self._fetch(request, progress, cap)
        except TimeoutError as exc:
            if not deadline.expired():
                raise  # one of aiohttp's own timeouts, translated as such
            raise _Stop(
                FetchOutcome.UNREACHABLE, f"no complete response within the {total} s deadline"
            ) from exc

    async def _fetch(self, request: FetchRequest, progress: _Progress, cap: int) -> FetchResult:
        session = self._session
        if session is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        conditional: dict[str, str] = {}
        if request.validators.etag:
            conditional["If-None-Match"] = request.validators.etag
        if request.validators.last_modified:
            conditional["If-Modified-Since"] = request.validators.last_modified
        url = self._checked_url(progress.url)
        while True:
            progress.url = str(url)
            progress.status = None
            if request.respect_robots and not await self._robots.allowed(str(url)):
                raise _refused("disallowed by robots.txt")
            async with session.get(url, headers=conditional, allow_redirects=False) as response:
                progress.status = response.status
                self.stats[str(response.status)] += 1
                location = response.headers.get("Location")
                if response.status in REDIRECT_STATUSES and location:
                    progress.chain.append(str(url))
                    url = url.join(URL(location))
                    if str(url) in progress.chain:
                        raise _Stop(FetchOutcome.TOO_MANY_REDIRECTS, f"redirect loop back to {url}")
                    if len(progress.chain) > self.policy.max_redirects:
                        limit = self.policy.max_redirects
                        raise _Stop(FetchOutcome.TOO_MANY_REDIRECTS, f"more than {limit} redirects")
                    url = self._checked_url(str(url))
                    continue
                try:
                    return await self._result(request, progress, response, cap)
                except BaseException:
                    response.close()  # a half-read body: the connection is not reusable
                    raise

    def _checked_url(self, raw: str) -> URL:
        try:
            url = URL(raw)
        except (ValueError, TypeError) as exc:
            raise _refused(f"invalid URL: {exc}") from exc
        if url.scheme not in ("http", "https"):
            raise _refused(f"scheme {url.scheme or '(none)'!r} is not fetched")
        host = url.raw_host
        if not host:
            raise _refused("URL has no host")
        try:
            literal = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            why_not = host_refusal(host)
            if why_not is not None:
                raise _refused(f"{host} is {why_not}") from None
            return url  # a name: its addresses are checked by the resolver when connecting
        why = address_refusal(
            literal, allow_private=self.policy.allow_private_networks, exempt=self._exempt
        )
        if why is not None:
            raise _refused(f"{host} is {why}")
        return url

    async def _result(
        self,
        request: FetchRequest,
        progress: _Progress,
        response: aiohttp.ClientResponse,
        cap: int,
    ) -> FetchResult:
        status = response.status
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        result = FetchResult(
            url=request.url,
            outcome=FetchOutcome.OK,
            final_url=str(response.url),
            status=status,
            redirects=tuple(progress.chain),
        )
        if status == 304:
            # A 304 may omit validators; the ones we sent still hold.
            validators = Validators(
                etag=etag or request.validators.etag,
                last_modified=last_modified or request.validators.last_modified,
            )
            # Its headers too: Cache-Control says how long the confirmed copy stays fresh.
            headers = {k.lower(): v for k, v in response.headers.items()}
            return replace(
                result, outcome=FetchOutcome.NOT_MODIFIED, validators=validators, headers=headers
            )
        if 200 <= status < 300:
            body = await _read_capped(response, cap)
            # The body is handed over decoded, so its encoding headers no longer apply.
            headers = {
                k.lower(): v
                for k, v in response.headers.items()
                if k.lower() not in ("content-encoding", "content-length")
            }
            validators = Validators(etag=etag, last_modified=last_modified)
            return replace(result, headers=headers, body=body, validators=validators)
        response.close()  # do not drain an error body we will not read
        return replace(
            result,
            outcome=FetchOutcome.GONE if status in (404, 410) else FetchOutcome.HTTP_ERROR,
            headers={k.lower(): v for k, v in response.headers.items()},
            error=f"HTTP {status} {response.reason or ''}".rstrip(),
        )

    async def _load_robots(self, robots_url: str) -> str | None:
        result = await self._fetch_quietly(robots_url, ROBOTS_MAX_BYTES)
        if result is None or result.outcome is not FetchOutcome.OK:
            return None
        return result.body.decode("utf-8", errors="replace")

    async def _fetch_quietly(self, url: str, cap: int) -> FetchResult | None:
        try:
            return await self._fetch_by_deadline(FetchRequest(url), _Progress(url=url), cap)
        except asyncio.CancelledError:
            raise
        except Exception:
            return None


# --------------------------------------------------------------------------
# The one seam where aiohttp's exceptions become outcomes


def _translate(exc: Exception, policy: FetchPolicy) -> tuple[FetchOutcome, str]:
    if isinstance(exc, _Stop):
        return exc.outcome, exc.reason
    if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(
        exc.os_error, BlockedAddressError
    ):
        return FetchOutcome.REFUSED, exc.os_error.reason
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return FetchOutcome.UNREACHABLE, f"connect timed out after {policy.connect_timeout} s"
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return FetchOutcome.UNREACHABLE, f"read timed out after {policy.read_timeout} s"
    if isinstance(exc, asyncio.TimeoutError):
        return FetchOutcome.UNREACHABLE, "timed out"
    if isinstance(exc, aiohttp.InvalidURL):
        return FetchOutcome.REFUSED, f"invalid URL: {exc}"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return FetchOutcome.UNREACHABLE, f"DNS lookup failed for {exc.host}: {exc.strerror}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return FetchOutcome.UNREACHABLE, f"TLS error: {exc}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return FetchOutcome.UNREACHABLE, f"cannot connect to {exc.host}:{exc.port}: {exc.strerror}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return FetchOutcome.UNREACHABLE, "server closed the connection"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return FetchOutcome.UNREACHABLE, f"response body broken off: {exc}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return FetchOutcome.HTTP_ERROR, f"malformed HTTP response: {exc.message}"
    if isinstance(exc, aiohttp.ClientError | OSError):
        return FetchOutcome.UNREACHABLE, f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ValueError):
        return FetchOutcome.REFUSED, f"invalid URL: {exc}"
    raise exc  # not a per-URL failure but a bug: let it surface
