"""Hostile-input benchmark: the page and text stages on 10 MB adversarial bodies.

Each case is built to make a naive parser quadratic; every figure printed
should stay well under a second (issue 11, item 5):

* ``title-unclosed``: ``<title>x`` repeated, never closed (a lazy
  ``<title>(.*?)</title>`` rescans the rest of the page from every opening);
* ``title-no-gt``: ``<title `` repeated with no ``>`` at all;
* ``meta-no-gt``: ``<meta `` repeated with no ``>``, through ``decode_html``
  (the ``<meta charset>`` sniff reads only the first 32 KB, so this one is
  bounded anyway);
* ``utf8-stray-bytes``: UTF-8 text with a stray Latin-1 byte every 31 bytes,
  through ``decode_document`` (a decoder that restarts after every bad byte
  copies the rest of the body each time).

Usage: ``python bench/hostile.py [--mb 10] [--repeat 3]``; prints the best of
``--repeat`` runs per case, in seconds.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from tracker.pages import decode_html, html_title
from tracker.textutil import decode_document


def _repeat(unit: bytes, size: int) -> bytes:
    return unit * (size // len(unit))


def cases(size: int) -> dict[str, Callable[[], object]]:
    """Each case as a callable over its prebuilt input, so only parsing is timed."""
    unclosed = "<html><head>" + _repeat(b"<title>x", size).decode()
    no_gt = "<html><head>" + _repeat(b"<title ", size).decode()
    meta = b"<html><head>" + _repeat(b"<meta ", size)
    stray = _repeat("\u4e2d\u6587".encode() * 4 + b"caf\xe9 ", size)
    return {
        "title-unclosed": lambda: html_title(unclosed),
        "title-no-gt": lambda: html_title(no_gt),
        "meta-no-gt": lambda: decode_html(meta, {}),
        "utf8-stray-bytes": lambda: decode_document(stray, []),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0, help="input size (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (default 3)")
    args = parser.parse_args()
    size = int(args.mb * 1024 * 1024)
    print(f"{'case':<18} {'seconds':>8}  ({args.mb:g} MB inputs, best of {args.repeat})")
    for name, run in cases(size).items():
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - started)
        print(f"{name:<18} {best:>8.3f}")


if __name__ == "__main__":
    main()
