"""A throw-away PostgreSQL cluster for tests and benches: Debian's server in a temp folder.

``PgCluster`` runs ``initdb`` into a fresh folder and starts a ``postgres``
server that listens only on a unix socket inside that folder (no TCP port,
so no race for one), with durability turned off (``fsync``,
``synchronous_commit`` and ``full_page_writes``: a crash loses the cluster,
which is thrown away anyway). Every database made from it is a fresh
``CREATE DATABASE`` from ``template0`` in UTF-8 with the C collation, which
sorts text by code point as SQLite does.

PostgreSQL refuses to run as root. When the tests run as root (CI does), the
cluster's programs run as the ``postgres`` system user that Debian's package
creates (``nobody`` where there is none), and the folder is handed to that
user; clients connect as the cluster's superuser ``tracker`` with trust
authentication over the socket, whoever they run as.

The server is this process's child, not a daemon: on Linux it is told to
stop when its parent dies (``PR_SET_PDEATHSIG``), so a test run that is
killed leaves no server behind; ``stop()`` ends it at once otherwise.

Pytest fixtures (made available to every test by ``conftest.py``):

``postgres_cluster`` (session)
    the running ``PgCluster``; ``.url(dbname)``, ``.create_database()``,
    ``.drop_database(name)``, ``.socket_dir``, ``.log_path``.
``postgres_url`` (function)
    ``postgresql://`` URL of a fresh empty database, dropped after the test.

Both skip the test, saying why, only when the server's binaries are absent;
any other failure to start is an error. Outside pytest (benches), use
``with PgCluster.started() as cluster:``.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SUPERUSER = "tracker"
# Debian installs each major version's server beside the others; newest first.
_DEBIAN_BIN_ROOT = Path("/usr/lib/postgresql")
_SERVER_SETTINGS = (
    "listen_addresses=",  # no TCP at all: the unix socket only
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
    "shared_buffers=32MB",
)


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``postgres``, or None when not installed."""
    candidates = []
    if _DEBIAN_BIN_ROOT.is_dir():
        versions = [p for p in _DEBIAN_BIN_ROOT.iterdir() if p.name.isdigit()]
        candidates += [v / "bin" for v in sorted(versions, key=lambda p: -int(p.name))]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "postgres")):
            return folder
    return None


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the server's process before exec: on our death, shut down at once (SIGQUIT)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT)


def _server_user() -> str | None:
    """The unprivileged user to run the server as, or None to run it as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


class PgCluster:
    """One running throw-away cluster; ``stop()`` ends the server and deletes its folder."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.user = _server_user()
        # Short path: a unix socket's path must fit in 107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root
        self.log_path = self.root / "server.log"
        self._names = itertools.count(1)
        self._server: subprocess.Popen[bytes] | None = None
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    @classmethod
    @contextmanager
    def started(cls) -> Iterator[PgCluster]:
        """A cluster for the ``with`` block; raises ``RuntimeError`` if the binaries are absent."""
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError(f"PostgreSQL server binaries not found under {_DEBIAN_BIN_ROOT}")
        cluster = cls(bin_dir)
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()

    def _as_server_user(self) -> dict[str, object]:
        if self.user is None:
            return {}
        entry = pwd.getpwnam(self.user)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def start(self) -> None:
        done = subprocess.run(
            [
                str(self.bin_dir / "initdb"),
                *("-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust"),
                *("--encoding=UTF8", "--locale=C", "--no-sync"),
            ],
            capture_output=True,
            text=True,
            cwd=self.root,
            **self._as_server_user(),  # type: ignore[call-overload]
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        settings = [*_SERVER_SETTINGS, f"unix_socket_directories={self.socket_dir}"]
        with open(self.log_path, "wb") as log:
            self._server = subprocess.Popen(
                [str(self.bin_dir / "postgres"), "-D", str(self.data_dir)]
                + [arg for setting in settings for arg in ("-c", setting)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                preexec_fn=_die_with_parent,
                **self._as_server_user(),  # type: ignore[call-overload]
            )
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 60.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self._server is not None and self._server.poll() is not None:
                raise RuntimeError(f"postgres exited ({self._server.returncode}):\n{self._log()}")
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    log = self._log()
                    self.stop()
                    raise RuntimeError(f"postgres not ready after {timeout} s:\n{log}") from exc
                time.sleep(0.05)

    def _log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None and server.poll() is None:
            # SIGQUIT: immediate shutdown; nothing here is worth a checkpoint.
            server.send_signal(signal.SIGQUIT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL for ``dbname`` over the cluster's socket."""
        return f"postgresql://{SUPERUSER}@/{dbname}?host={self.socket_dir}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a fresh name unless given); return its URL."""
        name = name or f"test_{os.getpid()}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        # FORCE: a test that left a connection open must not keep its database alive.
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PgCluster]:
    """A running throw-away cluster shared by the session; skips only if PostgreSQL is absent."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(
            f"PostgreSQL server binaries (initdb, postgres) not found under "
            f"{_DEBIAN_BIN_ROOT} or on PATH: apt-get install postgresql"
        )
    cluster = PgCluster(bin_dir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PgCluster) -> Iterator[str]:
    """The URL of a fresh, empty database on the session's cluster, dropped after the test."""
    url = postgres_cluster.create_database()
    yield url
    postgres_cluster.drop_database(url.rsplit("/", 1)[1].split("?", 1)[0])
