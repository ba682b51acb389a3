"""A dated snapshot the report quotes, superseded by the same source's newer one.

Reports quote rankings and statistics "as of" a day ("根据Artificial Analysis截至
2025年12月30日的排名："). When news from that same source gives its data as of a
later day ("榜单数据截至2026年3月31日"), the statement's date is stale: the revision
moves it to the new day, written as the report writes dates. The source must be
named in both, by a name the statement gives (a Latin name run such as
"Artificial Analysis", or a known organisation), and the new date must be later.

Whether the rows under such a statement changed too is the ranking revisions'
business (:mod:`tracker.suggest.revisions`). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracker.figures import Figure, figures_in, written_like
from tracker.statements import Statement
from tracker.suggest.names import NameBook
from tracker.types import Fact

# "截至2025年12月30日", "as of December 30, 2025", "through March 31".
_AS_OF = re.compile(r"(?:截至|截止(?:到|至)?|\bas of|\bas at|\bthrough|\bup to)\s*$", re.I)
_SOURCE = re.compile(r"[A-Z][A-Za-z0-9.&-]*(?: [A-Z][A-Za-z0-9.&-]*)+|[A-Z][a-z]*[A-Z][A-Za-z]*")


def as_of_revision(
    fact: Fact, statements: Sequence[Statement], names: NameBook, *, headline: str = ""
) -> tuple[Statement, str] | None:
    """The statement whose snapshot date the news supersedes, and its rewrite without the
    citation marker; None when no statement quotes a snapshot of the news' source."""
    said = f"{headline} {fact.sentence}"
    news = _as_of_dates(said)
    if not news:
        return None
    newest = max(news, key=lambda f: f.value)
    for statement in statements:
        if statement.kind == "row":
            continue
        olds = _as_of_dates(statement.text)
        if not olds or not _same_source(statement.plain, said, names):
            continue
        old = olds[0]
        if newest.value <= old.value:
            continue
        text = statement.text[: old.start] + written_like(newest, old) + statement.text[old.end :]
        return statement, text
    return None


def _as_of_dates(text: str) -> list[Figure]:
    return [
        f
        for f in figures_in(text)
        if f.kind == "date"
        and f.unit == "day"
        and _AS_OF.search(text[max(0, f.start - 8) : f.start])
    ]


def _same_source(statement: str, said: str, names: NameBook) -> bool:
    """A source the statement names (a multi-word Latin name, a CamelCase one, or a
    known organisation) is named in the news too."""
    sources = [m.group(0) for m in _SOURCE.finditer(statement)]
    sources += [f.form for f in names.find(statement) if f.name.kind in ("org", "body")]
    return any(
        re.search(rf"(?<![A-Za-z]){re.escape(source)}(?![A-Za-z])", said, re.I)
        for source in sources
        if len(source) > 2
    )
