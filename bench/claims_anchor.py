"""Benchmark: re-anchoring quotes on a 1 MB page.

    .venv/bin/python bench/claims_anchor.py [--size 1000000] [--quotes 20]

Builds a page of about ``--size`` characters from the claims evaluation's
first page (eval/claims/pages/ref1.txt) repeated with a counter in every
paragraph, so no two paragraphs are equal, and anchors ``--quotes`` sentences
spread over it. Then times :func:`tracker.claims.anchor.reanchor` for each
way a quote can fare: the page unchanged; 5,000 characters of banner added at
the top (every offset shifts); the quote's number changed (fuzzy: bracketed
by its context); the quote and its context both reworded (bitap near the old
place, then every sentence of the page compared); the quote removed (every
search runs and fails). Prints milliseconds per quote for each, and the
ratio to the same on a page a tenth the size, which stays near 10 or below
when the time grows linearly. Each case is a new text, so the page-wide
cases include building that text's sentence index; the last row ("one
page") re-anchors every quote on one text they were all removed from, the
index built once and shared, as a refresh re-checking a page's claims does.
Target: under 1 s per quote on 1 MB.

    .venv/bin/python bench/claims_anchor.py --support [--size 100000]

instead times :func:`tracker.claims.support.find_supports` for the seed
report's claims citing reference 1 on a page of ``--size`` characters, with
the matcher's real model (loaded before timing): the first anchoring of a
cited page, where embedding the page's sentences is most of the time.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.claims.anchor import Anchor, anchor_at, reanchor  # noqa: E402

PAGE = ROOT / "eval" / "claims" / "pages" / "ref1.txt"


def build_page(size: int) -> str:
    """The page's paragraphs over and over, every sentence given a number of its own
    ("Item 512: ...") so that no quote occurs twice."""
    paragraphs = [p for p in PAGE.read_text(encoding="utf-8").split("\n\n") if len(p) > 80]
    out: list[str] = []
    total, n = 0, 0
    while total < size:
        sentences = re.split(r"(?<=\.) ", paragraphs[len(out) % len(paragraphs)])
        numbered = []
        for sentence in sentences:
            numbered.append(f"Item {n}: {sentence}")
            n += 1
        out.append(" ".join(numbered))
        total += len(out[-1]) + 2
    return "\n\n".join(out)


def quotes(page: str, count: int) -> list[Anchor]:
    sentences = list(re.finditer(r"Item \d+: [A-Z][^\n]{60,200}?\.(?= |\n|$)", page))
    step = max(1, len(sentences) // count)
    return [anchor_at(page, m.start(), m.end()) for m in sentences[::step][:count]]


def edits(page: str, anchor: Anchor) -> dict[str, str]:
    s, e = anchor.start, anchor.end
    quote = anchor.exact
    digits = re.sub(r"\d", "7", quote) if re.search(r"\d", quote) else quote.replace(" the ", " a ")
    reworded = " ".join(reversed(quote.split()))
    before = page[max(0, s - 200) : s]
    return {
        "unchanged": page,
        "shifted": "Banner. " * 625 + page,
        "number": page[:s] + digits + page[e:],
        "reworded": page[: max(0, s - 200)] + before.upper() + reworded + page[e:],
        "removed": page[:s] + page[e:],
    }


Edits = Callable[[str, Anchor], dict[str, str]]


def timed(anchors: list[Anchor], page: str, make: Edits) -> dict[str, float]:
    spent: dict[str, float] = {}
    for anchor in anchors:
        for kind, text in make(page, anchor).items():
            began = time.perf_counter()
            reanchor(anchor, text)
            spent[kind] = spent.get(kind, 0.0) + time.perf_counter() - began
    return {kind: 1000 * seconds / len(anchors) for kind, seconds in spent.items()}


def all_removed(page: str, anchors: list[Anchor]) -> float:
    """Milliseconds per quote when every quote is gone from one new text: the
    sentence index is built once and shared, as in a refresh re-checking a page."""
    text = page
    for anchor in sorted(anchors, key=lambda a: a.start, reverse=True):
        text = text[: anchor.start] + text[anchor.end :]
    began = time.perf_counter()
    for anchor in anchors:
        reanchor(anchor, text)
    return 1000 * (time.perf_counter() - began) / len(anchors)


def support(size: int) -> None:
    from tracker.claims.index import claims_of
    from tracker.claims.support import candidate_passages, find_supports
    from tracker.match import embed
    from tracker.report import load_report

    report = load_report(ROOT / "tests/data/reports/seed.md", report_id="seed", language="zh")
    claims = [c for c in claims_of(report) if 1 in c.references]
    page = build_page(size)
    embed(["load the model"])
    began = time.perf_counter()
    find_supports(claims, page, embed=embed)
    spent = time.perf_counter() - began
    passages = len(candidate_passages(page))
    print(f"page {len(page):,} characters, {passages} passages, {len(claims)} claims")
    print(f"find_supports: {spent:.1f} s ({1000 * spent / len(claims):.0f} ms per claim)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--quotes", type=int, default=20)
    parser.add_argument("--support", action="store_true", help="time find_supports instead")
    args = parser.parse_args()
    if args.support:
        support(args.size or 100_000)
        return 0
    args.size = args.size or 1_000_000
    big = build_page(args.size)
    small = build_page(args.size // 10)
    at_big = timed(quotes(big, args.quotes), big, edits)
    at_small = timed(quotes(small, args.quotes), small, edits)
    print(f"page {len(big):,} characters, {args.quotes} quotes; ms per quote")
    print(f"{'case':<10} {'1 MB':>9} {'100 kB':>9} {'ratio':>6}")
    for kind, ms in at_big.items():
        ratio = ms / at_small[kind] if at_small[kind] else float("nan")
        print(f"{kind:<10} {ms:>9.1f} {at_small[kind]:>9.1f} {ratio:>6.1f}")
    shared_big = all_removed(big, quotes(big, args.quotes))
    shared_small = all_removed(small, quotes(small, args.quotes))
    ratio = shared_big / shared_small
    print(f"{'one page':<10} {shared_big:>9.1f} {shared_small:>9.1f} {ratio:>6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
