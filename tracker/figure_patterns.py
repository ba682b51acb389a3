"""What figures look like: the word lists and patterns :mod:`tracker.figures` reads them with.

Split from :mod:`tracker.figures` by job: this module only describes the
surface forms (number words, units, currencies, and what may stand before or
after a number); reading a match into a value is :mod:`tracker.figures`'.
Every pattern is bounded, so the scan stays linear in the text.
"""

from __future__ import annotations

import re

# Same-length folding (full-width digits and signs), so offsets stay the source's.
_FOLD = str.maketrans("０１２３４５６７８９％＄．［］【】＃：／￥＋‐‑", "0123456789%$.[][]#:/¥+--")

_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety"
)
_ORDINAL_WORDS = "first second third fourth fifth sixth seventh eighth ninth tenth"
_MONTH_TEXT = (
    "January February March April May June July August September October November December"
)
_MONTH_NAMES = _MONTH_TEXT.split()
_WORDS = {w: i + 1.0 if i < 20 else (i - 17) * 10.0 for i, w in enumerate(_NUMBER_WORDS.split())}
_WORDS |= {"a": 1.0, "an": 1.0}
_ORDINALS = {w: i + 1.0 for i, w in enumerate(_ORDINAL_WORDS.split())}
_TWICE = {"twice": 2.0, "thrice": 3.0}
_MONTHS = {m.lower()[:n]: i + 1 for i, m in enumerate(_MONTH_NAMES) for n in (3, len(m))}
_MONTHS["sept"] = 9
_ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ZH_MAGNITUDE = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "亿": 10**8}
_EN_MAGNITUDE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3}
_EN_MAGNITUDE |= {"m": 1e6, "mn": 1e6, "mln": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12, "tn": 1e12}
_UNIT_NAMES = {
    "year": "year years yr yrs 年",
    "month": "month months mo 个月 月",
    "week": "week weeks wk 周 星期 个星期",
    "day": "day days 天 日",
    "hour": "hour hours hr hrs 小时 个小时 钟头 个钟头",
    "minute": "minute minutes min mins 分钟",
    "second": "second seconds sec secs 秒 秒钟",
}
_UNITS = {name: unit for unit, names in _UNIT_NAMES.items() for name in names.split()}
_CURRENCY_NAMES = {
    "USD": "$ us$ usd dollar usdollar u.s.dollar 美元 美金",
    "EUR": "€ eur euro 欧元",
    "GBP": "£ gbp pound 英镑",
    "JPY": "jpy yen 日元 日圆",
    "CNY": "¥ cny rmb yuan renminbi 元 人民币 元人民币",
}
_CURRENCIES = {name: code for code, names in _CURRENCY_NAMES.items() for name in names.split()}
_BORROWED = ("percent", "money", "duration", "multiple", "size", "count")
_ZH_CLASSIFIERS = "个家款名位次项种篇台部条只张轮批"
_RANK_FOLLOWERS = "名位大强"
_NOT_IDENTIFIERS = ("mid-", "early-", "late-", "pre-", "post-", "top-")

_DAY = r"(?:3[01]|[12][0-9]|0?[1-9])"
_MON = r"(?:1[0-2]|0?[1-9])"
_MONTH_RE = "|".join(sorted({*_MONTH_NAMES, *(m[:3] for m in _MONTH_NAMES), "Sept"}, key=len)[::-1])
_WORD_RE = "|".join(sorted((*_WORDS, *_ORDINALS, *_TWICE), key=len, reverse=True)[:-2])  # no a/an
_MAG_WORDS = r"(?:thousand|million|billion|trillion)(?![A-Za-z])"

