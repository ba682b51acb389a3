"""Scores the edits tracker proposes, against the gold key facts of the set.

Four figures, each a share with a target from issue 9 (definitions in
eval/README.md):

- **in the report's language**: proposals whose text is Chinese; those marked
  ``needs_translation`` are counted apart, as their own share;
- **key facts**: proposals for gold-labelled articles whose text names the
  actor and the thing (any listed spelling); a revision or citation keeps the
  wording of the report's sentence, which often names a product without its
  maker ("ChatGPT Pro：$200/月"), so it needs to name only the thing;
- **novelty**: already-covered events not proposed as a new bullet, and new
  events still proposed;
- **revisions**: briefs that make a report sentence stale and got a
  ``revision`` aimed at that sentence.

A proposal is what tracker's suggestions JSON says, reduced to
:class:`Proposal`; this module never sees tracker itself. Pure functions, no
I/O. It deliberately does not judge whether a text is *good* Chinese or a
faithful summary: only the checks above, which a script can make honestly.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from evalset import EvalArticle

PROPOSAL_KINDS = ("addition", "revision", "citation")

# Targets from issue 9 (offline drafter); "max" figures must stay at or below.
TARGETS: dict[str, tuple[str, float]] = {
    "in_language": (">=", 0.80),
    "needs_translation": ("<=", 0.15),
    "key_facts": (">=", 0.85),
    "novelty_covered": (">=", 0.85),
    "novelty_new": (">=", 0.85),
    "revisions": (">=", 0.70),
}

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_LATIN = "A-Za-z\u00c0-\u024f"
_LATIN_TOKEN = re.compile(f"[{_LATIN}0-9](?:[{_LATIN}0-9'’-]|\\.(?=[{_LATIN}0-9]))*")
_LOWER = "a-z\u00df-\u00ff\u0100-\u024f"
_PROSE_TOKEN = re.compile(f"[{_LOWER}]+(?:['’-][{_LOWER}]+)*")
# English words that make even a capitalised word prose rather than a name.
_FUNCTION_WORDS = frozenset(
    {
        *("a", "an", "the", "of", "to", "in", "on", "at", "for", "from", "with", "by"),
        *("and", "or", "but", "as", "is", "are", "was", "were", "be", "been", "has", "have"),
        *("had", "it", "its", "this", "that", "these", "those", "their", "they", "we", "you"),
        *("can", "will", "would", "could", "may", "not", "than", "into", "about", "now"),
    }
)
_URL = re.compile(r"https?://\S+|www\.\S+")
# A citation marker as reports write it: [6], [^6], [1, 3], [1-3], [1][2].
_MARKER = re.compile(r"\[\^?\d+(?:\s*[,，、–-]\s*\d+)*\]")
_SPACE_BY_HAN = re.compile(f"\\s+(?=[{_HAN}])|(?<=[{_HAN}])\\s+")
# A target shorter than this share of the gold sentence (or the reverse) is too
# partial to count as the same sentence, e.g. "[1]" or one cell of a long row.
MIN_OVERLAP = 1 / 3


@dataclass(frozen=True)
class Proposal:
    """One suggested edit from the suggestions JSON, mapped back to the set."""

    kind: str  # addition / revision / citation
    text: str  # proposed_text, "" when there is none
    articles: tuple[str, ...]  # ids of the set's articles it points at (maybe none)
    target: str | None = None
    needs_translation: bool = False
    drafter: str | None = None


# --------------------------------------------------------------------------
# The checks on one text


def _prose_words(text: str) -> int:
    """Latin words that read as English prose: lower-case words and English function words.

    A token with a capital letter or a digit (GPT-5, Claude, LMArena, o3-mini)
    is taken as a name, which a Chinese report writes in Latin script too.
    """
    return sum(
        1
        for token in _LATIN_TOKEN.findall(text)
        if token.casefold() in _FUNCTION_WORDS or _PROSE_TOKEN.fullmatch(token)
    )


def han_share(text: str) -> float | None:
    """Share of Chinese characters among the text's letter units, or None without any.

    URLs and citation markers are removed first. The units are Chinese
    characters and English prose words (:func:`_prose_words`); names in Latin
    script are not counted, so "Google开源Gemini CLI" and "ChatGPT Pro：$250/月"
    are Chinese, while a Chinese frame around an English quote is not.
    """
    clean = _MARKER.sub(" ", _URL.sub(" ", text))
    han = len(_HAN_CHAR.findall(clean))
    prose = _prose_words(clean)
    return han / (han + prose) if han + prose else None


def is_chinese(text: str) -> bool:
    """Chinese enough for the report: half its letter units Chinese, or names only.

    A text of names, figures and table syntax alone, with neither Chinese nor
    English prose (``| 6 | Mistral Large 3 | Mistral |``), is written the way
    the report writes its own table rows, so it counts too. A text with no
    letters at all (a bare marker and a URL) does not.
    """
    share = han_share(text)
    if share is not None:
        return share >= 0.5
    clean = _MARKER.sub(" ", _URL.sub(" ", text))
    return any(any(c.isalpha() for c in token) for token in _LATIN_TOKEN.findall(clean))


def _normal(text: str) -> str:
    """Case-folded, width-folded, single-spaced, no spaces next to Chinese characters."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE_BY_HAN.sub("", " ".join(folded.split()))


