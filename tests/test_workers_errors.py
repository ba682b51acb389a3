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
