"""The digest's claim checks: per section, the cited sentences whose source moved under them.

A ``claim-changed`` shows the report sentence, the cited passage as it read
and as it reads now, and the proposed revision of the sentence when a number
or date in it went stale; a ``claim-orphaned`` the passage that is gone and
the archived copy's link; an ``unsupported-claim`` the closest passage the
cited page has, with its score. Pure, like :mod:`tracker.notify.compose`:
every string from a page is reduced to plain lines here, and the HTML
template escapes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from tracker.notify.text import display_text, one_line, safe_url, shorten
from tracker.notify.wording import Wording
from tracker.report import section_label
from tracker.types import CLAIM_KINDS, Suggestion, SuggestionKind

PASSAGE_CHARS = 600
# How compose orders sections: report order, then unknown ids, the reference list last.
SectionKey = tuple[int, int, tuple[tuple[int, int | str], ...]]
# Within a section: a changed passage (it may carry a revision) first, then a lost one.
_ORDER = (
    SuggestionKind.CLAIM_CHANGED,
    SuggestionKind.CLAIM_ORPHANED,
    SuggestionKind.UNSUPPORTED_CLAIM,
)


@dataclass(frozen=True)
class ClaimItem:
    """One claim suggestion, cleaned for display."""

    id: int | None
    kind: str
    kind_label: str  # "引文已变" / "passage changed" …
    claim: str  # the report sentence
    source: str  # "参考文献 [1]" / "Reference [1]", else the page's title
    url: str  # the cited page ("" when not http(s))
    before: str  # the passage as anchored ("" for an unsupported claim)
    after: str  # as it reads now, or the best candidate ("" when gone)
    score: float | None  # the candidate's support, for an unsupported claim
    archived_url: str  # the last archived copy, for a lost passage ("" otherwise)
    revision: str  # the proposed sentence ("" when there is none)
    accept: str
    reject: str
    link: str | None


@dataclass(frozen=True)
class ClaimSection:
    id: str
    title: str
    label: str
    items: tuple[ClaimItem, ...]


def claim_sections(
    suggestions: Sequence[Suggestion],
    *,
    w: Wording,
    titles: dict[str, str],
    section_order: Callable[[str], SectionKey],
    base_url: str | None,
) -> tuple[ClaimSection, ...]:
    """The claim suggestions among ``suggestions``, grouped by section in report order."""
    by_section: dict[str, list[Suggestion]] = {}
    for s in suggestions:
        if s.kind in CLAIM_KINDS:
            by_section.setdefault(s.section, []).append(s)
    groups = []
    for sid in sorted(by_section, key=section_order):
        own = sorted(by_section[sid], key=lambda s: (_ORDER.index(s.kind), s.id or 0))
        title = one_line(titles.get(sid) or own[0].section_title)
        groups.append(
            ClaimSection(
                id=one_line(sid),
                title=title,
                label=section_label(one_line(sid), title),
                items=tuple(claim_item(s, w, base_url) for s in own),
            )
        )
    return tuple(groups)


def claim_item(s: Suggestion, w: Wording, base_url: str | None) -> ClaimItem:
    ident = str(s.id) if s.id is not None else "?"
    evidence = s.evidence
    link = None
    if base_url and s.id is not None:
        link = f"{base_url.rstrip('/')}/suggestions/{quote(ident)}"
    if evidence is not None:
        source = w.reference.format(number=evidence.reference)
    else:
        source = one_line(s.source or s.title)
    before = evidence.before if evidence and evidence.before else ""
    after = evidence.after if evidence and evidence.after else ""
    archived = safe_url(evidence.archived_url or "") if evidence else ""
    return ClaimItem(
        id=s.id,
        kind=str(s.kind),
        kind_label=w.claim_kinds.get(str(s.kind), str(s.kind)),
        claim=one_line(s.target or s.excerpt),
        source=source,
        url=safe_url(s.url),
        before=shorten(one_line(before), PASSAGE_CHARS),
        after=shorten(one_line(after), PASSAGE_CHARS),
        score=evidence.score if evidence and s.kind is SuggestionKind.UNSUPPORTED_CLAIM else None,
        archived_url=archived,
        revision=display_text(s.proposed_text) if s.proposed_text else "",
        accept=f"tracker accept {ident}",
        reject=f"tracker reject {ident}",
        link=link,
    )
