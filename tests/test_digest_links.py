"""Every link the digest puts in front of the editor opens a page on the daemon.

The state is the demo's (two real refreshes against its local fixture
server); a real daemon serves it on 127.0.0.1 (port 0) through the real
``ApiServer``; ``digest.base_url`` is set to that address and the digest is
sent to the outbox. Every link into the daemon, in the plain-text and the
HTML part of the ``.eml``, is fetched over a socket: all answer 200.
"""

from __future__ import annotations

import html
import io
import re
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from tracker.app import Tracker
from tracker.config import load_config
from tracker.daemon.api import ApiServer
from tracker.daemon.service import Daemon
from tracker.demo.run import demo_sources
from tracker.types import SuggestionStatus

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The demo's config and the address of a daemon serving its state."""
    root = tmp_path_factory.mktemp("digest-links")
    with demo_sources(root / "demo", Console(file=io.StringIO()), now=NOW) as config_path:
        pass
    daemon = Daemon(config_path, load_config(config_path))
    server = ApiServer(daemon, "127.0.0.1", 0, None, review=daemon)
    server.start()
    try:
        yield config_path, f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def _parts(eml: Path) -> tuple[str, str]:
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    text = message.get_body(preferencelist=("plain",))
    body = message.get_body(preferencelist=("html",))
    assert text is not None and body is not None
    return text.get_content(), body.get_content()


def test_every_daemon_link_in_the_digest_answers_200(served: tuple[Path, str]) -> None:
    config_path, base = served
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["digest"] = {"base_url": base}
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    tracker = Tracker(load_config(config_path), clock=lambda: NOW + timedelta(hours=1))
    pending = [
        s.id for s in tracker.suggestions(report="ai-2024-2025", status=SuggestionStatus.PENDING)
    ]
    assert len(pending) >= 5

    result = tracker.digest(send=True, since=NOW - timedelta(days=30), to=["editor@example.org"])
    assert result.sent and result.outbox_path is not None
    assert result.suggestions == len(pending)
    text, body = _parts(result.outbox_path)

    in_text = set(re.findall(rf"{re.escape(base)}/[^\s\"'<>)]*", text))
    in_html = {html.unescape(h) for h in re.findall(r'href="([^"]+)"', body)}
    in_html = {link for link in in_html if link.startswith(base + "/")}
    expected = {f"{base}/"} | {f"{base}/suggestions/{ident}" for ident in pending}
    assert in_text == expected
    assert in_html == expected

    for link in sorted(expected):
        with urllib.request.urlopen(link, timeout=30) as response:
            assert response.status == 200, link
            page = response.read().decode("utf-8")
        if "/suggestions/" in link:
            # The page a digest link opens offers the decision; opening it decided nothing.
            assert 'action="/suggestions/' in page
    assert {
        s.id for s in tracker.suggestions(report="ai-2024-2025", status=SuggestionStatus.PENDING)
    } == set(pending)
