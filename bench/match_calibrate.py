"""Calibrate the matcher's weights by leave-one-round-out cross-validation.

    python bench/match_calibrate.py [--set eval/articles.yaml] [--report tests/data/reports/seed.md]

eval/articles.yaml grew in rounds, each written after the matcher had been
fitted to the rounds before it: the first block, then blocks opened by a
``# ===… round N`` comment line. Fitting weights on all of them and reading
the figures on the same briefs says little about briefs nobody has seen;
holding one round out, choosing settings on the others and measuring on the
held-out one says more, since the rounds differ in who wrote them and how.

Every brief is turned into the article a refresh would store (its page as
eval/run.py serves it, through tracker's own extractor; the feed's title) and
embedded once. Per-section features are computed once for each value of the
two settings that shape them (``TITLE_WEIGHT``, ``TITLE_TERM_BOOST``); the
other settings (the five weights, ``SIBLING_MARGIN``, the threshold) only
combine them, so the whole grid is scored from that cache. The vectorised
decision is checked against :meth:`Matcher.score` at the current settings
before anything is reported.

Selection rule (fixed before the first run): maximise the mean over the
training rounds, each round weighing the same, of (F1 + section accuracy) / 2;
for each weight setting the threshold is the middle of the widest run of grid
thresholds reaching its best value; ties between settings go to the one
closest to the current constants. Figures are in-process (the matcher alone,
not the suggestion stage): ``python eval/run.py`` stays the black-box measure.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from evalset import EvalArticle, article_page, load_articles, parent_section  # noqa: E402

from tracker import match as match_module  # noqa: E402
from tracker.match import Matcher, is_summary_section  # noqa: E402
from tracker.pages import extract_page  # noqa: E402
from tracker.report import load_report  # noqa: E402
from tracker.types import Article  # noqa: E402

_ROUND_LINE = re.compile(r"^#\s*=+\s*round\s+(\d+)", re.IGNORECASE)
_ID_LINE = re.compile(r"^-\s+id:\s*(\S+)")

# The grid. W_COSINE is held at its value: scaling every weight and the threshold
# together changes no decision, so one weight fixes the scale.
GRID = {
    "W_SENTENCE": (0.05, 0.10, 0.15, 0.20, 0.25),
    "W_TITLE": (0.05, 0.10, 0.15, 0.20, 0.25),
    "W_TERMS": (0.20, 0.25, 0.30, 0.35, 0.40),
    "W_PARENT": (0.20, 0.275, 0.35, 0.425, 0.50),
    "TITLE_WEIGHT": (1.5, 2.0, 3.0),
    "TITLE_TERM_BOOST": (1.5, 2.0, 3.0, 4.0, 6.0),
    "SIBLING_MARGIN": (0.0, 0.01, 0.02),
}
THRESHOLDS = np.round(np.arange(0.12, 0.3201, 0.0025), 4)
_FEATURES = ("cosine", "subtree", "title", "sentence", "terms")


def current_settings() -> dict[str, float]:
    names = ("W_COSINE", *GRID, "DEFAULT_THRESHOLD")
    return {name: float(getattr(match_module, name)) for name in names}


def rounds_of(path: Path) -> dict[str, int]:
    """Article id → round: 1 before the first ``# === round N`` line, else N."""
    current, found = 1, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = _ROUND_LINE.match(line)
        if heading:
            current = int(heading.group(1))
        article = _ID_LINE.match(line)
        if article:
            found[article.group(1)] = current
    return found


def as_refreshed(item: EvalArticle) -> Article:
    """The article a refresh stores for this brief: its served page, extracted by tracker."""
    url = f"http://127.0.0.1{item.page_path}"
    page = extract_page(article_page(item).encode(), url=url, headers={})
    return Article(
        url=url, title=item.title, text=page.text, published=None,
        language=page.language or item.language, source="eval", content_hash=item.id,
    )  # fmt: skip


@dataclass
class Cache:
    """Everything the grid needs, computed once."""

    features: dict[tuple[float, float], dict[str, np.ndarray]]  # (TW, TTB) → name → (A, S)
    anchored: np.ndarray  # (A,) bool
    parents: np.ndarray  # (S,) parent index or -1
    candidates: np.ndarray  # (S,) bool
    summary_parent: np.ndarray  # (S,) bool: the section's parent is a summary
    section_ids: list[str]


