"""Newer values for what the report states: a ranking row or a figure in a sentence.

Two kinds of revision, both a replacement of one statement as written:

* a ranking table (a table whose header has a rank column: 排名, Rank, #):
  when the news puts a model at place N and the table is about the same
  thing (it is in the matched section, or it already lists a name the news
  mentions), row N gets the new model and its maker; a successor of a model
  the news names (DeepSeek V4 for V3.2) takes its predecessor's row instead;
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
tried first.

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
from tracker.suggest.name_runs import product_names
from tracker.suggest.names import NameBook
from tracker.suggest.novelty import (
    REFERS_BACK,
    list_leads,
    loosely_names,
    names_actor,
    names_object,
)
from tracker.suggest.stale_claims import stale_claim
from tracker.types import Fact

_RANK_HEADER = re.compile(r"^(?:排名|名次|rank|ranking|#|no\.?)$", re.IGNORECASE)
_MODEL_HEADER = re.compile(r"模型|model|system|产品|product", re.IGNORECASE)
_MAKER_HEADER = re.compile(r"公司|机构|厂商|开发者|实验室|company|lab|developer|org|maker", re.I)
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
        place=_place(f"{headline} {fact.sentence}", fact.object),
    )
    if ended is not None:
        return Revision(ended[0], _recite(ended[1], marker))
    dated = as_of_revision(fact, statements, names, headline=headline)
    if dated is not None:
        return Revision(dated[0], _recite(dated[1], marker))
    ranking = _ranking_revision(fact, statements, names, section_id, marker, headline)
    return ranking or _figure_revision(
        fact, statements, names, section_id, marker, headline=headline, lede=lede
    )


# ----------------------------------------------------------------- ranking tables


def _ranking_revision(
    fact: Fact,
    statements: Sequence[Statement],
    names: NameBook,
    section_id: str,
    marker: str,
    headline: str,
) -> Revision | None:
    # A release story may place its model too ("开源…，排在第6名"): its key sentence says
    # where, which is the ranking news whatever the headline's verb.
    placed = any(f.kind == "rank" and f.unit != "top" for f in figures_in(fact.sentence))
    if not (fact.event == "ranking" or placed) or not fact.object:
        return None
    rows = [
        s
        for s in statements
        if s.kind == "row" and s.header and _column(s, _RANK_HEADER) is not None
    ]
    said = f"{headline} {fact.sentence}"
    place = _place(said, fact.object)
    for table_key in dict.fromkeys((r.section_id, r.header) for r in rows):
        table = [r for r in rows if (r.section_id, r.header) == table_key]
        models = [(_cell(r, _MODEL_HEADER) or "", r) for r in table]
        if any(names_object(model, fact.object) for model, _ in models if model):  # one cell
            continue  # the table already lists it
        # The row the news displaces: at the place it names, else the listed model it
        # says it replaces or overtakes (named in its sentence).
        displaced = [r for model, r in models if model and _mentions(said, model)]
        at_place = [r for r in table if _number(r.cells[_column(r, _RANK_HEADER) or 0]) == place]
        # A successor (the displaced model's own family: DeepSeek V4 for V3.2) takes its
        # predecessor's row; a rival takes the row of the place it reaches.
        successor = [r for r in displaced if _same_family(_cell(r, _MODEL_HEADER), fact.object)]
        target = (successor or at_place or displaced)[:1]
        related = table_key[0] == section_id or bool(displaced)
        if target and related:
            return _new_row(target[0], fact, names, marker)
    return None


def _mentions(text: str, model: str) -> bool:
    """Whether ``text`` names ``model`` as written, spaces and hyphens aside
    ("MiniMax M2.1" for "MiniMax-M2.1"), and not as the start of a longer version
    ("V3.2" is not in "V3.25")."""
    folded, name = _fold_name(text), _fold_name(model)
    start = folded.find(name)
    while start >= 0:
        after = folded[start + len(name) : start + len(name) + 2]
        if not re.match(r"\d|\.\d", after):
            return True
        start = folded.find(name, start + 1)
    return names_object(text, model)


def _fold_name(text: str) -> str:
    return re.sub(r"[\s\-_]", "", text.lower())


def _same_family(model: str | None, other: str) -> bool:
    """Two names of one family: the same first word ("DeepSeek V3.2" and "DeepSeek V4",
    "MiniMax-M2.1" and "MiniMax-M2.5"), not the same name."""
    if not model or names_object(model, other):
        return False
    first, second = _FIRST_WORD.match(model), _FIRST_WORD.match(other)
    return bool(first and second and first.group(0).lower() == second.group(0).lower())


_FIRST_WORD = re.compile(r"[A-Za-z]+")


def _new_row(row: Statement, fact: Fact, names: NameBook, marker: str) -> Revision | None:
    cells = list(row.cells)
    model_col = _column(row, _MODEL_HEADER)
    maker_col = _column(row, _MAKER_HEADER)
    if model_col is None:
        return None
    cells[model_col] = f"{fact.object} {marker}"
    if maker_col is not None and fact.actor:
        # The model's own family says who makes it; the news' actor may be the maker of
        # the model it pushes down ("小米的MiMo-V2-Flash降至第四").
        name = names.maker_of(fact.object) or names.lookup(fact.actor)
        # A row of names only ("| 6 | gpt-oss-120B | OpenAI |") is in its table's language.
        language = "zh" if _cjk(row.text) or _cjk(" ".join(row.header)) else "en"
        cells[maker_col] = name.spelled_for(language) if name else fact.actor
    return Revision(row, "| " + " | ".join(cells) + " |")


def _place(said: str, thing: str = "") -> int | None:
    """The place the news gives: the one in the clause right after ``thing`` first ("FLUX.3
    登顶…，谷歌Nano Banana Pro跌至第3名" puts FLUX.3 first), else the first it names."""
    for clause in _clauses_after(said, thing):
        found = _place(clause) if clause else None
        if found is not None:
            return found
    for figure in figures_in(said):
        top_n = figure.unit == "top" or re.match(r"(?:top|前)", figure.text, re.I)
        if figure.kind == "rank" and figure.value >= 1 and not top_n:  # "top five" is no place
            return int(figure.value)
    if re.search(r"\btops\b|\btopped\b|top spot|number one|\bfirst\b|榜首|登顶|第一", said, re.I):
        return 1
    return None


def _clauses_after(said: str, thing: str) -> list[str]:
    """The clause that follows each mention of ``thing`` in ``said``."""
    if not thing:
        return []
    return [
        re.split(r"[，。,;；:：]", said[m.end() :], maxsplit=1)[0]
        for m in re.finditer(re.escape(thing), said)
    ]


def _column(row: Statement, header: re.Pattern[str]) -> int | None:
    for i, name in enumerate(row.header):
        if header.search(name.strip()):
            return i
    return None


def _cell(row: Statement, header: re.Pattern[str]) -> str | None:
    column = _column(row, header)
    return row.cells[column] if column is not None and column < len(row.cells) else None


def _number(cell: str) -> int | None:
    digits = re.sub(r"\D", "", cell)
    return int(digits) if digits else None


# ----------------------------------------------------------------- figures in sentences


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
