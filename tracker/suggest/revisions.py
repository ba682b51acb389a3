"""Newer values for what the report states: a ranking row or a figure in a sentence.

Two kinds of revision, both a replacement of one statement as written:

* a ranking table's row, taken over by the model the news places in it
  (:mod:`tracker.suggest.ranking_rows`);
* a figure in a sentence or list item: when the statement is about the news'
  thing (it names it, by the report's longer name too unless the news is a
  launch, or refers back to the statement before that does; a product its
  lede names counts; with no thing named, it names the actor and no product
  of its) and gives a figure of the same kind and unit for the same measure
  (revenue, cost, price, users, market value, task horizon …, named near the
  figure or in a headline giving it), and the news gives a different value
  (not one it says was replaced: "up from", "not the", "从…", "最初…"), the
  figure is replaced (written as the report writes figures), a month or day
  in the statement moves to the news' date, and the statement's citations
  give way to the new one. A figure the news repeats is not stale, whatever
  else it says.

Claims without a figure to replace (a state that ended, a best-at claim, an
all-of-the-top-N claim, an edge in a field) are :mod:`tracker.suggest.stale_claims`',
tried first, then a snapshot date the same source has superseded
(:mod:`tracker.suggest.as_of`).

Pure: no I/O. Whether the news is newer than the report is the caller's
premise: it only sees articles published after the report's ``since``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from tracker.figures import (
    Figure,
    figures_in,
    present_in,
    rounded_from,
    same_figure,
    written_like,
)
from tracker.statements import Statement
from tracker.suggest.as_of import as_of_revision
from tracker.suggest.facts import field_term
from tracker.suggest.majority import majority_revision
from tracker.suggest.name_runs import product_names
from tracker.suggest.names import NameBook
from tracker.suggest.novelty import (
    REFERS_BACK,
    list_leads,
    loosely_names,
    names_actor,
    names_object,
)
from tracker.suggest.ranking_rows import place_of, ranking_revision
from tracker.suggest.stale_claims import stale_claim
from tracker.types import Fact

# A versioned name, with a letter that is part of it ("GPT-4o").
_VERSIONED = re.compile(r"[A-Za-z][A-Za-z-]*[ -]?\d+(?:\.\d+)*(?:[a-z](?![A-Za-z0-9]))?")
_PAST_VALUE = re.compile(
    r"(?:\bfrom|\bpreviously|\bwas|\bearlier|\bsince|\btimes|\bthan|\bcompared (?:with|to)"
    r"|\bversus|\bvs\.?|\bnot|\binstead of|\boriginally|\binitially)"
    r"\s+(?:the\s+|a\s+|an\s+|about\s+|around\s+)?\S*\s*$"
    r"|(?:此前|之前|从|由|较|比|而非|而不是|不是|最初|原先|起初)(?:(?!至|[调升涨降增长]到)[^，。]){0,8}$",
    re.IGNORECASE,
)
# Narrower: a value the news says was replaced ("up from", "not the", "从…下调至"), never
# a stale candidate's new value; "was about $13 million" is the news' own figure.
_REPLACED_VALUE = re.compile(
    r"(?:\bfrom|\bpreviously|\bearlier|\bnot|\binstead of|\boriginally|\binitially)\s+"
    r"(?:the\s+|a\s+|an\s+|about\s+|around\s+)?\S*\s*$"
    r"|(?:此前|之前|从|由|而非|而不是|不是|最初|原先|起初)(?:(?!至|[调升涨降增长]到)[^，。]){0,8}$",
    re.IGNORECASE,
)
_PERIODS = (
    (re.compile(r"每月|/月|月费|月租|月付|per month|a month|monthly|/month", re.I), "month"),
    (re.compile(r"每年|/年|per year|a year|annually|/year", re.I), "year"),
)
_LAUNCH = re.compile(r"\blaunch\w*|\bintroduc\w+|\bunveil\w*|推出|发布|上线", re.IGNORECASE)
_CITATIONS = re.compile(r"(?:\s*[\[［]\d{1,4}(?:[,，\-–]\s*\d{1,4})*[\]］])+")

# Measures a figure can be of, each as the words that name it in either language.
_MEASURES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"revenue|run-rate|\bARR\b|年收入|营收|收入",
        r"valuation|valued at|估值",
        r"market (?:value|cap)|市值",
        r"train\w* cost|cost (?:to|of) train\w*|trained for|training bill"
        r"|训练成本|成本|费用|开销|账单",
        r"users|subscribers|sign-?ups|accounts|用户|账户|注册",
        r"per month|a month|/month|/月|price|priced|订阅|价格|定价|月费|年费",
        r"horizon|task length|\btasks?\b|doubl\w+|任务|时长|翻倍",
        r"downloads|下载",
        r"parameters|参数",
    )
)


@dataclass(frozen=True)
class Revision:
    target: Statement
    replacement: str  # the statement rewritten, citation marker included


def find_revision(
    fact: Fact,
    statements: Sequence[Statement],
    names: NameBook,
    *,
    section_id: str,
    marker: str,
    headline: str = "",
    lede: str = "",
    section_titles: dict[str, str] | None = None,
) -> Revision | None:
    """The statement ``fact`` makes stale and its rewrite, or None. ``headline`` (the
    article's title) may name the place or the model a ranking news displaces, or the
    measure of a figure; ``lede`` (its first sentence) may name the product a figure
    is about when the key sentence names another ("GPT-4o image generation" …
    "sign-ups to ChatGPT")."""
    ended = stale_claim(
        fact,
        statements,
        names,
        headline=headline,
        section_titles=section_titles or {},
        place=place_of(f"{headline} {fact.sentence}", fact.object),
    )
    if ended is not None:
        return Revision(ended[0], _recite(ended[1], marker))
    dated = as_of_revision(fact, statements, names, headline=headline) or majority_revision(
        fact, statements, headline=headline
    )
    if dated is not None:
        return Revision(dated[0], _recite(dated[1], marker))
    ranking = ranking_revision(fact, statements, names, section_id, marker, headline)
    if ranking is not None:
        return Revision(*ranking)
    return _figure_revision(
        fact, statements, names, section_id, marker, headline=headline, lede=lede
    )


# ----------------------------------------------------------------- ranking tables


def _figure_revision(
    fact: Fact,
    statements: Sequence[Statement],
    names: NameBook,
    section_id: str,
    marker: str,
    *,
    headline: str = "",
    lede: str = "",
) -> Revision | None:
    news = [f for f in figures_in(fact.sentence) if f.text in fact.numbers]
    news = [f for f in news if f.kind in ("money", "percent", "count", "duration", "multiple")]
    if not news or not (fact.object or fact.actor):
        return None
    # A product's name (Latin script); a quoted Chinese term or a kind of thing is no name.
    named = bool(re.search(r"[A-Za-z]", fact.object)) and field_term(fact.object) != fact.object
    # Other versioned products the lede names are what the figure may be about too.
    others = tuple(n for n in _VERSIONED.findall(lede) if not names_object(n, fact.object))
    # The headline names the measure of its own figure ("训练账单：…1300万美元").
    measured = [
        fact.sentence,
        *([headline] if any(present_in(new, headline) for new in news) else []),
    ]
    best: tuple[int, Statement, Figure, Figure] | None = None
    previous: Statement | None = None
    leads = list_leads(statements)
    for statement in statements:
        lead = _labelled_item_lead(statement, leads, fact, names, headline)
        about = (
            _about(statement, previous, fact, names, named)
            or any(
                _about(statement, previous, replace(fact, object=other), names, True)
                for other in others
            )
            or lead is not None
        )
        previous = statement
        if statement.kind == "row" or not about:
            continue
        if _anothers(statement.plain, fact, f"{headline} {fact.sentence}", names):
            continue
        olds = figures_in(statement.text)
        confirmed = (
            any(
                same_figure(old, new) and not _as_before(fact.sentence, new)
                for old in olds
                for new in news
            )
            or any(
                old.value == new.value
                and old.kind == new.kind == "money"
                and old.unit == new.unit
                and not _as_before(fact.sentence, new)
                for old in olds
                for new in news
            )
            or any(rounded_from(old, new, fact.sentence) for old in olds for new in news)
        )
        if confirmed:
            continue  # the news repeats a figure of it as current: the statement holds
        for old in olds:
            for new in news:
                if _REPLACED_VALUE.search(fact.sentence[max(0, new.start - 24) : new.start]):
                    continue  # the value it had, not the one it has
                old_per = old.per or _period(statement.text, old)
                new_per = new.per or _period(fact.sentence, new) or _only_period(fact.sentence)
                if (old.kind, old_per) != (new.kind, new_per) or not _same_unit(old, new):
                    continue
                if not any(
                    _same_measure(statement.text, old, text, figure)
                    or (lead is not None and _same_measure(lead.text, None, text, figure))
                    for text in measured
                    for figure in figures_in(text)
                    if same_figure(figure, new)
                ):
                    continue
                rank = (statement.section_id != section_id) * 2 + (statement.kind == "item")
                if best is None or rank < best[0]:
                    best = (rank, statement, old, new)
    if best is None:
        return None
    _, statement, old, new = best
    written = written_like(new, old)
    after = statement.text[old.end :]
    # A bound on the old value ("30分钟以下") is not the news': "about 45 minutes" → "约45分钟".
    bound = _BOUND.match(after)
    if bound:
        after = after[bound.end() :]
        approximate = _ABOUT.search(fact.sentence[max(0, new.start - 12) : new.start])
        if approximate and statement.text[max(0, old.start - 1) : old.start] != "约":
            written = "约" + written
    text = statement.text[: old.start] + written + after
    text = _move_date(text, fact.date, before=old.start)
    return Revision(statement, _recite(text, marker))


_BOUND = re.compile(r"以下|以上|左右|之内|以内")
_ABOUT = re.compile(
    r"\b(?:about|around|roughly|some|nearly|almost|close to)\s*$|(?:约|大约|近|将近|接近)\s*$", re.I
)
_LABEL = re.compile(r"^(?P<label>[^：:]{2,30})[：:]")
_YEAR = re.compile(r"((?:19|20)\d\d)年")


def _labelled_item_lead(
    statement: Statement,
    leads: dict[int, Statement],
    fact: Fact,
    names: NameBook,
    headline: str,
) -> Statement | None:
    """The lead of a list item that gives the actor's figure for a described subject
    ("根据METR的测量…：" over "- 2024年最佳模型：30分钟以下"), when the news is the actor's
    figure for the same subject: the item's label names no product and its year is the
    year the news gives the figure for. None otherwise."""
    lead = leads.get(id(statement))
    label = _LABEL.match(statement.plain)
    if lead is None or label is None or not names_actor(lead.plain, fact.actor, names):
        return None
    text = label.group("label")
    if product_names(text, names) or re.search(r"[A-Za-z]", text):
        return None
    years = _YEAR.findall(text)
    said = f"{headline} {fact.sentence}"
    if not years or not all(re.search(rf"(?<!\d){y}(?!\d)", said) for y in years):
        return None
    return lead


def _about(
    statement: Statement, previous: Statement | None, fact: Fact, names: NameBook, named: bool
) -> bool:
    """Whether the statement is about the news' thing: it names it, or it follows one
    that does and refers back to it ("该功能…", "It …"); with no thing named, it names
    the actor."""
    if not named:
        # News naming no product is not about a statement that names one ("DeepSeek 3发布，
        # 训练成本…" is not stale because DeepSeek's next model cost more).
        # Nor is a company's figure the same figure of one of its products ("Anthropic的
        # Claude Code…年收入" is not stale because Anthropic's own revenue grew).
        # Another maker's product is no figure of the actor's ("DeepSeek R1发布，…NVIDIA市值
        # 缩水…" is about NVIDIA's market value).
        return names_actor(statement.plain, fact.actor, names) and not _names_own_product(
            statement.plain, fact.actor, names
        )
    if names_object(statement.plain, fact.object):
        return True
    # The report's longer name for it ("Claude Pro Max 20x" for Claude Max) may be one
    # tier of it: only news of a change to it, not a launch at some price, revises it.
    if not _LAUNCH.search(fact.sentence) and loosely_names(statement.plain, fact.object):
        return True
    return (
        previous is not None
        and previous.section_id == statement.section_id
        and REFERS_BACK.match(statement.plain) is not None
        and names_object(previous.plain, fact.object)
    )


def _anothers(plain: str, fact: Fact, said: str, names: NameBook) -> bool:
    """Whether ``plain`` is about another organisation's product: it names
    organisations, none of which the news names (``said``: its headline and key
    sentence), and not the actor nor whom the actor speaks for. "Cursor's Ultra plan"
    is no figure of "Google AI Ultra"."""
    theirs = {f.name for f in names.find(plain) if f.name.kind == "org"}
    if not theirs or (fact.actor and names_actor(plain, fact.actor, names)):
        return False
    return not theirs & {f.name for f in names.find(said)}


def _names_own_product(plain: str, actor: str, names: NameBook) -> bool:
    """Whether ``plain`` names a product that may be the actor's: one of its own family,
    or one whose maker the name book does not know."""
    doer = names.lookup(actor)
    products = product_names(plain, names, actor)
    others = [p for p in products if doer is not None and names.maker_of(p) not in (None, doer)]
    named = [*_VERSIONED.findall(plain), *products]
    return any(not any(n in other for other in others) for n in named)


def _period(text: str, figure: Figure) -> str:
    """A rate's period from the words next to a figure ("每月199.99美元", "$20 a month")."""
    around = text[max(0, figure.start - 6) : figure.end + 12]
    return next((period for pattern, period in _PERIODS if pattern.search(around)), "")


def _only_period(sentence: str) -> str:
    """The period a sentence gives its fees in when it names just one ("月费从…下调至…")."""
    periods = {period for pattern, period in _PERIODS if pattern.search(sentence)}
    return periods.pop() if len(periods) == 1 else ""


def _as_before(sentence: str, figure: Figure) -> bool:
    """The news gives ``figure`` as a past value: "up from $1 billion", "此前为10亿美元"."""
    before = sentence[max(0, figure.start - 24) : figure.start]
    return _PAST_VALUE.search(before) is not None


# A period in calendar units ("every 7 months", "every 26 weeks") is one quantity in any
# of them; minutes and hours are task lengths, another quantity beside a doubling period.
_CALENDAR = frozenset({"day", "week", "month", "year"})


def _same_unit(old: Figure, new: Figure) -> bool:
    if old.unit == new.unit:
        return True
    return old.kind == new.kind == "duration" and {old.unit, new.unit} <= _CALENDAR


def _same_measure(old_text: str, old: Figure | None, new_text: str, new: Figure) -> bool:
    """A measure named near both figures; with no old figure, anywhere in ``old_text``
    (a list's lead names the measure of its items)."""
    old_around = old_text if old is None else old_text[max(0, old.start - 30) : old.end + 30]
    new_around = new_text[max(0, new.start - 100) : new.end + 60]
    # A loss ("市值一度缩水5930亿美元") is revised by a loss, not by a level the measure
    # reaches ("market value passed $5 trillion").
    loss = old is not None and _LOSS.search(old_text[max(0, old.start - 8) : old.end + 4])
    if loss and not _LOSS.search(new_around):
        return False
    return any(m.search(old_around) and m.search(new_around) for m in _MEASURES)


_LOSS = re.compile(
    r"缩水|蒸发|下跌|暴跌|损失|\b(?:lost|loss|losses|lose|wiped|shed|fell|fall|drop\w*|plung\w*)\b",
    re.IGNORECASE,
)


def _move_date(text: str, day: date | None, *, before: int) -> str:
    """The "as of" date of the figure (a month or day just before it, "在2025年12月达到…")
    moves to the news' date at its precision; other dates (a release date) stay."""
    if day is None:
        return text
    for figure in figures_in(text[:before]):
        near = 0 <= before - figure.end <= 12
        if near and figure.kind == "date" and figure.unit in ("month", "day") and _cjk(figure.text):
            written = f"{day.year}年{day.month}月"
            if figure.unit == "day":
                written += f"{day.day}日"
            return text[: figure.start] + written + text[figure.end :]
    return text


def _recite(text: str, marker: str) -> str:
    """Old citations give way to the new source: ``…里程碑[1]。`` → ``…里程碑[7]。``."""
    cited = list(_CITATIONS.finditer(text))
    if cited:
        last = cited[-1]
        return text[: last.start()] + marker + text[last.end() :]
    stripped = text.rstrip()
    if stripped and stripped[-1] in "。！？.!?：:":  # "…的排名[7]：" introduces its list
        return stripped[:-1] + marker + stripped[-1]
    return stripped + marker


def _cjk(text: str) -> bool:
    return bool(re.search(r"[\u3400-\u4dbf\u4e00-\u9fff]", text))
