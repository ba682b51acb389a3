"""How often the statement a revising brief makes stale is the one its news reads most like.

    python bench/update_targets.py [eval/articles.yaml eval/holdout2.yaml …]

For every brief with ``revises`` in the given sets, the news' headline and
lede are embedded with the multilingual model and compared with every
statement of the brief's gold section, embedded as claim updates see them
(:class:`tracker.suggest.propose.ReportView` with embeddings; table rows left
out, as claim updates leave them to the ranking rule). Prints, per set, how
many gold targets are the closest statement of their section, and the
cosines of the closest statements of revising, covered and new briefs: the
measurement behind ``tracker/suggest/updates.py``'s choice to let the
embedding pick *which* statement and the headline decide *whether*.

Never run it on a holdout you mean to keep blind: it reads the briefs.
"""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "eval"))

import evalset  # noqa: E402

from tracker.match import embed  # noqa: E402
from tracker.report import load_report  # noqa: E402
from tracker.suggest.propose import ReportView  # noqa: E402
from tracker.textutil import split_sentences  # noqa: E402

SEED = ROOT / "tests" / "data" / "reports" / "seed.md"


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _same(gold: str, statement: str) -> bool:
    """A gold target quotes the Markdown line ("- …" for a list item)."""
    return _squeezed(statement) in _squeezed(gold) or _squeezed(gold) in _squeezed(statement)


def main(paths: list[str]) -> None:
    view = ReportView.of(load_report(SEED, report_id="ai", language="zh"), embed=embed)
    for path in paths or ["eval/articles.yaml"]:
        closest: dict[str, list[float]] = {"revises": [], "covered": [], "new": []}
        hits = total = rows = 0
        for brief in evalset.load_articles(ROOT / path):
            if brief.gold is None or brief.label is None:
                continue
            sentences = split_sentences(brief.text)
            cosines = view.cosines(f"{brief.title} {sentences[0] if sentences else ''}")
            assert cosines is not None
            in_section = [
                (cosine, statement)
                for cosine, statement in zip(cosines, view.statements, strict=True)
                if statement.section_id == brief.label and statement.kind != "row"
            ]
            if brief.revises and any(_squeezed(g).startswith("|") for g in brief.revises):
                rows += 1  # a table row: the ranking rule's, or a describing table's
                continue
            if not in_section:
                continue
            best_cosine, best = max(in_section, key=lambda pair: pair[0])
            kind = "revises" if brief.revises else "covered" if brief.gold.covered else "new"
            closest[kind].append(best_cosine)
            if brief.revises:
                total += 1
                hits += any(_same(g, best.text) for g in brief.revises)
        print(
            f"{path}: gold target is its section's closest statement for {hits}/{total} "
            f"revising briefs ({rows} more revise a table row)"
        )
        for kind, values in closest.items():
            if values:
                quartiles = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
                print(
                    f"  closest cosine, {kind:8} n={len(values):3}  "
                    f"quartiles {' / '.join(f'{q:.3f}' for q in quartiles)}"
                )


if __name__ == "__main__":
    main(sys.argv[1:])
