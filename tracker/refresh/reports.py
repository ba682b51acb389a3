"""The configured reports, parsed, for a refresh or a task: from the store's cache when
their source has not changed since the last parse.

Parsing needs the Markdown parser, which a refresh with nothing new should
not import; so a report whose exact source, path, language and parser
version match the cached parse is read back from the store instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date, datetime

from tracker.config import Config, ReportConfig
from tracker.errors import ReportError
from tracker.store import Store
from tracker.types import Report, SourceFailure


def load_reports(
    config: Config, store: Store, clock: Callable[[], datetime]
) -> tuple[list[tuple[ReportConfig, Report]], list[SourceFailure]]:
    """Every configured report parsed, and a failure naming each one that could not be."""
    from tracker.report import parse_report, read_report

    loaded = []
    failures = []
    for report_config in config.reports:
        path, report_id = report_config.path, report_config.id
        try:
            markdown = read_report(path)
            key = parse_key(markdown, report_config)
            report = store.parsed_report(report_id, key)
            if report is None:
                report = parse_report(
                    markdown, report_id=report_id, path=str(path), language=report_config.language
                )
                store.put_parsed_report(report, key, clock())
        except ReportError as exc:
            failures.append(SourceFailure(f"report {report_id}", str(path), str(exc)))
            continue
        loaded.append((report_config, report))
    return loaded, failures


def parse_key(markdown: str, report: ReportConfig) -> str:
    """What a parse of the report depends on, hashed: a cached parse under another key
    is stale (the source, where it lives, its language, the parser's version)."""
    from tracker import __version__
    from tracker.report import PARSER_VERSION

    parts = (PARSER_VERSION, __version__, report.id, str(report.path), report.language, markdown)
    # Exact bytes: a change of line breaks moves every line number a parse holds.
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def earliest_since(reports: Sequence[ReportConfig]) -> date | None:
    """The oldest ``since`` of the reports: entries before it interest none of them."""
    dates = [r.since for r in reports]
    if any(d is None for d in dates):
        return None
    return min(d for d in dates if d is not None)