def names_any(text: str, spellings: Iterable[str]) -> bool:
    """Whether the text contains any of the spellings (see :func:`_normal`)."""
    haystack = _normal(text)
    return any(_normal(one) and _normal(one) in haystack for one in spellings)


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def same_target(target: str | None, gold: str) -> bool:
    """Whether a revision's target is the gold sentence, whitespace aside.

    Either may contain the other (a table row with or without its outer bars,
    a bullet with or without its dash, a sentence with its paragraph), as long
    as the shorter is at least :data:`MIN_OVERLAP` of the longer.
    """
    if not target:
        return False
    a, b = _compact(target), _compact(gold)
    short, long_ = sorted((a, b), key=len)
    return bool(short) and short in long_ and len(short) >= MIN_OVERLAP * len(long_)


# --------------------------------------------------------------------------
# Figures


@dataclass(frozen=True)
class Share:
    hits: int
    total: int
    target: tuple[str, float] | None = None

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    @property
    def met(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        op, bound = self.target
        return self.value >= bound if op == ">=" else self.value <= bound

    def as_dict(self) -> dict[str, object]:
        value = self.value
        return {
            "value": None if value is None else round(value, 4),
            "hits": self.hits,
            "total": self.total,
            "target": None if self.target is None else f"{self.target[0]} {self.target[1]}",
            "met": self.met,
        }


@dataclass(frozen=True)
class EditScores:
    in_language: Share  # Chinese text, not marked needs_translation
    needs_translation: Share
    other_language: Share  # neither: e.g. an English quote passed off as the edit
    key_facts: Share
    key_number: Share  # informational: the gold number, where there is one
    novelty_covered: Share
    novelty_new: Share
    revisions: Share
    stray_revisions: Share  # informational: revisions pointing at no brief that revises
    kinds: dict[str, int] = field(default_factory=dict)
    drafters: dict[str, int] = field(default_factory=dict)
    misses: dict[str, list[str]] = field(default_factory=dict)  # figure → article ids

    def figures(self) -> dict[str, Share]:
        return {
            "in_language": self.in_language,
            "needs_translation": self.needs_translation,
            "other_language": self.other_language,
            "key_facts": self.key_facts,
            "key_number": self.key_number,
            "novelty_covered": self.novelty_covered,
            "novelty_new": self.novelty_new,
            "revisions": self.revisions,
            "stray_revisions": self.stray_revisions,
        }

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {name: s.as_dict() for name, s in self.figures().items()}
        data["kinds"] = self.kinds
        data["drafters"] = self.drafters
        data["misses"] = self.misses
        return data


def _share(name: str, hits: int, total: int) -> Share:
    return Share(hits, total, TARGETS.get(name))


def names_key_facts(proposal: Proposal, article: EvalArticle) -> bool:
    """Whether the text names the article's thing, and its actor too for an addition."""
    gold = article.gold
    if gold is None or not names_any(proposal.text, gold.thing.spellings):
        return False
    return proposal.kind != "addition" or names_any(proposal.text, gold.actor.spellings)


def score_edits(articles: Sequence[EvalArticle], proposals: Sequence[Proposal]) -> EditScores:
    """The four figures (and the informational ones) for one run."""
    by_id: Mapping[str, EvalArticle] = {a.id: a for a in articles}
    edits = [p for p in proposals if p.kind in PROPOSAL_KINDS]
    written = [p for p in edits if p.text.strip()]

    translate = [p for p in written if p.needs_translation]
    chinese = [p for p in written if not p.needs_translation and is_chinese(p.text)]
    n = len(written)

    # Each written proposal with the gold-labelled articles it points at.
    gold_edits: list[tuple[Proposal, list[EvalArticle]]] = []
    for p in written:
        golds = [by_id[a] for a in p.articles if a in by_id and by_id[a].gold is not None]
        if golds:
            gold_edits.append((p, golds))
    facts_ok = [any(names_key_facts(p, a) for a in golds) for p, golds in gold_edits]
    facts_missed = sorted(
        {a.id for (_, golds), ok in zip(gold_edits, facts_ok, strict=True) if not ok for a in golds}
    )
    numbered = [
        (p, [a.gold.number for a in golds if a.gold is not None and a.gold.number])
        for p, golds in gold_edits
    ]
    numbered = [(p, numbers) for p, numbers in numbered if numbers]
    number_ok = [p for p, numbers in numbered if any(names_any(p.text, n) for n in numbers)]

    kinds_for: dict[str, set[str]] = {}
    for p in edits:
        for article_id in p.articles:
            kinds_for.setdefault(article_id, set()).add(p.kind)
    covered = [a for a in articles if a.gold is not None and a.gold.covered]
    new = [a for a in articles if a.gold is not None and not a.gold.covered]
    covered_bullet = [a.id for a in covered if "addition" in kinds_for.get(a.id, set())]

    def proposed(a: EvalArticle) -> bool:
        kinds = kinds_for.get(a.id, set())
        return "addition" in kinds or (bool(a.revises) and "revision" in kinds)

    new_missed = [a.id for a in new if not proposed(a)]

    stale = [a for a in articles if a.revises]
    revised = [
        a
        for a in stale
        if any(
            p.kind == "revision"
            and a.id in p.articles
            and any(same_target(p.target, g) for g in a.revises)
            for p in edits
        )
    ]

    revising = {a.id for a in stale}
    revision_edits = [p for p in edits if p.kind == "revision"]
    stray = [p for p in revision_edits if not revising.intersection(p.articles)]

    return EditScores(
        in_language=_share("in_language", len(chinese), n),
        needs_translation=_share("needs_translation", len(translate), n),
        other_language=Share(n - len(chinese) - len(translate), n),
        key_facts=_share("key_facts", sum(facts_ok), len(gold_edits)),
        key_number=Share(len(number_ok), len(numbered)),
        novelty_covered=_share("novelty_covered", len(covered) - len(covered_bullet), len(covered)),
        novelty_new=_share("novelty_new", len(new) - len(new_missed), len(new)),
        revisions=_share("revisions", len(revised), len(stale)),
        stray_revisions=Share(len(stray), len(revision_edits)),
        kinds=dict(Counter(p.kind for p in edits)),
        drafters=dict(Counter(p.drafter or "?" for p in written)),
        misses={
            "key_facts": facts_missed,
            "novelty_covered": covered_bullet,
            "novelty_new": new_missed,
            "revisions": [a.id for a in stale if a not in revised],
        },
    )
