"""Whether a text names a product, however the news or the report writes it.

A product's *name key* is its name words without versions (``Gemini 3.0 Pro`` →
``geminipro`` with version 3). A statement names a thing when one of its runs of
Latin words has the thing's key and the statement has its versions; when it names
the thing's series and lists the thing's tier ("Claude 4系列（Opus和Sonnet模型）" names
Claude Opus 4); when it names "<series>系列" and the thing extends that name without a
version of its own (Qwen-Image-Edit). A letter after a version makes another model
(GPT-4o is not GPT-4). The name book's other spellings of a family make the same thing
("Tongyi Qianwen 3" is "Qwen3"). Pure: no I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from tracker.figures import figures_in
from tracker.glossary import FIELD_GLOSSARY
from tracker.suggest.names import NameBook

_TOKEN = re.compile(r"[A-Za-z]*[0-9][0-9.]*[A-Za-z0-9]*|[A-Za-z]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# A run of Latin-script words and numbers: one name as a statement writes it.
_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+'’-]*(?:[ ][A-Za-z0-9][A-Za-z0-9.+'’-]*)*")


_MAKER_WORDS = frozenset(
    ("Google", "OpenAI", "Anthropic", "Meta", "Microsoft", "NVIDIA", "Nvidia", "Alibaba", "xAI")
)


_FILLER = frozenset({"and", "the", "model", "models", "series", "family", "new", "ai"})


def object_key(name: str) -> tuple[str, frozenset[str]]:
    """(name key, version numbers) of a product name: ``Gemini 3.0 Pro`` → ("geminipro",
    {3}); ``DeepSeek V3`` → ("deepseek", {3}) (a letter before a version is part of
    the version, except in a name that is only that: ``o1`` → ("o", {1}))."""
    words, versions = _key_words(name)
    return "".join(words), versions


# Cached: novelty asks it of the same news' thing for every statement of the report,
# and of the same report names for every article.
@functools.lru_cache(maxsize=4096)
def _key_words(name: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """The words of a name's key, in order, and its version numbers."""
    key = []
    versions: set[str] = set()
    for position, found in enumerate(_TOKEN.finditer(name)):
        token = found.group(0)
        # A lower-case part hyphenated to the name is part of it: o3-pro, gpt-oss.
        hyphenated = found.start() > 0 and name[found.start() - 1] == "-"
        letters = re.match(r"[A-Za-z]*", token)
        head = letters.group(0) if letters else ""
        rest = token[len(head) :]
        if rest[:1].isdigit():
            versions.update(_version(v) for v in re.findall(r"\d+(?:\.\d+)*", rest))
            if head and (position == 0 or len(head) > 1):
                key.append(head.lower())
        elif (
            head
            and (position == 0 or hyphenated or any(ch.isupper() for ch in head))
            and head.lower() not in _FILLER
        ):
            key.append(head.lower())
    return tuple(key), frozenset(versions)


def _version(number: str) -> str:
    return re.sub(r"(\.0)+$", "", number)


def names_object(statement: str, thing: str) -> bool:
    """Whether ``statement`` names ``thing``: a run of names in it has the same name key
    (``Codex CLI`` is not ``Codex``; ``Claude Code for web`` is ``Claude Code``) and
    the statement has every version number (``Gemini 2.5和3.0系列`` names
    ``Gemini 3``). A field term matches any of its spellings (``IMO`` / 数学奥林匹克)."""
    forms = glossary_forms(thing)
    if forms:
        return any(spelled(form, statement) for form in forms)
    if " and " in thing:  # "o3 and o4-mini": both named
        return all(names_object(statement, part) for part in thing.split(" and "))
    key, versions = object_key(thing)
    if not key:
        return bool(_CJK.search(thing)) and thing in statement
    if not versions <= version_numbers(statement):
        return False
    # A name without a version is not a versioned one: "Claude" (the family) is not
    # "Claude 4", so news about Claude in general is not what "Claude 4系列" states.
    runs = [run for run in _RUN.findall(statement) if not _other_variant(run, thing)]
    return (
        any(
            key in _run_keys(run.group(0))
            and (versions or not object_key(run.group(0))[1])
            and versions <= _run_versions(statement, run)
            for run in _RUN.finditer(statement)
            if not _other_variant(run.group(0), thing)
        )
        or _member_of_listed_series(statement, runs, thing)
        or _member_of_named_series(statement, thing)
    )


# Bare versions joined to a name: "Gemini 2.5和3.0系列", "GLM-4.5/4.6/4.7".
_JOINED_VERSIONS = re.compile(
    r"(?:\s*(?:和|与|及|、|/|,|\band\b)\s*\d+(?:\.\d+)*(?![A-Za-z0-9.]))+"
)


def _run_versions(statement: str, run: re.Match[str]) -> frozenset[str]:
    """The versions a name in a statement carries: its own, bare versions joined to it
    ("Gemini 2.5和3.0" carries 2.5 and 3) and those of a bracket right after it
    ("MiniMax（M2系列）"); not those of other names ("Claude 4 Sonnet和GPT-5" gives GPT
    no version 4)."""
    own = object_key(run.group(0))[1]
    joined = _JOINED_VERSIONS.match(statement, run.end()) or _BRACKETED.match(statement, run.end())
    if joined is None:
        return own
    return own | frozenset(_version(v) for v in re.findall(r"\d+(?:\.\d+)*", joined.group(0)))


