"""The control API's client and its gate: proxies, the bearer scheme, odd headers,
slow clients and short tokens (issue 11, item 2)."""

from __future__ import annotations

import http.server
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tracker.config import Config, parse_config
from tracker.control import request_refresh
from tracker.daemon.api import ApiServer
from tracker.errors import ConfigError

REPORT = Path(__file__).resolve().parent / "data" / "reports" / "english.md"
TOKEN = "a-long-enough-test-token-0123456789"


class _Backend:
    def health(self) -> dict[str, Any]:
        return {"status": "ok", "pid": 1, "uptime": 0.0}

    def status(self) -> dict[str, Any]:
        return {"runs": []}

    def start_refresh(self) -> int:
        return 7

    def metrics(self) -> str:
        return "tracker_up 1\n"


def _config(tmp_path: Path, port: int) -> Config:
    shutil.copyfile(REPORT, tmp_path / "report.md")
    raw: dict[str, Any] = {
        "reports": [{"id": "r", "path": "report.md", "language": "en"}],
        "daemon": {"listen": f"127.0.0.1:{port}"},
    }
    return parse_config(raw, tmp_path / "sources.yaml")


@pytest.fixture
def api() -> Iterator[ApiServer]:
    server = ApiServer(_Backend(), "127.0.0.1", 0, TOKEN, header_timeout=0.5)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _status(port: int, authorization: bytes) -> int:
    reply = _raw(
        port,
        b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Authorization: " + authorization + b"\r\n\r\n",
    )
    return int(reply.split(b" ", 2)[1])


# ---------------------------------------------------------------- no proxy


class _Proxy(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.seen.append(self.headers.get("Authorization", ""))
        self.send_error(502)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[str]:
    _Proxy.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_token_never_goes_through_a_proxy(
    tmp_path: Path, api: ApiServer, proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy)
    monkeypatch.setenv("TRACKER_API_TOKEN", TOKEN)
    assert request_refresh(_config(tmp_path, api.port)) == 7
    assert _Proxy.seen == []


# ---------------------------------------------------------------- the gate


@pytest.mark.parametrize("scheme", [b"Bearer", b"bearer", b"BEARER", b"bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(api: ApiServer, scheme: bytes) -> None:
    assert _status(api.port, scheme + b" " + TOKEN.encode()) == 200


@pytest.mark.parametrize(
    "header",
    [
        b"Bearer \xff\xfe" + TOKEN.encode(),
        b"Bearer " + TOKEN.encode() + b"\xe9",
        b"\xc3\x28 " + TOKEN.encode(),
        b"Basic " + TOKEN.encode(),
        b"Bearer",
        b"Bearer wrong",
    ],
)
def test_a_wrong_or_undecodable_authorization_is_401_not_500(api: ApiServer, header: bytes) -> None:
    assert _status(api.port, header) == 401


def test_slow_request_headers_time_out(api: ApiServer) -> None:
    # One header byte every 0.1 s would take 30 s; the server (0.5 s header
    # deadline here) hangs up long before.
    started = time.monotonic()
    closed = False
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for byte in b"X-Slow: " + b"a" * 300:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            sock.settimeout(0.1)
            try:
                if sock.recv(1024) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
    assert closed
    assert time.monotonic() - started < 10


# ---------------------------------------------------------------- short tokens


def test_a_short_token_is_refused_when_the_config_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_API_TOKEN", "s" * 15)
    with pytest.raises(ConfigError, match=r"daemon.*TRACKER_API_TOKEN.*15 characters.*16"):
        _config(tmp_path, 8765)
    monkeypatch.setenv("TRACKER_API_TOKEN", "s" * 16)
    assert _config(tmp_path, 8765).daemon.token_env == "TRACKER_API_TOKEN"
    monkeypatch.delenv("TRACKER_API_TOKEN")
    assert _config(tmp_path, 8765).daemon.token_env == "TRACKER_API_TOKEN"
