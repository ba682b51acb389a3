"""News in the report's own language and style, drafted offline from a :class:`Fact`.

For a Chinese report: ``2025-11-18，Google发布Gemini 3`` — the event's date,
the actor as the report spells it, a verb phrase for the kind of news, the
thing, and the key figure written as a Chinese report writes figures
(``25亿美元``, ``第一``); for an English report the same in English. Names
are never translated beyond the spellings the name book knows; a figure is
only written when the article states it.

Where no phrasing fits (an unknown kind of news, no actor or no object), it
says so instead of passing a quotation off as an edit: a Chinese headline is
used as it stands; an English one is kept in English and the draft is marked
``needs_translation``. Pure: no I/O, no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.figures import Figure, figures_in, format_en, format_zh
from tracker.glossary import FIELD_GLOSSARY, is_name_row
from tracker.suggest.names import NameBook
from tracker.types import Fact

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

# What a figure measures, by the words around it in the article: the report's
# word for it (zh, en). Checked in order; the first whose words are near wins.
_MEASURES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), zh, en)
    for pattern, zh, en in (
        (r"revenue|run-rate|\bARR\b|年收入|营收|收入", "年化收入", "annualised revenue"),
        (r"valuation|valued at|估值", "估值", "valuation"),
        (r"market (?:value|cap)|市值", "市值", "market value"),
        (
            r"train\w* cost|cost (?:to|of) train\w*|trained for|训练成本",
            "训练成本",
            "training cost",
        ),
        (r"users|subscribers|accounts|用户|账户", "用户数", "users"),
        (r"downloads|下载", "下载量", "downloads"),
        (r"parameters|参数", "参数规模", "parameters"),
        (r"per month|a month|/month|/月|price|priced|价格|定价", "价格", "price"),
        (r"horizon|task length|任务时长", "任务时长", "task horizon"),
        (r"score|accuracy|benchmark|得分|准确率", "得分", "score"),
    )
)

# The kinds of figure each measure can be, in the order of _MEASURES.
_MONEY = frozenset({"money"})
_MEASURE_KINDS = (
    _MONEY, _MONEY, _MONEY, _MONEY,
    frozenset({"count", "plain"}), frozenset({"count", "plain"}), frozenset({"count", "plain"}),
    _MONEY, frozenset({"duration"}), frozenset({"percent", "plain"}),
)  # fmt: skip


@dataclass(frozen=True)
class Draft:
    text: str  # without the list marker and without the citation marker
    needs_translation: bool


def draft_news(fact: Fact, *, language: str, names: NameBook, headline: str, source: str) -> Draft:
    """The fact as one statement in ``language`` ("zh…" or anything else for English)."""
    chinese = language.lower().startswith("zh")
    actor = _spell(fact.actor, names, language)
    body = _phrase_zh(fact, actor, names, headline) if chinese else _phrase_en(fact, actor, names)
    day = fact.date.isoformat() if fact.date else ""
    separator = "，" if chinese else ": "
    if body:
        return Draft(f"{day}{separator}{body}" if day else body, needs_translation=False)
    headline = re.sub(r"\s+", " ", headline).strip()
    in_language = bool(_CJK.search(headline)) == chinese
    if in_language:
        said = f"{headline}（{source}）" if chinese else f"{headline} ({source})"
    else:
        said = f"{source}报道：{headline}" if chinese else f"{source} reports: {headline}"
    return Draft(f"{day}{separator}{said}" if day else said, needs_translation=not in_language)


def _spell(actor: str, names: NameBook, language: str) -> str:
    name = names.lookup(actor) if actor else None
    return name.spelled_for(language) if name else actor


# ----------------------------------------------------------------- Chinese


def _phrase_zh(fact: Fact, actor: str, names: NameBook, headline: str = "") -> str:
    thing = _zh_term(fact.object)
    figures = _figures(fact)
    money = next((f for f in figures if f.kind == "money"), None)
    rank = next((f for f in figures if f.kind == "rank"), None)
    detail = _detail_zh(fact, figures)
    event = fact.event
    if event == "paper" and actor and not thing:
        # A paper whose thing no name says is about what it studies: the field concepts
        # its headline and key sentence name, or the term a Chinese headline quotes.
        topics = _concepts_zh(f"{headline} {fact.sentence}") or _quoted_term(headline)
        return f"{actor}发表关于{_zh_list(topics)}的研究{detail}" if topics else ""
    if event in ("release", "open-source", "paper") and actor and thing:
        if event == "paper":
            # A paper about a product is research on it, not the product published; what
            # it studies is the field concepts its headline names ("思维链", "稀疏自编码器").
            if _looks_like_name(thing):
                topics = _concepts_zh(headline, exclude=thing, most=1) or _quoted_term(headline)
                return f"{actor}发表关于{thing}{''.join(topics)}的研究{detail}"
            topics = _concepts_zh(f"{headline} {fact.sentence}", exclude=thing)
            if topics:
                return f"{actor}发表关于{_zh_list([thing, *topics])}的研究{detail}"
            return ""
        verb = {"release": "发布", "open-source": "开源"}[event]
        return f"{actor}{verb}{thing}{detail}"
    if event == "feature" and actor and thing:
        return f"{actor}为{thing}推出新功能{detail}"
    score = _score(fact, figures)
    if event == "ranking" and thing and rank is None and score is not None:
        board = _board(fact, names, "zh")
        owner = f"{actor}的" if actor and actor not in thing else ""
        where = f"在{board}上" if board else ""
        return f"{owner}{thing}{where}得分{format_zh(score)}"
    if event == "ranking" and thing:
        board = _board(fact, names, "zh")
        place = format_zh(rank) if rank is not None else "第一"
        owner = f"{actor}的" if actor and actor not in thing else ""
        where = f"在{board}上" if board else ""
        return f"{owner}{thing}{where}排名{place}{_detail_zh(fact, figures, skip=rank)}"
    if event == "funding" and actor and money is not None:
        valuation = _second(figures, money, "money")
        tail = f"，估值{format_zh(valuation)}" if valuation is not None else ""
        stage = _round(f"{fact.sentence} {headline}")
        return f"{actor}完成{format_zh(money)}{f'{stage}轮' if stage else ''}融资{tail}"
    if event == "acquisition" and actor and thing:
        tail = f"，交易金额{format_zh(money)}" if money is not None else ""
        return f"{actor}宣布收购{thing}{tail}"
    if event == "price" and thing and money is not None:
        owner = f"{actor}的" if actor and actor not in thing else ""
        return f"{owner}{thing}价格调整为{format_zh(money)}"
    if event == "milestone" and (actor or thing) and figures:
        subject = f"{actor}的{thing}" if actor and thing and actor not in thing else thing or actor
        measure = _measure(fact, figures[0], chinese=True)
        if not measure:
            return ""  # a figure of unknown meaning is no statement
        return f"{subject}{measure}达到{format_zh(figures[0])}"
    if event == "market" and (thing or actor):
        subject = thing or actor
        # The subject's own share: the one in the clause that names it ("ChatGPT's share
        # fell to 60%, while Gemini rose to 25%" gives Gemini 25%, never 60%).
        share = next(
            (
                f
                for f in figures
                if f.kind == "percent" and subject.lower() in _clause_at(fact.sentence, f).lower()
            ),
            None,
        )
        if share is not None and _SHARE_WORDS.search(f"{headline} {fact.sentence}"):
            return f"{subject}的份额{_direction_zh(fact.sentence, share)}{format_zh(share)}"
        if money is not None:
            return f"{actor or subject}市值{_direction_zh(fact.sentence, money)}{format_zh(money)}"
        return ""
    if event == "lawsuit" and actor and thing:
        return f"{actor}起诉{thing}"
    if event == "regulation" and actor and thing:
        return f"{actor}出台{thing}{detail}"
    if event == "award" and actor and thing:
        return f"{actor}的{thing}获奖{detail}" if _looks_like_name(thing) else ""
    if event == "rename" and actor and thing:
        return f"{actor}将旗下产品更名为{thing}"
    return ""


_SHARE_WORDS = re.compile(r"\bshare\b|份额|市占率|占比", re.IGNORECASE)
_FELL = re.compile(
    r"\b(?:falls?|fell|slides?|slid|drops?|dropped|declines?|declined|shrinks?|shrank)\b"
    r"|降至|跌至|下滑|下降|缩水",
    re.IGNORECASE,
)
_ROSE = re.compile(
    r"\b(?:rises?|rose|climbs?|climbed|grows?|grew|jumps?|jumped|reach\w*|hits?)\b"
    r"|升至|涨至|增至|达到|突破",
    re.IGNORECASE,
)


_PASSED = re.compile(
    r"\b(?:pass(?:es|ed)?|cross(?:es|ed)?|surpass(?:es|ed)?|tops|topped|breaks?|broke)\b|突破|超过",
    re.IGNORECASE,
)


def _direction_zh(sentence: str, figure: Figure) -> str:
    """降至 / 升至 / 突破 / 为, by the verb nearest before the figure in its clause."""
    before = _clause_at(sentence, figure)[: max(0, figure.start - _clause_start(sentence, figure))]
    found = [
        (m.start(), word)
        for pattern, word in ((_FELL, "降至"), (_ROSE, "升至"), (_PASSED, "突破"))
        for m in pattern.finditer(before)
    ]
    return max(found)[1] if found else "为"


def _clause_start(sentence: str, figure: Figure) -> int:
    cut = max(sentence.rfind(mark, 0, figure.start) for mark in ",，;；、")
    return cut + 1


def _clause_at(sentence: str, figure: Figure) -> str:
    """The clause of ``sentence`` that holds ``figure`` (between commas or semicolons)."""
    ends = [i for i in (sentence.find(mark, figure.end) for mark in ",，;；。") if i >= 0]
    return sentence[_clause_start(sentence, figure) : min(ends, default=len(sentence))]


def _detail_zh(fact: Fact, figures: list[Figure], skip: Figure | None = None) -> str:
    """``，年化收入达到25亿美元`` for the first figure whose measure is known."""
    for figure in figures:
        if figure is skip or figure.kind in ("rank", "plain"):
            continue
        measure = _measure(fact, figure, chinese=True)
        if measure:
            return f"，{measure}达到{format_zh(figure)}"
    return ""


# ----------------------------------------------------------------- English


def _phrase_en(fact: Fact, actor: str, names: NameBook) -> str:
    thing = fact.object
    figures = _figures(fact)
    money = next((f for f in figures if f.kind == "money"), None)
    rank = next((f for f in figures if f.kind == "rank"), None)
    detail = _detail_en(fact, figures)
    event = fact.event
    if event == "feature" and actor and thing:
        return f"{actor} added a new capability to {thing}{detail}"
    if event in ("release", "open-source") and actor and thing:
        verb = "released" if event == "release" else "open-sourced"
        return f"{actor} {verb} {thing}{detail}"
    if event == "feature" and actor and thing:
        return f"{actor}为{thing}推出新功能{detail}"
    score = _score(fact, figures)
    if event == "ranking" and thing and rank is None and score is not None:
        board = _board(fact, names, "en")
        return f"{thing} scored {format_en(score)}" + (f" on {board}" if board else "")
    if event == "ranking" and thing:
        board = _board(fact, names, "en")
        place = format_en(rank) if rank is not None else "#1"
        return f"{thing} ranked {place}" + (f" on {board}" if board else "")
    if event == "funding" and actor and money is not None:
        stage = _round(fact.sentence)
        stage_en = {"种子": "seed", "天使": "angel"}.get(stage, f"Series {stage}")
        return f"{actor} raised {format_en(money)}" + (f" in a {stage_en} round" if stage else "")
    if event == "acquisition" and actor and thing:
        return f"{actor} agreed to acquire {thing}"
    if event == "rename" and actor and thing:
        return f"{actor} renamed one of its products {thing}"
    if event == "price" and thing and money is not None:
        return f"{thing} now costs {format_en(money)}"
    if event == "milestone" and (thing or actor) and figures:
        measure = _measure(fact, figures[0], chinese=False)
        if not measure:
            return ""
        return f"{thing or actor} {measure} reached {format_en(figures[0])}"
    return ""


def _detail_en(fact: Fact, figures: list[Figure]) -> str:
    for figure in figures:
        if figure.kind in ("rank", "plain"):
            continue
        measure = _measure(fact, figure, chinese=False)
        if measure:
            return f"; {measure}: {format_en(figure)}"
    return ""


# ----------------------------------------------------------------- helpers


def _figures(fact: Fact) -> list[Figure]:
    """The fact's figures, those it gives as the value before a change ("由300美元上调至",
    "up from $200") last: the news is the value it changes to."""
    figures = [f for f in figures_in(fact.sentence) if f.kind != "date" and f.text in fact.numbers]
    # Only the words just before a figure can say it is the old value; searching all the
    # text before each figure was quadratic in a long sentence.
    return sorted(
        figures,
        key=lambda f: bool(_BEFORE_CHANGE.search(fact.sentence[max(0, f.start - 40) : f.start])),
    )


_BEFORE_CHANGE = re.compile(
    r"(?:\bfrom|\bup from|\bdown from|\bpreviously|\binstead of)\s+(?:the\s+)?$"
    r"|(?:由|从|自)\s*$",
    re.IGNORECASE,
)


def _measure(fact: Fact, figure: Figure, *, chinese: bool) -> str:
    """What ``figure`` measures, from the words within a few dozen characters of it and
    the kind of figure it is (a sum is no number of users)."""
    sentence = fact.sentence
    around = sentence[max(0, figure.start - 40) : figure.end + 40]
    for (pattern, zh, en), kinds in zip(_MEASURES, _MEASURE_KINDS, strict=True):
        if figure.kind in kinds and pattern.search(around):
            return zh if chinese else en
    return ""


_SCORED = re.compile(r"\bscor(?:es|ed|e of)\b|得分|分数", re.IGNORECASE)


def _score(fact: Fact, figures: list[Figure]) -> Figure | None:
    """A percentage the key sentence gives as a score ("scored 75.7 per cent on …")."""
    if not _SCORED.search(fact.sentence):
        return None
    return next((f for f in figures if f.kind == "percent"), None)


def _board(fact: Fact, names: NameBook, language: str) -> str:
    for found in names.find(fact.sentence):
        if found.name.kind == "board" or found.form == "Artificial Analysis":
            return found.name.spelled_for(language)
    return ""


# A funding round's stage, as the Chinese "X轮" writes it: "Series B", "B轮", "seed round".
_ROUND = re.compile(
    r"\bSeries ([A-H])\b|(?<![A-Za-z])([A-H]\+?|Pre-[A-H]|天使|种子)轮|\b(seed|angel) round\b"
)


def _round(text: str) -> str:
    """The stage of the round ``text`` tells of ("B", "Pre-A", "种子"), or ""."""
    found = _ROUND.search(text)
    if found is None:
        return ""
    stage = next(g for g in found.groups() if g)
    return {"seed": "种子", "angel": "天使"}.get(stage.lower(), stage)


def _second(figures: list[Figure], first: Figure, kind: str) -> Figure | None:
    return next((f for f in figures if f is not first and f.kind == kind), None)


# Glossary concepts that can be what research is about (not names, nor words such as
# 竞争 or 实验室 that any story uses).
_RESEARCH_TOPICS = frozenset(
    (
        "可解释性", "机械可解释性", "稀疏自编码器", "神经元", "思维链", "强化学习", "可验证奖励",
        "工具调用", "多模态", "图像生成", "图像编辑", "推理模型", "智能体", "编码智能体", "安全",
        "作弊", "监控", "微调", "规划", "任务时长", "训练成本", "大语言模型",
        "涌现式失调", "失调", "对齐", "图谋", "欺骗", "提示词注入", "越狱", "红队测试", "幻觉",
        "谄媚", "内省", "忠实性", "可监控性", "电路追踪", "电路", "权重稀疏", "蒸馏", "混合专家",
        "上下文窗口", "残差连接", "超连接",
    )
)  # fmt: skip


def _concepts_zh(text: str, *, exclude: str = "", most: int = 2) -> list[str]:
    """The Chinese forms of the research topics ``text`` names, in order of appearance."""
    found: list[tuple[int, str]] = []
    lowered = text.lower()
    for row in FIELD_GLOSSARY:
        zh = next((form for form in row if _CJK.search(form)), None)
        if zh is None or zh in exclude or zh not in _RESEARCH_TOPICS:
            continue
        places = [
            m.start()
            for form in row
            for m in [
                re.search(re.escape(form), text)
                if _CJK.search(form)
                else re.search(rf"(?<![a-z]){re.escape(form.lower())}(?![a-z])", lowered)
            ]
            if m is not None
        ]
        if places:
            found.append((min(places), zh))
    chosen = [zh for _, zh in sorted(found)]
    # A longer concept includes a shorter one ("思维链监控" has "思维链"): keep the longer.
    chosen = [c for c in chosen if not any(c != o and c in o for o in chosen)]
    return chosen[:most]


# A term a Chinese headline puts in quotes: outlets quote the new concept of a story
# ("Claude具有有限的“内省”能力").
_QUOTED = re.compile(r"[“「\"]([\u4e00-\u9fff]{2,6})[”」\"]")


def _quoted_term(headline: str) -> list[str]:
    """The first short Chinese term ``headline`` quotes, as a one-item list, else []."""
    found = _QUOTED.search(headline)
    return [found.group(1)] if found else []


def _zh_list(items: list[str]) -> str:
    """ "A、B与C", without repeats."""
    unique = list(dict.fromkeys(i for i in items if i))
    return "、".join(unique[:-1]) + "与" + unique[-1] if len(unique) > 1 else "".join(unique)


def _zh_term(thing: str) -> str:
    """A field-glossary term in its Chinese form ("image model" → "图像模型"); names as they
    are, the glossary's too: a row whose Latin forms are all capitalised ("Nano Banana",
    "Google") is a name, which the report writes in Latin ("纳米香蕉" is the press's)."""
    key = thing.lower().replace("-", " ")
    for row in FIELD_GLOSSARY:
        latin = [form for form in row if not _CJK.search(form)]
        if key in (form.lower() for form in latin):
            if is_name_row(row):
                return next((form for form in latin if form.lower() == key), thing)
            return next((form for form in row if _CJK.search(form)), thing)
    return thing


def _looks_like_name(thing: str) -> bool:
    """A product or model name, not a phrase: short, capitalised or versioned."""
    words = thing.split()
    return len(words) <= 4 and (any(ch.isdigit() for ch in thing) or thing[:1].isupper())
