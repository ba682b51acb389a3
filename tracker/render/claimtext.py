"""How a pending claim suggestion reads in an edition's review block.

A ``claim-changed`` shows the report sentence it concerns, the cited passage
as it read (struck) and as it reads now, and, when a number or date in the
sentence went stale, the proposed revision as a tracked change the way a
revision is shown (``~~old~~ → new``). A ``claim-orphaned`` shows the struck
passage and the archived copy's link; an ``unsupported-claim`` the closest
passage of the cited page and its score. Passages are a page's words:
escaped (:mod:`tracker.render.mdtext`), never Markdown of their own.
"""

from __future__ import annotations

from tracker.render.edits import shown_replacement
from tracker.render.labels import Labels
from tracker.render.mdtext import md_link, md_report_text, md_struck, md_struck_text, md_text
from tracker.types import Suggestion, SuggestionKind


def claim_parts(s: Suggestion, labels: Labels, kind: str) -> list[str]:
    """The parts of a pending claim item, before its accept hint (joined with " — ")."""
    evidence = s.evidence
    parts = [f"{kind} {md_report_text(s.target or '')}"]
    if evidence is not None:
        if s.kind is SuggestionKind.UNSUPPORTED_CLAIM:
            if evidence.after:
                score = f"{evidence.score:.2f}"
                parts.append(labels.passage_candidate.format(score=score) + md_text(evidence.after))
        else:
            if evidence.before:
                parts.append(labels.passage_before + md_struck_text(evidence.before))
            if evidence.after:
                parts.append(labels.passage_after + md_text(evidence.after))
            if evidence.archived_url:
                parts.append(md_link(labels.archived_copy, evidence.archived_url))
    if s.kind is SuggestionKind.CLAIM_CHANGED and (s.edited_text or s.proposed_text):
        revised = f"{md_struck(s.target or '')} → {shown_replacement(s)}"
        parts.append(labels.revised_claim + revised)
    number = f" [{evidence.reference}]" if evidence is not None else ""
    parts.append(f"{labels.source}{md_link(s.title, s.url)}{number}")
    return parts
