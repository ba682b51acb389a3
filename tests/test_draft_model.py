"""Drafting with a model, against a real chat-completions server on 127.0.0.1.

``ModelServer`` answers POST /v1/chat/completions the way an OpenAI-compatible
server does (choices, message, usage), with whatever the scenario scripts:
good JSON, JSON in prose or a fence, broken JSON, answers the guards must
refuse, slow answers, 429 and 500. The cache is a real SQLite store. Every
fallback is checked for both halves: the offline suggestion kept, and the
reason given.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tracker.config import DraftConfig, parse_config
from tracker.demo.server import LocalServer
from tracker.draft import DraftOutcome, DraftRequest, ModelDrafter
from tracker.draft.prompt import excerpt
from tracker.errors import ConfigError
from tracker.store import DraftCacheView, Store, open_store
from tracker.types import Fact, Novelty, Suggestion, SuggestionKind

MODEL = "qwen2.5:7b-instruct"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
ARTICLE_URL = "https://www.anthropic.com/news/claude-opus-4-6"
ARTICLE_TEXT = (
    "SAN FRANCISCO, February 5, 2026 — Anthropic released Claude Opus 4.6 on Thursday, "
    "its most capable model so far.\n"
    "The company was founded in 2021 and is based in San Francisco.\n"
    "Claude Opus 4.6 scores 81.4% on SWE-bench Verified, up from 80.9% for Claude Opus 4.5.\n"
    "Pricing stays at $5 per million input tokens.\n" + "Analysts discussed the weather. " * 80
)
SECTION_TEXT = (
    "- 2025年8月，OpenAI 发布 GPT-5 [1]。\n"
    "- DeepSeek 于2025年1月开源 DeepSeek-R1 [2]。\n\n"
    "| 模型 | 机构 | SWE-bench 得分 |\n|---|---|---|\n"
    "| Claude Opus 4.5 | Anthropic | 80.9% [3] |\n"
)
ROW = "| Claude Opus 4.5 | Anthropic | 80.9% [3] |"
SENTENCE = "- 2025年8月，OpenAI 发布 GPT-5 [1]。"
OFFLINE = Suggestion(
    report="ai-2024-2025",
    section="2.1",
    section_title="大模型发布",
    kind=SuggestionKind.ADDITION,
    score=0.71,
    title="Introducing Claude Opus 4.6",
    url=ARTICLE_URL,
    published=datetime(2026, 2, 5, tzinfo=UTC),
    source="Anthropic News",
    excerpt="Anthropic released Claude Opus 4.6 on Thursday.",
    proposed_text="- 2026-02-05，Anthropic 报道：“Anthropic released Claude Opus 4.6 on "
    "Thursday, its most capable model so far.” [6]",
    created_at=NOW,
    reference="Anthropic. (2026). [Introducing Claude Opus 4.6](" + ARTICLE_URL + ")",
    fact=Fact(
        actor="Anthropic",
        event="release",
        object="Claude Opus 4.6",
        date=date(2026, 2, 5),
        numbers=("81.4%",),
        sentence="Claude Opus 4.6 scores 81.4% on SWE-bench Verified, up from 80.9% for "
        "Claude Opus 4.5.",
    ),
)
REQUEST = DraftRequest(
    suggestion=OFFLINE,
    report_language="zh",
    section_title="2.1 大模型发布",
    section_text=SECTION_TEXT,
    article_title="Introducing Claude Opus 4.6",
    article_url=ARTICLE_URL,
    article_text=ARTICLE_TEXT,
    citation_marker="[6]",
    reference_example="[1] OpenAI. (2025). [Introducing GPT-5](https://openai.com/index/gpt-5/)",
    candidate_targets=(SENTENCE, "- DeepSeek 于2025年1月开源 DeepSeek-R1 [2]。", ROW),
)
GOOD_TEXT = "- 2026年2月5日，Anthropic 发布 Claude Opus 4.6，SWE-bench Verified 得分 81.4% [6]。"


def answer(
    decision: str = "new", text: str = GOOD_TEXT, target: str | None = None, **extra: Any
) -> str:
    return json.dumps(
        {
            "decision": decision,
            "target": target,
            "proposed_text": text,
            "rationale": "新发布",
            **extra,
        },
        ensure_ascii=False,
    )


Reply = Callable[[dict[str, Any]], Awaitable[web.StreamResponse]]


def completion(content: str, *, tokens: int | None = 321) -> web.Response:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1773133200,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }
    if tokens is not None:
        body["usage"] = {
            "prompt_tokens": tokens - 40,
            "completion_tokens": 40,
            "total_tokens": tokens,
        }
    return web.json_response(body)


class ModelServer:
    """POST /v1/chat/completions answered by ``reply``; every request body kept."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.reply: Reply = self.says(answer())
        server.add_handler("/v1/chat/completions", self._handle)

    @property
    def endpoint(self) -> str:
        return self.server.url("/v1")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.bodies.append(body)
        self.headers.append(dict(request.headers))
        return await self.reply(body)

    @staticmethod
    def says(content: str, *, tokens: int | None = 321) -> Reply:
        async def reply(body: dict[str, Any]) -> web.StreamResponse:
            return completion(content, tokens=tokens)

        return reply

    @staticmethod
    def status(code: int) -> Reply:
        async def reply(body: dict[str, Any]) -> web.StreamResponse:
            return web.json_response({"error": {"message": "no"}}, status=code)

        return reply


