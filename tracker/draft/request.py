"""What the drafting stage is given, what it gives back, and the cache it needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tracker.types import Suggestion


@dataclass(frozen=True)
class DraftRequest:
    """One offline suggestion a model may reword, with everything the model sees.

    ``article_text`` is the article's full text: the guards check figures
    against all of it, the prompt carries only its relevant lines.
    ``candidate_targets`` are the section's sentences and table rows as
    written; a revision or citation must name one of them.
    """

    suggestion: Suggestion  # the offline draft
    report_language: str  # "zh", "en", …
    section_title: str
    section_text: str
    article_title: str
    article_url: str
    article_text: str
    citation_marker: str  # the provisional marker the text keeps exactly once: "[6]"
    reference_example: str  # one reference entry of the report, for its style
    candidate_targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class DraftOutcome:
    """The suggestion to keep for one request.

    ``suggestion`` is the model's version (``drafter`` = the model's name)
    when every guard passed, else the offline suggestion unchanged, and then
    ``error`` says why ("timeout", "HTTP 429", "guard: number 3.2 billion not
    in the article", "call limit reached"…). ``rationale`` is the model's
    own explanation of an answer that was used.
    """

    suggestion: Suggestion
    error: str | None = None
    rationale: str | None = None

    @property
    def drafted(self) -> bool:
        """True when the model's text was used."""
        return self.error is None


class DraftCache(Protocol):
    """Where answers are kept between refreshes, with the tokens they cost.

    ``tracker.store.DraftCacheView`` is the store's implementation.
    """

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, answer: str, tokens: int, at: datetime) -> None: ...

    def tokens_since(self, since: datetime) -> int: ...
