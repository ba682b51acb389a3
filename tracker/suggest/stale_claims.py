"""Claims of the report that a news event ends, without a figure to replace.

Four kinds, each a revision of one statement as written:

* **a state that ended**: the statement names a state or campaign (``"代码红色警报"``)
  and the news says its actor ended, lifted or called it off → the statement
  gets "；2026年2月宣布结束" and the new citation;
* **best at something**: the statement says a product is the best, strongest or
  leading at a task (a list item under a section about it: "遵循图像编辑指令的能力
  最强"), and the news says a rival took first place at that task from it → the
  statement gets "（2026年3月起被字节跳动Seedream 5.0超越）";
* **an edge in a field**: the statement says the actor leads or has an edge in a
  field ("Anthropic在代码领域略占优势"), and the news gives its share of that field
  → the claim gets "（2026年5月份额达58%）";
* **all of the top N**: the statement says the first N places all go to one group
  ("前五名均为中国模型"), and the news says a model entered the top N and ended that
  run → "前五名中，Nemotron 3 Ultra（NVIDIA）位列第四，其余均为中国模型".

Pure: no I/O. Figures and ranking rows are :mod:`tracker.suggest.revisions`' job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from tracker.figures import figures_in, format_zh
from tracker.glossary import FIELD_GLOSSARY
from tracker.statements import Statement
from tracker.suggest.names import Name, NameBook
from tracker.suggest.novelty import names_actor, names_object
from tracker.types import Fact

_CITATIONS = re.compile(r"(?:\s*[\[［]\d{1,4}(?:[,，\-–]\s*\d{1,4})*[\]］])+")
_QUOTED = re.compile(r"[“\"《「『]([^”\"》」』]{2,12})[”\"》」』]")
_ENDED = re.compile(
    r"结束|解除|取消|终止|撤销|叫停|告一段落"
    r"|\b(?:ends?|ended|ending|lifts?|lifted|scraps?|scrapped|calls? off|called off|winds? down)\b",
    re.IGNORECASE,
)
_BEST = re.compile(r"最强|最好|最佳|最优|第一|领先|\b(?:best|strongest|leading|top)\b", re.I)
_ALL_OF_TOP = re.compile(r"前([一二三四五六七八九十\d]+)名均为([^，。；]+?)(?=[，。；]|$)")
_TOP_N_EN = re.compile(
    r"\b(?:top|(?:all\s+)?(\w+)\s+(?:leading|top)\s+(?:places|spots|positions))\b", re.I
)
# Groups an all-of-the-top-N claim names, and how English news spells them.
_GROUPS = (
    ("中国", r"\bChin(?:a|ese)\b|中国"),
    ("美国", r"\b(?:US|U\.S\.|American|United States)\b|美国"),
    ("欧洲", r"\bEurope(?:an)?\b|欧洲"),
)
_ZH_NUMBERS = {c: i for i, c in enumerate("零一二三四五六七八九十")}
_EN_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_EN_NUMBERS = {w: i for i, w in enumerate(_EN_WORDS)}


def stale_claim(
    fact: Fact,
    statements: Sequence[Statement],
    names: NameBook,
    *,
    headline: str,
    section_titles: dict[str, str],
    place: int | None,
) -> tuple[Statement, str] | None:
    """The statement the news ends and its rewrite without the citation marker, or None.
    ``place`` is the rank the news gives the fact's object, if any."""
    said = f"{headline} {fact.sentence}"
    return (
        _ended_state(fact, statements, names, said)
        or _all_of_top(fact, statements, names, said, place)
        or _best_at(fact, statements, names, said, section_titles, place)
        or _edge_in(fact, statements, names)
        or _group_lead_lost(fact, statements, said)
    )


def _ended_state(
    fact: Fact, statements: Sequence[Statement], names: NameBook, said: str
) -> tuple[Statement, str] | None:
    for statement in statements:
        if statement.kind == "row" or not names_actor(statement.plain, fact.actor, names):
            continue
        for term in _QUOTED.findall(statement.plain):
            where = said.find(term)
            # The end word next to the state's name: "结束“代码红色警报”", "ends code red".
            if where >= 0 and _ENDED.search(said[max(0, where - 12) : where + len(term) + 16]):
                return statement, _append(statement.text, _ended_words(statement.text, fact.date))
    return None


def _all_of_top(
    fact: Fact, statements: Sequence[Statement], names: NameBook, said: str, place: int | None
) -> tuple[Statement, str] | None:
    if fact.event != "ranking" or place is None or not fact.object or not _ENDED.search(said):
        return None
    for statement in statements:
        claim = _ALL_OF_TOP.search(statement.plain)
        if claim is None or not _cjk(statement.text):
            continue
        top = _number(claim.group(1))
        if top is None or not 1 <= place <= top or not _says_top(said, top):
            continue
        # The news must say the group's hold ended ("…held by models from Chinese labs"),
        # not only that some model entered: one of the same group leaves the claim true.
        if not any(
            word in claim.group(2) and re.search(spelled, said, re.I) for word, spelled in _GROUPS
        ):
            continue
        maker = names.maker_of(fact.object) or names.lookup(fact.actor)
        who = f"{fact.object}（{maker.spelled_for('zh') if maker else fact.actor}）"
        rewritten = statement.text.replace(
            claim.group(0),
            f"前{claim.group(1)}名中，{who}位列第{_zh_number(place)}，其余均为{claim.group(2)}",
            1,
        )
        return statement, _strip_citations(rewritten)
    return None


