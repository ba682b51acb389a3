"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres import postgres_cluster, postgres_url  # noqa: F401  (fixtures for every test)

from tracker.demo.server import LocalServer
from tracker.report import load_report
from tracker.statements import Statement, statements
from tracker.suggest.names import NameBook
from tracker.suggest.propose import ReportView

SEED_REPORT = Path(__file__).parent / "data" / "reports" / "seed.md"


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 with a random free port, stopped afterwards."""
    with LocalServer() as server:
        yield server


@pytest.fixture(scope="session")
def seed_statements_and_names() -> tuple[list[Statement], NameBook]:
    """The frozen seed report's statements and its name book, read once per run."""
    report = load_report(SEED_REPORT, report_id="ai", language="zh")
    return statements(report), NameBook.for_report(report.markdown)


@pytest.fixture(scope="session")
def seed_views() -> tuple[ReportView, ReportView]:
    """The frozen seed report's view with embeddings (as a refresh builds it) and
    without (the rules alone), for the suggestion tests."""
    from tracker.match import embed

    report = load_report(SEED_REPORT, report_id="ai", language="zh")
    return ReportView.of(report, embed=embed), ReportView.of(report)