@pytest.fixture
def model(local_server: LocalServer) -> ModelServer:
    return ModelServer(local_server)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "state" / "tracker.sqlite3") as s:
        yield s


def drafter(
    store: Store, endpoint: str, environ: dict[str, str] | None = None, **settings: Any
) -> ModelDrafter:
    config = DraftConfig(endpoint=endpoint, model=MODEL, **settings)
    return ModelDrafter(config, DraftCacheView(store), environ=environ or {}, clock=lambda: NOW)


def draft_one(store: Store, model: ModelServer, **settings: Any) -> DraftOutcome:
    (outcome,) = drafter(store, model.endpoint, **settings).draft([REQUEST])
    return outcome


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------
# Answers that are used


def test_a_good_answer_replaces_the_offline_text(store: Store, model: ModelServer) -> None:
    key = "TRACKER_TEST_DRAFT_KEY"
    (outcome,) = drafter(store, model.endpoint, {key: "s3cret"}, api_key_env=key).draft([REQUEST])

    assert outcome.error is None and outcome.drafted
    assert outcome.suggestion == replace(OFFLINE, proposed_text=GOOD_TEXT, drafter=MODEL)
    assert outcome.rationale == "新发布"
    (body,) = model.bodies
    assert body["model"] == MODEL and body["response_format"] == {"type": "json_object"}
    assert model.headers[0]["Authorization"] == "Bearer s3cret"
    prompt = "\n".join(m["content"] for m in body["messages"])
    for needed in (
        "2.1 大模型发布",
        ROW,
        "[6]",
        "Introducing GPT-5",
        "81.4%",
        OFFLINE.proposed_text,
    ):
        assert needed in prompt
    assert "weather" not in prompt  # the article is cut to the lines that matter
    assert DraftCacheView(store).tokens_since(datetime(2026, 3, 1, tzinfo=UTC)) == 321


@pytest.mark.parametrize(
    "content",
    [
        "Here is the edit you asked for:\n" + answer() + "\nI kept the marker.",
        "```json\n" + answer() + "\n```",
        "<think>The section lacks Opus 4.6 {maybe}.</think>\n" + answer(),
        answer(decision="NEW", extra_key="ignored"),
    ],
    ids=["prose", "fence", "thinking", "loose-keys"],
)
def test_json_found_in_prose_fences_and_thinking(
    store: Store, model: ModelServer, content: str
) -> None:
    model.reply = model.says(content)
    outcome = draft_one(store, model)
    assert (outcome.error, outcome.suggestion.proposed_text) == (None, GOOD_TEXT)


def test_a_revision_replaces_the_table_row_it_names(store: Store, model: ModelServer) -> None:
    new_row = "| Claude Opus 4.6 | Anthropic | 81.4% [6] |"
    model.reply = model.says(
        answer("revision", new_row, target="|  Claude Opus 4.5 | Anthropic | 80.9% [3] |")
    )
    outcome = draft_one(store, model)
    assert outcome.error is None
    s = outcome.suggestion
    assert (s.kind, s.target, s.proposed_text, s.drafter) == (
        SuggestionKind.REVISION,
        ROW,
        new_row,
        MODEL,
    )


