"""Figures — numbers with their meaning — in English and Chinese text.

:func:`figures_in` finds them ("$2.5 billion", "25亿美元", "40%", "排名第一",
"November 18, 2025", "7个月", "10x") and reads each as a kind, a value and a
unit, so that one figure written in either language compares equal under
:func:`same_figure`; :func:`present_in` asks whether a text states a figure;
:func:`format_zh` and :func:`format_en` write one as this project's reports do,
and :func:`written_like` writes a new figure the way a text wrote the old one.

Values and units by kind: ``money`` in currency units (2.5e9) with unit
``USD``/``CNY``/``EUR``/``GBP``/``JPY`` (``¥`` is CNY) and ``per`` a rate's
period ("$200/月" → ``month``); ``percent`` 40.0 with unit ``%``, or ``pp``
for "5 percentage points"/"5个百分点"; ``count`` a number with a magnitude
("1 million", "6.5亿", "120B") or thousands separators ("1,000"), with unit
``parameters``/``tokens`` when those follow, else ``""``; ``plain`` a bare
number ("3", "两家", "two companies") — count and plain compare equal;
``rank`` the position, unit ``""`` ("#1", "第一", "ranked second") or ``top``
for a top-N ("前五名", "top 5"), so top 5 is not fifth; ``date`` the
``date.toordinal()`` of the period's first day, unit its precision
(``day``/``month``/``year``) — a date without a year ("12月25日") gets year 1
and matches that day in any year, and a bare year is a date only after "in",
"since", "by" … or before "年"; ``duration`` the number in its own unit (7.0,
``month``); ``size`` the number in ``KB``…``PB``; ``multiple`` "10x", "10倍",
"twice" → 10.0, 10.0, 2.0. A range gives two figures, the first taking the
second's meaning ("20–30%", "$2-3 billion").

Never figures: model and product names ("GPT-5.1", "o3", "Qwen3-Max", "K2",
"Opus 4.5", "V3.2", "gpt-oss-120B"), citation markers ("[1]", "[1,2]",
"［3］"), URLs, list markers and numbered headings at a line start ("1.",
"2.1 推理模型的兴起"), times ("08:00"), fractions ("24/7"), versions ("2.1.3"),
ordinal labels ("第二季度", "第3章", "for the first time") and vague amounts
("数小时", "数千亿", "a working day", "hundreds of millions").

What it deliberately does not do: convert currencies or units (1 TB is not
1,000 GB), resolve relative dates ("last Tuesday", "去年"), read signs or
directions ("-5%" and "下降5%" are both 5 percent), Chinese-numeral dates
("二〇二五年"), English number words above twenty, or the period of a rate
that is not money. No I/O, no clock; every pattern is bounded, so the time
taken grows linearly with the text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date
from math import prod

from tracker.figure_patterns import (
    _AFTER_MONTH,
    _ANCHOR,
    _BORROWED,
    _CITATION_AFTER,
    _CITATION_BEFORE,
    _CURRENCIES,
    _CURRENCY_BEFORE,
    _DAY_MONTH,
    _EN_MAGNITUDE,
    _FOLD,
    _GLUED_LEFT,
    _HALF,
    _HEADING_REST,
    _LINE_START,
    _LIST_MARK,
    _MAGNITUDE,
    _MODEL_BEFORE,
    _MONTH_NAMES,
    _MONTHS,
    _NOT_IDENTIFIERS,
    _ORDINALS,
    _PER,
    _PLAIN_WORD_AFTER,
    _RANGE,
    _RANK_BEFORE,
    _RANK_CONTEXT_AFTER,
    _RANK_CONTEXT_BEFORE,
    _RANK_FOLLOWERS,
    _SUFFIX,
    _TWICE,
    _UNITS,
    _URL,
    _WORDS,
    _YEAR_BEFORE,
    _ZH_CLASSIFIERS,
    _ZH_DIGITS,
    _ZH_MAGNITUDE,
    _is_cjk,
)


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


_Read = tuple[int, int, str, float, str, str]  # start, end, kind, value, unit, per


def figures_in(text: str) -> list[Figure]:
    """The figures of ``text``, in order of appearance and not overlapping."""
    folded = text.translate(_FOLD)
    urls = [m.span() for m in _URL.finditer(folded)]
    found: list[Figure] = []
    last = 0
    for m in _ANCHOR.finditer(folded):
        i = bisect_right(urls, (m.start(), len(text))) - 1  # the last URL starting before m
        if m.start() < last or (i >= 0 and urls[i][1] > m.start()):
            continue
        if (read := _read_anchor(folded, m)) and read[0] >= last:
            found.append(Figure(text[read[0] : read[1]], *read))
            last = read[1]
    return found


def same_figure(a: Figure, b: Figure) -> bool:
    """Same kind, unit and per, and values within 0.5% (dates: the same period).

    Dates compare at the coarser precision of the two; a date without a
    year matches its day or month in any year. Count and plain are one kind here.
    """
    if a.kind == "date" or b.kind == "date":
        return a.kind == b.kind and _same_date(a, b)
    if (a.kind != b.kind and {a.kind, b.kind} != {"count", "plain"}) or a.unit != b.unit:
        return False
    return a.per == b.per and abs(a.value - b.value) <= 0.005 * max(abs(a.value), abs(b.value))


# Words that hedge a figure as rounded: "nearly $600 billion", "近6000亿美元".
_HEDGE = re.compile(
    r"\b(?:about|around|roughly|some|nearly|almost|close to)\s*$|(?:约|大约|近|将近|接近)\s*$", re.I
)


def rounded_from(stated: Figure, given: Figure, text: str) -> bool:
    """``given`` (a figure of ``text``) is ``stated`` rounded: hedged as approximate in
    ``text`` ("近6000亿美元" for 5930亿美元) and within 5 % of it, in the same kind and unit."""
    return (
        stated.kind == given.kind
        and stated.unit == given.unit
        and stated.per == given.per
        and _HEDGE.search(text[max(0, given.start - 12) : given.start]) is not None
        and abs(stated.value - given.value) <= 0.05 * max(abs(stated.value), abs(given.value))
    )


def present_in(figure: Figure, text: str) -> bool:
    """Whether ``text`` states ``figure`` (by meaning, in either language)."""
    return any(same_figure(figure, other) for other in figures_in(text))


def format_zh(figure: Figure) -> str:
    """The figure as a Chinese report writes it: "25亿美元", "$200/月", "第一", "7个月"."""
    kind, value, unit, n = figure.kind, figure.value, figure.unit, _trim(figure.value)
    if kind == "money":
        per = "/" + _ZH_UNITS[figure.per].removeprefix("个") if figure.per else ""
        if unit == "USD" and (per or value < 1e4):
            return f"${_money_digits(value)}{per}"
        return (_scaled(value, _ZH_SCALES) or n) + _ZH_CURRENCY.get(unit, unit) + per
    if kind == "rank":
        n = "零一二三四五六七八九十"[int(value)] if value.is_integer() and 0 < value <= 10 else n
        return f"前{n}" if unit == "top" else f"第{n}"
    if kind == "date":
        d = date.fromordinal(int(value))
        year = "" if d.year == 1 else f"{d.year}年"
        day = "" if unit == "month" else f"{d.day}日"
        return year if unit == "year" else f"{year}{d.month}月{day}"
    if kind == "count":
        noun = {"parameters": "参数", "tokens": "token"}.get(unit, "")
        return (_scaled(value, _ZH_SCALES, 3) or n) + noun
    suffix = {"percent": "个百分点" if unit == "pp" else "%", "multiple": "倍", "size": f" {unit}"}
    return n + suffix.get(kind, _ZH_UNITS.get(unit, "") if kind == "duration" else "")


def format_en(figure: Figure) -> str:
    """The figure as an English report writes it: "$2.5 billion", "#1", "March 2025"."""
    kind, value, unit, n = figure.kind, figure.value, figure.unit, _trim(figure.value)
    if kind == "money":
        amount = _scaled(value, _EN_SCALES) or _money_digits(value)
        symbol = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "RMB "}.get(unit, f"{unit} ")
        return f"{symbol}{amount}" + (f"/{figure.per}" if figure.per else "")
    if kind == "rank":
        return f"top {n}" if unit == "top" else f"#{n}"
    if kind == "date":
        d = date.fromordinal(int(value))
        month, year = _MONTH_NAMES[d.month - 1], "" if d.year == 1 else str(d.year)
        if unit == "year":
            return year
        if unit == "month":
            return f"{month} {year}".strip()
        return f"{month} {d.day}, {year}" if year else f"{month} {d.day}"
    if kind == "count":
        number = _scaled(value, _EN_SCALES, 3) or (f"{value:,.0f}" if value.is_integer() else n)
        return f"{number} {unit}" if unit else number
    if kind == "duration":
        return f"{n} {unit}{'' if value == 1 else 's'}"
    suffix = {"percent": " percentage points" if unit == "pp" else "%", "multiple": "x"}
    return n + suffix.get(kind, f" {unit}" if kind == "size" else "")


def written_like(new: Figure, old: Figure) -> str:
    """``new`` written the way ``old`` was, to replace it in the text ``old`` was read from.

    A Chinese text, or money in dollars ("$200/月"), gets :func:`format_zh` (Chinese
    magnitudes, "25亿美元"); otherwise the new figure is written as its own source wrote
    it. A rate keeps the old one's period when the new text drops it ("$200/月" →
    "$250/月" from "$250"), and a Chinese date keeps a month's precision ("2025年3月"
    stays a month when the new date has a day): the text said no more than that.
    """
    if old.per and not new.per:
        new = replace(new, per=old.per)
    chinese = _CJK_IN(old.text) is not None
    if chinese and old.kind == new.kind == "date" and (old.unit, new.unit) == ("month", "day"):
        new = replace(new, unit="month")
    return format_zh(new) if chinese or old.text.startswith("$") else new.text


_CJK_IN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]").search
_ZH_SCALES = (("万亿", 1e12), ("亿", 1e8), ("万", 1e4))
_EN_SCALES = ((" trillion", 1e12), (" billion", 1e9), (" million", 1e6))
_ZH_CURRENCY = {"USD": "美元", "CNY": "元", "EUR": "欧元", "GBP": "英镑", "JPY": "日元"}
_ZH_UNITS = {"year": "年", "month": "个月", "week": "周", "day": "天", "hour": "小时"}
_ZH_UNITS |= {"minute": "分钟", "second": "秒"}


def _read_anchor(t: str, m: re.Match[str], ranged: bool = False) -> _Read | None:
    s, e = m.span()
    if m["iso"] is not None:
        y, mo, d = re.split(r"[-/.]", m.group())
        return _date(s, e, int(y), int(mo), int(d), "day")
    if m["zhdate"] is not None:
        if _blocked(t, s, e):
            return None
        if m["zy"] is not None:
            month, day = m["zm"], m["zd"]
            unit = "day" if day else "month" if month else "year"
            return _date(s, e, int(m["zy"]), int(month or 1), int(day or 1), unit)
        return _date(s, e, 1, int(m["zm2"]), int(m["zd2"] or 1), "day" if m["zd2"] else "month")
    if m["month"] is not None:
        if (after := _AFTER_MONTH.match(t, e, e + 24)) is None:
            return None
        month, day = _MONTHS[m.group().rstrip(".").lower()], after["d"]
        year = int(after["y"] or after["y2"] or 1)
        return _date(s, after.end(), year, month, int(day or 1), "day" if day else "month")
    if m["num"] is not None:
        raw = m.group()
        return _read_number(t, s, e, float(raw.replace(",", "")), "num", "," in raw, ranged)
    if m["phrase"] is not None:
        return (s, e, "rank", 1.0, "", "")
    if m["word"] is not None:
        word = m.group().lower()
        if word in _TWICE:
            return (s, e, "multiple", _TWICE[word], "", "")
        if word in _ORDINALS:
            return (s, e, "rank", _ORDINALS[word], "", "") if _rank_context(t, s, e) else None
        return _read_number(t, s, e, _WORDS[word], "word", False, ranged)
    value, raw = _zh_value(m.group()), m.group()
    big = "万" in raw or "亿" in raw  # read like "1,000": a count
    return None if value is None else _read_number(t, s, e, value, "zh", big, ranged)


def _read_number(
    t: str, s: int, e: int, value: float, src: str, grouped: bool, ranged: bool
) -> _Read | None:
    """A number at ``t[s:e]`` (src "num", "word" or "zh") read with what stands around it."""
    if src == "num" and _blocked(t, s, e):
        return None
    nxt = t[e : e + 1]
    if src == "zh" and (t[s - 1 : s] in ("数", "几", "上") or nxt == "几" or t[s] in "百千万亿"):
        return None  # 数千亿, 十几个, 上百家, 千亿级: vague
    if s and t[s - 1] == "第":
        if _is_cjk(nxt) and nxt not in _RANK_FOLLOWERS:
            return None  # an ordinal label: 第二季度, 第3章, 第一次
        return (s - 1, e, "rank", value, "", "")
    if src == "num" and value.is_integer() and (dm := _DAY_MONTH.match(t, e, e + 24)):
        month = _MONTHS[dm["m"].lower()]
        return _date(s, dm.end(), int(dm["y"] or 1), month, int(value), "day")
    if t.endswith("百分之", 0, s):
        return (s - 3, e, "percent", value, "%", "")
    currency = _CURRENCY_BEFORE.search(t, max(0, s - 24), s) if src != "zh" else None
    if currency is not None and currency["foreign"]:
        return None  # HK$, A$, NT$ …: a currency this module does not name
    pos, magnitude = _magnitude(t, e, src)
    if magnitude == 1 and not ranged and (end := _range_end(t, pos)):
        number, (_, _, kind, second, unit, per) = end
        if currency is not None and kind in ("money", "count"):
            unit = _currency(currency["c"])
            return (currency.start(), e, "money", value * second / number, unit, per)
        if currency is None and kind in _BORROWED:
            return (s, e, kind, value * second / number, unit, per)
    if magnitude == 1 and (half := _HALF.match(t, pos, pos + 16)):
        value, pos = value + 0.5, half.end()
        if t.startswith("月", pos):  # 个半月: the month unit after 个半
            return (s, pos + 1, "duration", value, "month", "")
    suffix = _SUFFIX.match(t, pos, pos + 24)
    kind = (suffix.lastgroup if suffix else None) or ""
    if kind in ("percent", "pp") and magnitude == 1 and suffix:
        return (s, suffix.end(), "percent", value, "pp" if kind == "pp" else "%", "")
    unit, start = (_currency(currency["c"]), currency.start()) if currency else ("", s)
    start = s if currency and currency["range"] else start  # "$2-3 billion": the "3 billion"
    if kind == "currency" and suffix:
        unit, pos = unit or _currency(suffix[kind]), suffix.end()
    if unit:
        per = ""
        if rate := _PER.match(t, pos, pos + 16):
            per, pos = _UNITS[rate["u"]], rate.end()
        return (start, pos, "money", value * magnitude, unit, per)
    if magnitude == 1 and kind in ("multiple", "size", "duration") and suffix:
        word = suffix[kind]
        unit = "" if kind == "multiple" else word if kind == "size" else _UNITS[word.lower()]
        return (s, suffix.end(), kind, value, unit, "")
    if magnitude == 1 and (rank := _RANK_BEFORE.search(t, max(0, s - 8), s)):
        top = "top" if rank["top"] else ""
        if rank.group() != "前" or not _is_cjk(nxt):
            return (rank.start(), e, "rank", value, top, "") if value.is_integer() else None
        if nxt in _RANK_FOLLOWERS:
            return (s - 1, e, "rank", value, "top", "")
    if kind == "ordinal" and src == "num":
        return (s, e + 2, "rank", value, "", "") if _rank_context(t, s, e + 2) else None
    year = src == "num" and not grouped and magnitude == 1 and 1800 <= value <= 2200
    year = year and value.is_integer() and not (nxt.isascii() and nxt.isalnum())
    if year and _YEAR_BEFORE.search(t, max(0, s - 10), s):
        return _date(s, e, int(value), 1, 1, "year")
    if kind in ("parameters", "tokens") and suffix:
        return (s, suffix.end(), "count", value * magnitude, kind, "")
    if magnitude > 1 or grouped:
        return (s, pos, "count", value * magnitude, "", "")
    if src == "num":
        return None if nxt.isascii() and nxt.isalpha() else (s, e, "plain", value, "", "")
    after = nxt in _ZH_CLASSIFIERS if src == "zh" else _PLAIN_WORD_AFTER.match(t, e, e + 3)
    return (s, e, "plain", value, "", "") if value >= 2 and nxt and after else None


def _range_end(t: str, pos: int) -> tuple[float, _Read] | None:
    """The number ending a range that starts at ``pos`` ("–30%"), with how it reads."""
    to = _RANGE.match(t, pos, pos + 4)
    other = _ANCHOR.match(t, to.end()) if to else None
    if other is None or other.lastgroup not in ("num", "zhnum"):
        return None
    raw = other.group()
    number = _zh_value(raw) if other.lastgroup == "zhnum" else float(raw.replace(",", ""))
    read = _read_anchor(t, other, ranged=True)
    return (number, read) if number and read else None


def _blocked(t: str, s: int, e: int) -> bool:
    """Digits that are a label, not a figure: names, citations, list and heading numbers."""
    if s and t[s - 1] in "(（" and t[e : e + 1] in (")", "）"):
        return True
    before = t[max(0, s - 30) : s]
    last = before[-1:]
    if "[" in before and _CITATION_BEFORE.search(before) and _CITATION_AFTER.match(t, e, e + 30):
        return True
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
    return bool(("." in t[s:e] or line["hash"]) and _HEADING_REST.match(t, e, e + 8))


def _rank_context(t: str, s: int, e: int) -> bool:
    """Whether an ordinal ("second", "3rd") is a rank: "ranked second", "third place"."""
    before = _RANK_CONTEXT_BEFORE.search(t, max(0, s - 30), s)
    return before is not None or _RANK_CONTEXT_AFTER.match(t, e, e + 14) is not None


def _magnitude(t: str, pos: int, src: str) -> tuple[int, float]:
    m = _MAGNITUDE.match(t, pos, pos + 12)
    if m is None or (src == "zh" and m["zh"]):
        return pos, 1.0
    if m["zh"]:
        return m.end(), float(prod(_ZH_MAGNITUDE[ch] for ch in m["zh"]))
    return m.end(), _EN_MAGNITUDE[(m["word"] or m["abbr"] or m["glued"]).lower()]


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
    depth = 3 - max(("day", "month", "year").index(f.unit) for f in (a, b))  # y/m/d, y/m or y
    da, db = date.fromordinal(int(a.value)), date.fromordinal(int(b.value))
    ka, kb = (da.year, da.month, da.day)[:depth], (db.year, db.month, db.day)[:depth]
    if 1 in (da.year, db.year):  # a date without a year: compare the month and day only
        ka, kb = ka[1:], kb[1:]
    return bool(ka) and ka == kb


def _currency(symbol: str) -> str:
    key = re.sub(r"\s", "", symbol).lower()
    return _CURRENCIES.get(key) or _CURRENCIES[key.removesuffix("s")]


def _trim(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")


def _money_digits(x: float) -> str:
    return f"{x:,.0f}" if x.is_integer() else f"{x:,.2f}"


def _scaled(x: float, scales: tuple[tuple[str, float], ...], sig: int | None = None) -> str:
    """``x`` in the largest of ``scales`` it reaches ("25亿", "2.5 billion"), else ""."""
    if sig is not None:
        x = float(f"{x:.{sig}g}")
    return next((_trim(x / size) + name for name, size in scales if x >= size), "")
