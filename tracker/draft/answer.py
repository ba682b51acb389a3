"""A model's answer: found in its message, validated, and turned into a suggestion.

Models asked for JSON do not always give bare JSON: some wrap it in a
```json fence```, some write a sentence before it, reasoning models put a
``<think>`` block first. ``parse_answer`` finds the object in any of these
and validates it (``ModelAnswer``); ``apply_answer`` maps the decision onto
the offline suggestion and runs every guard. Both raise ``Rejected`` with
the reason; neither repairs an answer beyond white space and a list bullet.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tracker.draft.guards import Rejected, check_text
from tracker.draft.request import DraftRequest
from tracker.types import Novelty, Suggestion, SuggestionKind

_FENCE = re.compile(r"```[A-Za-z]*\s*\n?(.*?)```", re.S)
_THINKING = re.compile(r"<think>.*?</think>", re.S | re.I)
_BULLETS = ("- ", "* ", "+ ")


class ModelAnswer(BaseModel):
    """The JSON object the model is asked for. Unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    decision: Literal["new", "covered", "revision", "citation"]
    target: str | None = None
    proposed_text: str = Field(min_length=1)
    rationale: str = ""

    @field_validator("decision", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("target", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("", "null", "none"):
            return None
        return value

    @field_validator("proposed_text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is blank")
        return value

    @field_validator("rationale", mode="before")
    @classmethod
    def _rationale_text(cls, value: Any) -> Any:
        return "" if value is None else value


def parse_answer(content: str) -> ModelAnswer:
    """The answer in a message: bare JSON, fenced JSON, or an object inside prose."""
    found = _json_object(content)
    try:
        return ModelAnswer.model_validate(found)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise Rejected(f"invalid answer: {where}: {message}") from None


def _json_object(content: str) -> dict[str, Any]:
    text = _THINKING.sub("", content).strip()
    first_error: str | None = None
    for candidate in (text, *_FENCE.findall(text)):
        try:
            value = json.loads(candidate)
        except ValueError as exc:
            first_error = first_error or str(exc)
            continue
        if isinstance(value, dict):
            return value
    # An object somewhere in prose: the first one that decodes and looks like an answer.
    decoder = json.JSONDecoder()
    objects: list[dict[str, Any]] = []
    for start in (m.start() for m in re.finditer(r"\{", text)):
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict):
            if "decision" in value:
                return value
            objects.append(value)
    if objects:
        return objects[0]
    if "{" not in text:
        raise Rejected("invalid JSON: no JSON object in the answer")
    raise Rejected(f"invalid JSON: {first_error}")


def apply_answer(request: DraftRequest, answer: ModelAnswer, model: str) -> Suggestion:
    """The offline suggestion rewritten as the answer says, once every guard has passed."""
    offline = request.suggestion
    text = " ".join(answer.proposed_text.split())
    target = _candidate(answer.target, request.candidate_targets)
    if answer.target is not None and target is None:
        raise Rejected(f"guard: target not among the candidates: {_short(answer.target)!r}")
    if answer.decision == "new":
        if not offline.reference.strip() and offline.kind is not SuggestionKind.ADDITION:
            raise Rejected("guard: a new item needs a reference entry the offline draft lacks")
        kind, novelty, target = SuggestionKind.ADDITION, Novelty.NEW, None
        if offline.proposed_text.startswith(_BULLETS) and not text.startswith(_BULLETS):
            text = offline.proposed_text[:2] + text
    elif answer.decision == "revision":
        if target is None:
            raise Rejected("guard: a revision without a target")
        kind, novelty = SuggestionKind.REVISION, Novelty.NEW
    else:  # "citation", or "covered" with the sentence that states the news
        if target is None:
            raise Rejected(f"guard: {answer.decision} without a target")
        kind, novelty = SuggestionKind.CITATION, Novelty.COVERED
        _check_cites(text, target, request.citation_marker)
    check_text(text, request, kind=kind, target=target)
    return replace(
        offline,
        kind=kind,
        target=target,
        proposed_text=text,
        novelty=novelty,
        drafter=model,
        needs_translation=False,
    )


def _candidate(named: str | None, candidates: tuple[str, ...]) -> str | None:
    """The candidate the model named (as the report writes it), white space aside."""
    if named is None:
        return None
    wanted = " ".join(named.split())
    return next((c for c in candidates if " ".join(c.split()) == wanted), None)


_TRAILING = "。．.！!？?；;，,、:： "


def _check_cites(text: str, target: str, marker: str) -> None:
    core = " ".join(target.split()).rstrip(_TRAILING)
    if core not in " ".join(text.replace(marker, " ").split()):
        raise Rejected("guard: the citation changes the target's text")


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
