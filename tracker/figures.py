"""Figures — numbers with their meaning — in English and Chinese text.

:func:`figures_in` finds them ("$2.5 billion", "25亿美元", "40%", "排名第一",
"November 18, 2025", "7个月", "10x") and normalises each to a kind, a value
and a unit, so that the same figure written in either language compares
equal under :func:`same_figure`; :func:`present_in` asks whether a text
states a figure; :func:`format_zh` and :func:`format_en` write a figure the
way this project's reports do ("25亿美元", "$200/月", "第一", "2025年11月").

Values and units, by kind:

- ``money``: currency units (2.5e9); unit ``USD``/``CNY``/``EUR``/``GBP``/``JPY``
  (``¥`` is read as CNY); ``per`` is a rate's period (``month``, ``year`` …).
- ``percent``: 40.0 with unit ``%``; "5 percentage points" / "5个百分点" has unit ``pp``.
- ``count``: a number with a magnitude ("1 million", "6.5亿", "120B") or
  thousands separators ("1,000"); unit ``parameters`` or ``tokens`` when
  those follow, else ``""``. A ``plain`` number is a bare one ("3", "两家",
  "two companies"); a count and a plain number of equal value compare equal.
- ``rank``: the position, unit ``""`` ("#1", "第一", "ranked second"); a
  top-N ("前五名", "top 5") has unit ``top``, so "top 5" is not "fifth".
- ``date``: ``date.toordinal()`` of the period's first day; unit is the
  precision (``day``/``month``/``year``). A date without a year ("12月25日",
  "November 18") gets year 1 and compares equal to that day of any year.
  A bare year is a date only after a word such as "in", "since", "by" or
  before "年"; otherwise "2025" is plain.
- ``duration``: the number in its unit (7.0, ``month``); no conversion.
- ``size``: the number in ``KB``/``MB``/``GB``/``TB``/``PB``.
- ``multiple``: "10x", "10倍", "twice" → 10.0, 10.0, 2.0.

Never figures: model and product names ("GPT-5.1", "o3", "Qwen3-Max", "K2",
"Opus 4.5", "V3.2", "gpt-oss-120B"), citation markers ("[1]", "[1,2]",
"［3］"), URLs, list markers and numbered headings at a line start ("1.",
"2.1 推理模型的兴起"), times ("08:00"), fractions ("24/7"), version strings
("2.1.3"), ordinal labels ("第二季度", "第3章", "for the first time") and
vague amounts ("数小时", "a working day").

What it deliberately does not do: convert currencies or units (1 TB is not
1,000 GB here), resolve relative dates ("last Tuesday", "去年"), read signs
or directions ("-5%" and "下降5%" are both 5 percent), read ranges as such
("20–30%" is a plain 20 and 30%), read Chinese-numeral dates ("二〇二五年"),
English number words above twenty, or the period of a rate that is not money.
No I/O, no clock. Every pattern is bounded, so time is linear in the input.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Figure:
    """A figure as found: ``text`` is ``source[start:end]``; see the module doc."""

    text: str
    start: int
    end: int
    kind: str
    value: float
    unit: str
    per: str = ""


# kind, value, unit, per, end — a reader's answer for a figure starting at a known offset.
_Read = tuple[int, int, str, float, str, str]

# Same-length folding (full-width digits and signs), so offsets stay the source's.
_FOLD = str.maketrans("０１２３４５６７８９％＄．［］＃：／￥＋‐‑", "0123456789%$.[]#:/¥+--")

_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
)
_TENS = "thirty forty fifty sixty seventy eighty ninety"
_ORDINAL_WORDS = "first second third fourth fifth sixth seventh eighth ninth tenth"
_MONTH_TEXT = (
    "January February March April May June July August September October November December"
)
_MONTH_NAMES = _MONTH_TEXT.split()
_WORDS = {w: i + 1.0 for i, w in enumerate(_NUMBER_WORDS.split())}
_WORDS |= {w: 10.0 * i for i, w in enumerate(_TENS.split(), 3)} | {"a": 1.0, "an": 1.0}
_ORDINALS = {w: i + 1.0 for i, w in enumerate(_ORDINAL_WORDS.split())}
_TWICE = {"twice": 2.0, "thrice": 3.0}
_MONTHS = {m.lower()[:n]: i + 1 for i, m in enumerate(_MONTH_NAMES) for n in (3, len(m))}
_MONTHS["sept"] = 9
_ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ZH_SMALL = "零一二三四五六七八九十"
_ZH_MAGNITUDE = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "亿": 10**8}
_EN_MAGNITUDE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_EN_MAGNITUDE |= {"k": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "b": 1e9, "bn": 1e9}
_EN_MAGNITUDE |= {"t": 1e12, "tn": 1e12}

_DAY = r"(?:3[01]|[12][0-9]|0?[1-9])"
_MON = r"(?:1[0-2]|0?[1-9])"
_MONTH_RE = "|".join(
    sorted(set(_MONTH_NAMES) | {m[:3] for m in _MONTH_NAMES} | {"Sept"}, key=len, reverse=True)
)
_WORD_RE = "|".join(
    sorted([w for w in (*_WORDS, *_ORDINALS, *_TWICE) if len(w) > 2], key=len)[::-1]
)
_MAG_WORDS = r"(?:thousand|million|billion|trillion)(?![A-Za-z])"

# Where a figure can start. Each alternative is bounded or anchored by a
# look-behind, so no position is scanned more than a constant number of times.
_ANCHOR = re.compile(
    rf"(?P<iso>(?<![0-9A-Za-z_.\-/])(?:1[89]|2[01])[0-9]{{2}}(?P<sep>[-/.]){_MON}(?P=sep){_DAY}(?![0-9]))"
    rf"|(?P<zhdate>(?<![0-9.])(?:(?P<zy>[12][0-9]{{3}})\s?年(?:\s?(?P<zm>{_MON})\s?月"
    rf"(?:\s?(?P<zd>{_DAY})\s?[日号])?)?|(?P<zm2>{_MON})\s?月(?:\s?(?P<zd2>{_DAY})\s?[日号])?))"
    rf"|(?P<month>(?<![A-Za-z])(?:{_MONTH_RE})(?![A-Za-z])\.?)"
    r"|(?P<num>(?<![0-9A-Za-z_.:/])(?<![0-9],)(?:[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{1,15})"
    r"(?:\.[0-9]{1,12})?(?![0-9]|[.,:/][0-9]))"
    r"|(?P<phrase>(?i:(?<![A-Za-z])(?:number[\s-]one|top[\s-](?:spot|place|position)"
    r"|top(?:s|ped|ping)?\s+(?:of\s+)?(?:the\s+)?(?:[\w'’.&-]{1,30}\s+){0,3}?"
    r"(?:leaderboards?|charts?|rankings?|list))(?![A-Za-z])))"
    rf"|(?P<word>(?i:(?<![A-Za-z])(?:{_WORD_RE})(?![A-Za-z])"
    rf"|(?<![A-Za-z])an?(?=\s+{_MAG_WORDS})))"
    r"|(?P<zhnum>[零〇一二两三四五六七八九十百千万亿]{1,12})"
)
_URL = re.compile(r"(?:https?://|www\.)[!-~]+")

_CITATION_BEFORE = re.compile(r"\[[0-9 ,，、\-–]{0,30}\Z")
_CITATION_AFTER = re.compile(r"[0-9 ,，、\-–]{0,30}\]")
_LINE_START = re.compile(r"(?:^|\n)[ \t>]{0,8}(?:[-*+][ \t]+)?(?P<hash>#{1,6}[ \t]+)?(?:\*\*)?\Z")
_LIST_MARK = re.compile(r"[.)](?=[ \t])|、")
_HEADING_REST = re.compile(r"\.?[ \t]*(?:[A-Z]|[^\x00-\x7f万亿倍年月日个天周小分秒])")
_MODEL_BEFORE = re.compile(
    r"(?<![A-Za-z])(?:Opus|Sonnet|Haiku|Claude|Gemini|Gemma|Llama|LLaMA|Qwen|GPT|DeepSeek|Mistral"
    r"|Mixtral|Grok|Phi|Kimi|GLM|ERNIE|Hunyuan|Doubao|MiniMax|Falcon|Codex|Sora|Veo|Imagen"
    r"|Midjourney|iPhone|iOS|Android|Windows|macOS|Python|Pixel|[Vv]ersion|Gen)\s\Z"
    r"|(?:千问|文心|混元|豆包|盘古|星火|通义|元宝|一言)\s?\Z"
)
_GLUED_LEFT = re.compile(r"[A-Za-z0-9_.\-]{1,40}-\Z")
_NOT_IDENTIFIERS = ("mid-", "early-", "late-", "pre-", "post-", "top-")
_DAY_MONTH = re.compile(
    rf"(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{_MONTH_RE})(?![A-Za-z])\.?"
    r"(?:,?\s+(?P<y>[12][0-9]{3})(?![0-9]))?"
)
_AFTER_MONTH = re.compile(
    rf"\s+(?P<d>{_DAY})(?:st|nd|rd|th)?(?![0-9A-Za-z])(?:,?\s+(?P<y>[12][0-9]{{3}})(?![0-9]))?"
    r"|,?\s+(?P<y2>[12][0-9]{3})(?![0-9])"
)
_MAGNITUDE = re.compile(
    r"\s?(?P<zh>[十百千万亿]{1,4})"
    rf"|[\s-](?i:(?P<word>{_MAG_WORDS}))"
    r"|\s?(?P<abbr>bn|mn|mln|tn)(?![A-Za-z])"
    r"|(?P<glued>[kKmMbBT])(?![A-Za-z0-9])"
)
_PERCENT = re.compile(
    r"\s?%|\s?(?i:per\s?cent|pct)(?![A-Za-z])|(?P<pp>个百分点|\s(?i:percentage\s+points?))"
)
_CURRENCY_BEFORE = re.compile(
    r"(?:(?P<c>US\s?\$|(?<![A-Za-z])\$|€|£|¥|人民币|(?<![A-Za-z])(?:USD|EUR|GBP|JPY|CNY|RMB)\s)"
    r"|(?P<foreign>[A-Z]{1,2}\$))\s?\Z"
)
_CURRENCY_AFTER = re.compile(
    r"\s?(?P<c>美元|美金|欧元|英镑|日元|日圆|元人民币|人民币|元|(?:USD|EUR|GBP|JPY|CNY|RMB)(?![A-Za-z])"
    r"|(?i:(?:US\s+|U\.S\.\s+)?dollars?|euros?|pounds?|yuan|renminbi|yen)(?![A-Za-z]))"
)
_PER = re.compile(
    r"(?:\s?/\s?|\s+(?:a|an|per|each)\s+|\s?每)"
    r"(?P<p>months?|mo|years?|yr|weeks?|wk|days?|hours?|hr|月|年|周|天|日|小时)(?![A-Za-z])"
)
_TIMES = re.compile(r"[xX](?![A-Za-z0-9])|\s?×|\s?倍|\s+times(?![A-Za-z])")
_SIZE = re.compile(r"\s?(?P<u>[KMGTP]B)(?![A-Za-z])")
_DURATION = re.compile(
    r"[\s-]?(?P<en>years?|yrs?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?|seconds?|secs?)"
    r"(?![A-Za-z])|\s?(?P<zh>个月|个?小时|个?钟头|个?星期|年|周|天|分钟|秒钟?)"
)
_NOUN = re.compile(r"\s?个?(?:(?P<p>parameters?|params|参数)|(?P<t>tokens?|词元))(?![A-Za-z])")
_RANK_BEFORE = re.compile(
    r"(?:(?P<no>#|(?<![A-Za-z])[Nn]o\.\s?|(?<![A-Za-z])[Nn]umber\s)|(?P<top>(?<![A-Za-z])[Tt]op[\s-]|前))\Z"
)
_RANK_CONTEXT_BEFORE = re.compile(
    r"(?i:(?<![A-Za-z])(?:rank(?:ed|s)?|plac(?:ed|es)|came|comes|finish(?:ed|es)?|sits|sat"
    r"|(?:climb|rise|rose|jump|move|fell|fall|drop|slipp|slid)\w{0,3}\s+(?:to|into))"
    r"\s+(?:the\s+)?\Z)"
)
_RANK_CONTEXT_AFTER = re.compile(
    r"(?i:[\s-](?:place|spot|position|overall|largest|biggest|highest|best|fastest|most|ranked)"
    r"(?![A-Za-z]))"
)
_ORDINAL_SUFFIX = re.compile(r"(?:st|nd|rd|th)(?![A-Za-z0-9])")
_YEAR_BEFORE = re.compile(
    r"(?:(?i:(?<![A-Za-z])(?:in|since|by|until|till|through|during|from|before|after|of|early"
    r"|late|mid|end|fiscal|year)\s)|(?i:mid-)|(?<![A-Za-z])[QH][1-4]\s)\Z"
)
_PLAIN_WORD_AFTER = re.compile(r"\s+[a-z]")
_ZH_CLASSIFIERS = "个家款名位次项种篇台部条只张轮批"
_RANK_FOLLOWERS = "名位大强"

_DURATION_EN = {"y": "year", "mo": "month", "w": "week", "d": "day", "h": "hour", "mi": "minute"}
_DURATION_ZH = {"月": "month", "小": "hour", "钟": "hour", "星": "week", "年": "year", "周": "week"}
_DURATION_ZH |= {"天": "day", "分": "minute", "秒": "second"}
_PERIODS = {"mo": "month", "yr": "year", "wk": "week", "hr": "hour", "月": "month", "年": "year"}
_PERIODS |= {"周": "week", "天": "day", "日": "day", "小时": "hour"}
_CURRENCIES = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY", "人民币": "CNY"}
_CURRENCIES |= {"美元": "USD", "美金": "USD", "欧元": "EUR", "英镑": "GBP", "日元": "JPY"}
_CURRENCIES |= {"日圆": "JPY", "元人民币": "CNY", "元": "CNY", "RMB": "CNY", "yuan": "CNY"}
_CURRENCIES |= {"renminbi": "CNY", "yen": "JPY", "euro": "EUR", "pound": "GBP", "dollar": "USD"}


def figures_in(text: str) -> list[Figure]:
    """The figures of ``text``, in order of appearance and not overlapping."""
    folded = text.translate(_FOLD)
    urls = [m.span() for m in _URL.finditer(folded)]
    url_starts = [s for s, _ in urls]
    found: list[Figure] = []
    last = 0
    for m in _ANCHOR.finditer(folded):
        if m.start() < last:
            continue
        i = bisect_right(url_starts, m.start()) - 1
        if i >= 0 and urls[i][1] > m.start():
            continue
        read = _read_anchor(folded, m)
        if read is None or read[0] < last:
            continue
        start, end, kind, value, unit, per = read
        found.append(Figure(text[start:end], start, end, kind, value, unit, per))
        last = end
    return found


def same_figure(a: Figure, b: Figure) -> bool:
    """Same kind, unit and per, and values within 0.5% (dates: the same period).

    Dates compare at the coarser precision of the two; a date without a
    year matches its day or month in any year. Count and plain are one kind here.
    """
    if a.kind == "date" or b.kind == "date":
        return a.kind == b.kind and _same_date(a, b)
    if a.kind != b.kind and {a.kind, b.kind} != {"count", "plain"}:
        return False
    if a.unit != b.unit or a.per != b.per:
        return False
    return abs(a.value - b.value) <= 0.005 * max(abs(a.value), abs(b.value))


def present_in(figure: Figure, text: str) -> bool:
    """Whether ``text`` states ``figure`` (by meaning, in either language)."""
    return any(same_figure(figure, other) for other in figures_in(text))


def format_zh(figure: Figure) -> str:
    """The figure as a Chinese report writes it: "25亿美元", "$200/月", "第一", "7个月"."""
    kind, value, unit = figure.kind, figure.value, figure.unit
    if kind == "money":
        per = f"/{_ZH_PERIOD[figure.per]}" if figure.per else ""
        if unit == "USD" and (per or value < 1e4):
            return f"${_money_digits(value)}{per}"
        return f"{_zh_amount(value, None)}{_ZH_CURRENCY.get(unit, unit)}{per}"
    if kind == "percent":
        return f"{_trim(value)}个百分点" if unit == "pp" else f"{_trim(value)}%"
    if kind == "rank":
        n = _ZH_SMALL[int(value)] if value.is_integer() and 1 <= value <= 10 else _trim(value)
        return f"前{n}" if unit == "top" else f"第{n}"
    if kind == "date":
        d = date.fromordinal(int(value))
        year = "" if d.year == 1 else f"{d.year}年"
        return {"year": year, "month": f"{year}{d.month}月"}.get(
            unit, f"{year}{d.month}月{d.day}日"
        )
    if kind == "duration":
        return f"{_trim(value)}{_ZH_DURATION.get(unit, unit)}"
    if kind == "count":
        number = _zh_amount(value, 3) if value >= 1e4 else _trim(value)
        return number + {"parameters": "参数", "tokens": "token"}.get(unit, "")
    if kind == "multiple":
        return f"{_trim(value)}倍"
    if kind == "size":
        return f"{_trim(value)} {unit}"
    return _trim(value)


def format_en(figure: Figure) -> str:
    """The figure as an English report writes it: "$2.5 billion", "#1", "March 2025"."""
    kind, value, unit = figure.kind, figure.value, figure.unit
    if kind == "money":
        amount = _en_amount(value, None) if value >= 1e6 else _money_digits(value)
        symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(unit, f"{_EN_CURRENCY.get(unit, unit)} ")
        return f"{symbol}{amount}" + (f"/{figure.per}" if figure.per else "")
    if kind == "percent":
        return f"{_trim(value)} percentage points" if unit == "pp" else f"{_trim(value)}%"
    if kind == "rank":
        return f"top {_trim(value)}" if unit == "top" else f"#{_trim(value)}"
    if kind == "date":
        d = date.fromordinal(int(value))
        month = _MONTH_NAMES[d.month - 1]
        if unit == "year":
            return str(d.year)
        if unit == "month":
            return month if d.year == 1 else f"{month} {d.year}"
        return f"{month} {d.day}" if d.year == 1 else f"{month} {d.day}, {d.year}"
    if kind == "duration":
        return f"{_trim(value)} {unit}{'' if value == 1 else 's'}"
    if kind == "count":
        number = _en_amount(value, 3) if value >= 1e6 else _grouped(value)
        return f"{number} {unit}" if unit else number
    if kind == "multiple":
        return f"{_trim(value)}x"
    if kind == "size":
        return f"{_trim(value)} {unit}"
    return _trim(value)


_ZH_PERIOD = {"month": "月", "year": "年", "week": "周", "day": "天", "hour": "小时"}
_ZH_CURRENCY = {"USD": "美元", "CNY": "元", "EUR": "欧元", "GBP": "英镑", "JPY": "日元"}
_EN_CURRENCY = {"CNY": "RMB", "JPY": "JPY"}
_ZH_DURATION = {"year": "年", "month": "个月", "week": "周", "day": "天", "hour": "小时"}
_ZH_DURATION |= {"minute": "分钟", "second": "秒"}
_PRECISION = {"day": 0, "month": 1, "year": 2}


def _read_anchor(t: str, m: re.Match[str]) -> _Read | None:
    s, e = m.span()
    if m.group("iso") is not None:
        y, mo, d = re.split(r"[-/.]", m.group())
        return _date(s, e, int(y), int(mo), int(d), "day")
    if m.group("zhdate") is not None:
        if _blocked(t, s, e):
            return None
        if m.group("zy") is not None:
            month, day = m.group("zm"), m.group("zd")
            unit = "day" if day else "month" if month else "year"
            return _date(s, e, int(m.group("zy")), int(month or 1), int(day or 1), unit)
        day = m.group("zd2")
        return _date(s, e, 1, int(m.group("zm2")), int(day or 1), "day" if day else "month")
    if m.group("month") is not None:
        after = _AFTER_MONTH.match(t, e, e + 24)
        if after is None:
            return None
        month = _MONTHS[m.group().rstrip(".").lower()]
        year = after.group("y") or after.group("y2")
        day = after.group("d")
        unit = "day" if day else "month"
        return _date(s, after.end(), int(year or 1), month, int(day or 1), unit)
    if m.group("num") is not None:
        raw = m.group()
        return _read_number(t, s, e, float(raw.replace(",", "")), "num", "," in raw)
    if m.group("phrase") is not None:
        return (s, e, "rank", 1.0, "", "")
    if m.group("word") is not None:
        word = m.group().lower()
        if word in _TWICE:
            return (s, e, "multiple", _TWICE[word], "", "")
        if word in _ORDINALS:
            before = _RANK_CONTEXT_BEFORE.search(t, max(0, s - 30), s)
            if before or _RANK_CONTEXT_AFTER.match(t, e, e + 12):
                return (s, e, "rank", _ORDINALS[word], "", "")
            return None
        return _read_number(t, s, e, _WORDS[word], "word", False)
    value = _zh_value(m.group())
    return None if value is None else _read_number(t, s, e, value, "zh", False)


def _read_number(t: str, s: int, e: int, value: float, src: str, grouped: bool) -> _Read | None:
    """A number at ``t[s:e]`` read with what stands before and after it."""
    if src == "num" and _blocked(t, s, e):
        return None
    nxt = t[e : e + 1]
    if s and t[s - 1] == "第":
        if _is_cjk(nxt) and nxt not in _RANK_FOLLOWERS:
            return None  # an ordinal label: 第二季度, 第3章, 第一次
        return (s - 1, e, "rank", value, "", "")
    if src == "num" and value.is_integer() and (dm := _DAY_MONTH.match(t, e, e + 24)):
        month = _MONTHS[dm.group("m").lower()]
        return _date(s, dm.end(), int(dm.group("y") or 1), month, int(value), "day")
    if t.endswith("百分之", 0, s):
        return (s - 3, e, "percent", value, "%", "")
    currency = _CURRENCY_BEFORE.search(t, max(0, s - 8), s) if src != "zh" else None
    if currency is not None and currency.group("foreign"):
        return None  # HK$, A$, NT$ …: a currency this module does not name
    pos, magnitude = _magnitude(t, e, src, currency is not None)
    if magnitude == 1 and (percent := _PERCENT.match(t, pos, pos + 24)):
        return (s, percent.end(), "percent", value, "pp" if percent.group("pp") else "%", "")
    unit, start = "", s
    if currency is not None:
        unit, start = _currency(currency.group("c")), currency.start()
    if after := _CURRENCY_AFTER.match(t, pos, pos + 16):
        unit, pos = unit or _currency(after.group("c")), after.end()
    if unit:
        per = ""
        if rate := _PER.match(t, pos, pos + 16):
            per, pos = _period(rate.group("p")), rate.end()
        return (start, pos, "money", value * magnitude, unit, per)
    if magnitude == 1:
        if times := _TIMES.match(t, pos, pos + 8):
            return (s, times.end(), "multiple", value, "", "")
        if (size := _SIZE.match(t, pos, pos + 4)) and src == "num":
            return (s, size.end(), "size", value, size.group("u"), "")
        if duration := _DURATION.match(t, pos, pos + 10):
            return (s, duration.end(), "duration", value, _duration_unit(duration), "")
        rank = _RANK_BEFORE.search(t, max(0, s - 8), s)
        if rank and value.is_integer() and not (rank.group() == "前" and _is_cjk(nxt)):
            top = rank.group("top") is not None
            return (rank.start(), e, "rank", value, "top" if top else "", "")
        if rank and rank.group() == "前" and nxt and nxt in _RANK_FOLLOWERS:
            return (s - 1, e, "rank", value, "top", "")
        if src == "num" and _ORDINAL_SUFFIX.match(t, e, e + 3):
            before = _RANK_CONTEXT_BEFORE.search(t, max(0, s - 30), s)
            if before or _RANK_CONTEXT_AFTER.match(t, e + 2, e + 14):
                return (s, e + 2, "rank", value, "", "")
            return None
        if src == "num" and not grouped and _is_year(value, t, s, nxt):
            return _date(s, e, int(value), 1, 1, "year")
    noun = _NOUN.match(t, pos, pos + 16)
    if noun or magnitude > 1 or grouped:
        unit = "" if noun is None else "parameters" if noun.group("p") else "tokens"
        return (s, noun.end() if noun else pos, "count", value * magnitude, unit, "")
    if src == "num":
        return None if nxt.isascii() and nxt.isalpha() else (s, e, "plain", value, "", "")
    if src == "zh":
        return (
            (s, e, "plain", value, "", "")
            if value >= 2 and nxt and nxt in _ZH_CLASSIFIERS
            else None
        )
    if value >= 2 and _PLAIN_WORD_AFTER.match(t, e, e + 3):
        return (s, e, "plain", value, "", "")
    return None


def _blocked(t: str, s: int, e: int) -> bool:
    """Digits that are a label, not a figure: names, citations, list and heading numbers."""
    if s and t[s - 1] in "(（" and t[e : e + 1] in (")", "）"):
        return True
    before = t[max(0, s - 30) : s]
    if "[" in before and _CITATION_BEFORE.search(before) and _CITATION_AFTER.match(t, e, e + 30):
        return True
    last = before[-1:]
    if (last.isspace() or _is_cjk(last)) and _MODEL_BEFORE.search(t, max(0, s - 12), s):
        return True
    glued = _GLUED_LEFT.search(before) if last == "-" else None
    if glued and re.search("[A-Za-z]", glued.group()):
        return not glued.group().lower().endswith(_NOT_IDENTIFIERS)
    line = _LINE_START.search(t, max(0, s - 24), s) if s <= 24 or "\n" in before else None
    if line is None:
        return False
    if _LIST_MARK.match(t, e, e + 2) and t[s:e].isdigit():
        return True
    numbered = "." in t[s:e] or line.group("hash")
    return bool(numbered and _HEADING_REST.match(t, e, e + 8))


def _magnitude(t: str, pos: int, src: str, money: bool) -> tuple[int, float]:
    m = _MAGNITUDE.match(t, pos, pos + 12)
    if m is None or (src == "zh" and m.group("zh")):
        return pos, 1.0
    if m.group("zh"):
        factor = 1.0
        for ch in m.group("zh"):
            factor *= _ZH_MAGNITUDE[ch]
        return m.end(), factor
    word = m.group("word") or m.group("abbr") or m.group("glued")
    if m.group("glued") and not money and word in "kmb":
        return pos, 1.0
    return m.end(), _EN_MAGNITUDE[word.lower()]


def _zh_value(text: str) -> float | None:
    """A Chinese numeral ("三千五百万", "两", "二〇二五") as a number; None if it is none."""
    if all(ch in _ZH_DIGITS for ch in text):  # 二〇二五 is digits; 三五 ("three or five") is none
        ok = len(text) == 1 or "〇" in text
        return float("".join(str(_ZH_DIGITS[ch]) for ch in text)) if ok else None
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch == "亿":
            total, section, digit = (total + section + digit) * 10**8, 0, 0
        elif ch == "万":
            section, digit = (section + digit) * 10**4, 0
        else:
            section, digit = section + (digit or 1) * _ZH_MAGNITUDE[ch], 0
    value = total + section + digit
    return float(value) if value else None


def _date(s: int, e: int, year: int, month: int, day: int, unit: str) -> _Read | None:
    try:
        return (s, e, "date", float(date(year, month, day).toordinal()), unit, "")
    except ValueError:
        return None  # 2月30日, or 2月29日 without a year (year 1 was no leap year)


def _same_date(a: Figure, b: Figure) -> bool:
    precision = max(_PRECISION.get(a.unit, 0), _PRECISION.get(b.unit, 0))
    da, db = date.fromordinal(int(a.value)), date.fromordinal(int(b.value))
    yearless = da.year == 1 or db.year == 1
    if yearless and precision == 2:
        return False
    return (
        (yearless or da.year == db.year)
        and (precision == 2 or da.month == db.month)
        and (precision >= 1 or da.day == db.day)
    )


def _is_year(value: float, t: str, s: int, nxt: str) -> bool:
    if not (value.is_integer() and 1800 <= value <= 2200) or (nxt.isascii() and nxt.isalnum()):
        return False
    return _YEAR_BEFORE.search(t, max(0, s - 10), s) is not None


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _currency(symbol: str) -> str:
    key = symbol.strip().replace(" ", "")
    if key in _CURRENCIES:
        return _CURRENCIES[key]
    if key[:3].upper() in ("USD", "EUR", "GBP", "JPY", "CNY"):
        return key[:3].upper()
    lower = key.lower().rstrip("s")
    return "USD" if lower.endswith("dollar") else _CURRENCIES.get(lower, key)


def _period(word: str) -> str:
    return _PERIODS.get(word, _PERIODS.get(word[:2], word.rstrip("s")))


def _duration_unit(m: re.Match[str]) -> str:
    if m.group("en"):
        word = m.group("en").lower()
        return _DURATION_EN.get(word[:2], _DURATION_EN.get(word[0], "second"))
    return _DURATION_ZH[m.group("zh").lstrip("个")[0]]


def _trim(x: float, sig: int | None = None) -> str:
    if sig is not None:
        x = float(f"{x:.{sig}g}")
    return f"{x:.4f}".rstrip("0").rstrip(".")


def _grouped(x: float) -> str:
    return f"{x:,.0f}" if x.is_integer() else _trim(x)


def _money_digits(x: float) -> str:
    return f"{x:,.0f}" if x.is_integer() else f"{x:,.2f}"


def _zh_amount(x: float, sig: int | None) -> str:
    if sig is not None:
        x = float(f"{x:.{sig}g}")
    for name, size in (("万亿", 1e12), ("亿", 1e8), ("万", 1e4)):
        if x >= size:
            return _trim(x / size) + name
    return _trim(x)


def _en_amount(x: float, sig: int | None) -> str:
    if sig is not None:
        x = float(f"{x:.{sig}g}")
    for name, size in (("trillion", 1e12), ("billion", 1e9), ("million", 1e6)):
        if x >= size:
            return f"{_trim(x / size)} {name}"
    return _grouped(x)