@pytest.mark.parametrize("decision", ["citation", "covered"])
def test_a_sentence_that_states_the_news_gets_a_citation(
    store: Store, model: ModelServer, decision: str
) -> None:
    cited = "- 2025年8月，OpenAI 发布 GPT-5 [1][6]。"
    model.reply = model.says(answer(decision, cited, target=SENTENCE))
    outcome = draft_one(store, model)
    assert outcome.error is None
    s = outcome.suggestion
    assert (s.kind, s.target, s.novelty) == (SuggestionKind.CITATION, SENTENCE, Novelty.COVERED)


def test_a_server_without_json_mode_is_asked_again_without_it(
    store: Store, model: ModelServer
) -> None:
    async def picky(body: dict[str, Any]) -> web.StreamResponse:
        if "response_format" in body:
            return web.json_response({"error": {"message": "unknown field"}}, status=400)
        return completion(answer())

    model.reply = picky
    assert draft_one(store, model).error is None
    assert ["response_format" in b for b in model.bodies] == [True, False]


# --------------------------------------------------------------------------
# Answers the guards refuse: the offline suggestion stays, with the reason


NEW_ROW = "| Claude Opus 4.6 | Anthropic | 81.4% [6] |"
REFUSED = [
    pytest.param('{"decision": "new", "proposed_text": "- 2026年', "invalid JSON: ", id="broken"),
    pytest.param("I cannot help.", "invalid JSON: no JSON object in the answer", id="no-json"),
    pytest.param(answer("maybe"), "invalid answer: decision: ", id="decision"),
    pytest.param(answer(text=" "), "invalid answer: proposed_text: ", id="blank"),
    pytest.param(
        answer(text=GOOD_TEXT.replace("81.4%", "83.2%")),
        "guard: number 83.2% not in the article",
        id="number",
    ),
    pytest.param(
        answer(text=GOOD_TEXT.replace("2月5日", "1月20日")),
        "guard: number 2026年1月20日 not in the article",
        id="date",
    ),
    pytest.param(
        answer(text=GOOD_TEXT.replace("[6]", "https://evil.example/x [6]")),
        "guard: URL https://evil.example/x is not the article's",
        id="url",
    ),
    pytest.param(
        answer(text="- Anthropic released Claude Opus 4.6, scoring 81.4% on SWE-bench [6]."),
        "guard: not written in zh (0% CJK)",
        id="english",
    ),
    pytest.param(
        answer("revision", NEW_ROW, target="| GPT-5 | OpenAI | 74.9% |"),
        "guard: target not among the candidates: '| GPT-5 | OpenAI | 74.9% |'",
        id="unknown-target",
    ),
    pytest.param(answer("revision"), "guard: a revision without a target", id="no-target"),
    pytest.param(answer("covered"), "guard: covered without a target", id="covered"),
    pytest.param(
        answer("citation", "- OpenAI 发布 GPT-5 与 Claude [6]。", target=SENTENCE),
        "guard: the citation changes the target's text",
        id="citation-rewrites",
    ),
    pytest.param(
        answer(text=GOOD_TEXT.replace(" [6]", "")),
        "guard: citation marker [6] appears 0 times, not once",
        id="no-marker",
    ),
    pytest.param(
        answer(text=GOOD_TEXT + "[6]"),
        "guard: citation marker [6] appears 2 times, not once",
        id="two-markers",
    ),
    pytest.param(
        answer(text=GOOD_TEXT.replace("[6]", "[6][2]")),
        "guard: citation marker [2] is not the article's",
        id="other-marker",
    ),
    pytest.param(
        answer(text=GOOD_TEXT + "这是一次重要发布。" * 40),
        "guard: 433 characters, more than 275",
        id="too-long",
    ),
    pytest.param(
        answer("revision", "| Claude Opus 4.6 | 81.4% [6] |", target=ROW),
        "guard: the row has 2 cells, the target 3",
        id="row-cells",
    ),
]


