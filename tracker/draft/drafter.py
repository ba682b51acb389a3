"""``ModelDrafter``: asks a model to reword a batch of offline suggestions, within limits.

One ``draft`` call is one refresh's worth of questions. In order:

1. each request's cache key; a cached answer is used as it is (checked by
   the guards again, never asked again), and two requests with one key ask
   once;
2. the uncached questions beyond ``max_calls_per_refresh`` are not asked
   ("call limit reached");
3. the rest are asked over one HTTP session, ``CONCURRENCY`` at a time.
   Before each call the month's tokens so far (the cache's count at the
   start plus this batch's answers) are held against
   ``monthly_token_budget`` ("budget spent"); calls already in flight may
   take the month a little past it. After ``BREAKER_FAILURES`` failures
   that say the server is unavailable (refused, timed out, 429, 5xx), the
   questions not yet asked are skipped, so a dead server costs a refresh
   at most two timeouts' worth of waiting per slot;
4. each answer is stored with its tokens (the server's ``usage``, else an
   estimate), then parsed and guarded into an outcome.

The cache is touched only from the calling thread, before and after the
HTTP part, so a store that belongs to one thread can serve as the cache
even when the caller already runs an event loop (the HTTP part then runs on
a helper thread). Cache errors are the store's and propagate; nothing the
model or its server does makes ``draft`` raise.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from tracker.config import DraftConfig
from tracker.draft.answer import apply_answer, parse_answer
from tracker.draft.client import CallFailed, ChatClient, Completion
from tracker.draft.guards import Rejected
from tracker.draft.prompt import cache_key, messages
from tracker.draft.request import DraftCache, DraftOutcome, DraftRequest
from tracker.types import SuggestionKind

log = logging.getLogger(__name__)

CONCURRENCY = 2
BREAKER_FAILURES = 2
DRAFTED_KINDS = frozenset(
    {SuggestionKind.ADDITION, SuggestionKind.REVISION, SuggestionKind.CITATION}
)

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Question:
    key: str
    messages: list[dict[str, str]]


class ModelDrafter:
    """Rewords offline suggestions with the model of ``settings``; see the module docstring.

    ``environ`` is where the API key's variable is looked up (``os.environ``
    in production); ``clock`` gives the current aware time (the month of
    the budget, the time answers are stored at).
    """

    def __init__(
        self,
        settings: DraftConfig,
        cache: DraftCache,
        *,
        environ: Mapping[str, str],
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self._cache = cache
        self._clock = clock
        self._api_key = environ.get(settings.api_key_env) if settings.api_key_env else None

    @property
    def model(self) -> str:
        return self.settings.model

    def draft(self, requests: Sequence[DraftRequest]) -> list[DraftOutcome]:
        """One outcome per request, in order; the offline suggestion wherever the model's fails."""
        keys = [cache_key(r, self.model) if _draftable(r) else None for r in requests]
        answers: dict[str, str] = {}
        asking: dict[str, _Question] = {}  # by key, in request order
        for request, key in zip(requests, keys, strict=True):
            if key is None or key in answers or key in asking:
                continue
            cached = self._cache.get(key)
            if cached is not None:
                answers[key] = cached
            else:
                asking[key] = _Question(key, messages(request))

        spent = self._month_tokens()  # read here: the cache belongs to this thread
        questions, failures = self._held_back(list(asking.values()), spent)
        if questions:
            for key, result in _run(self._ask_all(questions, spent)).items():
                if isinstance(result, Completion):
                    answers[key] = result.content
                    tokens = _estimate(asking[key].messages, result)
                    self._cache.put(key, result.content, tokens, self._now())
                else:
                    failures[key] = result

        return [
            self._outcome(request, key, answers, failures)
            for request, key in zip(requests, keys, strict=True)
        ]

    def _held_back(
        self, questions: list[_Question], spent: int
    ) -> tuple[list[_Question], dict[str, str]]:
        """The questions that may be asked, and why the others may not."""
        limit = self.settings.max_calls_per_refresh
        held = dict.fromkeys((q.key for q in questions[limit:]), "call limit reached")
        questions = questions[:limit]
        reason = None
        if self.settings.api_key_env and not self._api_key:
            reason = f"API key variable {self.settings.api_key_env} is not set"
        elif self._budget_left(spent) <= 0:
            reason = "budget spent"
        if reason is not None:
            held.update(dict.fromkeys((q.key for q in questions), reason))
            questions = []
        return questions, held

    # ------------------------------------------------------------------ asking

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo is not None else now.replace(tzinfo=UTC)

    def _month_tokens(self) -> int:
        """Tokens spent since the first of this month (UTC); 0 when there is no budget."""
        if self.settings.monthly_token_budget is None:
            return 0
        now = self._now().astimezone(UTC)
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return self._cache.tokens_since(start)

    def _budget_left(self, spent: int) -> float:
        budget = self.settings.monthly_token_budget
        return float("inf") if budget is None else budget - spent

    async def _ask_all(self, questions: list[_Question], spent: int) -> dict[str, Completion | str]:
        unavailable: list[str] = []
        gate = asyncio.Semaphore(CONCURRENCY)
        results: dict[str, Completion | str] = {}

        async with ChatClient(
            self.settings.endpoint,
            self.model,
            api_key=self._api_key,
            timeout=self.settings.timeout,
            concurrency=CONCURRENCY,
        ) as client:

            async def ask(question: _Question) -> None:
                nonlocal spent
                async with gate:
                    if len(unavailable) >= BREAKER_FAILURES:
                        results[question.key] = f"skipped: model unavailable ({unavailable[0]})"
                        return
                    if self._budget_left(spent) <= 0:
                        results[question.key] = "budget spent"
                        return
                    try:
                        completion = await client.complete(question.messages)
                    except CallFailed as failed:
                        if failed.transient:
                            unavailable.append(failed.reason)
                        results[question.key] = failed.reason
                        return
                    spent += _estimate(question.messages, completion)
                    results[question.key] = completion

            await asyncio.gather(*(ask(q) for q in questions))
        return results

    # ------------------------------------------------------------------ outcomes

    def _outcome(
        self,
        request: DraftRequest,
        key: str | None,
        answers: Mapping[str, str],
        failures: Mapping[str, str],
    ) -> DraftOutcome:
        if key is None:
            return self._fall_back(request, f"kind {request.suggestion.kind.value} is not drafted")
        if key not in answers:
            return self._fall_back(request, failures[key])
        try:
            answer = parse_answer(answers[key])
            suggestion = apply_answer(request, answer, self.model)
        except Rejected as rejected:
            return self._fall_back(request, rejected.reason)
        return DraftOutcome(suggestion, None, answer.rationale.strip() or None)

    def _fall_back(self, request: DraftRequest, reason: str) -> DraftOutcome:
        log.warning("model draft not used for %s: %s", request.article_url, reason)
        return DraftOutcome(request.suggestion, reason)


def _draftable(request: DraftRequest) -> bool:
    return request.suggestion.kind in DRAFTED_KINDS


def _estimate(asked: list[dict[str, str]], completion: Completion) -> int:
    """The server's count, else about one token per CJK character and per four others."""
    if completion.total_tokens is not None:
        return completion.total_tokens
    text = "".join(m["content"] for m in asked) + completion.content
    cjk = len(_CJK.findall(text))
    return cjk + (len(text) - cjk + 3) // 4


def _run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run on a fresh event loop, on a helper thread if this one already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-draft") as pool:
        return pool.submit(asyncio.run, coroutine).result()
