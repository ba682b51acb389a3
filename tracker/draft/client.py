"""The HTTP client of an OpenAI-compatible chat-completions server.

``ChatClient`` owns one aiohttp session and posts each question to
``{endpoint}/chat/completions``. It asks for a JSON object
(``response_format``); a server that refuses that parameter with a 400 is
asked once more without it, and not asked with it again by this client.

Every failure comes out as ``CallFailed`` with a short reason, translated
from aiohttp's exceptions in one place (``_translate``): "refused connection
to HOST:PORT", "timeout after 30 s", "HTTP 429", "invalid response: …".
``transient`` marks failures that say the server is unavailable rather than
that one question went wrong.

What it deliberately does not do: retry, follow redirects (the bearer token
must not travel to another address), read proxy settings from the
environment (``trust_env=False``, so no proxy ever sees the key), or read an
answer larger than ``MAX_RESPONSE_BYTES``.
"""

from __future__ import annotations

import asyncio
import errno
import json
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

from tracker import __version__

MAX_RESPONSE_BYTES = 1024 * 1024
MAX_ANSWER_TOKENS = 800
_CHUNK = 64 * 1024


class CallFailed(Exception):
    """One call produced no answer; ``reason`` says why."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class Completion:
    content: str  # the assistant message's text
    total_tokens: int | None  # usage.total_tokens, when the server reports it


class ChatClient:
    """An async context manager: one session, any number of ``complete`` calls."""

    def __init__(
        self,
        endpoint: str,
        model: str,
        *,
        api_key: str | None,
        timeout: float,
        concurrency: int,
    ) -> None:
        self.url = endpoint.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self._api_key = api_key
        self._concurrency = concurrency
        self._json_mode = True
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ChatClient:
        headers = {"User-Agent": f"tracker/{__version__}", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._concurrency),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            headers=headers,
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
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def complete(self, messages: list[dict[str, str]]) -> Completion:
        """Ask once; raise ``CallFailed`` for anything but an answer."""
        json_mode = self._json_mode
        try:
            return await self._post(messages, json_mode=json_mode)
        except CallFailed as failed:
            if not (json_mode and failed.reason == "HTTP 400"):
                raise
        self._json_mode = False  # the server does not take response_format
        return await self._post(messages, json_mode=False)

    async def _post(self, messages: list[dict[str, str]], *, json_mode: bool) -> Completion:
        assert self._session is not None, "use ChatClient as an async context manager"
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": MAX_ANSWER_TOKENS,
            "stream": False,
        }
        if json_mode:
            payload["response_format"] = {"type": "json_object"}
        try:
            async with self._session.post(self.url, json=payload, allow_redirects=False) as resp:
                if not 200 <= resp.status < 300:
                    transient = resp.status == 429 or resp.status >= 500
                    raise CallFailed(f"HTTP {resp.status}", transient=transient)
                body = await _read_capped(resp)
        except CallFailed:
            raise
        except Exception as exc:
            raise _translate(exc, self.timeout) from exc
        return _completion(body)


async def _read_capped(resp: aiohttp.ClientResponse) -> bytes:
    if (resp.content_length or 0) > MAX_RESPONSE_BYTES:
        raise CallFailed(f"invalid response: over {MAX_RESPONSE_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise CallFailed(f"invalid response: over {MAX_RESPONSE_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _completion(body: bytes) -> Completion:
    try:
        data = json.loads(body)
    except ValueError:
        raise CallFailed("invalid response: not JSON") from None
    if not isinstance(data, dict):
        raise CallFailed("invalid response: not a JSON object")
    if isinstance(error := data.get("error"), dict | str):
        message = error.get("message", "") if isinstance(error, dict) else error
        raise CallFailed(f"invalid response: error {str(message)[:120]!r}")
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise CallFailed("invalid response: no choices[0].message") from None
    if not isinstance(content, str) or not content.strip():
        raise CallFailed("invalid response: the message has no text")
    usage = data.get("usage")
    tokens = usage.get("total_tokens") if isinstance(usage, dict) else None
    valid = isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0
    return Completion(content=content, total_tokens=tokens if valid else None)


# --------------------------------------------------------------------------
# The one seam where aiohttp's exceptions become reasons


def _translate(exc: Exception, timeout: float) -> CallFailed:
    if isinstance(exc, asyncio.TimeoutError):  # aiohttp's timeouts are subclasses
        return CallFailed(f"timeout after {timeout:g} s", transient=True)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return CallFailed(f"DNS lookup failed for {exc.host}", transient=True)
    if isinstance(exc, aiohttp.ClientConnectorError):
        where = f"{exc.host}:{exc.port}"
        if exc.os_error.errno == errno.ECONNREFUSED:
            return CallFailed(f"refused connection to {where}", transient=True)
        return CallFailed(f"cannot connect to {where}: {exc.strerror}", transient=True)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return CallFailed("server closed the connection", transient=True)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return CallFailed(f"response broken off: {exc}", transient=True)
    if isinstance(exc, aiohttp.ClientResponseError):
        return CallFailed(f"malformed HTTP response: {exc.message}")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return CallFailed(f"{type(exc).__name__}: {exc}", transient=True)
    if isinstance(exc, ValueError):
        return CallFailed(f"invalid endpoint: {exc}")
    raise exc  # not a failure of the call but a bug: let it surface
