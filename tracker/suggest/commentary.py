"""Commentary: articles that discuss what happened rather than report that something did.

An essay, an interview, a keynote looked back on, a year's round-up, a
hands-on test or a tutorial tells the editor nothing the report lacks when it
announces nothing: its subject is a trend, a result or a product the report
already states, seen by someone. Such a piece is no new bullet: it is a source
for the statement it discusses, the one of its section it reads most like,
when that statement cites only general sources. Commentary that reads like no
statement of its section closely enough may say what the section lacks, and
stays an addition.

The genre is read off the headline, where outlets mark it ("长文", "专访",
"盘点", "round-up", "interview"), or where a person's view is the headline
("X says …", "X直言…"). An article of a kind of news tracker knows
(a release, a paper, funding, a price, a ranking …) in its headline is news
whatever the headline calls it: "Q&A" over a launch is still a launch.

Pure: the similarities come in as numbers, one per statement.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from tracker.statements import Statement
from tracker.suggest.events import event_kind
from tracker.suggest.updates import closest_in_section

_GENRE = re.compile(
    r"\b(?:essay|op-ed|opinion|analysis|interview|Q&A|AMA|round-?up|recap|retrospective"
    r"|look(?:s|ing)? back|year in review|keynote|speech|podcast|explainer|tutorial|hands-on"
    r"|guide to|how to|best practices|from the archives?|worth (?:your|a) \w+"
    # Someone's view, when nothing else is news: "X says he is '0%' excited …".
    r"|says|said|argues|warns|admits)\b"
    r"|长文|专访|访谈|演讲|盘点|回看|回顾|复盘|综述|观点|解读|评论|点评|问答|答网友|教程|实测|指南|最佳实践"
    r"|表示|认为|直言|回应|坦言"
    # A headline that quotes someone by role: "Anthropic研究员：…", "Lab founder: …".
    r"|^[^：:]{0,16}(?:研究员|创始人|CEO|首席[\u4e00-\u9fff]{1,4}|负责人|科学家|总裁|董事长|教授)[：:]"
    r"|^[^:]{0,40}\b(?:CEO|founder|co-founder|researchers?|scientist|professor)s?: ",
    re.IGNORECASE,
)

# How close (cosine of headline and lede) the statement a commentary becomes a source
# for must be. On the development briefs the commentary pieces' closest statements
# were the ones they discuss down to about 0.34, and unrelated below about 0.22.
_MIN_COSINE = 0.30


def _bare_lead(statement: Statement) -> bool:
    """A short line introducing a list ("这一模式的优势在于：", "主要竞争产品包括：")
    states nothing of its own to be a source for."""
    plain = statement.plain
    return plain.endswith(("：", ":")) and len(plain) < 12


def is_commentary(headline: str) -> bool:
    """Whether the headline marks commentary and tells no kind of news tracker knows.
    The headline's own kind, not the body's: a piece on an old launch names it
    ("the command-line agent the company put out in February 2025")."""
    return _GENRE.search(headline) is not None and event_kind(headline) == "other"


def discussed_statement(
    statements: Sequence[Statement],
    cosines: Sequence[float],
    *,
    section_id: str,
    named: Collection[Statement] = (),
) -> Statement | None:
    """The statement of ``section_id`` the commentary discusses: of those ``named`` (they
    name what its headline names), the closest; else the one it reads most like, if
    close enough (``cosines[i]`` is its similarity to ``statements[i]``). Table rows
    are included: a round-up may discuss what a trend table states."""
    ids = {id(s) for s in named}
    by_name = closest_in_section(statements, cosines, section_id, lambda s: id(s) in ids)
    if by_name is not None:
        return by_name[1]  # what the headline names: the piece is about that
    closest = closest_in_section(
        statements, cosines, section_id, lambda statement: not _bare_lead(statement)
    )
    return closest[1] if closest is not None and closest[0] >= _MIN_COSINE else None
