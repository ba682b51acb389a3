"""Regenerate the screenshots in docs/ from a fresh, offline `tracker demo` run.

Runs the demo into a temporary folder, writes the weekly digest to the demo's
outbox, pulls the HTML part out of the .eml, and photographs it and the newest
edition page with headless Chromium. Then photographs a pending revision in
that edition, accepts the demo's revisions, refreshes (the demo's sources are
gone by then, so the refresh publishes from the store alone) and photographs
the same section again. Writes docs/digest-email.png, docs/edition-diff.png,
docs/edition-revision.png and docs/edition-revision-accepted.png.

Deliberately not part of the package or the test suite: it needs a Chromium
binary and CJK fonts, and its output is pictures for people, not assertions.

    .venv/bin/python docs/screenshots.py [--chromium PATH] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
# The console script of the interpreter running this file, else the one on PATH.
_BESIDE = Path(sys.executable).with_name("tracker")
TRACKER = _BESIDE if _BESIDE.exists() else Path(shutil.which("tracker") or "tracker")
REPORT_ID = "ai-2024-2025"

# The e-mail is 680px wide at most; a 760px window shows it with a margin.
DIGEST_WIDTH = 760
EDITION_SIZE = (1000, 1250)
# One section: its heading, the table or sentence and the review block under it.
REVISION_SIZE = (1000, 820)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # Let layout and fonts settle before the shot.
    "--virtual-time-budget=3000",
)
HEIGHT_PROBE = (
    "<script>document.body.setAttribute("
    "'data-height', document.documentElement.scrollHeight)</script>"
)


def run(args: list[str]) -> str:
    """Run a command, fail loudly with its stderr, return its stdout."""
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def tracker(config: Path, *args: str) -> str:
    """Run a tracker command on the demo's config and return its stdout."""
    return run([str(TRACKER), "--config", str(config), *args])


def run_demo(workdir: Path) -> Path:
    """Run `tracker demo` into workdir and return its config path."""
    run([str(TRACKER), "demo", "--dir", str(workdir)])
    return workdir / "sources.yaml"


def write_digest(config: Path, since: dt.date) -> Path:
    """Write the digest to the outbox (no SMTP in the demo) and return the .eml."""
    out = tracker(config, "digest", "--send", "--since", since.isoformat())
    match = re.search(r"(\S+\.eml)\s*$", out.strip())
    if match is None:
        raise SystemExit(f"digest wrote no .eml; it said:\n{out}")
    return Path(match.group(1))


def html_part(eml: Path) -> str:
    """The text/html alternative of a digest message."""
    with eml.open("rb") as fh:
        message = email.message_from_binary_file(fh, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("html",))
    if part is None:
        raise SystemExit(f"{eml} has no text/html part")
    content = part.get_content()
    assert isinstance(content, str)
    return content


def newest_edition(workdir: Path) -> Path:
    """The latest edition page the demo rendered (it compares with the previous one)."""
    pages = sorted((workdir / "reports" / REPORT_ID / "editions").glob("*.html"))
    if not pages:
        raise SystemExit("the demo rendered no edition page")
    return pages[-1]


ELLIPSIS = '<div class="text" style="color:#999;text-align:center">⋯</div>'


def cut_above(page: str, pick: Callable[[list[str]], int | None], context: int = 20) -> str:
    """The edition page with its body cut to start a little above one block.

    Headless Chromium photographs the top of the window and does not reliably
    honour a scroll, so instead of scrolling we drop the blocks before the
    region of interest (marked with an ellipsis) and keep the page header
    with its insertion/deletion legend. `pick` chooses the block (one per line
    of the page's body); the cut starts at the heading of its section when that
    is at most `context` blocks above, so the reader sees where it is.
    """
    head, marker, body = page.partition("<main>\n")
    if not marker:
        return page
    blocks = body.split("\n")
    target = pick(blocks)
    if target is None:
        return page
    headings = [i for i in range(max(target - context, 0), target) if blocks[i].startswith("<h")]
    start = headings[-1] if headings else max(target - 3, 0)
    if start == 0:
        return page
    return head + marker + ELLIPSIS + "\n" + "\n".join(blocks[start:])


def first_change(blocks: list[str]) -> int | None:
    """The block to show for the edition's diff.

    Prefers the first block holding both a deletion and an insertion (an
    in-place edit shows the highlighting best), then the first deletion (an
    accepted suggestion replacing its pending block), else the first insertion.
    """
    edited = [i for i, block in enumerate(blocks) if "<ins>" in block]
    mixed = [i for i in edited if "<del>" in blocks[i]]
    deleted = [i for i, block in enumerate(blocks) if "<del>" in block]
    found = mixed or deleted or edited
    return found[0] if found else None