def _best_at(
    fact: Fact,
    statements: Sequence[Statement],
    names: NameBook,
    said: str,
    section_titles: dict[str, str],
    place: int | None,
) -> tuple[Statement, str] | None:
    if fact.event != "ranking" or place != 1 or not fact.object:
        return None
    plain_said = said.replace("-", " ")
    for statement in statements:
        if statement.kind == "row" or not _BEST.search(statement.plain):
            continue
        # Whose claim it is: a product the statement or its section's title names,
        # which the news names beside the new leader (the one it displaced).
        holder = f"{section_titles.get(statement.section_id, '')} {statement.plain}"
        holders = re.findall(r"[A-Za-z][A-Za-z0-9.+-]*(?: [A-Za-z0-9.+-]+)*", holder)
        displaced = [
            h
            for h in holders
            if len(h) > 2
            and re.search(rf"(?<![A-Za-z]){re.escape(h)}(?![A-Za-z])", said, re.I)
            and not names_object(h, fact.object)
        ]
        maker = names.maker_of(fact.object) or names.lookup(fact.actor)
        # Or the lab the claim is about ("Google Gemini在图像生成领先"), named in the news
        # as the one it overtook, when the new leader is another lab's.
        displaced += [
            found.form
            for found in names.find(holder)
            if found.name.kind == "org"
            and found.name != maker
            and any(_spelled(form, said) for form in found.name.forms)
        ]
        if not displaced or not _shares_task(statement.plain, plain_said):
            continue
        who = _joined(maker.spelled_for("zh") if maker else fact.actor, fact.object)
        when = f"{fact.date.year}年{fact.date.month}月起" if fact.date else ""
        return statement, _append(statement.text, f"（{when}被{who}超越）", joiner="")
    return None


def _edge_in(
    fact: Fact, statements: Sequence[Statement], names: NameBook
) -> tuple[Statement, str] | None:
    """The statement says the actor has an edge or the lead in a field; the news gives
    the actor's share of that field now: the claim gets the figure beside it. The share
    is the one the news gives in a clause naming the actor (or its product): "ChatGPT's
    share … 64.5%, while Google's Gemini climbed to 21.5%" gives Google 21.5%."""
    if not _SHARE.search(fact.sentence):
        return None
    doer = names.lookup(fact.actor) if fact.actor else None
    for clause in re.findall(r"[^，。；;,!?！？]+", fact.sentence):
        if doer is None or not _names_doer(clause, doer, names):
            continue
        share = next(
            (
                f
                for f in figures_in(clause)
                if f.kind == "percent"
                and f.unit == "%"
                and not _EARLIER.search(clause[max(0, f.start - 16) : f.start])
            ),
            None,
        )
        if share is None:
            continue
        for statement in statements:
            if statement.kind == "row" or not _EDGE.search(statement.plain):
                continue
            if not names_actor(statement.plain, fact.actor, names):
                continue
            # The field of the claim is the field of the share ("代码领域" / "AI coding").
            if not _shares_task(statement.plain, clause.replace("-", " "), tasks_only=True):
                continue
            when = f"{fact.date.year}年{fact.date.month}月" if fact.date else ""
            return statement, _append(statement.text, f"（{when}份额达{format_zh(share)}）")
    return None


def _names_doer(clause: str, doer: Name, names: NameBook) -> bool:
    """The clause names the actor, or a product the actor makes ("Google's Gemini")."""
    return any(found.name == doer for found in names.find(clause)) or any(
        names.maker_of(run) == doer
        for run in re.findall(r"[A-Z][\w.-]*(?: [A-Z0-9][\w.-]*)*", clause)
    )


_EDGE = re.compile(r"优势|领先|\b(?:edge|lead|leads|leading|ahead)\b", re.IGNORECASE)
_SHARE = re.compile(r"share|account(?:s|ed)? for|份额|占比|占据|市场占有", re.IGNORECASE)
_EARLIER = re.compile(r"(?:\bfrom|\bprevious\w*|\bwas|此前|之前|从|由)\s*\S*\s*$", re.I)


def _joined(maker: str, product: str) -> str:
    """Maker and product as a Chinese text writes them: a space only between two Latin
    names ("Black Forest Labs FLUX.3", "谷歌Gemini 3"), and the maker once."""
    if maker and product.lower().startswith(maker.lower()):
        return product  # "Midjourney V8" names its maker already
    if (
        maker
        and product
        and re.match(r"[A-Za-z0-9]", product)
        and re.search(r"[A-Za-z0-9]$", maker)
    ):
        return f"{maker} {product}"
    return f"{maker}{product}"


