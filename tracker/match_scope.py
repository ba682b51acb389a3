"""What a report does not cover: the editor's excluded topics (``reports[].exclude``).

A report about AI has no section for much of the AI news a feed carries (chips,
data centres, regulation, medicine, robots), and it never says so: nothing in
its text tells the matcher what it leaves out, while such news shares its
vocabulary and sits close to it in the embedding space. So the editor says it,
as short topic descriptions in any language, and an article is dropped when
its text is closer to one of them than to any section of the report.

The comparison, in the matcher's own terms: the article vector (title, lead
and key sentences, as :class:`tracker.match.Matcher` embeds them) against each
topic description, and against each candidate section's own text (the
``cosine`` feature). The article is out of scope when the best topic cosine
exceeds the best section cosine by more than ``EXCLUDE_MARGIN``.

``EXCLUDE_MARGIN = 0`` ("closer to an excluded topic than to the report") was
chosen on the first 158 briefs of eval/articles.yaml, with the seed report's
shipped ``exclude`` list: the in-scope brief closest to a topic there scores
-0.030 (Nvidia losing market value over DeepSeek, which 5.2 states); 0 leaves
that gap as a safety margin and still drops 20 of its 53 out-of-scope briefs
when they are scored (most were already below the threshold). A topic
description is short and a section's text long, so topic cosines run lower
than section cosines for the same closeness; a margin above 0 would drop
less, and one below it came within 0.01 of in-scope briefs.

This module reads no report and loads no model: the matcher passes its
embedding function in, so the same multilingual model embeds both sides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

EXCLUDE_MARGIN = 0.0
# Bump when the text a topic vector is computed from changes shape.
_TOPIC_TEXT_VERSION = "exclude-1"

Embed = Callable[[Sequence[str]], "NDArray[np.float32]"]


class TopicVectorCache(Protocol):
    """Where topic vectors persist between processes (the store's section-vector table)."""

    def section_vector(self, model: str, text_hash: str) -> bytes | None: ...

    def put_section_vector(self, model: str, text_hash: str, vector: bytes) -> None: ...


@dataclass(frozen=True)
class ScopeCheck:
    """How close an article is to the nearest excluded topic, and whether that drops it."""

    topic: str
    cosine: float  # article vs the topic description
    section_cosine: float  # article vs the closest candidate section's own text
    excluded: bool

    @property
    def margin(self) -> float:
        return self.cosine - self.section_cosine


class ExcludedTopics:
    """A report's excluded topics, embedded on first use."""

    def __init__(
        self,
        topics: Sequence[str],
        embed: Embed,
        *,
        model: str,
        cache: TopicVectorCache | None = None,
        margin: float = EXCLUDE_MARGIN,
    ) -> None:
        self.topics = tuple(t.strip() for t in topics if t.strip())
        self.margin = margin
        self._embed = embed
        self._model = model
        self._cache = cache
        self._vectors: NDArray[np.float32] | None = None

    def __bool__(self) -> bool:
        return bool(self.topics)

    def _topic_vectors(self) -> NDArray[np.float32]:
        if self._vectors is not None:
            return self._vectors
        keys = [
            hashlib.sha256(f"{_TOPIC_TEXT_VERSION}\n{t}".encode()).hexdigest() for t in self.topics
        ]
        rows: list[NDArray[np.float32] | None] = []
        for key in keys:
            blob = self._cache.section_vector(self._model, key) if self._cache else None
            rows.append(np.frombuffer(blob, dtype=np.float32) if blob else None)
        missing = [i for i, row in enumerate(rows) if row is None]
        if missing:
            computed = self._embed([self.topics[i] for i in missing])
            for i, vector in zip(missing, computed, strict=True):
                rows[i] = vector
                if self._cache is not None:
                    self._cache.put_section_vector(self._model, keys[i], vector.tobytes())
        self._vectors = np.stack([r for r in rows if r is not None]).astype(np.float32)
        return self._vectors

    def check(self, article_vector: NDArray[np.float32], section_cosine: float) -> ScopeCheck:
        """The nearest topic to an (L2-normalised) article vector, given its best section cosine."""
        if not self.topics:
            raise ValueError("no excluded topics to check against")
        cosines = self._topic_vectors() @ article_vector
        best = int(cosines.argmax())
        cosine = float(cosines[best])
        return ScopeCheck(
            topic=self.topics[best],
            cosine=cosine,
            section_cosine=section_cosine,
            excluded=cosine - section_cosine > self.margin,
        )