# Where a figure can start. Each alternative is bounded or anchored by a
# look-behind, so no position is scanned more than a constant number of times.
_ANCHOR = re.compile(
    rf"(?P<iso>(?<![0-9A-Za-z_.\-/])(?:1[89]|2[01])[0-9]{{2}}(?P<sep>[-/.]){_MON}(?P=sep){_DAY}"
    r"(?![0-9]))"
    rf"|(?P<zhdate>(?<![0-9.])(?:(?P<zy>[12][0-9]{{3}})\s?年(?:\s?(?P<zm>{_MON})\s?月"
    rf"(?:\s?(?P<zd>{_DAY})\s?[日号])?)?|(?P<zm2>{_MON})\s?月(?:\s?(?P<zd2>{_DAY})\s?[日号])?))"
    rf"|(?P<month>(?<![A-Za-z])(?:{_MONTH_RE})(?![A-Za-z])\.?)"
    # A colon blocks a number only after a digit (a time or ratio, "10:30", "16:9"):
    # after a label ("模型：30分钟", "Score:40%") the number is a figure.
    r"|(?P<num>(?<![0-9A-Za-z_./])(?<![0-9][,:])(?:[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{1,15})"
    r"(?:\.[0-9]{1,12})?(?![0-9]|[.,:/][0-9]))"
    r"|(?P<phrase>(?i:(?<![A-Za-z])(?:number[\s-]one|top[\s-](?:spot|place|position)"
    r"|top(?:s|ped|ping)?\s+(?:of\s+)?(?:the\s+)?(?:[\w'’.&-]{1,30}\s+){0,3}?"
    r"(?:leaderboards?|charts?|rankings?|list))(?![A-Za-z])))"
    rf"|(?P<word>(?i:(?<![A-Za-z])(?:{_WORD_RE})(?![A-Za-z])"
    rf"|(?<![A-Za-z])an?(?=\s+{_MAG_WORDS})))"
    # A numeral run is read whole, never from 零 before a numeral: 零一万物 (01.AI) is a name.
    r"|(?P<zhnum>(?<![零〇一二两三四五六七八九十百千万亿])(?!零[〇一二两三四五六七八九十百千万亿])"
    r"[零〇一二两三四五六七八九十百千万亿]{1,12})"
)
_URL = re.compile(r"(?:https?://|www\.)[!-~]+")
# What may stand right after a number (and its magnitude): its kind, by group name.
_SUFFIX = re.compile(
    r"(?P<percent>\s?%|\s?(?i:per\s?cent|pct)(?![A-Za-z]))"
    r"|(?P<pp>个百分点|\s(?i:percentage\s+points?))"
    r"|\s?(?P<currency>美元|美金|欧元|英镑|日元|日圆|元人民币|人民币|元"
    r"|(?:USD|EUR|GBP|JPY|CNY|RMB)(?![A-Za-z])"
    r"|(?i:(?:US\s+|U\.S\.\s+)?dollars?|euros?|pounds?|yuan|renminbi|yen)(?![A-Za-z]))"
    r"|(?P<multiple>[xX](?![A-Za-z0-9])|\s?×|\s?倍|\s+times(?![A-Za-z]))"
    r"|\s?(?P<size>[KMGTP]B)(?![A-Za-z])"
    r"|[\s-]?(?P<duration>(?i:years?|yrs?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?"
    r"|seconds?|secs?)(?![A-Za-z])|个月|个?小时|个?钟头|个?星期|年|周|天|分钟|秒钟?)"
    r"|\s?个?(?:(?P<parameters>parameters?|params|参数)|(?P<tokens>tokens?|词元))(?![A-Za-z])"
    r"|(?P<ordinal>st|nd|rd|th)(?![A-Za-z0-9])"
)
_PER = re.compile(
    r"(?:\s?/\s?|\s+(?:a|an|per|each)\s+|\s?每)"
    r"(?P<u>months?|mo|years?|yr|weeks?|wk|days?|hours?|hr|月|年|周|天|日|小时)(?![A-Za-z])"
)
_MAGNITUDE = re.compile(
    rf"\s?(?P<zh>[十百千万亿]{{1,4}})|[\s-](?i:(?P<word>{_MAG_WORDS}))"
    r"|\s?(?P<abbr>bn|mn|mln|tn)(?![A-Za-z])|(?P<glued>[kKmMbBT])(?![A-Za-z0-9])"
)
_DASH = r"(?:[-–~～]|\s?[至到]\s?)"  # in a range: "20–30%", "10至20亿"
_RANGE = re.compile(rf"{_DASH}[$€£¥]?(?=[0-9零〇一二两三四五六七八九十])")
_DAY_MONTH = re.compile(
    rf"(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{_MONTH_RE})(?![A-Za-z])\.?"
    r"(?:,?\s+(?P<y>[12][0-9]{3})(?![0-9]))?"
)
_AFTER_MONTH = re.compile(
    rf"\s+(?P<d>{_DAY})(?:st|nd|rd|th)?(?![0-9A-Za-z])(?:,?\s+(?P<y>[12][0-9]{{3}})(?![0-9]))?"
    r"|,?\s+(?P<y2>[12][0-9]{3})(?![0-9])"
)
# What may stand right before a number; each ends at the number (\Z, searched in a window).
_CURRENCY_BEFORE = re.compile(
    r"(?:(?P<c>US\s?\$|(?<![A-Za-z])\$|€|£|¥|人民币|(?<![A-Za-z])(?:USD|EUR|GBP|JPY|CNY|RMB)\s)"
    rf"|(?P<foreign>[A-Z]{{1,2}}\$))\s?(?P<range>[0-9.,]{{1,12}}{_DASH})?\Z"
)
_RANK_BEFORE = re.compile(
    r"(?:#|(?<![A-Za-z])[Nn]o\.\s?|(?<![A-Za-z])[Nn]umber\s|(?P<top>(?<![A-Za-z])[Tt]op[\s-]|前))\Z"
)
_RANK_CONTEXT_BEFORE = re.compile(
    r"(?i:(?<![A-Za-z])(?:rank(?:ed|s)?|plac(?:ed|es)|came|comes|finish(?:ed|es)?|sits|sat"
    r"|(?:climb|rise|rose|jump|move|fell|fall|drop|slipp|slid)\w{0,3}\s+(?:to|into))"
    r"\s+(?:in\s+)?(?:the\s+)?\Z)"
)
_RANK_CONTEXT_AFTER = re.compile(
    r"(?i:[\s-](?:place|spot|position|overall|largest|biggest|highest|best|fastest|most|ranked))"
    r"(?![A-Za-z])"
)
_YEAR_BEFORE = re.compile(
    r"(?:(?i:(?<![A-Za-z])(?:in|since|by|until|till|through|during|from|before|after|of|early"
    r"|late|mid|end|fiscal|year)\s)|(?i:mid-)|(?<![A-Za-z])[QH][1-4]\s)\Z"
)
_MODEL_BEFORE = re.compile(
    r"(?<![A-Za-z])(?:Opus|Sonnet|Haiku|Claude|Gemini|Gemma|Llama|LLaMA|Qwen|GPT|DeepSeek|Mistral"
    r"|Mixtral|Grok|Phi|Kimi|GLM|ERNIE|Hunyuan|Doubao|MiniMax|Falcon|Codex|Sora|Veo|Imagen"
    r"|Midjourney|iPhone|iOS|Android|Windows|macOS|Python|Pixel|[Vv]ersion|Gen|Chapter|Section"
    r"|Figure|Fig\.|Table|Appendix)\s\Z"
    r"|(?:千问|文心|混元|豆包|盘古|星火|通义|元宝|一言)\s?\Z"
)
_GLUED_LEFT = re.compile(r"[A-Za-z0-9_.\-]{1,40}-\Z")
_CITATION_BEFORE = re.compile(r"\[\^?[0-9 ,，、\-–]{0,30}\Z")
_CITATION_AFTER = re.compile(r"[0-9 ,，、\-–]{0,30}\]")
_LINE_START = re.compile(r"(?:^|\n)[ \t>]{0,8}(?:[-*+][ \t]+)?(?P<hash>#{1,6}[ \t]+)?(?:\*\*)?\Z")
_LIST_MARK = re.compile(r"[.)](?=[ \t])|、")
_HEADING_REST = re.compile(r"\.?[ \t]*(?:[A-Z]|[^\x00-\x7f万亿倍年月日个天周小分秒])")
_PLAIN_WORD_AFTER = re.compile(r"\s+[a-z]")
_is_cjk = re.compile("[\u4e00-\u9fff]").fullmatch
# "four and a half months", "四个半月": half a unit more than the number.
_HALF = re.compile(r"[\s-]and[\s-]a[\s-]half(?=[\s-])|个半(?=月|小时|钟头|星期)")
