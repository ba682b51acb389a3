"""Dated statements: report sentences that say how things stand at some moment.

A statement is dated when it states something *as of* a time, so that it may
no longer hold later:

* an explicit "as of" date: ``截至2025年12月30日``, ``截止2025年底``,
  ``as of March 2025``, ``as at 30 Dec 2025``;
* a word for "now": ``目前``, ``当前``, ``现阶段``, ``迄今``, ``至今``, ``正在``,
  ``仍``, ``尚未``; ``currently``, ``now``, ``today``, ``to date``, ``so far``,
  ``still``, ``not yet``;
* a ranking or a superlative that can be overtaken: ``最新``, ``最强``,
  ``最佳``, ``领先``, ``排名第一``, ``榜首``, ``前五名``; ``latest``,
  ``best``, ``most capable``, ``leading``, ``top-ranked``, ``#1``.

A ranking or superlative framed in a period of its own (``2024年最佳模型``,
``the best model of 2024``) is history, not a standing claim, and is not
dated. A statement without an explicit date is dated by the nearest explicit
"as of" date earlier in its section (the sentences after ``截至…的排名`` speak
of that ranking), else by the report's own date (:func:`tracker.report.report_date`),
else by ``fallback``. Table rows of a ranking table are covered by the
sentence that introduces the table, which carries the date; other rows are
statements like any other.

Pure: the report and dates come in; no clock, no I/O. Whether an article is
news about a statement is not decided here.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tracker.figure_patterns import _MONTHS  # one month table for every reader of dates
from tracker.report import report_date
from tracker.statements import Statement, statements
from tracker.types import Report

_MONTH_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))

# A date as written: 2025年12月30日, 2025年12月, 2025年底, 2025-12-30,
# 30 December 2025, December 30, 2025, March 2025, (the end of) 2025.
_DATE = (
    r"(?:(?P<zy>\d{4})\s*年\s*(?:(?P<zm>\d{1,2})\s*月\s*(?:(?P<zd>\d{1,2})\s*[日号])?"
    r"|(?P<zend>底|末|年底|年末))?"
    r"|(?P<iy>\d{4})[-/.](?P<im>\d{1,2})(?:[-/.](?P<id>\d{1,2}))?"
    rf"|(?:(?P<ed1>\d{{1,2}})\s+)?(?P<emon>{_MONTH_NAME})\.?\s+(?:(?P<ed2>\d{{1,2}}),?\s+)?(?P<ey>\d{{4}})"
    r"|(?:the\s+end\s+of\s+)?(?P<yy>(?:19|20)\d{2}))"
)
_AS_OF = re.compile(
    rf"(?:截至|截止(?:到|至)?|as\s+(?:of|at)\s+(?:the\s+end\s+of\s+)?)\s*(?:{_DATE})",
    re.IGNORECASE,
)

# Words saying "at the time of writing".
_NOW_ZH = r"目前|当前|现阶段|现如今|如今|迄今|至今|截至目前|正在|仍|依然|尚未|还没有|还未"
_NOW_EN = (
    r"currently|at present|presently|at the moment|to date|so far|now|nowadays|today"
    r"|still|not yet|yet to|as things stand"
)
# Rankings and superlatives: true until something overtakes them.
_RANK_ZH = (
    r"最新|最强|最佳|最好|最先进|最快|最大|最高|领先|领跑|榜首|头部|第一名|排名第[一二三四五六七八九十\d]+"
    r"|排名前列|前[一二三四五六七八九十\d]+名|位居第[一二三四五六七八九十\d]+|世界第一|全球第一|首屈一指|标杆"
)
_RANK_EN = (
    r"latest|newest|most recent|best|strongest|most capable|most powerful|most advanced"
    r"|fastest|largest|biggest|leading|leads|leader|top[- ]ranked|tops|ranks? (?:first|#?\d+)"
    r"|ranked (?:first|#?\d+)|number one|no\. ?1|state[- ]of[- ]the[- ]art|sota"
)
_NOW = re.compile(rf"{_NOW_ZH}|\b(?:{_NOW_EN})\b", re.IGNORECASE)
_RANK = re.compile(rf"{_RANK_ZH}|(?<![\w-])(?:{_RANK_EN})(?![\w-])|#1\b", re.IGNORECASE)
# A period of its own (a year, a month of a year): frames a superlative as history.
_PERIOD = re.compile(r"(?:19|20)\d{2}\s*年|\b(?:19|20)\d{2}\b")
# Phrases holding a cue word without its meaning: a hedge (仍需, "still needs" is
# advice, not a state), a cause (leads to), a manner (best practice, at best).
_NOT_A_CUE = re.compile(
    r"仍需|仍须|(?<![\w-])(?:lead(?:s|ing)?\s+to|best[- ]practices?|at\s+best|best[- ]effort)\b",
    re.IGNORECASE,
)
_RANKING_HEADER = re.compile(r"排名|名次|rank", re.IGNORECASE)


@dataclass(frozen=True)
class DatedStatement:
    """A statement and the date it states things as of."""

    section_id: str
    text: str  # verbatim, as :class:`tracker.statements.Statement` has it
    line: int
    as_of: date | None  # None when neither it, its section nor the report gives a date
    cue: str  # the words that date it: "截至2025年12月30日", "目前", "latest"
    explicit: bool  # the statement names its own date


def dated_statements(report: Report, *, fallback: date | None = None) -> list[DatedStatement]:
    """The report's dated statements in reading order (see the module docstring)."""
    own_date = report_date(report) or fallback
    found: list[DatedStatement] = []
    section_as_of: dict[str, date] = {}
    for statement in statements(report):
        if statement.kind == "row" and _ranking_row(statement):
            continue
        dated = _dated(statement, section_as_of.get(statement.section_id) or own_date)
        if dated is None:
            continue
        if dated.explicit and dated.as_of is not None:
            section_as_of[statement.section_id] = dated.as_of
        found.append(dated)
    return found


