"""Scores a set of predictions (article id → section id) against the labels.

"Deserves a suggestion" is a binary decision: a prediction exists or not.
Section accuracy counts a prediction as right when it equals the label or is
the label's parent (``3`` for ``3.2``); a sibling (``3.1`` for ``3.2``) or a
child of another section is wrong. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from evalset import EvalArticle, parent_section


def section_correct(predicted: str, label: str) -> bool:
    return predicted == label or predicted == parent_section(label)


@dataclass(frozen=True)
class Outcome:
    """How one article fared."""

    article: EvalArticle
    predicted: str | None

    @property
    def kind(self) -> str:
        """``tp``/``fp``/``fn``/``tn``; a true positive in the wrong section is ``wrong``."""
        label = self.article.label
        if label is None:
            return "fp" if self.predicted is not None else "tn"
        if self.predicted is None:
            return "fn"
        return "tp" if section_correct(self.predicted, label) else "wrong"


@dataclass(frozen=True)
class Scores:
    labelled: int
    distractors: int
    detected: int  # labelled articles that got a suggestion (any section)
    false_alarms: int  # distractors that got a suggestion
    right_section: int  # detected articles whose section counts as correct

    @property
    def precision(self) -> float:
        flagged = self.detected + self.false_alarms
        return self.detected / flagged if flagged else 0.0

    @property
    def recall(self) -> float:
        return self.detected / self.labelled if self.labelled else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def section_accuracy(self) -> float:
        """Over correctly detected relevant articles."""
        return self.right_section / self.detected if self.detected else 0.0

    @property
    def accuracy_all_labelled(self) -> float:
        """Right section over every labelled article; a miss counts as wrong."""
        return self.right_section / self.labelled if self.labelled else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "labelled": self.labelled,
            "distractors": self.distractors,
            "detected": self.detected,
            "false_alarms": self.false_alarms,
            "right_section": self.right_section,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "section_accuracy": round(self.section_accuracy, 4),
            "accuracy_all_labelled": round(self.accuracy_all_labelled, 4),
        }


def outcomes(articles: Sequence[EvalArticle], predicted: Mapping[str, str]) -> list[Outcome]:
    return [Outcome(a, predicted.get(a.id)) for a in articles]


def score(articles: Sequence[EvalArticle], predicted: Mapping[str, str]) -> Scores:
    results = outcomes(articles, predicted)
    kinds = [r.kind for r in results]
    return Scores(
        labelled=sum(a.label is not None for a in articles),
        distractors=sum(a.label is None for a in articles),
        detected=kinds.count("tp") + kinds.count("wrong"),
        false_alarms=kinds.count("fp"),
        right_section=kinds.count("tp"),
    )


def best_threshold(articles: Sequence[EvalArticle], best: Mapping[str, tuple[str, float]]) -> float:
    """The cut on a (section, score) ranking that maximises detection F1.

    Ties go to the higher threshold (fewer suggestions). Returns a value
    between two observed scores so it does not sit exactly on an article.
    """
    values = sorted({s for _, s in best.values()})
    candidates = (
        [values[0] - 1e-6] + [(lo + hi) / 2 for lo, hi in pairwise(values)] + [values[-1] + 1e-6]
    )
    chosen, chosen_f1 = candidates[-1], -1.0
    for cut in candidates:
        predicted = {aid: sec for aid, (sec, s) in best.items() if s >= cut}
        f1 = score(articles, predicted).f1
        if f1 >= chosen_f1:
            chosen, chosen_f1 = cut, f1
    return chosen
