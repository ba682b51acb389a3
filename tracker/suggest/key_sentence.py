"""The sentence of an article that states its news.

The sentence most similar to a report section is often background (how a term
was defined years ago). News writing puts the news in the lede, in agreement
with the headline, naming the actor and the thing and carrying the key number.
Each of the first sentences is scored on those signals; a sentence about the
past (an old year, "originally", "早在") loses; closeness to the report section
only breaks ties. Pure: no I/O.
"""

from __future__ import annotations

import re
from datetime import date

from tracker.figures import figures_in, same_figure
from tracker.suggest.events import event_kind
from tracker.suggest.name_runs import STOP, WORD
from tracker.suggest.names import NameBook
from tracker.types import Article

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_BACKGROUND = re.compile(
    r"\b(?:originally|first (?:coined|defined|introduced)|back in|decades?|years ago|history"
    r"|historically|previously|in the past|was founded)\b|早在|最早|曾经|历史上|此前",
    re.IGNORECASE,
)
_LEDE_WEIGHTS = (1.0, 0.8, 0.6, 0.45)
_FIGURE_EVENTS = frozenset({"ranking", "funding", "price", "milestone", "acquisition"})
_PLACE_WORDS = re.compile(
    r"\b(?:first|top spot|number one|No\.\s?1)\b|#\s?\d\b|第[一二三四五六七八九十\d]+名?", re.I
)


# A byline a page prints between its headline and its text: "Eval Wire staff · 2026-03-22",
# "By Jane Doe | March 3, 2026". Short, and ending in a date.
_BYLINE = re.compile(
    r"^(?:By\s+)?[^。.!?！？]{0,60}?[·|•—–-]\s*"
    r"(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?"
    r"|[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}|\d{1,2} [A-Z][a-z]{2,8} \d{4})"
    r"\s*"
)


def without_masthead(text: str, title: str) -> str:
    """The text without the headline and byline a page prints above it: a Chinese
    headline has no full stop, so sentence splitting would glue it to the lede."""
    head = re.match(r"\s*" + r"\s+".join(map(re.escape, title.split())) + r"\s*", text)
    if title and head:
        return _BYLINE.sub("", text[head.end() :], count=1)
    return text


def key_sentence(
    title: str, sentences: list[str], names: NameBook, article: Article, evidence: str
) -> str:
    headline = _tokens(title)
    title_names = {f.name for f in names.find(title)}
    title_event = event_kind(title)
    title_figures = [f for f in figures_in(title) if f.kind != "date"]
    year = article.published.year if article.published else None
    best, best_score = sentences[0], float("-inf")
    for position, sentence in enumerate(sentences):
        tokens = _tokens(sentence)
        score = _LEDE_WEIGHTS[position] if position < len(_LEDE_WEIGHTS) else 0.3
        if headline:
            score += 1.5 * len(tokens & headline) / len(headline)
        if title_names & {f.name for f in names.find(sentence)}:
            score += 0.3
        has_figure = any(f.kind != "date" for f in figures_in(sentence)) or bool(
            _PLACE_WORDS.search(sentence)
        )
        if has_figure:
            # News that is a figure (a rank, a sum, a price) is stated where the figure is.
            score += 0.8 if title_event in _FIGURE_EVENTS else 0.2
        if title_figures and any(
            same_figure(a, b) for a in figures_in(sentence) for b in title_figures
        ):
            score += 0.6  # the headline's own figure: this sentence states the news
        kind = event_kind(sentence)
        if kind != "other":
            score += 0.5 if kind == title_event else 0.2
        if _BACKGROUND.search(sentence) or (year and _mentions_old_year(sentence, year)):
            score -= 0.8
        if evidence and one_line(sentence) == one_line(evidence):
            score += 0.05
        if score > best_score:
            best, best_score = sentence, score
    return best


def _mentions_old_year(sentence: str, year: int) -> bool:
    """A year long past, other than the start of a period that runs to now ("2023年以来",
    "since 2023"): that is the news' own span, not background."""
    return any(
        f.kind == "date"
        and f.unit == "year"
        and date.fromordinal(int(f.value)).year < year - 1
        and not _SINCE_AFTER.match(sentence, f.end)
        and not _SINCE_BEFORE.search(sentence[max(0, f.start - 8) : f.start])
        for f in figures_in(sentence)
    )


_SINCE_AFTER = re.compile(r"\s*(?:以来|至今|起)")
_SINCE_BEFORE = re.compile(r"(?:\bsince|自)\s*$", re.IGNORECASE)


def _tokens(text: str) -> set[str]:
    """Latin words, cut to five letters so "doubles" meets "doubled" (no stop words),
    and CJK character bigrams."""
    words = {w.lower()[:5] for w in WORD.findall(text) if w.lower() not in STOP}
    cjk = "".join(_CJK.findall(text))
    return words | {cjk[i : i + 2] for i in range(len(cjk) - 1)}


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