# A bracket right after a name gives its members: "MiniMax（M2系列）".
_BRACKETED = re.compile(r"\s*[（(][^）)]{1,30}[）)]")


# A letter right after a version makes another model ("GPT-4o" is not "GPT-4"); sizes
# and multipliers ("120b", "20x") are no such letter.
_SUFFIXED_VERSION = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)*)([a-ac-jl-wyz])(?![A-Za-z0-9])")


def _other_variant(run: str, thing: str) -> bool:
    """The run writes one of the thing's versions with a letter the thing lacks."""
    return any(
        found.group(0) not in thing and found.group(1) in thing
        for found in _SUFFIXED_VERSION.finditer(run.replace("-", " "))
    )


_SERIES = re.compile(r"\s*(?:系列|家族|\bseries\b|\bfamily\b)", re.IGNORECASE)


def _member_of_named_series(statement: str, thing: str) -> bool:
    """A statement naming "<name>系列" (a series, family) names each member whose name
    extends the series name with words of its own ("Qwen-Image-Edit" of "Qwen-Image系列");
    a member with a version of its own ("Qwen-Image 2") is a later release, not stated."""
    for run in _RUN.finditer(statement):
        if not _SERIES.match(statement, run.end()):
            continue
        series = run.group(0)
        rest = thing[len(series) :]
        if (
            thing.lower().startswith(series.lower())
            and rest[:1] in ("-", " ")
            and object_key(thing)[1] <= object_key(series)[1]
        ):
            return True
    return False


def _member_of_listed_series(statement: str, runs: Sequence[str], thing: str) -> bool:
    """A statement naming a series and listing its members names each of them:
    "Claude 4系列（Opus和Sonnet模型）" names Claude Opus 4, not Claude Opus 4.5 nor Claude
    Haiku 4. The series is the thing's first word with exactly its versions."""
    words, versions = _key_words(thing)
    if len(words) < 2 or not versions:
        return False
    series = any(object_key(run) == (words[0], versions) for run in runs)
    return series and all(spelled(word, statement) for word in words[1:])


def loosely_names(statement: str, thing: str) -> bool:
    """The thing's name words in order within one name of the statement, which adds
    words of its own, with the thing's versions ("Claude Max" in "Claude Pro Max 20x",
    a report's own longer name for it). One word without a version ("Claude") is a
    family, never enough."""
    words, versions = _key_words(thing)
    # A word with a version ("Max 20x") is a member already, not a family.
    if len(words) < 2 and not (words and versions):
        return False
    for run in _RUN.findall(statement):
        theirs, their_versions = _key_words(run)
        if not versions <= their_versions:
            continue
        remaining = iter(theirs)
        if all(word in remaining for word in words):  # a subsequence, in order
            return True
    return False


def version_numbers(statement: str) -> frozenset[str]:
    """The numbers a statement may give as versions: not those of its dates, sums,
    shares or periods ("2025年2月" holds no version 2)."""
    kept = statement
    for figure in figures_in(statement):
        if figure.kind not in ("plain", "rank"):
            kept = kept[: figure.start] + " " * (figure.end - figure.start) + kept[figure.end :]
    return frozenset(_version(n) for n in re.findall(r"\d+(?:\.\d+)*", kept))


def _run_keys(run: str) -> tuple[str, ...]:
    """A run's name key, and the same without a leading maker ("Google AI Ultra" is
    also "AI Ultra")."""
    key = object_key(run)[0]
    words = run.split(" ", 1)
    if len(words) == 2 and words[0] in _MAKER_WORDS:
        return (key, object_key(words[1])[0])
    return (key,)


def spelled(form: str, text: str) -> bool:
    if _CJK.search(form):
        return form in text
    return re.search(rf"(?<![A-Za-z]){re.escape(form)}(?![A-Za-z])", text, re.I) is not None


def glossary_forms(thing: str) -> tuple[str, ...]:
    lowered = thing.lower()
    for row in FIELD_GLOSSARY:
        if any(form.lower() == lowered for form in row):
            return row
    return ()


def object_spellings(thing: str, names: NameBook) -> tuple[str, ...]:
    """The thing, and the same with its leading family name in the name book's other Latin
    spellings: "Tongyi Qianwen 3" is also "Qwen 3" (the report writes "Qwen3")."""
    spellings = [thing]
    for found in names.find(thing)[:1]:
        if found.start == 0 and found.name.kind == "org":
            rest = thing[len(found.form) :]
            spellings += [
                form + rest
                for form in found.name.forms
                if form != found.form and not _CJK.search(form)
            ]
    return tuple(dict.fromkeys(spellings))


def product_instead(
    headline_runs: Sequence[str], sentence_runs: Sequence[str], names: NameBook
) -> str:
    """The key sentence's versioned product when every name of the headline is a
    stranger to the report and the name book (a painter in a feature's headline,
    "Miyazaki"), so no product the news is about; the same name with a year or
    edition ("… Finals 2025") is no other product. Else ""."""
    strangers = all(
        names.maker_of(run) is None and not set(run.split()) & names.report_words
        for run in headline_runs
    )
    if not headline_runs or not strangers:
        return ""
    versioned = [
        run
        for run in sentence_runs
        if re.search(r"\d", run) and not any(h in run for h in headline_runs)
    ]
    return versioned[0] if versioned else ""