def holding(needle: str) -> Callable[[list[str]], int | None]:
    """A `pick` for cut_above: the first block containing needle."""

    def pick(blocks: list[str]) -> int | None:
        return next((i for i, block in enumerate(blocks) if needle in block), None)

    return pick


def pending_revisions(config: Path) -> list[dict[str, Any]]:
    """The demo's pending revisions, a table row's first (it shows the change best)."""
    suggestions = json.loads(tracker(config, "suggestions", "--json", "--status", "pending"))
    revisions = [s for s in suggestions if s["kind"] == "revision"]
    if not revisions:
        raise SystemExit("the demo proposed no revision")
    return sorted(revisions, key=lambda s: not str(s.get("target") or "").startswith("|"))


def accept_and_publish(config: Path, workdir: Path, ids: list[int]) -> Path | None:
    """Accept ids, refresh, and return the edition published from the store.

    The demo's server stopped when `tracker demo` exited, so the refresh finds
    every source unreachable; it still publishes the decisions. Returns None
    (and says why) when it did not: no edition written, or one that still
    shows an accepted suggestion as pending.
    """
    tracker(config, "accept", *map(str, ids))
    done = subprocess.run(
        [str(TRACKER), "--config", str(config), "refresh"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not re.search(r"wrote \S+\.html", done.stdout):
        print(f"refresh after accepting published no edition:\n{done.stdout}{done.stderr}")
        return None
    edition = newest_edition(workdir)
    text = edition.with_suffix(".md").read_text(encoding="utf-8")
    still = [n for n in ids if f"`tracker accept {n}`" in text]
    if still:
        print(f"{edition.name} still shows {still} as pending; no picture of them accepted")
        return None
    return edition


def write_cut(edition: Path, out: Path, pick: Callable[[list[str]], int | None]) -> Path:
    """Write edition cut above the picked block to out and return out."""
    out.write_text(cut_above(edition.read_text(encoding="utf-8"), pick), encoding="utf-8")
    return out


def chromium_run(chromium: str, args: list[str]) -> str:
    """Run headless Chromium with a throwaway profile; return its stdout."""
    with tempfile.TemporaryDirectory(prefix="tracker-shot-profile-") as profile:
        return run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args])


def page_height(chromium: str, page: Path, width: int) -> int:
    """The laid-out height of page at width, read back from a probe script."""
    probe = page.with_name(page.stem + ".probe.html")
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", HEIGHT_PROBE + "</body>"),
        encoding="utf-8",
    )
    dom = chromium_run(chromium, [f"--window-size={width},800", "--dump-dom", probe.as_uri()])
    found = re.search(r'data-height="(\d+)"', dom)
    if found is None:
        raise SystemExit(f"could not measure {page}")
    return int(found.group(1))


def screenshot(chromium: str, url: str, out: Path, size: tuple[int, int]) -> None:
    """Photograph url at the given window size."""
    chromium_run(chromium, [f"--window-size={size[0]},{size[1]}", f"--screenshot={out}", url])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument(
        "--keep", action="store_true", help="keep the demo folder and print its path"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tracker-shots-"))
    written: list[Path] = []
    try:
        config = run_demo(workdir)
        # Two weeks back covers both demo rounds whatever day it is run.
        eml = write_digest(config, dt.date.today() - dt.timedelta(days=14))
        digest_html = workdir / "digest.html"
        digest_html.write_text(html_part(eml), encoding="utf-8")
        height = page_height(args.chromium, digest_html, DIGEST_WIDTH)
        written.append(DOCS / "digest-email.png")
        screenshot(args.chromium, digest_html.as_uri(), written[-1], (DIGEST_WIDTH, height))

        edition = newest_edition(workdir)
        excerpt = write_cut(edition, workdir / "edition-excerpt.html", first_change)
        written.append(DOCS / "edition-diff.png")
        screenshot(args.chromium, excerpt.as_uri(), written[-1], EDITION_SIZE)

        # A pending revision's review block ends with its accept hint; the same
        # hint, struck through, marks the section once the revision is accepted.
        revisions = pending_revisions(config)
        shown = holding(f"<code>tracker accept {revisions[0]['id']}</code>")
        excerpt = write_cut(edition, workdir / "revision-excerpt.html", shown)
        written.append(DOCS / "edition-revision.png")
        screenshot(args.chromium, excerpt.as_uri(), written[-1], REVISION_SIZE)

        accepted = accept_and_publish(config, workdir, [s["id"] for s in revisions])
        if accepted is not None:
            excerpt = write_cut(accepted, workdir / "accepted-excerpt.html", shown)
            written.append(DOCS / "edition-revision-accepted.png")
            screenshot(args.chromium, excerpt.as_uri(), written[-1], REVISION_SIZE)
    finally:
        if args.keep:
            print(f"demo folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("wrote " + ", ".join(str(path) for path in written))


if __name__ == "__main__":
    main()
