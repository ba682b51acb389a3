"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from postgres import postgres_cluster, postgres_url  # noqa: F401  (fixtures for every test)

from tracker.demo.server import LocalServer


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 with a random free port, stopped afterwards."""
    with LocalServer() as server:
        yield server
