"""A ranking table's row taken over by a model the news places in it.

When the news puts a model at place N and a ranking table (a header with a rank
column: 排名, Rank, #) is about the same thing (it is in the matched section, or it
already lists a name the news mentions), row N gets the new model and its maker;
a successor of a model the news names (DeepSeek V4 for V3.2) takes its
predecessor's row instead. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracker.figures import figures_in
from tracker.statements import Statement
from tracker.suggest.names import NameBook
from tracker.suggest.naming import names_object
from tracker.types import Fact

_RANK_HEADER = re.compile(r"^(?:排名|名次|rank|ranking|#|no\.?)$", re.IGNORECASE)
_MODEL_HEADER = re.compile(r"模型|model|system|产品|product", re.IGNORECASE)
_MAKER_HEADER = re.compile(r"公司|机构|厂商|开发者|实验室|company|lab|developer|org|maker", re.I)


def ranking_revision(
    fact: Fact,
    statements: Sequence[Statement],
    names: NameBook,
    section_id: str,
    marker: str,
    headline: str,
) -> tuple[Statement, str] | None:
    """The ranking row the news takes over and its rewrite (the marker in the model's
    cell), or None."""
    # A release story may place its model too ("开源…，排在第6名"): its key sentence says
    # where, which is the ranking news whatever the headline's verb.
    placed = any(f.kind == "rank" and f.unit != "top" for f in figures_in(fact.sentence))
    if not (fact.event == "ranking" or placed) or not _model_like(fact.object, names):
        return None
    rows = [
        s
        for s in statements
        if s.kind == "row" and s.header and _column(s, _RANK_HEADER) is not None
    ]
    said = f"{headline} {fact.sentence}"
    place = place_of(said, fact.object)
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


def _new_row(
    row: Statement, fact: Fact, names: NameBook, marker: str
) -> tuple[Statement, str] | None:
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
    return row, "| " + " | ".join(cells) + " |"


def place_of(said: str, thing: str = "") -> int | None:
    """The place the news gives: the one in the clause right after ``thing`` first ("FLUX.3
    登顶…，谷歌Nano Banana Pro跌至第3名" puts FLUX.3 first), else the first it names."""
    for clause in _clauses_after(said, thing):
        found = place_of(clause) if clause else None
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


def _cjk(text: str) -> bool:
    return bool(re.search(r"[\u3400-\u4dbf\u4e00-\u9fff]", text))


def _model_like(name: str, names: NameBook) -> bool:
    """A name a ranking row can hold: versioned ("Kimi K3"), of two words or more, or of a
    maker the name book knows; not a lone word of something else ("Artificial")."""
    return bool(name) and (
        bool(re.search(r"\d", name)) or len(name.split()) >= 2 or names.maker_of(name) is not None
    )
