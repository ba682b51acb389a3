"""Does the report already state this news? Matching a fact against the report's statements.

A statement *covers* a fact when it names the fact's object (the same family
of names with the same version numbers: ``Gemini 3`` is in ``Gemini 2.5和3.0
系列``; ``Claude Opus 4.5`` is not in ``Claude 4系列``) and tells an event of
the same kind (a release, a ranking, a figure reached …), and when
the figures both give for the same measure agree. A statement that names the
same thing with a *different* figure is not coverage: that is a revision
(:mod:`tracker.suggest.revisions`). A statement also covers the fact when it
continues about the thing the one before it names ("该功能…"), when it names
the thing and a term the headline quotes ("金门大桥"), when it calls the
thing by a longer name and gives the same current figure ("Claude Pro Max
20x：$200/月" for Claude Max at $200), and, for news of what a person says,
when it reports that person on a concept the headline names. A name without
a version is a family, not a member ("Claude" is not "Claude 4"), and a
version is never read from a statement's dates or sums.

Covered news never becomes a new bullet; whether the covering statement may take
the article as its citation is :mod:`tracker.suggest.citing`'s question. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracker.figures import figures_in, rounded_from, same_figure
from tracker.glossary import FIELD_GLOSSARY
from tracker.statements import Statement
from tracker.suggest.events import EVENTS
from tracker.suggest.facts import field_term
from tracker.suggest.name_runs import product_names
from tracker.suggest.names import NameBook
from tracker.suggest.naming import (
    glossary_forms,
    loosely_names,
    names_object,
    object_spellings,
    spelled,
)
from tracker.suggest.naming import object_key as object_key  # tracker.refresh reads it here
from tracker.types import Fact

# News whose point is a figure or a new capability is covered only by a statement
# telling the same kind of news; a release is covered by any statement naming the
# thing with its maker.
# A paper or result about a product is news beyond its release too ("R1's paper in Nature"
# is not what "DeepSeek R1发布" states).
_NEWS_BEYOND_THE_NAME = frozenset(
    {"feature", "milestone", "price", "funding", "market", "ranking", "paper"}
)


def _names(statement: Statement, thing: str) -> bool:
    """``names_object`` on a sentence, or on any one cell of a table row (a rank is no version)."""
    if statement.kind == "row":
        return any(names_object(cell, thing) for cell in statement.cells)
    return names_object(statement.plain, thing)


# A sentence that continues about the thing the one before it named: "该功能…", "It …".
REFERS_BACK = re.compile(r"^(?:该|这|其|此|它|It\b|This\b|The (?:model|tool|feature)\b)")


def _refers_back_to(statement: Statement, previous: Statement | None, thing: str) -> bool:
    return (
        previous is not None
        and previous.section_id == statement.section_id
        and statement.kind != "row"
        and REFERS_BACK.match(statement.plain) is not None
        and _names(previous, thing)
    )


def names_actor(statement: str, actor: str, names: NameBook) -> bool:
    if not actor:
        return False
    name = names.lookup(actor)
    forms = name.forms if name else (actor,)
    org = names.affiliation(name) if name else None
    if org is not None:
        forms = (*forms, *org.forms)
    return any(form and form.lower() in statement.lower() for form in forms)


def same_event(statement: str, event: str) -> bool:
    return any(kind == event and pattern.search(statement) for kind, pattern in EVENTS)


def figures_conflict(statement: str, fact: Fact) -> bool:
    """The statement and the fact give figures of one kind and none of them agree
    ($249/月 and $124.99/月 against $249.99 a month agree: one of them is the same)."""
    mine = [f for f in figures_in(statement) if f.kind not in ("date", "plain", "rank")]
    theirs = [f for f in figures_in(fact.sentence) if f.text in fact.numbers]
    kinds = {(f.kind, f.unit, f.per) for f in mine} & {(f.kind, f.unit, f.per) for f in theirs}
    for kind in kinds:
        olds = [f for f in mine if (f.kind, f.unit, f.per) == kind]
        news = [f for f in theirs if (f.kind, f.unit, f.per) == kind]
        if not any(
            same_figure(old, new) or rounded_from(old, new, fact.sentence)
            for old in olds
            for new in news
        ):
            return True
    return False


def shares_figure(statement: str, fact: Fact) -> bool:
    theirs = [f for f in figures_in(fact.sentence) if f.text in fact.numbers]
    return any(same_figure(old, new) for old in figures_in(statement) for new in theirs)


def covering_statement(
    fact: Fact,
    statements: Sequence[Statement],
    names: NameBook,
    *,
    section_id: str = "",
    summaries: frozenset[str] = frozenset(),
    headline: str = "",
    aliases: Sequence[str] = (),
) -> Statement | None:
    """The report statement that already states ``fact``: in the matched section first,
    then its chapter, then elsewhere; ``summaries`` (abstract, introduction,
    conclusion) last. ``headline`` is the article's; ``aliases`` are other names the
    article gives the thing (:mod:`tracker.suggest.aliases`)."""
    found: list[Statement] = []
    leads = list_leads(statements)
    if fact.object and field_term(fact.object) != fact.object:
        beyond = fact.event in _NEWS_BEYOND_THE_NAME
        spellings = tuple(
            dict.fromkeys(
                spelling
                for name in (fact.object, *aliases)
                for spelling in object_spellings(name, names)
            )
        )
        concepts = _concepts(f"{headline} {fact.sentence}")
        in_headline = not headline or any(
            spelled(thing.replace("-", " "), headline.replace("-", " ")) for thing in spellings
        )
        own_concepts = _section_own_concepts(statements) if concepts else {}
        found = [
            s
            for s, previous in zip(statements, (None, *statements), strict=False)
            if (
                any(_names(s, thing) for thing in spellings)
                or _refers_back_to(s, previous, fact.object)
            )
            and (
                # A table listing the thing states that it exists; a statement giving
                # the same figure for it states the figure.
                (s.kind == "row" and not beyond)
                or shares_figure(s.plain, fact)
                or same_event(s.plain, fact.event)
                or (not beyond and _names_actor_or_lead(s, leads, fact.actor, names, statements))
                # An item of the actor's list of results ("根据METR的测量…：") states
                # its result for the thing the item names.
                or _lead_tells(leads.get(id(s)), fact, names)
                # Research on a thing the statement names, about what it quotes or
                # names beside it ("金门大桥"), is that statement's finding.
                or _shares_catchword(s.plain, f"{headline} {fact.sentence}")
                # News of no kind tracker can tell (a review, an interview, a follow-up)
                # about a product the statement names by its full name says nothing the
                # report lacks that tracker could write as an edit.
                or (
                    fact.event == "other"
                    and _full_name(fact.object)
                    and in_headline
                    and _actors_own(fact.object, headline, names)
                    and any(_names(s, thing) for thing in spellings)
                )
                # A paper on a thing the statement names, with a method only its section
                # discusses ("稀疏自编码器" in 6.1), is the section's finding.
                or (
                    fact.event == "paper"
                    and any(_names(s, thing) for thing in spellings)
                    and bool(
                        concepts
                        & own_concepts.get(s.section_id, frozenset())
                        & _concepts(_context(s, leads, statements))
                    )
                )
            )
            and not figures_conflict(s.plain, fact)
        ]
        # The report may call the thing by a longer name ("Claude Pro Max 20x" for
        # Claude Max): its words in order and the same current figure say it is the same.
        found += [
            s
            for s in statements
            if s.kind != "row"
            and loosely_names(s.plain, fact.object)
            and _same_current_value(s.plain, fact)
        ]
    if fact.actor:
        found += [
            s for s in statements if s.kind != "row" and _person_said(s, fact, names, headline)
        ]
    if not found and fact.event in ("release", "open-source"):
        found = _other_product_listed(fact, statements, leads, names, section_id, headline)
    if not found and fact.actor and fact.numbers:
        # News whose figure is the point ("METR: the task horizon doubled again") is
        # covered by a statement of its actor, of the same kind, giving the same figure.
        found = [
            s
            for s, previous in zip(statements, (None, *statements), strict=False)
            if s.kind != "row"
            and (
                names_actor(s.plain, fact.actor, names)
                # "该功能…100万账户" continues the sentence before, which names the actor
                # (in the section the news belongs to: elsewhere a figure is a coincidence).
                or (
                    previous is not None
                    and s.section_id == previous.section_id == section_id
                    and REFERS_BACK.match(s.plain) is not None
                    and names_actor(previous.plain, fact.actor, names)
                )
            )
            and same_event(s.plain, fact.event)
            and shares_figure(s.plain, fact)
        ]
    chapter = section_id.split(".")[0]
    found.sort(
        key=lambda s: (
            s.section_id != section_id,
            s.section_id.split(".")[0] != chapter,
            s.section_id in summaries,
            s.line,
        )
    )
    return found[0] if found else None


_QUOTED = re.compile(r"[“\"《「『]([^”\"》」』]{2,12})[”\"》」』]")


def _full_name(thing: str) -> bool:
    """A product's full name: with a version ("MiniMax M2", "Gemini 3") or of two Latin
    words or more ("Claude Code"); not a family ("Claude") nor a kind of thing."""
    latin = re.findall(r"[A-Za-z][\w.+-]*", thing)
    return bool(latin) and (bool(re.search(r"\d", thing)) or len(latin) >= 2)


def _actors_own(thing: str, headline: str, names: NameBook) -> bool:
    """The headline's subject is not a rival of the thing's maker: the actor it names, if
    any, is the maker (or speaks for it). "Altman says …" is not news of Gemini 3; a
    reviewer's or an unnamed outlet's week with it is."""
    maker = names.maker_of(thing)
    doers = [f.name for f in names.find(headline) if f.name.kind in ("org", "person")]
    if maker is None or not doers:
        return True
    doer = doers[0]
    # A person speaks for their organisation, if any; an independent reviewer for no rival.
    side = doer if doer.kind != "person" else names.affiliation(doer)
    return side is None or side == maker


def list_leads(statements: Sequence[Statement]) -> dict[int, Statement]:
    """For each list item (keyed by ``id()``), the sentence that introduces its list: the last
    sentence before it in its section ("根据METR的测量，…翻倍[1]：" for "- 2024年最佳模型：…")."""
    leads: dict[int, Statement] = {}
    lead: Statement | None = None
    for statement in statements:
        if statement.kind == "sentence":
            lead = statement
        elif (
            statement.kind == "item"
            and lead is not None
            and lead.section_id == statement.section_id
        ):
            leads[id(statement)] = lead
    return leads


_AND = re.compile(r"\s*(?:与|和|及|以及|并|\band\b|&|\bplus\b)\s*", re.IGNORECASE)


def _other_product_listed(
    fact: Fact,
    statements: Sequence[Statement],
    leads: dict[int, Statement],
    names: NameBook,
    section_id: str,
    headline: str,
) -> list[Statement]:
    """A headline releasing two products at once ("Mistral发布Devstral 2编程模型与终端工具
    Mistral Vibe") is the matched section's news of the one it lists: a statement there
    naming the other product with its maker states it."""
    at = headline.find(fact.object)
    if at < 0:
        return []
    after = headline[at + len(fact.object) :]
    joined = _AND.search(after)
    if joined is None:
        return []
    others = [
        name
        for name in product_names(after[joined.end() :], names, fact.actor)
        if not names_object(name, fact.object)
    ][:1]
    return [
        s
        for s in statements
        if s.section_id == section_id
        for other in others
        if _names(s, other)
        and (s.kind == "row" or _names_actor_or_lead(s, leads, fact.actor, names))
    ]


def _lead_tells(lead: Statement | None, fact: Fact, names: NameBook) -> bool:
    return (
        lead is not None
        and same_event(lead.plain, fact.event)
        and names_actor(lead.plain, fact.actor, names)
    )


def _names_actor_or_lead(
    statement: Statement,
    leads: dict[int, Statement],
    actor: str,
    names: NameBook,
    statements: Sequence[Statement] = (),
) -> bool:
    """The statement names the actor, or is a list item whose lead sentence does: the
    items of "根据METR的测量…：" are METR's measurements; a lead that only refers back
    ("其优势在于：") is read with the sentence before it."""
    if names_actor(statement.plain, actor, names):
        return True
    lead = leads.get(id(statement))
    if lead is None:
        return False
    if REFERS_BACK.match(lead.plain) and statements:
        return names_actor(_context(statement, leads, statements), actor, names)
    return names_actor(lead.plain, actor, names)


def _shares_catchword(statement: str, said: str) -> bool:
    """A term ``said`` (headline and key sentence) quotes is in the statement."""
    return any(_spelled_any(term, statement) for term in _QUOTED.findall(said))


def _spelled_any(term: str, text: str) -> bool:
    """``term`` or any glossary spelling of it in ``text`` (hyphens read as spaces)."""
    text = text.replace("-", " ")
    forms = glossary_forms(term) or (term,)
    return any(spelled(form.replace("-", " "), text) for form in forms)


def _concepts(text: str) -> frozenset[str]:
    """The field-glossary concepts ``text`` names (by the row's first spelling)."""
    return frozenset(
        row[0]
        for row in FIELD_GLOSSARY
        if any(spelled(form.replace("-", " "), text.replace("-", " ")) for form in row)
    )


def _context(
    statement: Statement, leads: dict[int, Statement], statements: Sequence[Statement]
) -> str:
    """What a statement says with what introduces it: a list item with its lead sentence
    and, when that lead only announces the list ("关键发现包括："), the sentence before it."""
    lead = leads.get(id(statement))
    if lead is None:
        return statement.plain
    at = next(i for i, s in enumerate(statements) if s is lead)
    before = statements[at - 1] if at and statements[at - 1].section_id == lead.section_id else None
    return " ".join(s.plain for s in (before, lead, statement) if s is not None)


def _section_own_concepts(statements: Sequence[Statement]) -> dict[str, frozenset[str]]:
    """For each section, the field concepts it names and no other section does: what
    that section is about, not a word every chapter uses ("推理模型")."""
    by_section: dict[str, set[str]] = {}
    for statement in statements:
        by_section.setdefault(statement.section_id, set()).update(_concepts(statement.plain))
    return {
        section: frozenset(
            c for c in concepts if sum(c in other for other in by_section.values()) == 1
        )
        for section, concepts in by_section.items()
    }


def _person_said(statement: Statement, fact: Fact, names: NameBook, headline: str) -> bool:
    """The statement reports a person's view on the headline's subject: it names the
    person and a field concept the headline names (Willison's definition of an agent
    is what "Simon Willison将智能体定义为…" states). Only for people: a lab names
    every field concept in some statement."""
    name = names.lookup(fact.actor)
    if name is None or name.kind != "person":
        return False
    if not names_actor(statement.plain, fact.actor, names):
        return False
    # A concept or a rival the headline names ("Google" for Altman); the person's own
    # company is no subject of a view ("梁文锋署名，DeepSeek新论文…" is DeepSeek's paper).
    org = names.affiliation(name)
    own = {form.lower() for form in org.forms} if org is not None else set()
    return any(
        any(spelled(form.replace("-", " "), headline.replace("-", " ")) for form in row)
        and any(spelled(form, statement.plain) for form in row)
        for row in FIELD_GLOSSARY
        if not own.intersection(form.lower() for form in row)
    )


def _same_current_value(statement: str, fact: Fact) -> bool:
    """A figure the fact gives as current (not "up from $200", "从…") equals one of the
    statement in kind, unit and value; a rate's period may be written on one side only
    ("每月200美元" and "$200/月")."""
    theirs = [
        f
        for f in figures_in(fact.sentence)
        if f.text in fact.numbers and not _WAS.search(fact.sentence[max(0, f.start - 16) : f.start])
    ]
    return any(
        same_figure(old, new)
        or (
            old.kind == new.kind == "money"
            and old.unit == new.unit
            and abs(old.value - new.value) <= 0.005 * max(abs(old.value), abs(new.value))
        )
        for old in figures_in(statement)
        for new in theirs
    )


_WAS = re.compile(
    r"(?:\bfrom|\bpreviously|\bnot|\binstead of|\boriginally)\s+(?:the\s+)?\S*\s*$"
    r"|(?:此前|之前|从|由|而非|最初|原先)(?:(?!至|[调升涨降增长]到)[^，。]){0,8}$",
    re.IGNORECASE,
)