def age_in_months(as_of: date, today: date) -> int:
    """Whole months from ``as_of`` to ``today`` (0 when ``today`` is not later)."""
    months = (today.year - as_of.year) * 12 + (today.month - as_of.month)
    if today.day < as_of.day and not _last_day(today):
        months -= 1
    return max(months, 0)


def due_for_recheck(
    dated: Sequence[DatedStatement], *, today: date, after_months: int
) -> list[DatedStatement]:
    """Those at least ``after_months`` old on ``today``; undated ones never are."""
    return [
        d for d in dated if d.as_of is not None and age_in_months(d.as_of, today) >= after_months
    ]


def _dated(statement: Statement, context: date | None) -> DatedStatement | None:
    text = statement.plain
    explicit = _AS_OF.search(text)
    if explicit is not None:
        when = _date_of(explicit)
        if when is not None:
            return DatedStatement(
                statement.section_id, statement.text, statement.line, when, explicit.group(0), True
            )
    now = _cue(_NOW, text)
    if now is not None:
        return _implicit(statement, context, now.group(0))
    rank = _cue(_RANK, text)
    if rank is not None and not _PERIOD.search(text):
        return _implicit(statement, context, rank.group(0))
    return None


def _implicit(statement: Statement, context: date | None, cue: str) -> DatedStatement:
    return DatedStatement(statement.section_id, statement.text, statement.line, context, cue, False)


def _cue(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first match of ``pattern`` in ``text`` that is not inside a phrase of _NOT_A_CUE."""
    spans = [(m.start(), m.end()) for m in _NOT_A_CUE.finditer(text)]
    return next(
        (m for m in pattern.finditer(text) if not any(a <= m.start() < b for a, b in spans)),
        None,
    )


def _ranking_row(statement: Statement) -> bool:
    return any(_RANKING_HEADER.search(cell) for cell in statement.header)


def _date_of(match: re.Match[str]) -> date | None:
    """The last day the written date covers: a month means its end, a year its last day."""
    g = match.groupdict()
    try:
        if g["zy"]:
            return _end(int(g["zy"]), _int(g["zm"]), _int(g["zd"]))
        if g["iy"]:
            return _end(int(g["iy"]), int(g["im"]), _int(g["id"]))
        if g["ey"]:
            day = _int(g["ed1"]) or _int(g["ed2"])
            return _end(int(g["ey"]), _MONTHS[g["emon"].lower().rstrip(".")], day)
        if g["yy"]:
            return _end(int(g["yy"]), None, None)
    except ValueError:
        return None
    return None


def _end(year: int, month: int | None, day: int | None) -> date:
    if month is None:
        return date(year, 12, 31)
    if day is None:
        return date(year, month, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _last_day(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]
