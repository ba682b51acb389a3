"""Evaluate the claim checks (issue 12) on the seed report and hand-written copies of its pages.

Usage::

    .venv/bin/python eval/claims.py            # the table
    .venv/bin/python eval/claims.py -v         # and every wrong verdict and unsupported claim
    .venv/bin/python eval/claims.py --json     # machine-readable figures

What it does: reads the frozen seed report (tests/data/reports/seed.md) into
claims (``tracker.claims.index.claims_of``), finds each claim's supporting
passage on its cited page (``eval/claims/pages/``: the five references as
extracted text, written for this evaluation) and anchors it; then edits the
pages in five ways and re-checks every claim the edit touches
(``tracker.claims.verdict.recheck``):

``reworded``  a passage said again in other words (eval/claims/edits.yaml):
              right when no suggestion comes of it (the claim stays
              supported: re-anchored as ``changed`` or ``unchanged``);
``number``    one figure or date of a passage changed (edits.yaml): right
              when the claim stating it is ``changed`` and its proposed
              revision writes the new value as given in edits.yaml;
``removed``   the claim's passage deleted: right when ``orphaned``;
``reordered`` the body's paragraphs in reverse order: right when
              ``unchanged`` or ``moved`` with no suggestion;
``churn``     navigation, cookie banner, footer and related links changed,
              a banner added, whitespace re-flowed: right when ``unchanged``.

Beside each single-passage edit, every other claim on the same page must
stay without a suggestion (row ``untouched``). The unsupported count is the
claims whose best passage on their original page scores under the support
threshold; each is explained in eval/README.md ("Claims").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tracker.claims.anchor import MOVED, UNCHANGED, Anchor, anchor_at
from tracker.claims.index import claims_of
from tracker.claims.support import Embed, find_supports, remembering
from tracker.claims.verdict import Verdict, recheck
from tracker.match import embed as model_embed
from tracker.report import load_report
from tracker.types import Claim, ClaimStatus

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "claims"
REPORT = HERE.parent / "tests" / "data" / "reports" / "seed.md"
KINDS = ("reworded", "number", "removed", "reordered", "churn", "untouched")
EXTRA_KINDS = ("rewritten", "contradicted")  # reported, no target
TARGET = 0.90


@dataclass
class Tally:
    claims: int = 0
    right: int = 0
    suggestions: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.right / self.claims if self.claims else 1.0


@dataclass(frozen=True)
class Anchored:
    claim: Claim
    reference: int
    anchor: Anchor
    score: float
    supported: bool


@dataclass
class Results:
    tallies: dict[str, Tally]
    anchored: list[Anchored]

    @property
    def unsupported(self) -> list[Anchored]:
        return [a for a in self.anchored if not a.supported]


def cached_embed() -> Embed:
    """The matcher's embeddings, each text embedded once per run."""
    return remembering(model_embed)


def load_pages() -> tuple[dict[int, str], dict[int, dict[str, str]], dict[str, Any]]:
    spec = yaml.safe_load((FIXTURES / "edits.yaml").read_text(encoding="utf-8"))
    pages = {
        int(n): (FIXTURES / p["file"]).read_text(encoding="utf-8") for n, p in spec["pages"].items()
    }
    marks = {int(n): p for n, p in spec["pages"].items()}
    return pages, marks, spec


def anchor_claims(claims: list[Claim], pages: dict[int, str], embed: Any) -> list[Anchored]:
    anchored = []
    for number, text in pages.items():
        citing = [c for c in claims if number in c.references]
        for claim, support in zip(citing, find_supports(citing, text, embed=embed), strict=True):
            anchor = anchor_at(text, support.start, support.end)
            anchored.append(Anchored(claim, number, anchor, support.score, support.supported))
    return anchored


