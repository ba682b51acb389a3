"""The passage of a cited page that supports a claim, across languages.

The page's extracted text is cut into passages: each sentence, and each pair
of neighbouring sentences (a claim often joins what a page says in two). A
passage's support for a claim is a weighted mean of three agreements:

``meaning`` (weight 0.55)
    cosine of the matcher's multilingual sentence embeddings
    (:func:`tracker.match.embed`: Chinese and English in one space) between
    the claim and the passage.
``terms`` (0.30, when the claim has any)
    the share of the claim's terms the passage names: Latin-script names
    (they appear verbatim in Chinese text: ``Claude Code``, ``GLM-4.7``), the
    zh-en pairs the claim spells out (``稀疏自编码器（sparse autoencoders）``)
    and the field glossary's pairs (:mod:`tracker.glossary`).
``figures`` (0.25, when the claim states any)
    the share of the claim's figures the passage states by meaning
    (:mod:`tracker.figures`: 10亿美元 = $1 billion, 每7个月 = every 7 months);
    bare years are left out, a page rarely writes them the way a claim does.

A pair of sentences wins over its better sentence alone only when it scores
``PAIR_MARGIN`` more, so anchors stay as short as what supports the claim.
``SUPPORTED_MIN`` is the score a passage needs to count as support; see its
comment for how it was chosen.

Pure: text in, offsets and scores out. The embedding function can be passed
in (``embed``); by default the matcher's model is used (loaded on first
use). Only sentences are embedded (a pair's vector is the mean of its two),
and :func:`remembering` wraps an embedding function so that checking many
claims against one page embeds its sentences once. What it does not do: decide
whether the page is the right one (the claim's citation says so) or check
negation and direction ("rose" vs "fell" embed alike).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tracker.citations import without_citations
from tracker.claims.anchor import looks_like_heading, sentence_spans
from tracker.figures import Figure, figures_in, same_figure
from tracker.glossary import Term, TermIndex, build_terms, latin_tokens
from tracker.types import Claim

if TYPE_CHECKING:
    from numpy.typing import NDArray

Embed = Callable[[Sequence[str]], "NDArray[np.float32]"]

# Weights set by judgement before any measuring (meaning first; names, then
# figures as corroboration) and not tuned since.
W_MEANING = 0.55
W_TERMS = 0.30
W_FIGURES = 0.25
# A passage supports its claim at this score or more. Chosen on the claims
# evaluation (`eval/claims.py --sweep`: the seed report's 65 cited sentences,
# each scored on its own hand-written page and on the four pages it does not
# cite): from 0.42 to 0.46 the own pages keep 61 of 65 claims supported (the
# four below are explained in eval/README.md, one a real misreading by the
# report) while 248-252 of 260 claim/other-page pairs fall below; 0.44 is the
# middle of that plateau. Lower, pages that only share a subject support
# claims (0.40: 243/260); higher, claims their page states fail (0.48: 58/65).
SUPPORTED_MIN = 0.44
PAIR_MARGIN = 0.03
_MAX_EMBED_CHARS = 400  # a passage is cut to this before embedding (the model's useful span)

_MARKUP = re.compile(r"[*_`|]+")


@dataclass(frozen=True)
class Support:
    """The best passage of a page for a claim: its offsets, its text, its score."""

    start: int
    end: int
    passage: str
    score: float
    supported: bool


def find_support(claim: Claim, page_text: str, *, embed: Embed | None = None) -> Support:
    """The passage of ``page_text`` that best supports ``claim`` (see the module doc)."""
    return find_supports([claim], page_text, embed=embed)[0]


def find_supports(
    claims: Sequence[Claim], page_text: str, *, embed: Embed | None = None
) -> list[Support]:
    """:func:`find_support` for several claims citing one page, embedding and reading
    the page once (each passage's names and figures are found once, not per claim)."""
    embed = embed or _default_embed()
    passages = candidate_passages(page_text)
    if not claims:
        return []
    if not passages:
        return [Support(0, 0, "", 0.0, False) for _ in claims]
    texts = [page_text[s:e] for s, e, _ in passages]
    views = [_Passage.of(text) for text in texts]
    vectors = _passage_vectors(passages, texts, embed)
    claim_vectors = embed([claim_text(c) for c in claims])
    found = []
    for claim, claim_vector in zip(claims, claim_vectors, strict=True):
        cosines = vectors @ claim_vector
        found.append(_best(_Ranking(_Scorer(claim), cosines, views), passages, page_text))
    return found


def _passage_vectors(
    passages: list[tuple[int, int, bool]], texts: list[str], embed: Embed
) -> NDArray[np.float32]:
    """Each passage's embedding. Only sentences go through the model (its time grows
    with text length, and pairs are the longest texts); a pair's vector is the
    mean of its two sentences' vectors, so its cosine with a claim is the mean of
    theirs: a pair never reads closer to a claim than its closer sentence does."""
    singles = [i for i, (_, _, pair) in enumerate(passages) if not pair]
    vectors = embed([texts[i][:_MAX_EMBED_CHARS] for i in singles])
    by_start = {passages[i][0]: v for i, v in zip(singles, vectors, strict=True)}
    by_end = {passages[i][1]: v for i, v in zip(singles, vectors, strict=True)}
    out = np.zeros((len(passages), vectors.shape[1]), dtype=np.float32)
    for i, (start, end, pair) in enumerate(passages):
        if not pair:
            out[i] = by_start[start]
            continue
        out[i] = (by_start[start] + by_end[end]) / 2
    return out


def support_score(claim: Claim, passage: str, *, embed: Embed | None = None) -> float:
    """How well one passage supports a claim, on the same scale as :func:`find_support`."""
    return support_scores(claim, [passage], embed=embed)[0]


def support_scores(
    claim: Claim, passages: Sequence[str], *, embed: Embed | None = None
) -> list[float]:
    """:func:`support_score` for several passages, embedded in one call."""
    embed = embed or _default_embed()
    vectors = embed([claim_text(claim), *(p[:_MAX_EMBED_CHARS] for p in passages)])
    scorer = _Scorer(claim)
    return [
        scorer.score(float(vector @ vectors[0]), _Passage.of(passage))
        for vector, passage in zip(vectors[1:], passages, strict=True)
    ]


def claim_text(claim: Claim) -> str:
    """The claim as compared: no citation markers, no Markdown emphasis or table bars."""
    return " ".join(_MARKUP.sub(" ", without_citations(claim.text)).split())


def claim_figures(claim: Claim) -> list[Figure]:
    """The figures of a claim that a page should state too (bare years left out)."""
    found = figures_in(claim_text(claim))
    return [f for f in found if not (f.kind == "date" and f.unit == "year")]


def candidate_passages(page_text: str) -> list[tuple[int, int, bool]]:
    """Each sentence of the page and each pair of neighbouring sentences: (start, end, is_pair)."""
    spans = [(s, e) for s, e in sentence_spans(page_text) if not looks_like_heading(page_text[s:e])]
    found = [(s, e, False) for s, e in spans]
    for (s, _), (_, e) in itertools.pairwise(spans):
        if "\n\n" not in page_text[s:e]:  # a pair stays inside one paragraph
            found.append((s, e, True))
    return found


@dataclass(frozen=True)
class _Passage:
    """What of a passage is compared with every claim: read once per passage."""

    text: str
    ngrams: frozenset[tuple[str, ...]]  # its Latin token runs, as glossary terms are kept
    figures: tuple[Figure, ...]

    @classmethod
    def of(cls, text: str) -> _Passage:
        tokens = latin_tokens(text)
        ngrams = {
            tuple(tokens[i : i + n])
            for n in range(1, TermIndex.MAX_NGRAM + 1)
            for i in range(len(tokens) - n + 1)
        }
        return cls(text, frozenset(ngrams), tuple(figures_in(text)))

    def names(self, term: Term) -> bool:
        """Whether the passage names ``term`` (as :meth:`TermIndex.find` would find it)."""
        return any(form in self.ngrams for form in term.latin) or any(
            form in self.text for form in term.cjk
        )


class _Scorer:
    """A claim's terms and figures, ready to score passages against."""

    def __init__(self, claim: Claim) -> None:
        text = claim_text(claim)
        index = TermIndex(build_terms(text))
        self._terms = [index.terms[i] for i in sorted(index.find(text))]
        self._figures = claim_figures(claim)

    def ceiling(self, cosine: float) -> float:
        """The highest score a passage at this cosine can reach (all names, all figures)."""
        parts = [(W_MEANING, max(0.0, cosine))]
        parts += [(W_TERMS, 1.0)] if self._terms else []
        parts += [(W_FIGURES, 1.0)] if self._figures else []
        return sum(w * v for w, v in parts) / sum(w for w, _ in parts)

    def score(self, cosine: float, passage: _Passage) -> float:
        parts = [(W_MEANING, max(0.0, cosine))]
        if self._terms:
            named = sum(passage.names(term) for term in self._terms) / len(self._terms)
            parts.append((W_TERMS, named))
        if self._figures:
            stated = passage.figures
            agreed = sum(any(same_figure(f, g) for g in stated) for f in self._figures)
            parts.append((W_FIGURES, agreed / len(self._figures)))
        return sum(w * v for w, v in parts) / sum(w for w, _ in parts)


class _Ranking:
    """One claim's scores of a page's passages, each computed when first asked for."""

    def __init__(
        self, scorer: _Scorer, cosines: NDArray[np.float32], views: list[_Passage]
    ) -> None:
        self.scorer, self.cosines, self.views = scorer, cosines, views
        self.scores: dict[int, float] = {}

    def score(self, i: int) -> float:
        if i not in self.scores:
            self.scores[i] = self.scorer.score(float(self.cosines[i]), self.views[i])
        return self.scores[i]

    def top(self) -> int:
        """The best passage. Passages are read in order of meaning; names and figures
        can add at most ``ceiling(cos)``, so once that falls under the best score so
        far the rest cannot win and are not read."""
        best, best_score = 0, -1.0
        for i in np.argsort(-self.cosines, kind="stable"):
            if self.scorer.ceiling(float(self.cosines[i])) < best_score:
                break
            if (value := self.score(int(i))) > best_score:
                best, best_score = int(i), value
        return best


def _best(ranking: _Ranking, passages: list[tuple[int, int, bool]], page_text: str) -> Support:
    """The best scored passage; a pair gives way to its better sentence unless the
    pair scores ``PAIR_MARGIN`` more."""
    score = ranking.score
    best = ranking.top()
    start, end, pair = passages[best]
    if pair:
        singles = [i for i, (s, _, p) in enumerate(passages) if not p and start <= s < end]
        better = max(singles, key=score, default=None)
        if better is not None and score(better) + PAIR_MARGIN >= score(best):
            best = better
    start, end, _ = passages[best]
    value = score(best)
    return Support(start, end, page_text[start:end], round(value, 4), value >= SUPPORTED_MIN)


def remembering(embed: Embed | None = None, *, max_texts: int = 50_000) -> Embed:
    """``embed`` (the matcher's by default) remembering each text's vector, for
    re-checking many claims against one page: the page's passages are embedded
    once, not once per claim. Forgets everything past ``max_texts`` texts."""
    inner = embed or _default_embed()
    seen: dict[str, NDArray[np.float32]] = {}

    def remembered(texts: Sequence[str]) -> NDArray[np.float32]:
        missing = [t for t in dict.fromkeys(texts) if t not in seen]
        if missing and len(seen) + len(missing) > max_texts:
            # Forgetting drops texts of this very call too: they are embedded again.
            seen.clear()
            missing = list(dict.fromkeys(texts))
        if missing:
            seen.update(zip(missing, inner(missing), strict=True))
        if not texts:
            return inner([])
        return np.stack([seen[t] for t in texts])

    return remembered


def _default_embed() -> Embed:
    from tracker.match import embed  # the matcher's model, loaded on first use

    return embed