def _group_lead_lost(
    fact: Fact, statements: Sequence[Statement], said: str
) -> tuple[Statement, str] | None:
    """The statement says a group leads a field ("中国模型在开源领域领先"); the news says in
    that field another group now leads and this one is second ("China slips to No. 2"):
    the claim gets who overtook it and when."""
    for statement in statements:
        if statement.kind == "row" or not _EDGE.search(statement.plain):
            continue
        mine = [(word, spelled) for word, spelled in _GROUPS if word in statement.plain]
        if not mine or not _shares_task(statement.plain, said.replace("-", " ")):
            continue
        word, spelled = mine[0]
        lost = re.search(
            rf"(?:{spelled})[^。.;；]{{0,40}}?(?:{_LOST.pattern})"
            rf"|(?:{_LOST_BY.pattern})[^。.;；]{{0,12}}?(?:{spelled})",
            said,
            re.IGNORECASE,
        )
        rivals = [w for w, s in _GROUPS if w != word and re.search(s, said, re.IGNORECASE)]
        if lost is None or not rivals:
            continue
        when = f"{fact.date.year}年{fact.date.month}月起" if fact.date else ""
        return statement, _append(statement.text, f"（{when}被{rivals[0]}模型超越）")
    return None


# The group named before these lost its lead: "China slips to No. 2", "中国…降至第二".
_LOST = re.compile(
    r"(?:slips?|slipped|falls?|fell|drops?|dropped)\s+(?:back\s+)?(?:to\s+)?(?:No\.?\s?2|second)"
    r"|\b(?:in|to)\s+second\s+place|\bNo\.?\s?2\b|(?:降至|退居|跌至|位列|居)第(?:二|2)"
    r"|\bovertaken\b|被[^，。]{0,12}超越|失去[^，。]{0,6}(?:领先|第一)"
)
# The group named after these took the lead from the other: "overtook China".
_LOST_BY = re.compile(r"\b(?:overtook|overtakes|overtaking|surpassed|surpasses|超越了?|超过了?)")


def _spelled(form: str, text: str) -> bool:
    if _cjk(form):
        return form in text
    return re.search(rf"(?<![A-Za-z]){re.escape(form)}(?![A-Za-z])", text) is not None


def _shares_task(statement: str, said: str, *, tasks_only: bool = False) -> bool:
    """A field concept (the task: image editing) named in both, in any spelling; with
    ``tasks_only``, not a glossary name (谷歌/Google, 纳米香蕉/Nano Banana): a share is of a
    task's market, which a lab's name does not say."""
    for row in FIELD_GLOSSARY:
        zh = [f for f in row if _cjk(f)]
        en = [f for f in row if not _cjk(f)]
        if tasks_only and en and all(f[:1].isupper() for f in en):
            continue
        in_statement = any(f in statement for f in zh) or any(
            re.search(rf"\b{re.escape(f)}\b", statement, re.I) for f in en
        )
        in_said = any(f in said for f in zh) or any(
            re.search(rf"\b{re.escape(f)}\b", said, re.I) for f in en
        )
        if in_statement and in_said and row[0] not in ("排名",):
            return True
    return False


def _says_top(said: str, top: int) -> bool:
    """The news speaks of the same top N ("all five leading places", "top five", "前五")."""
    for match in _TOP_N_EN.finditer(said):
        word = (match.group(1) or "").lower()
        if _EN_NUMBERS.get(word) == top or (word.isdigit() and int(word) == top):
            return True
    for figure in figures_in(said):
        if figure.kind == "rank" and figure.unit == "top" and int(figure.value) == top:
            return True
    return f"前{_zh_number(top)}" in said


def _ended_words(text: str, day: date | None) -> str:
    when = f"{day.year}年{day.month}月" if day else ""
    return f"；{when}宣布结束" if _cjk(text) else f"; ended {day:%B %Y}" if day else "; ended"


def _append(text: str, words: str, *, joiner: str = "") -> str:
    """``words`` after the statement's claim, before its citations and full stop; the
    citations are left for the caller's new marker."""
    body = _strip_citations(text)
    stop = body[-1] if body and body[-1] in "。！？.!?：:" else ""
    core = body[: len(body) - len(stop)] if stop else body
    return f"{core}{joiner}{words}{stop}"


def _strip_citations(text: str) -> str:
    return _CITATIONS.sub("", text).rstrip()


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return _ZH_NUMBERS.get(text)


def _zh_number(n: int) -> str:
    return "零一二三四五六七八九十"[n] if 0 <= n <= 10 else str(n)


def _cjk(text: str) -> bool:
    return bool(re.search(r"[\u3400-\u4dbf\u4e00-\u9fff]", text))