def evaluate(*, verbose: bool = False) -> Results:
    report = load_report(REPORT, report_id="seed", language="zh")
    pages, marks, spec = load_pages()
    embed = cached_embed()
    anchored = anchor_claims(claims_of(report), pages, embed)
    tallies = {kind: Tally() for kind in (*KINDS, *EXTRA_KINDS)}

    def check(kind: str, item: Anchored, new_text: str, right: Callable[[Verdict], bool]) -> None:
        verdict = recheck(item.claim, item.anchor, new_text, embed=embed)
        tally = tallies[kind]
        tally.claims += 1
        tally.suggestions += verdict.status in (ClaimStatus.CHANGED, ClaimStatus.ORPHANED)
        if right(verdict):
            tally.right += 1
        else:
            tally.wrong.append(
                f"{item.claim.text[:50]} -> {verdict.verdict}/{verdict.status}"
                f" revision={verdict.revision!r} after={(verdict.after or '')[:60]!r}"
            )

    def around(
        number: int, span: tuple[int, int], new_text: str, *, removal: bool = False
    ) -> list[Anchored]:
        """Check the page's other claims stay quiet; return the ones the edit touches.
        A passage the edit only partly covers (a pair of sentences, one removed)
        counts as neither."""
        touched = []
        for item in anchored:
            if item.reference != number:
                continue
            a = item.anchor
            inside = span[0] <= a.start and a.end <= span[1]
            if inside or (not removal and a.start <= span[0] < span[1] <= a.end):
                touched.append(item)
            elif a.end <= span[0] or span[1] <= a.start:
                check("untouched", item, new_text, quiet)
        return touched

    for edit in spec["reworded"]:
        number, old, new = int(edit["page"]), edit["old"], edit["new"]
        text, span = pages[number], _span_of(pages[number], old)
        changed = text.replace(old, new)
        for item in around(number, span, changed):
            check("reworded", item, changed, quiet)
    for kind, right in (("rewritten", quiet), ("contradicted", _changed)):
        for edit in spec.get(kind, []):
            number, old, new = int(edit["page"]), edit["old"], edit["new"]
            text, span = pages[number], _span_of(pages[number], old)
            changed = text.replace(old, new)
            for item in around(number, span, changed):
                check(kind, item, changed, right)
    for edit in spec["number"]:
        number, old, new = int(edit["page"]), edit["old"], edit["new"]
        text, span = pages[number], _span_of(pages[number], old)
        changed = text.replace(old, new)
        for item in around(number, span, changed):
            if edit["figure"] in item.claim.text:
                check("number", item, changed, _revised_to(edit["revision"]))
    for number, text in pages.items():
        spans = sorted({(a.anchor.start, a.anchor.end) for a in anchored if a.reference == number})
        for start, end in spans:
            removed = _remove(text, start, end)
            for item in around(number, (start, end), removed, removal=True):
                check("removed", item, removed, lambda v: v.status == ClaimStatus.ORPHANED)
        reordered = reorder(text, marks[number]["body"], marks[number]["footer"])
        churned = churn(text, marks[number]["body"], marks[number]["footer"])
        for item in anchored:
            if item.reference == number:
                check("reordered", item, reordered, _quiet_as(UNCHANGED, MOVED))
                check("churn", item, churned, _quiet_as(UNCHANGED))
    return Results(tallies, anchored)


def sweep(embed: Any | None = None) -> list[tuple[float, int, int, int, int]]:
    """How the support threshold separates a claim's own page from the others.

    Positives: each claim's best score on the page it cites. Negatives: its best
    score on each page it does not cite (the page never makes that claim). For
    each threshold: (threshold, positives at or above, positives, negatives
    below, negatives).
    """
    embed = embed or cached_embed()
    report = load_report(REPORT, report_id="seed", language="zh")
    pages, _, _ = load_pages()
    claims = [c for c in claims_of(report) if any(n in pages for n in c.references)]
    own: list[float] = []
    other: list[float] = []
    for number, text in pages.items():
        for item, support in zip(claims, find_supports(claims, text, embed=embed), strict=True):
            (own if number in item.references else other).append(support.score)
    return [
        (t, sum(s >= t for s in own), len(own), sum(s < t for s in other), len(other))
        for t in (x / 100 for x in range(30, 56, 2))
    ]


def quiet(verdict: Verdict) -> bool:
    """No suggestion: the claim is still supported by a passage that is still there."""
    return verdict.status == ClaimStatus.SUPPORTED and verdict.anchor is not None


def _changed(verdict: Verdict) -> bool:
    return verdict.status == ClaimStatus.CHANGED and verdict.revision is None


def _quiet_as(*verdicts: str) -> Callable[[Verdict], bool]:
    return lambda verdict: quiet(verdict) and verdict.verdict in verdicts