@pytest.mark.parametrize(("content", "reason"), REFUSED)
def test_a_refused_answer_keeps_the_offline_draft_and_says_why(
    store: Store, model: ModelServer, content: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    model.reply = model.says(content)
    with caplog.at_level(logging.WARNING, logger="tracker.draft"):
        outcome = draft_one(store, model)

    assert outcome.suggestion is OFFLINE
    assert outcome.error is not None and outcome.error.startswith(reason), outcome.error
    assert not outcome.drafted
    assert f"{ARTICLE_URL}: {outcome.error}" in caplog.text


def test_the_publication_date_counts_as_the_articles(store: Store, model: ModelServer) -> None:
    undated = ARTICLE_TEXT.replace("SAN FRANCISCO, February 5, 2026 — ", "")
    request = replace(REQUEST, article_text=undated)
    (outcome,) = drafter(store, model.endpoint).draft([request])
    assert outcome.error is None and "2026年2月5日" in outcome.suggestion.proposed_text


def test_the_articles_own_url_is_allowed(store: Store, model: ModelServer) -> None:
    text = GOOD_TEXT.replace("[6]", f"（{ARTICLE_URL}）[6]")
    model.reply = model.says(answer(text=text))
    assert draft_one(store, model).error is None


# --------------------------------------------------------------------------
# The server fails: never an exception, never a wait beyond the timeout


@pytest.mark.parametrize(
    ("code", "reason"), [(429, "HTTP 429"), (500, "HTTP 500"), (404, "HTTP 404")]
)
def test_http_errors(store: Store, model: ModelServer, code: int, reason: str) -> None:
    model.reply = model.status(code)
    outcome = draft_one(store, model)
    assert (outcome.suggestion, outcome.error) == (OFFLINE, reason)


def test_a_slow_model_times_out(store: Store, model: ModelServer) -> None:
    async def slow(body: dict[str, Any]) -> web.StreamResponse:
        await asyncio.sleep(10)
        return completion(answer())

    model.reply = slow
    outcome = draft_one(store, model, timeout=0.3)
    assert (outcome.suggestion, outcome.error) == (OFFLINE, "timeout after 0.3 s")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<html>proxy login</html>", "invalid response: not JSON"),
        ('{"choices": []}', "invalid response: no choices[0].message"),
        ('{"error": {"message": "model not found"}}', "invalid response: error 'model not found'"),
        (
            '{"choices": [{"message": {"content": null}}]}',
            "invalid response: the message has no text",
        ),
    ],
    ids=["html", "no-choices", "error", "no-content"],
)
def test_a_reply_that_is_not_a_completion(
    store: Store, model: ModelServer, body: str, reason: str
) -> None:
    async def odd(request: dict[str, Any]) -> web.StreamResponse:
        return web.Response(text=body, content_type="application/json")

    model.reply = odd
    outcome = draft_one(store, model)
    assert (outcome.suggestion, outcome.error) == (OFFLINE, reason)
    assert store.draft_tokens_since(datetime(2000, 1, 1, tzinfo=UTC)) == 0  # nothing cached


def test_a_closed_port_is_refused_and_the_rest_are_skipped(store: Store) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}/v1"
    requests = [replace(REQUEST, citation_marker=f"[{n}]") for n in range(6, 10)]
    outcomes = drafter(store, endpoint).draft(requests)

    assert [o.suggestion for o in outcomes] == [r.suggestion for r in requests]
    port = endpoint.split(":")[2].split("/")[0]
    assert outcomes[0].error == f"refused connection to 127.0.0.1:{port}"
    assert outcomes[1].error == f"refused connection to 127.0.0.1:{port}"
    assert (
        outcomes[3].error == f"skipped: model unavailable (refused connection to 127.0.0.1:{port})"
    )


def test_draft_works_inside_a_running_event_loop(store: Store, model: ModelServer) -> None:
    async def inside() -> list[DraftOutcome]:
        return drafter(store, model.endpoint).draft([REQUEST])

    (outcome,) = asyncio.run(inside())
    assert outcome.error is None


# --------------------------------------------------------------------------
# Limits, budget and cache


def test_calls_beyond_the_limit_keep_the_offline_draft(store: Store, model: ModelServer) -> None:
    requests = [replace(REQUEST, citation_marker=f"[{n}]") for n in (6, 7, 8)]
    model.reply = model.says(answer(text=GOOD_TEXT.replace("[6]", "[7]")))
    outcomes = drafter(store, model.endpoint, max_calls_per_refresh=2).draft(requests)

    assert [o.error for o in outcomes][2] == "call limit reached"
    assert outcomes[1].error is None
    assert len(model.bodies) == 2


def test_no_call_once_the_months_budget_is_spent(store: Store, model: ModelServer) -> None:
    cache = DraftCacheView(store)
    cache.put("older", "{}", 5_000, datetime(2026, 2, 27, tzinfo=UTC))  # last month: not counted
    cache.put("earlier", "{}", 900, datetime(2026, 3, 1, tzinfo=UTC))

    assert draft_one(store, model, monthly_token_budget=1_000).error is None  # 900 < 1,000
    other = replace(REQUEST, citation_marker="[7]")
    (outcome,) = drafter(store, model.endpoint, monthly_token_budget=1_000).draft([other])

    assert (outcome.suggestion, outcome.error) == (OFFLINE, "budget spent")
    assert len(model.bodies) == 1


