"""Does the report already state this news? Matching a fact against the report's statements.

A statement *covers* a fact when it names the fact's object (the same family
of names with the same version numbers: ``Gemini 3`` is in ``Gemini 2.5和3.0
系列``; ``Claude Opus 4.5`` is not in ``Claude 4系列``) and tells an event of
the same kind (a release, a ranking, a figure reached …), and when
the figures both give for the same measure agree. A statement that names the
same thing with a *different* figure is not coverage: that is a revision
(:mod:`tracker.suggest.revisions`).

Covered news never becomes a new bullet. When the covering statement cites
nothing, or only general references (sources behind much of the report, such
as a year in review), the article can become its more specific citation.
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracker.figures import figures_in, same_figure
from tracker.statements import Statement
from tracker.suggest.facts import EVENTS, field_term
from tracker.suggest.names import NameBook
from tracker.types import Fact

_WORD = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)*")
_FILLER = frozenset({"and", "the", "model", "models", "series", "family", "new", "ai"})


def object_key(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """(family words, version numbers) of a product name: ``Gemini 3.0 Pro`` →
    ({gemini, pro}, {3})."""
    words = _WORD.findall(name)
    family = frozenset(w.lower() for w in words if w.isalpha() and w.lower() not in _FILLER)
    versions = frozenset(_version(w) for w in words if w[0].isdigit())
    return family, versions


def _version(number: str) -> str:
    return re.sub(r"(\.0)+$", "", number)


def names_object(statement: str, thing: str) -> bool:
    """Whether ``statement`` names ``thing`` (every family word, every version)."""
    family, versions = object_key(thing)
    if not family and not versions:
        return False
    words = _WORD.findall(statement)
    latin = {w.lower() for w in words if w.isalpha()}
    numbers = {_version(w) for w in words if w[0].isdigit()}
    if not family:  # a purely Chinese or numeric name: compare as text
        return thing in statement
    return family <= latin and versions <= numbers


def names_actor(statement: str, actor: str, names: NameBook) -> bool:
    if not actor:
        return False
    name = names.lookup(actor)
    forms = name.forms if name else (actor,)
    return any(form and form.lower() in statement.lower() for form in forms)


def same_event(statement: str, event: str) -> bool:
    return any(kind == event and pattern.search(statement) for kind, pattern in EVENTS)


def figures_conflict(statement: str, fact: Fact) -> bool:
    """The statement and the fact give different values for the same kind of figure."""
    mine = [f for f in figures_in(statement) if f.kind not in ("date", "plain", "rank")]
    theirs = [f for f in figures_in(fact.sentence) if f.text in fact.numbers]
    for old in mine:
        for new in theirs:
            same_kind = (old.kind, old.unit, old.per) == (new.kind, new.unit, new.per)
            if same_kind and not same_figure(old, new):
                return True
    return False


def shares_figure(statement: str, fact: Fact) -> bool:
    theirs = [f for f in figures_in(fact.sentence) if f.text in fact.numbers]
    return any(same_figure(old, new) for old in figures_in(statement) for new in theirs)


def covering_statement(
    fact: Fact, statements: Sequence[Statement], names: NameBook, *, section_id: str = ""
) -> Statement | None:
    """The report statement that already states ``fact`` (the matched section's first)."""
    if fact.object and field_term(fact.object) != fact.object:
        found = [
            s
            for s in statements
            if s.kind != "row"
            and names_object(s.plain, fact.object)
            and same_event(s.plain, fact.event)
            and not figures_conflict(s.plain, fact)
        ]
    elif fact.actor and fact.numbers:
        # News about no named thing, or only a kind of thing ("an image model"), such as
        # "METR: the task horizon doubled again", is covered by a statement of its
        # actor, of the same kind, that gives the same figure.
        found = [
            s
            for s in statements
            if s.kind != "row"
            and names_actor(s.plain, fact.actor, names)
            and same_event(s.plain, fact.event)
            and shares_figure(s.plain, fact)
        ]
    else:
        return None
    found.sort(key=lambda s: (s.section_id != section_id, s.line))
    return found[0] if found else None


def may_cite(statement: Statement, general: frozenset[int]) -> bool:
    """Whether the article may become this statement's citation: it cites nothing, or
    only general references."""
    return set(statement.citations) <= general


def cite_after(statement_text: str, marker: str) -> str:
    """The statement with ``marker`` placed after its last citation marker, or before
    its closing full stop when it has none: ``…能力[1]。`` → ``…能力[1][7]。``."""
    citations = list(re.finditer(r"[\[［]\d{1,4}(?:[,，\-–]\s*\d{1,4})*[\]］]", statement_text))
    if citations:
        end = citations[-1].end()
        return statement_text[:end] + marker + statement_text[end:]
    stripped = statement_text.rstrip()
    if stripped and stripped[-1] in "。！？.!?":
        return stripped[:-1] + marker + stripped[-1]
    return stripped + marker