def _revised_to(expected: str) -> Callable[[Verdict], bool]:
    def right(verdict: Verdict) -> bool:
        return verdict.status == ClaimStatus.CHANGED and expected in (verdict.revision or "")

    return right


def _span_of(text: str, old: str) -> tuple[int, int]:
    if text.count(old) != 1:
        raise SystemExit(f"eval/claims/edits.yaml: {old[:60]!r} is not on its page exactly once")
    start = text.index(old)
    return start, start + len(old)


def _remove(text: str, start: int, end: int) -> str:
    """The page without ``text[start:end]`` and the space that separated it."""
    while end < len(text) and text[end] == " ":
        end += 1
    return text[:start] + text[end:]


def _parts(text: str, body: str, footer: str) -> tuple[str, list[str], str]:
    start, end = text.index(body), text.index(footer)
    paragraphs = [p for p in re.split(r"\n\s*\n", text[start:end]) if p.strip()]
    return text[:start], paragraphs, text[end:]


def reorder(text: str, body: str, footer: str) -> str:
    """The page with its body's paragraphs (title aside) in reverse order."""
    head, paragraphs, tail = _parts(text, body, footer)
    return head + "\n\n".join([paragraphs[0], *reversed(paragraphs[1:])]) + "\n\n" + tail


def churn(text: str, body: str, footer: str) -> str:
    """The page with new navigation, a consent banner, a changed footer with related
    links, and its body re-flowed (paragraph breaks doubled, lines re-wrapped)."""
    head, paragraphs, tail = _parts(text, body, footer)
    head_lines = head.strip().split("\n")
    new_head = [
        "Skip to main content",
        *(line.replace("|", "·") + " · Newsletter" for line in head_lines[:2]),
        "Your privacy choices: we and our 12 partners store and access information on your"
        " device. Accept all / Manage options",
        "Breaking: live coverage of this week's announcements",
    ]
    flowed = [_wrap(p) for p in paragraphs]
    new_tail = (
        "Related reading\nA look back at last year\nWhat to expect next year\n\n"
        + tail.replace("2025", "2026").replace("©", "Copyright")
        + "\nBack to top\n"
    )
    return "\n".join(new_head) + "\n\n\n" + "\n\n\n".join(flowed) + "\n\n" + new_tail


def _wrap(paragraph: str, width: int = 72) -> str:
    """A paragraph re-wrapped at ``width`` columns, as a different extractor might give it."""
    lines, line = [], ""
    for word in paragraph.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def table(results: Results) -> str:
    rows = [f"{'edit':<10} {'claims':>6} {'right':>6} {'share':>6} {'suggestions':>11}"]
    for kind in (*KINDS, *EXTRA_KINDS):
        t = results.tallies[kind]
        rows.append(f"{kind:<10} {t.claims:>6} {t.right:>6} {t.share:>6.2f} {t.suggestions:>11}")
    total = len(results.anchored)
    rows.append(f"unsupported on the original pages: {len(results.unsupported)} of {total} claims")
    return "\n".join(rows)


def figures(results: Results) -> dict[str, Any]:
    return {
        "kinds": {
            kind: {
                "claims": t.claims,
                "right": t.right,
                "share": round(t.share, 3),
                "suggestions": t.suggestions,
            }
            for kind, t in results.tallies.items()
        },
        "claims": len(results.anchored),
        "unsupported": [
            {
                "claim": a.claim.text,
                "reference": a.reference,
                "score": a.score,
                "passage": a.anchor.exact,
            }
            for a in results.unsupported
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list wrong verdicts")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--sweep", action="store_true", help="print how support thresholds separate own pages"
    )
    args = parser.parse_args(argv)
    if args.sweep:
        print(f"{'threshold':>9} {'own page supported':>18} {'other pages unsupported':>23}")
        for t, hit, own, miss, other in sweep():
            print(f"{t:>9.2f} {hit:>11}/{own:<6} {miss:>16}/{other:<6}")
        return 0
    results = evaluate(verbose=args.verbose)
    if args.json:
        print(json.dumps(figures(results), ensure_ascii=False, indent=2))
        return 0
    print(table(results))
    if args.verbose:
        for kind, t in results.tallies.items():
            for line in t.wrong:
                print(f"  wrong {kind}: {line}")
        for a in results.unsupported:
            print(f"  unsupported [{a.reference}] {a.score:.3f} {a.claim.text} <- {a.anchor.exact}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