def test_a_cached_answer_is_never_asked_again_but_checked_again(
    store: Store, model: ModelServer
) -> None:
    model.reply = model.says(answer(text=GOOD_TEXT.replace("81.4%", "83.2%")), tokens=None)
    first = drafter(store, model.endpoint).draft([REQUEST, REQUEST])
    second = drafter(store, model.endpoint).draft([REQUEST])

    assert len(model.bodies) == 1  # two identical requests and a second refresh: one call
    assert {o.error for o in (*first, *second)} == {"guard: number 83.2% not in the article"}
    # No usage in the reply: the tokens are estimated.
    assert DraftCacheView(store).tokens_since(datetime(2026, 3, 1, tzinfo=UTC)) > 100


def test_a_good_cached_answer_is_used_without_a_call(store: Store, model: ModelServer) -> None:
    draft_one(store, model)
    model.reply = model.status(500)
    outcome = draft_one(store, model)
    assert (outcome.error, outcome.suggestion.drafter, len(model.bodies)) == (None, MODEL, 1)


def test_a_missing_api_key_means_no_call(store: Store, model: ModelServer) -> None:
    outcome = draft_one(store, model, api_key_env="TRACKER_TEST_ABSENT")
    assert outcome.error == "API key variable TRACKER_TEST_ABSENT is not set"
    assert model.bodies == []


def test_only_article_edits_are_drafted(store: Store, model: ModelServer) -> None:
    gone = replace(REQUEST, suggestion=replace(OFFLINE, kind=SuggestionKind.SOURCE_GONE))
    (outcome,) = drafter(store, model.endpoint).draft([gone])
    assert outcome.error == "kind source-gone is not drafted"
    assert model.bodies == []


# --------------------------------------------------------------------------
# The pieces


def test_the_excerpt_is_the_lede_and_the_facts_lines() -> None:
    text = excerpt(ARTICLE_TEXT, OFFLINE.fact)
    assert text.splitlines() == [
        "SAN FRANCISCO, February 5, 2026 — Anthropic released Claude Opus 4.6 on Thursday, "
        "its most capable model so far.",
        "Claude Opus 4.6 scores 81.4% on SWE-bench Verified, up from 80.9% for Claude Opus 4.5.",
    ]
    assert len(excerpt("word " * 2_000, None)) <= 1_500


def test_the_draft_section_of_the_config(tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    report.write_text("# r\n", encoding="utf-8")
    raw = {"reports": [{"id": "r", "path": str(report)}]}
    config = parse_config(
        {**raw, "draft": {"endpoint": "http://127.0.0.1:11434/v1/", "model": MODEL}},
        tmp_path / "s.yaml",
    )
    assert config.draft == DraftConfig(endpoint="http://127.0.0.1:11434/v1", model=MODEL)
    assert (config.draft.timeout, config.draft.max_calls_per_refresh) == (30.0, 20)
    assert parse_config(raw, tmp_path / "s.yaml").draft is None
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {**raw, "draft": {"endpoint": "ftp://x", "model": " ", "timeout": 0, "temp": 1}},
            tmp_path / "s.yaml",
        )
    assert caught.value.problems == [
        "draft.endpoint: 'ftp://x' is not an http(s) URL",
        "draft.model: the model name is blank",
        "draft.timeout: Input should be greater than 0",
        "draft.temp: unknown key",
    ]


def test_the_store_keeps_answers_and_counts_tokens_by_time(store: Store) -> None:
    cache = DraftCacheView(store)
    cache.put("k", "first", 10, datetime(2026, 3, 2, tzinfo=UTC))
    cache.put("k", "second", 12, datetime(2026, 3, 3, tzinfo=UTC))  # asked again: replaced
    cache.put("j", "other", 7, datetime(2026, 2, 28, 23, 59, tzinfo=UTC))
    assert (cache.get("k"), cache.get("absent")) == ("second", None)
    assert cache.tokens_since(datetime(2026, 3, 1, tzinfo=UTC)) == 12
    assert store.draft_tokens_since(datetime(2026, 2, 1, tzinfo=UTC)) == 19
    assert "drafts.0001_create" in {name for name, _ in store.migrations()}
