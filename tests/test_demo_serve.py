"""``tracker demo --serve`` as a newcomer runs it: a real process, a real port, Ctrl-C.

The command runs the demo, prints the review page's address and serves it
until SIGINT; the test reads the address from the process's stdout, fetches
the page over a socket and stops the process the way a terminal does.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import IO

ADDRESS = re.compile(r"review page\s+(http://127\.0\.0\.1:\d+/)")
START_SECONDS = 120


def _lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    with stream:
        for line in stream:
            into.put(line)
    into.put(None)


def _drain(into: queue.Queue[str | None]) -> list[str]:
    found = []
    while True:
        try:
            line = into.get(timeout=5)
        except queue.Empty:
            return found
        if line is None:
            return found
        found.append(line)


def test_demo_serve_prints_the_address_serves_the_queue_and_stops_on_sigint(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_API_TOKEN", "TRACKER_CONFIG")}
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "demo", "--dir", str(tmp_path / "demo"), "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    logs: queue.Queue[str | None] = queue.Queue()  # drained so the log pipe never fills
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    threading.Thread(target=_lines, args=(process.stderr, logs), daemon=True).start()
    seen: list[str] = []
    try:
        address = None
        while address is None:
            line = lines.get(timeout=START_SECONDS)
            assert line is not None, "".join(seen) + "".join(_drain(logs))
            seen.append(line)
            found = ADDRESS.search(line)
            address = found.group(1) if found else None

        with urllib.request.urlopen(address, timeout=30) as response:
            assert response.status == 200
            page = response.read().decode("utf-8")
        assert re.search(r'href="/suggestions/\d+"', page)
        assert "Refresh now" in page or "/runs" in page

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, "".join(_drain(logs))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "refresh 2:" in "".join(seen)  # the demo ran before the daemon started
    assert "event=daemon.stopped exit_code=0" in "".join(_drain(logs))