def build_cache(matcher: Matcher, articles: Sequence[Article]) -> Cache:
    views = [matcher._view(a) for a in articles]
    vectors = match_module.embed([s for v in views for s in v.embedded])
    spans, start = [], 0
    for view in views:
        spans.append(vectors[start : start + len(view.sentences)])
        start += len(view.sentences)
    anchors = matcher._anchors
    features: dict[tuple[float, float], dict[str, np.ndarray]] = {}
    saved = (match_module.TITLE_WEIGHT, match_module.TITLE_TERM_BOOST)
    try:
        for tw, boost in itertools.product(GRID["TITLE_WEIGHT"], GRID["TITLE_TERM_BOOST"]):
            match_module.TITLE_WEIGHT, match_module.TITLE_TERM_BOOST = tw, boost
            rows = [matcher.features(v, s) for v, s in zip(views, spans, strict=True)]
            features[(tw, boost)] = {n: np.stack([r[n] for r in rows]) for n in _FEATURES}
        match_module.TITLE_WEIGHT, match_module.TITLE_TERM_BOOST = saved
        # The vectorised decision must be the matcher's own at the current settings.
        reference = [matcher._best(a, v, s) for a, v, s in zip(articles, views, spans, strict=True)]
    finally:
        match_module.TITLE_WEIGHT, match_module.TITLE_TERM_BOOST = saved
    sections = matcher._sections
    parents = np.array([-1 if p is None else p for p in matcher._parents])
    cache = Cache(
        features=features,
        anchored=np.array([bool(v.terms & anchors) for v in views]),
        parents=parents,
        candidates=np.isin(np.arange(len(sections)), matcher._candidates),
        summary_parent=np.array([p >= 0 and is_summary_section(sections[p]) for p in parents]),
        section_ids=[s.id for s in sections],
    )
    chosen, scores = decide(cache, current_settings())
    for i, ref in enumerate(reference):
        assert ref.section_id == cache.section_ids[chosen[i]], (i, ref.section_id)
        assert abs(ref.score - scores[i]) < 1e-3, (i, ref.score, scores[i])
        assert cache.anchored[i] == bool(ref.features["anchors"]), i
    return cache


