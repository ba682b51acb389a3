"""A claim that something holds for most of a group, contradicted by a share below half.

Reports summarise with majorities ("这些模型大多采用OSI批准的许可证", "大部分能力提升来自
于更长的RL运行", "主要面向…开发者"). When news measures that share and finds it below
half ("only 8 of 20, 四成", "about a third", "29 per cent"), the claim is stale: the
revision keeps the report's sentence and appends what was measured and when, for
the editor to reword, rather than inventing a new claim.

The share must be about the claim's subject: the news' clause that gives it and
the statement share a field concept (许可证/licence, 强化学习/RL, 开发者/developers)
or an acronym ("OSI"). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tracker.figures import figures_in
from tracker.glossary import FIELD_GLOSSARY
from tracker.statements import Statement
from tracker.types import Fact

# "大多采用", "大部分…来自", "主要面向" (主要 before a verb: not "主要趋势", the main trends).
_MAJORITY = re.compile(
    r"大多|大部分|绝大多数|多数|主要(?=[面来由是用靠集依服])"
    r"|\b(?:most(?:ly)?|majority|mainly|primarily|largely)\b",
    re.IGNORECASE,
)
_CITATIONS = re.compile(r"(?:\s*[\[［]\d{1,4}(?:[,，\-–]\s*\d{1,4})*[\]］])+")
_CLAUSE = re.compile(r"[^，。；;,.!?！？]+")
_ZH_DIGITS = "零一二三四五六七八九十"
_EN_FRACTIONS = {
    "a third": (1 / 3, "三分之一"),
    "one third": (1 / 3, "三分之一"),
    "one-third": (1 / 3, "三分之一"),
    "a quarter": (1 / 4, "四分之一"),
    "one quarter": (1 / 4, "四分之一"),
    "two fifths": (2 / 5, "五分之二"),
    "two-fifths": (2 / 5, "五分之二"),
    "a fifth": (1 / 5, "五分之一"),
    "one fifth": (1 / 5, "五分之一"),
}
_ZH_FRACTION = re.compile(r"([二三四五六七八九十\d])分之([一二三四五六七八九\d])")
_ZH_TENTHS = re.compile(r"([一二三四])成(?![员功为本立果])")
_EN_FRACTION = re.compile(r"\b(" + "|".join(map(re.escape, _EN_FRACTIONS)) + r")\b", re.I)
# "8 of 20", "20款…仅8款": a part of a counted whole.
_EN_RATIO = re.compile(r"\b(\d+) (?:out )?of (?:the )?(\d+)\b")
_ZH_RATIO = re.compile(r"(\d+)([款个家名位项])[^。；]{0,40}?(?:仅|只有|其中)(\d+)\2")
# What the news says of its share: below it, or about it.
_UNDER = re.compile(r"(?:fewer than|less than|under|below|不到|不足|低于|少于)\s*$", re.I)
_ONLY = re.compile(r"(?:\bonly|\bjust|仅|只有)\s*$", re.I)
_ABOUT = re.compile(r"(?:about|around|roughly|nearly|some|约|大约|近|将近)\s*$", re.I)


@dataclass(frozen=True)
class Share:
    value: float  # 0..1
    zh: str  # as a Chinese text writes it, "{}" where a hedge goes: "{}29%", "20款中{}8款"
    start: int


def majority_revision(
    fact: Fact, statements: Sequence[Statement], *, headline: str = ""
) -> tuple[Statement, str] | None:
    """The majority claim the news' share contradicts and its rewrite without the citation
    marker, or None."""
    for said in (fact.sentence, headline):
        for clause in _CLAUSE.findall(said):
            found = shares_in(clause)
            shares = [s for s in found if s.value < 0.5]
            # A clause that also gives a majority ("RL 80%, pretraining 20%") may well
            # confirm the claim: which share is the subject's is not clear from it.
            if not shares or len(shares) < len(found):
                continue
            for statement in statements:
                if statement.kind == "row" or not _MAJORITY.search(statement.plain):
                    continue
                body = _CITATIONS.sub("", statement.text).rstrip()
                subject = _subject_at(body, clause)
                # The headline is about that subject too: a share that only mentions it
                # in passing ("models from American developers took 41%") is of another.
                if subject is None or (headline and _subject_at(body, headline) is None):
                    continue
                share = shares[0]
                before = clause[max(0, share.start - 12) : share.start]
                hedge = (
                    "不到"
                    if _UNDER.search(before)
                    else "仅"
                    if _ONLY.search(before)
                    else "约"
                    if _ABOUT.search(before)
                    else ""
                )
                when = f"{fact.date.year}年{fact.date.month}月" if fact.date else ""
                measured = share.zh.format(hedge)
                return statement, _insert(body, f"（{when}统计：{measured}）", subject)
    return None


def shares_in(text: str) -> list[Share]:
    """Shares of a whole a text gives: percentages, 三分之一, 四成, "a third"."""
    found = [
        Share(f.value / 100, f"{{}}{f.value:g}%", f.start)
        for f in figures_in(text)
        if f.kind == "percent" and f.unit == "%" and 0 < f.value < 100
    ]
    for match in _ZH_FRACTION.finditer(text):
        whole, part = (_zh_int(g) for g in match.groups())
        if whole and part and part < whole:
            found.append(Share(part / whole, "{}" + match.group(0), match.start()))
    for match in _ZH_TENTHS.finditer(text):
        tenths = _zh_int(match.group(1))
        if tenths:
            found.append(Share(tenths / 10, "{}" + match.group(0), match.start()))
    for match in _EN_RATIO.finditer(text):
        part, whole = int(match.group(1)), int(match.group(2))
        if 0 < part < whole:
            found.append(Share(part / whole, f"{whole}中{{}}{part}", match.start()))
    for match in _ZH_RATIO.finditer(text):
        whole, part, unit = int(match.group(1)), int(match.group(3)), match.group(2)
        if 0 < part < whole:
            found.append(Share(part / whole, f"{whole}{unit}中{{}}{part}{unit}", match.start(3)))
    for match in _EN_FRACTION.finditer(text):
        value, zh = _EN_FRACTIONS[match.group(1).lower()]
        found.append(Share(value, "{}" + zh, match.start()))
    return sorted(found, key=lambda s: s.start)


def _zh_int(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return _ZH_DIGITS.index(text) if text in _ZH_DIGITS else None


def _subject_at(statement: str, clause: str) -> int | None:
    """Where the statement names a field concept or an acronym (OSI, RL) the clause names
    too: the subject the share is of. None when they share none."""
    places = [
        at
        for row in FIELD_GLOSSARY
        if _named_at(row, clause) is not None
        for at in [_named_at(row, statement)]
        if at is not None
    ]
    for acronym in set(re.findall(r"\b[A-Z]{2,5}\b", statement)) - {"AI", "LLM"}:
        if re.search(rf"\b{acronym}\b", clause):
            places.append(statement.find(acronym))
    return min(places, default=None)


def _named_at(row: tuple[str, ...], text: str) -> int | None:
    for form in row:
        if re.search(r"[\u3400-\u9fff]", form):
            at = text.find(form)
            if at >= 0:
                return at
        else:
            found = re.search(rf"(?<![A-Za-z]){re.escape(form)}(?![A-Za-z])", text, re.I)
            if found:
                return found.start()
    return None


def _insert(body: str, words: str, subject: int) -> str:
    """``words`` at the end of the clause that names the share's subject, or that makes
    the majority claim if the subject comes before it ("大多采用…许可证（…）" of a
    sentence that goes on), else before the closing stop."""
    claim = _MAJORITY.search(body)
    start = max(subject, claim.start() if claim else 0)
    end = re.compile(r"[，；,;](?![^（(]*[）)])").search(body, start)
    if end is not None:
        return body[: end.start()] + words + body[end.start() :]
    stop = body[-1] if body and body[-1] in "。！？.!?" else ""
    return f"{body[: len(body) - len(stop)]}{words}{stop}"
