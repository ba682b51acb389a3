"""Regenerate the review pages' screenshots in docs/ with the browser tests' own browser.

The pictures are taken by ``tests/test_browser.py::test_screenshots``: the
demo's state (two real refreshes against its fixture server), a real daemon
on 127.0.0.1 and Debian's headless chromium driven by selenium. This script
only runs that test with ``TRACKER_SCREENSHOTS`` naming this folder, so the
pictures and the tests cannot drift apart. Writes docs/review-queue.png,
docs/review-edit.png, docs/review-edition-diff.png and docs/review-sources.png.

    .venv/bin/python docs/review_screenshots.py

Needs ``chromium``, ``chromium-driver`` and ``fonts-noto-cjk`` (Debian) and
the test extra (selenium). Fails, rather than skipping, when they are missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
NAMES = ("review-queue.png", "review-edit.png", "review-edition-diff.png", "review-sources.png")


def main() -> None:
    env = {**os.environ, "TRACKER_SCREENSHOTS": str(DOCS)}
    before = {
        name: (DOCS / name).stat().st_mtime_ns if (DOCS / name).exists() else 0 for name in NAMES
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rs",
        "tests/test_browser.py::test_screenshots",
    ]
    done = subprocess.run(command, cwd=DOCS.parent, env=env, check=False)
    stale = [
        n for n in NAMES if not (DOCS / n).exists() or (DOCS / n).stat().st_mtime_ns == before[n]
    ]
    if done.returncode != 0 or stale:
        sys.exit(f"screenshots not written: {', '.join(stale) or 'the test failed'}")
    for name in NAMES:
        print(DOCS / name)


if __name__ == "__main__":
    main()
