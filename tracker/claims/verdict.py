"""A claim re-checked against a newer copy of its cited page.

:func:`recheck` re-anchors the claim's passage (:mod:`tracker.claims.anchor`)
and decides where the claim stands:

* ``unchanged`` or ``moved``: the passage is there word for word; the claim
  stands as it stood (``SUPPORTED``): nothing to tell the editor, however much
  of the page around it churned or moved.
* ``changed``: the passage reads differently. When a figure or date the claim
  states was in the old passage and the new passage gives another of the same
  kind in its place, the claim is stale: ``CHANGED``, with ``revision`` = the
  claim sentence with that figure replaced, written as the report writes
  figures. Otherwise, when the new passage still supports the claim
  (:func:`tracker.claims.support.support_score` at the support threshold) the
  passage was only reworded: ``SUPPORTED`` and re-anchored, no suggestion;
  when it no longer does, ``CHANGED`` without a revision.
* ``orphaned``: no passage was found by position or wording. One more try by
  meaning: the page's best supporting passage is taken as the old one
  reworded when it embeds close to the old passage itself
  (``PARAPHRASE_MIN``) and still supports the claim, so a rewording that
  changed the sentences around it too is not taken for a removal. Otherwise
  ``ORPHANED``.

A claim already reported unsupported (its ``status``) only had a candidate
passage anchored: see :func:`recheck`.

Pure; the refresh turns ``CHANGED`` into a ``claim-changed`` suggestion and
``ORPHANED`` into ``claim-orphaned``, and stores the new anchor. What it does
not do: decide whether the claim was supported in the first place (that is
:func:`tracker.claims.support.find_support` on the first snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.claims.anchor import CHANGED, ORPHANED, Anchor, anchor_at, reanchor
from tracker.claims.support import (
    SUPPORTED_MIN,
    Embed,
    find_support,
    support_scores,
)
from tracker.figures import Figure, figures_in, same_figure, written_like
from tracker.types import Claim, ClaimStatus

# The old passage and the page's best passage for the claim embed at least
# this close when the one is the other reworded (cosine of the matcher's
# embeddings; same-language paraphrases score 0.8-0.95, different sentences
# about the same subject 0.5-0.75 on the claims evaluation).
PARAPHRASE_MIN = 0.8
# A reworded passage still supports its claim when it scores at the support
# threshold, or at most this much less than the old passage did.
REWORD_TOLERANCE = 0.1


@dataclass(frozen=True)
class Verdict:
    """Where a claim stands on a newer copy of its page.

    ``verdict`` is the re-anchoring's (``unchanged``, ``moved``, ``changed``,
    ``orphaned``); ``status`` is the claim's; ``before`` the old passage,
    ``after`` the new one (None when orphaned); ``anchor`` the new anchor to
    keep (None when orphaned); ``revision`` the claim sentence rewritten with
    the page's new figure, when one of its figures went stale.
    """

    status: ClaimStatus
    verdict: str
    before: str
    after: str | None
    anchor: Anchor | None
    revision: str | None


def recheck(
    claim: Claim,
    anchor: Anchor,
    new_text: str,
    *,
    embed: Embed | None = None,
    agreed: str | None = None,
) -> Verdict:
    """Re-anchor ``claim``'s passage in ``new_text`` and judge it (see the module doc).

    A claim whose ``status`` is ``UNSUPPORTED`` was anchored on its best
    candidate passage only: it stays ``UNSUPPORTED`` (already told once)
    unless the candidate changed into one that supports it (``SUPPORTED``) or
    changed a figure the claim states (``CHANGED``, with its revision).

    ``agreed`` is the passage as it read when the claim last agreed with it,
    when that is not the anchor's: a passage already found changed (the report
    not yet revised) no longer states the claim's figure, so a second change of
    that figure is only seen against the passage the claim was written from.
    """
    before = anchor.exact
    basis = before if agreed is None else agreed
    was_supported = claim.status != ClaimStatus.UNSUPPORTED
    held = ClaimStatus.SUPPORTED if was_supported else ClaimStatus.UNSUPPORTED
    found = reanchor(anchor, new_text)
    if found.verdict == ORPHANED or found.anchor is None:
        reworded = _reworded_elsewhere(claim, anchor, new_text, embed) if was_supported else None
        if reworded is None:
            lost = ClaimStatus.ORPHANED if was_supported else ClaimStatus.UNSUPPORTED
            return Verdict(lost, ORPHANED, before, None, None, None)
        new = reworded
    elif found.verdict != CHANGED:
        kept = found.anchor
        return Verdict(held, found.verdict, before, kept.exact, kept, None)
    else:
        new = found.anchor
    revision = revised_claim(claim, basis, new.exact)
    if revision is not None:
        return Verdict(ClaimStatus.CHANGED, CHANGED, before, new.exact, new, revision)
    if not was_supported:
        now = support_scores(claim, [new.exact], embed=embed)[0] >= SUPPORTED_MIN
        status = ClaimStatus.SUPPORTED if now else ClaimStatus.UNSUPPORTED
        return Verdict(status, CHANGED, before, new.exact, new, None)
    if _stale_figure(claim, before, new.exact) is None and _still_supports(
        claim, before, new.exact, embed
    ):
        return Verdict(ClaimStatus.SUPPORTED, CHANGED, before, new.exact, new, None)
    return Verdict(ClaimStatus.CHANGED, CHANGED, before, new.exact, new, None)


def _still_supports(claim: Claim, before: str, after: str, embed: Embed | None) -> bool:
    """Whether the new passage supports the claim: at the support threshold, or no
    less than the old passage did (a claim that was weakly supported from the start
    is not news because its passage was reworded)."""
    old, new = support_scores(claim, [before, after], embed=embed)
    return new >= min(SUPPORTED_MIN, old - REWORD_TOLERANCE)


def revised_claim(claim: Claim, before: str, after: str) -> str | None:
    """The claim with its stale figure replaced by the new passage's, or None.

    A figure is stale when the old passage stated it and the new one does
    not but states another of the same kind and unit (a date another date).
    The replacement is written as the claim writes figures: Chinese
    magnitudes in a Chinese claim ("15亿美元"), as the page writes it otherwise.
    """
    stale = _stale_figure(claim, before, after)
    if stale is None:
        return None
    old, new = stale
    if new is None:
        return None
    text = claim.text
    return text[: old.start] + written_like(new, old) + text[old.end :]


def _stale_figure(claim: Claim, before: str, after: str) -> tuple[Figure, Figure | None] | None:
    """A claim figure the old passage stated and the new one no longer does, with the
    new passage's figure that took its place (None when none did): of the new
    figures of its kind, the one standing where it stood, relative to the passage."""
    old_figures, new_figures = figures_in(before), figures_in(after)
    for figure in figures_in(claim.text):
        if figure.kind == "date" and figure.unit == "year":
            continue  # a bare year is context, rarely the claim's point
        was = [f for f in old_figures if same_figure(figure, f)]
        still = any(same_figure(figure, f) for f in new_figures)
        if was and not still:
            replaced = [
                f
                for f in new_figures
                if _same_kind(f, figure) and not any(same_figure(f, o) for o in old_figures)
            ]
            where = was[0].start / max(len(before), 1)
            nearest = min(
                replaced, key=lambda f: abs(f.start / max(len(after), 1) - where), default=None
            )
            return figure, nearest
    return None


def _same_kind(a: Figure, b: Figure) -> bool:
    if a.kind == "date" or b.kind == "date":
        return a.kind == b.kind
    kinds = {a.kind, b.kind}
    return (a.kind == b.kind or kinds == {"count", "plain"}) and a.unit == b.unit


def _reworded_elsewhere(
    claim: Claim, anchor: Anchor, new_text: str, embed: Embed | None
) -> Anchor | None:
    """The page's best passage for the claim, if it is the old passage reworded."""
    best = find_support(claim, new_text, embed=embed)
    if not best.supported:
        return None
    if embed is None:
        from tracker.match import embed as model_embed

        embed = model_embed
    vectors = embed([anchor.exact, best.passage])
    if float(vectors[0] @ vectors[1]) < PARAPHRASE_MIN:
        return None
    context = max(len(anchor.prefix), len(anchor.suffix), 1)
    return anchor_at(new_text, best.start, best.end, context=context)