def decide(cache: Cache, s: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Each article's section index and score under settings ``s`` (Matcher._best, vectorised)."""
    f = cache.features[(s["TITLE_WEIGHT"], s["TITLE_TERM_BOOST"])]
    own = (
        s["W_COSINE"] * f["cosine"]
        + s["W_SENTENCE"] * f["sentence"]
        + s["W_TITLE"] * f["title"]
        + s["W_TERMS"] * f["terms"]
    )
    area = s["W_COSINE"] * f["subtree"] + s["W_TITLE"] * f["title"] + s["W_TERMS"] * f["terms"]
    has_parent = cache.parents >= 0
    combined = own.copy()
    combined[:, has_parent] = (
        own[:, has_parent] + s["W_PARENT"] * area[:, cache.parents[has_parent]]
    ) / (1 + s["W_PARENT"])
    masked = np.where(cache.candidates[None, :], combined, -np.inf)
    best = masked.argmax(axis=1)
    rows = np.arange(len(best))
    score = combined[rows, best]
    parent = cache.parents[best]
    siblings = (
        cache.candidates[None, :]
        & (cache.parents[None, :] == parent[:, None])
        & (np.arange(len(cache.parents))[None, :] != best[:, None])
        & (parent[:, None] >= 0)
    )
    rival = np.where(siblings, combined, -np.inf).max(axis=1)
    to_parent = (
        np.isfinite(rival) & (score - rival < s["SIBLING_MARGIN"]) & ~cache.summary_parent[best]
    )
    chosen = np.where(to_parent, parent, best)
    return chosen, score


@dataclass(frozen=True)
class Figures:
    precision: float
    recall: float
    f1: float
    section: float
    counts: str

    def row(self) -> str:
        return (
            f"P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}  "
            f"sec {self.section:.3f}  {self.counts}"
        )


class Scorer:
    """Counts per round and threshold for one setting at a time."""

    def __init__(self, cache: Cache, items: Sequence[EvalArticle], rounds: Sequence[int]) -> None:
        self.cache = cache
        self.round_ids = sorted(set(rounds))
        self.masks = np.array([[r == k for r in rounds] for k in self.round_ids], dtype=float)
        self.labelled = np.array([it.label is not None for it in items])
        ids = cache.section_ids
        # Right: the label or its parent (eval/scoring.py's rule), as section indices.
        fitting = [{it.label, parent_section(it.label)} if it.label else set() for it in items]
        self._right = [{i for i, sid in enumerate(ids) if sid in ok} for ok in fitting]

    def counts(
        self, s: dict[str, float], thresholds: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(tp, fp, right, relevant), each (thresholds, rounds)."""
        chosen, score = decide(self.cache, s)
        right = np.array([int(c) in r for c, r in zip(chosen, self._right, strict=True)])
        flagged = (self.cache.anchored[None, :] & (score[None, :] >= thresholds[:, None])).astype(
            float
        )
        tp = flagged @ (self.masks * self.labelled).T
        fp = flagged @ (self.masks * ~self.labelled).T
        ok = flagged @ (self.masks * (self.labelled & right)).T
        relevant = (self.masks * self.labelled).sum(axis=1)[None, :]
        return tp, fp, ok, relevant


def rates(tp: np.ndarray, fp: np.ndarray, ok: np.ndarray, relevant: np.ndarray) -> tuple:
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(relevant > 0, tp / relevant, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
        section = np.where(tp > 0, ok / tp, 0.0)
    return precision, recall, f1, section


def figures(scorer: Scorer, s: dict[str, float], rounds: Sequence[int]) -> Figures:
    """Pooled figures over the given rounds at the setting's own threshold."""
    tp, fp, ok, rel = scorer.counts(s, np.array([s["DEFAULT_THRESHOLD"]]))
    cols = [scorer.round_ids.index(r) for r in rounds]
    t, f, o, n = (x[:, cols].sum(axis=1) for x in (tp, fp, ok, rel + 0 * tp))
    p, r, f1, sec = (float(x[0]) for x in rates(t, f, o, n))
    return Figures(p, r, f1, sec, f"tp {int(t[0])}/{int(n[0])} fp {int(f[0])} right {int(o[0])}")


# Search spaces, from the full grid down to the threshold alone: the fewer settings
# a few dozen briefs per round choose among, the less the choice fits their noise.
SPACES = {
    "full": tuple(GRID),
    "weights": ("W_SENTENCE", "W_TITLE", "W_TERMS", "W_PARENT"),
    "margin": ("SIBLING_MARGIN",),
    "boost": ("TITLE_TERM_BOOST",),
    "threshold": (),
}


def settings_grid(base: dict[str, float], free: Sequence[str]) -> list[dict[str, float]]:
    """Every combination of the free settings' grid values; the others stay at ``base``."""
    values = [GRID[k] for k in free]
    combos = itertools.product(*values)
    return [dict(base, **dict(zip(free, combo, strict=True))) for combo in combos]


def distance(s: dict[str, float], base: dict[str, float]) -> float:
    """Grid steps from the current constants (for ties)."""
    return sum(
        abs(GRID[k].index(s[k]) - GRID[k].index(base[k])) if base[k] in GRID[k] else 1.0
        for k in GRID
    )


def objective_table(scorer: Scorer, grid: Sequence[dict[str, float]]) -> np.ndarray:
    """(settings, thresholds, rounds): (F1 + section accuracy) / 2 per round."""
    table = np.zeros((len(grid), len(THRESHOLDS), len(scorer.round_ids)), dtype=np.float32)
    for i, s in enumerate(grid):
        _, _, f1, section = rates(*scorer.counts(s, THRESHOLDS))
        table[i] = (f1 + section) / 2
    return table


def choose(
    table: np.ndarray,
    grid: Sequence[dict[str, float]],
    train: Sequence[int],
    base: dict[str, float],
) -> tuple[dict[str, float], float]:
    """The selection rule of the module docstring, on the training round columns."""
    mean = table[:, :, list(train)].mean(axis=2)  # (settings, thresholds)
    top = mean.max(axis=1)
    best_value = float(top.max())
    tied = [int(i) for i in np.flatnonzero(top >= best_value - 1e-9)]
    winner = min(tied, key=lambda i: distance(grid[i], base))
    at_best = mean[winner] >= best_value - 1e-9
    runs, start = [], None
    for j, hit in enumerate([*at_best, False]):
        if hit and start is None:
            start = j
        if not hit and start is not None:
            runs.append((start, j - 1))
            start = None
    lo, hi = max(runs, key=lambda r: r[1] - r[0])
    threshold = float(THRESHOLDS[(lo + hi) // 2])
    return dict(grid[winner], DEFAULT_THRESHOLD=threshold), best_value


def describe(s: dict[str, float]) -> str:
    return ", ".join(f"{k}={s[k]:g}" for k in (*GRID, "DEFAULT_THRESHOLD"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=ROOT / "eval" / "articles.yaml")
    parser.add_argument(
        "--report", type=Path, default=ROOT / "tests" / "data" / "reports" / "seed.md"
    )
    parser.add_argument("--space", choices=sorted(SPACES), default="full")
    args = parser.parse_args()

    items = load_articles(args.set)
    round_of = rounds_of(args.set)
    rounds = [round_of[it.id] for it in items]
    report = load_report(args.report, report_id="eval", language="zh")
    matcher = Matcher(report)
    cache = build_cache(matcher, [as_refreshed(it) for it in items])
    scorer = Scorer(cache, items, rounds)
    base = current_settings()
    print("rounds: " + ", ".join(f"{k}: {rounds.count(k)} briefs" for k in scorer.round_ids))
    print("vectorised decision == Matcher at the current settings: checked")

    grid = settings_grid(base, SPACES[args.space])
    table = objective_table(scorer, grid)
    print(f"space {args.space}: {len(grid)} settings x {len(THRESHOLDS)} thresholds\n")
    print("leave-one-round-out (figures on the held-out round):")
    all_columns = range(len(scorer.round_ids))
    for column, held in enumerate(scorer.round_ids):
        train = [c for c in all_columns if c != column]
        chosen, value = choose(table, grid, train, base)
        print(f"round {held}: current  {figures(scorer, base, [held]).row()}")
        print(f"         chosen   {figures(scorer, chosen, [held]).row()}")
        print(f"         chosen on rounds {[scorer.round_ids[c] for c in train]} "
              f"(train objective {value:.3f}): {describe(chosen)}")  # fmt: skip
    final, value = choose(table, grid, list(all_columns), base)
    print(f"\nchosen on all rounds (objective {value:.3f}): {describe(final)}")
    print(f"current settings:                        {describe(base)}")
    for label, s in (("current", base), ("chosen ", final)):
        print(f"all rounds, {label}  {figures(scorer, s, scorer.round_ids).row()}")


if __name__ == "__main__":
    main()
