"""The task queue's errors name the database without its password.

libpq quotes a connection URI it cannot parse, password included, and the
queue's schema and status reads show libpq's reason: it must go out redacted,
as the store's own errors do (tracker/store/location.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.errors import StoreError
from tracker.tasks.monitor import queue_status
from tracker.tasks.schema import ensure_schema


def _status(url: str) -> object:
    return queue_status(url, datetime.now(UTC))


@pytest.mark.parametrize("read", [ensure_schema, _status], ids=["schema", "status"])
@pytest.mark.parametrize(
    "url",
    [
        # libpq cannot parse it (an unclosed IPv6 bracket) and quotes it whole.
        "postgresql://tracker:s3cr3t-pw@[::1/tracker",
        # Parsed, then refused: a socket folder that does not exist.
        "postgresql://tracker:s3cr3t-pw@/tracker?host={tmp}/no-such-folder",
    ],
    ids=["unparsable", "no-server"],
)
def test_queue_errors_name_the_url_without_its_password(
    tmp_path: Path, url: str, read: Callable[[str], object]
) -> None:
    url = url.format(tmp=tmp_path)
    with pytest.raises(StoreError) as caught:
        read(url)
    message = str(caught.value)
    assert "s3cr3t-pw" not in message
    assert "the task queue" in message
    assert "tracker@" in message  # the URL is named, its user kept


def test_a_poll_job_logs_each_failing_feed_by_name_without_the_urls_password(
    tmp_path: Path, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The distributed round has no summary listing failures as an in-process refresh
    # does: the worker's log is where a failing feed is named.
    import asyncio
    import logging

    from feedfarm import FeedFarm
    from test_workers import write_config

    from tracker.app import Tracker
    from tracker.config import load_config

    with FeedFarm(1, 1) as farm:
        good = farm.feeds[0].url
        missing = good.replace("http://", "http://reader:s3cr3t-pw@").replace(".xml", "-gone.xml")
        feeds = [{"name": "Good feed", "url": good}, {"name": "Gone feed", "url": missing}]
        config = write_config(tmp_path, farm, postgres_url, feeds=feeds)  # type: ignore[arg-type]
        engine = Tracker(load_config(config)).task_engine()
        with caplog.at_level(logging.INFO, logger="tracker.tasks"):
            asyncio.run(
                engine._poll(urls=[good, missing], round_started="2026-02-11T08:00:00+00:00")
            )
    failed = [r.getMessage() for r in caplog.records if "Gone feed" in r.getMessage()]
    assert len(failed) == 1, caplog.text
    assert "404" in failed[0] and "reader@" in failed[0]
    assert "s3cr3t-pw" not in caplog.text
    assert "Good feed" not in caplog.text
