"""The daemon's weekly digest: one catch-up after downtime, never a second send.

A real ``tracker daemon`` subprocess delivers to a real SMTP server
(aiosmtpd) on 127.0.0.1.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller
from test_daemon import Daemon, Site, daemons, poll, site, write_config  # noqa: F401
from test_notify import Recorder, free_port

from tracker.store import open_store
from tracker.types import Suggestion, SuggestionKind


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()


def pending_suggestion(now: datetime) -> Suggestion:
    return Suggestion(
        report="ai",
        section="3.2",
        section_title="3.2 编码智能体的崛起",
        kind=SuggestionKind.ADDITION,
        score=0.8,
        title="A coding agent ships",
        url="https://example.org/agent",
        published=now - timedelta(days=1),
        source="Example",
        excerpt="A coding agent ships.",
        proposed_text="- 2026-11-28，Example 报道：“A coding agent ships.” [6]",
        created_at=now - timedelta(days=1),
        urls=("https://example.org/agent",),
    )


def test_a_missed_digest_is_sent_once_at_start_and_not_again_after_a_restart(
    tmp_path: Path,
    site: Site,  # noqa: F811
    smtp: tuple[Recorder, int],
    daemons: Callable[[Path, Path], Daemon],  # noqa: F811
) -> None:
    recorder, port = smtp
    config = write_config(tmp_path, site, refresh="every 1h")
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["email"] = {
        "to": ["editor@example.org"],
        "from": "tracker@example.org",
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5},
    }
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    # The last digest went out nine days ago: the Monday digest since then was missed.
    now = datetime.now(UTC)
    database = tmp_path / "state" / "tracker.sqlite3"
    with open_store(database) as store:
        store.record_digest(
            now - timedelta(days=16),
            now - timedelta(days=9),
            sent_at=now - timedelta(days=9),
            message_id="<old@example.org>",
            recipients=["editor@example.org"],
            outbox_path=None,
        )
        store.add_suggestion(pending_suggestion(now))

    first = daemons(config, tmp_path / "daemon-1.log")
    first.wait_healthy()
    poll(lambda: len(recorder.messages) == 1, 30, "the catch-up digest")
    [message] = recorder.messages
    assert "A coding agent ships" in message.parse().get_body(("plain",)).get_content()

    def recorded() -> bool:
        # The server accepted the message a moment before the daemon records it.
        with open_store(database) as store:
            last = store.last_digest()
        return last is not None and last.sent_at > now - timedelta(minutes=5)

    poll(recorded, 30, "the catch-up digest recorded as sent")
    # Let its catch-up refresh finish, so the restart has no refresh to catch up on.
    poll(lambda: first.finished_runs(), 30, "the first daemon's catch-up refresh")
    first.signal(signal.SIGTERM)
    assert first.wait_exit(30) == 0

    second = daemons(config, tmp_path / "daemon-2.log")
    second.wait_healthy()
    # Give the restarted daemon a whole refresh's time to do anything it meant to at start.
    before = len(second.finished_runs())
    status, _ = second.http("POST", "/api/refresh")
    assert status == 202
    poll(lambda: len(second.finished_runs()) > before, 30, "a refresh in the second daemon")
    second.signal(signal.SIGTERM)
    assert second.wait_exit(30) == 0
    assert len(recorder.messages) == 1
    assert recorder.data_commands == 1
