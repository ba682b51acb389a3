"""Optional drafting by a language model: better wording for offline suggestions, guarded.

With no ``draft:`` in the config tracker drafts every suggestion offline
and this package is never imported. With it, the refresh hands the offline
suggestions of articles to ``ModelDrafter.draft`` as ``DraftRequest``
values and keeps what comes back: per request one ``DraftOutcome``, in
order, holding either the model's version (``drafter`` set to the model's
name) or the offline suggestion unchanged with the reason it was kept.

The model is any server speaking OpenAI's chat-completions API (Ollama,
llama.cpp's server, vLLM, LiteLLM, a hosted API). It sees the section, the
lines of the article that matter, the report's citation style, the article's
fact, the offline draft and the section's sentences a revision or citation
may target (``prompt``), and answers with a JSON object: ``decision``
(``new``, ``revision``, ``citation`` or ``covered``), ``target``,
``proposed_text``, ``rationale`` (``answer``). Before its text is used it
must pass every guard (``guards``): the report's language, no URL but the
article's, no figure that is not in the article (or the sentence being
revised), a length cap, the provisional citation marker exactly once.
Limits, the token budget, the cache and the one HTTP session are the
drafter's (``drafter``, ``client``).

What it deliberately does not do: block or fail a refresh (a slow, absent
or wrong model only means the offline text is kept), retry a failed call
within a refresh, ask a cached question again, touch the store (the cache
is a ``DraftCache`` the caller passes in; ``tracker.store.DraftCacheView``
is the store's), or decide whether a suggestion is made at all: it only
rewords suggestions already made, and may turn one into another kind
(an addition into a citation of a sentence that already states the news).

This stage imports aiohttp for its own client (``client``), which shares
nothing with the fetch stage's session: it posts to one configured server.
"""

from __future__ import annotations

from tracker.draft.drafter import BREAKER_FAILURES, CONCURRENCY, ModelDrafter
from tracker.draft.prompt import PROMPT_VERSION
from tracker.draft.request import DraftCache, DraftOutcome, DraftRequest

__all__ = [
    "BREAKER_FAILURES",
    "CONCURRENCY",
    "PROMPT_VERSION",
    "DraftCache",
    "DraftOutcome",
    "DraftRequest",
    "ModelDrafter",
]
