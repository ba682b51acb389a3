"""News that changes what a statement claims, where no rule knows the claim's form.

The specific revisions (:mod:`tracker.suggest.revisions`) each know one form of
claim: a figure of a named measure, a ranking row, a snapshot date, a "most
of" claim. Much stale-making news fits none of them: a rival passing the lab
the report calls the leader, a test finding a product short of the level the
report says it reached, a tool folded into another. Such news says *that*
something changed in its headline ("passes", "no longer", "降至", "并入"), and
it is about the one statement of its section that it reads most like.

So, for news that would otherwise become a new bullet or a citation: when its
headline signals a change, the statement it changes is the one of its section
that names what the headline names (the closest of them in the multilingual
embedding space, if several), else the one closest to its headline and lede if
close enough. The edit is that statement with the news appended as a dated
update, the statement's own citations kept (it was true when written) and the
article cited for the update.
The editor sees it as a tracked change of that statement, not as a bullet the
section's readers would have to reconcile with it.

Pure: the similarities come in as numbers, one per statement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from datetime import date

from tracker.statements import Statement

# A headline that says something changed or is not as believed. Words that only
# announce ("launches", "发布"), rank ("tops"), rename ("更名") or tell of a first
# ("首次回应", "for the first time") are not here: a launch, a rename or a first is
# news of its own, a ranking has its own rule.
_CHANGE = re.compile(
    # Passing someone or a figure ("passes OpenAI's", "passes 1 billion"), not a test.
    r"\bno longer\b|\bpass(?:es|ed) (?=(?-i:[A-Z0-9$€£¥]))"
    r"|\bovertak\w+|\bovertook\b|\bsurpass\w*|\boutpac\w+"
    r"|\b(?:falls?|fell|drops?|dropped|slips?|slipped) (?:to|below|behind|under)\b"
    r"|\b(?:rises?|rose|climbs?|climbed|jumps?|jumped|grows?|grew) to\b"
    r"|\bends\b|\bended\b|\bshut(?:s|ting)? down\b|\bretir(?:es|ed|ing)\b|\bdiscontinu\w+"
    r"|\bfold(?:s|ed)? into\b|\breplac(?:es|ed|ing)\b"
    r"|\bpoints? the other way\b|\bcontrary to\b|\bfalls? short\b|\b(?:drops?|falls?|fell) out of\b"
    # Handed to another owner; a claim taken back.
    r"|\bhand(?:s|ed)? (?:over|off)\b|\bdonat(?:es|ed) \S+(?: \S+)? to\b"
    r"|\b(?:walks?|walked|takes?|took) back\b|\bretract\w*|\brethinks?\b|\brevisits?\b"
    r"|\brevers(?:es|ed)\b|\bstop(?:s|ped)?\b|\bamend(?:s|ed)?\b"
    r"|不再|超过|反超|超越|跌至|降至|升至|涨至|增至|跌出|掉出|停止|停更|下线|并入|取代|仅|只有|只排|最高只"
    r"|只[\u4e00-\u9fff]{0,2}\d|捐给|移交|转交|收回|撤回|改口|推翻|退场"
    r"|并非|落后|跌破|逆转|让位|失去",
    re.IGNORECASE,
)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

# How close (cosine of the headline and lede to the statement) a statement must be to
# count as the one the news is about. Chosen on the development briefs (eval/README.md,
# "Round 7"): at 0.35 a news story about a first became an update of a statement it
# only confirmed; at 0.40 none did.
_MIN_COSINE = 0.40


def signals_change(headline: str) -> bool:
    """Whether the headline says something changed or is not as the report has it."""
    return _CHANGE.search(headline) is not None


def updated_statement(
    statements: Sequence[Statement],
    cosines: Sequence[float],
    *,
    section_id: str,
    headline: str,
    named: Collection[Statement] = (),
) -> Statement | None:
    """The statement of ``section_id`` the news changes (``cosines[i]`` is the news'
    similarity to ``statements[i]``), or None when no change is signalled. ``named``
    are the statements that name what the headline names (the name rules' finding):
    the closest of those in the section, however short and far it embeds ("Qwen
    Code（阿里巴巴）"); with none, the section's closest statement if close enough.
    Rows of a ranking table are left to the ranking rule; a row of a table that
    describes (a trend and what it is) takes an update like a sentence."""
    if not signals_change(headline):
        return None
    ids = {id(s) for s in named}
    by_name = closest_in_section(
        statements, cosines, section_id, lambda s: id(s) in ids and _updatable(s)
    )
    if by_name is not None:
        return by_name[1]
    closest = closest_in_section(statements, cosines, section_id, _updatable)
    return closest[1] if closest is not None and closest[0] >= _MIN_COSINE else None


def closest_in_section(
    statements: Sequence[Statement],
    cosines: Sequence[float],
    section_id: str,
    keep: Callable[[Statement], bool] = lambda s: True,
) -> tuple[float, Statement] | None:
    """The statement of ``section_id`` that ``keep`` keeps with the highest cosine
    (``cosines[i]`` is the news' similarity to ``statements[i]``), and that cosine."""
    scored = [
        (cosine, statement)
        for statement, cosine in zip(statements, cosines, strict=True)
        if statement.section_id == section_id and keep(statement)
    ]
    return max(scored, key=lambda pair: pair[0]) if scored else None


def _updatable(statement: Statement) -> bool:
    """Rows of a ranking table are the ranking rule's; any other statement can be updated."""
    return statement.kind != "row" or _describes(statement)


def update_text(headline: str, *, chinese: bool) -> str | None:
    """The headline as the update, when it is in the report's language: it is the one
    sentence that says what changed (a drafted event, "X开源Y", may not). None for a
    headline in another language."""
    headline = re.sub(r"\s+", " ", headline).strip()
    if not headline or bool(_CJK.search(headline)) != chinese:
        return None
    return headline


def with_update(
    statement: Statement, news: str, day: date | None, marker: str, *, chinese: bool
) -> str:
    """``statement`` with ``news`` (one sentence, no date, no citation) appended as a
    dated update citing ``marker``; the statement's own words and citations unchanged.
    A statement that introduces a list ("…兴起[1]：") takes the update before its colon."""
    if statement.kind == "row":
        return _row_with_update(statement, news, day, marker, chinese=chinese)
    text = statement.text.rstrip()
    update = _update_clause(news, day, marker, chinese=chinese)
    if text.endswith(("：", ":")):
        opened, closed = ("（", "）") if chinese else (" (", ")")
        return f"{text[:-1]}{opened}{update}{closed}{text[-1]}"
    if text.endswith(("。", ".", "！", "？", "!", "?")):
        space = "" if chinese else " "
        return f"{text}{space}{update[:1].upper()}{update[1:]}{'。' if chinese else '.'}"
    # A list item or table-less line with no closing stop: the update joins it.
    return f"{text}；{update}" if chinese else f"{text}; {update}"


def _update_clause(news: str, day: date | None, marker: str, *, chinese: bool) -> str:
    """ "2026年6月3日，…[7]" / "as of June 3, 2026, …[7]": the news dated and cited."""
    when = _written_date(day, chinese=chinese)
    news = news.rstrip("。.；; ")
    if not when:
        return f"{news}{marker}"
    return f"{when}，{news}{marker}" if chinese else f"as of {when}, {news}{marker}"


# A table that ranks or numbers its rows: a header like these, or a cell of digits only.
_RANKING_HEADER = re.compile(r"排名|名次|序号|rank|^#$|^no\.?$", re.IGNORECASE)


def _describes(row: Statement) -> bool:
    """Whether a table row describes rather than ranks: no rank column, no number cell."""
    return (
        bool(row.cells)
        and not any(_RANKING_HEADER.search(h.strip()) for h in row.header)
        and not any(cell.strip().isdigit() for cell in row.cells)
    )


def _row_with_update(
    row: Statement, news: str, day: date | None, marker: str, *, chinese: bool
) -> str:
    """The row with the update appended to its last cell ("…自动化；2026年6月3日，…[7]")."""
    cells = list(row.cells)
    last = max((i for i, cell in enumerate(cells) if cell.strip()), default=len(cells) - 1)
    joiner = "；" if chinese else "; "
    update = _update_clause(news, day, marker, chinese=chinese)
    cells[last] = f"{cells[last].strip()}{joiner}{update}"
    return "| " + " | ".join(cell.strip() for cell in cells) + " |"


def _written_date(day: date | None, *, chinese: bool) -> str:
    if day is None:
        return ""
    if chinese:
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day:%B} {day.day}, {day.year}"
