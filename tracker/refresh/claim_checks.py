"""Claim checks in a refresh: each cited sentence against the passage of its page.

Three moments, each storing what it decides (through ``Store``'s claims
domain) and the suggestions it calls for:

* **index** (every refresh, cheap): a report whose text changed since its
  claims were indexed gets its index rebuilt (:func:`tracker.claims.index.claims_of`);
  an unchanged one is recognised by a key of its text and never parsed.
* **re-check** (a cited page got a new text): every passage anchored on it
  is found again (:func:`tracker.claims.verdict.recheck`). Unchanged, moved
  or merely reworded: nothing to say. Changed: a ``claim-changed``
  suggestion, with the claim revised when a figure it quotes changed.
  Orphaned: one ``claim-orphaned`` suggestion, with the archived copy's link.
  A claim the page did not support is looked for again on the new text.
  The judging (:meth:`ClaimChecks.judge`, the model's work) runs before the
  refresh's write transaction; only storing it (:meth:`ClaimChecks.apply`)
  runs inside, as the store has one write lock for every writer.
* **anchor** (a claim and a page it cites that has a snapshot but no anchor
  yet: a first snapshot, a new sentence in the report, a run killed half
  way): the supporting passage is found (:func:`tracker.claims.support.find_supports`)
  and anchored; a claim with none gets one ``unsupported-claim`` suggestion,
  never a second for the same claim and page, except on a page that supports
  almost none of the claims anchored on it together (a login or cookie wall):
  that page gets one suggestion, on its first unsupported claim, and its other
  claims are recorded unsupported without one. Anchors on pages a claim no
  longer cites (its reference was pointed elsewhere) are dropped first.

The embedding model is the matcher's, loaded only when a page has claims
to check (a refresh in which nothing changed loads nothing). What it does
not do: fetch or snapshot pages (:mod:`tracker.refresh.cited`), or decide
whether a page changed at all.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from tracker.store import ClaimAnchor, ClaimVerdict, Store
from tracker.types import Claim, ClaimStatus, Reference, Report, SourceFailure, Suggestion

if TYPE_CHECKING:
    from tracker.claims.anchor import Anchor
    from tracker.claims.support import Embed, Support
    from tracker.claims.verdict import Verdict
    from tracker.store.cited import Snapshot

ANCHORED, UNSUPPORTED, UNCITED = "anchored", "unsupported", "uncited"


def index_key(report: Report) -> str:
    """What a report's claim index depends on, hashed: its id, its text, the index version."""
    from tracker.claims.index import INDEX_VERSION

    parts = (INDEX_VERSION, report.id, report.markdown)
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Judged:
    """One stored anchor judged on a page's new text: a claim the page did not support
    looked for again (``support``), or a passage re-anchored (``verdict``)."""

    stored: ClaimAnchor
    claim: Claim
    reference: Reference
    support: Support | None = None
    verdict: Verdict | None = None


class ClaimChecks:
    """The claim checks of one refresh, over the reports it loaded."""

    def __init__(
        self,
        store: Store,
        reports: Sequence[Report],
        *,
        enabled: bool = True,
        now: datetime,
        clock: Callable[[], datetime],
        store_suggestion: Callable[[Suggestion], Suggestion],
    ) -> None:
        self.store = store
        # Disabled (match.check_claims: false), it checks nothing and watches no page.
        self.reports = list(reports) if enabled else []
        self.now = now
        self.clock = clock
        self._store_suggestion = store_suggestion
        self._claims: dict[str, dict[str, Claim]] = {}

    # -- index ------------------------------------------------------------------

    def index(self) -> None:
        """Rebuild the claim index of every report whose text changed since the last one."""
        for report in self.reports:
            key = index_key(report)
            if self.store.claim_index_key(report.id) == key:
                continue
            from tracker.claims.index import claims_of

            self.store.sync_claims(report.id, claims_of(report), key=key, at=self.clock())
            self._claims.pop(report.id, None)

    def unknown_references(self) -> list[SourceFailure]:
        """A warning per report whose sentences cite numbers its reference list lacks (a
        typo, a reference deleted, no list at all): they stay unchecked, and the editor
        should know. One line per report, however many numbers."""
        warnings = []
        for report in self.reports:
            listed = {r.number for r in report.references}
            missing: set[int] = set()
            where: dict[str, None] = {}  # sections in report order
            for claim in self.claims(report).values():
                if unlisted := set(claim.references) - listed:
                    missing |= unlisted
                    where[claim.section] = None
            if not missing:
                continue
            numbers = ", ".join(f"[{n}]" for n in sorted(missing))
            sections = ", ".join(where)
            reason = (
                f"sentences in section {sections} cite {numbers}, which the reference list "
                "does not have; they stay unchecked"
            )
            warnings.append(SourceFailure(report.id, report.path, reason))
        return warnings

    def claims(self, report: Report) -> dict[str, Claim]:
        """The report's current claims by id (read once per refresh)."""
        if report.id not in self._claims:
            self._claims[report.id] = {c.id: c for c in self.store.claims(report=report.id)}
        return self._claims[report.id]

    def watches(self, report: Report, reference: Reference) -> bool:
        """Whether some claim of ``report`` cites ``reference``: then its page's changes
        are judged passage by passage, not as a whole page."""
        return any(r.id == report.id for r in self.reports) and any(
            reference.number in c.references for c in self.claims(report).values()
        )

    # -- re-check -------------------------------------------------------------------

    def recheck(self, report: Report, snapshot: Snapshot) -> list[Suggestion]:
        """Judge every anchor of ``report``'s claims on ``snapshot``'s page against its new
        text; store the verdicts and new anchors; return the suggestions made."""
        return self.apply(report, self.judge(report, snapshot.url, snapshot.text), snapshot)

    def judge(self, report: Report, url: str, text: str) -> list[Judged]:
        """What becomes of every anchor of ``report``'s claims on ``url`` in its new ``text``.
        The model's work, and reads only: the refresh runs it before its transaction."""
        from tracker.claims.anchor import Anchor
        from tracker.claims.support import find_supports
        from tracker.claims.verdict import recheck

        claims = self.claims(report)
        references = {r.number: r for r in report.references}
        mine = [
            (stored, claims[stored.claim_id], references[stored.reference])
            for stored in self.store.claim_anchors(url=url)
            if stored.claim_id in claims and stored.reference in references
        ]
        # Claims the page did not support are looked for again, all in one pass
        # over the page (one embedding of its passages, not one per claim).
        unsupported = [item for item in mine if item[0].status is ClaimStatus.UNSUPPORTED]
        supports = find_supports([c for _, c, _ in unsupported], text, embed=self.embed)
        judged = [Judged(*item, support=s) for item, s in zip(unsupported, supports, strict=True)]
        for stored, claim, reference in mine:
            if stored.status is ClaimStatus.UNSUPPORTED:
                continue
            old = Anchor(stored.exact, stored.prefix, stored.suffix, stored.start, stored.end)
            # Judged by where the claim stood on this page: its standing over all its
            # pages may be "unsupported" because of another page it cites.
            on_page = replace(claim, status=stored.status)
            agreed = self._agreed_passage(stored) if stored.status is ClaimStatus.CHANGED else None
            found = recheck(on_page, old, text, embed=self.embed, agreed=agreed)
            judged.append(Judged(stored, claim, reference, verdict=found))
        return judged

    def still_current(self, report: Report, url: str, judged: list[Judged]) -> bool:
        """Whether ``judged`` was made from the anchors ``report``'s claims now have on ``url``."""
        claims = self.claims(report)
        now = [a for a in self.store.claim_anchors(url=url) if a.claim_id in claims]
        return sorted(now, key=_anchor_key) == sorted((j.stored for j in judged), key=_anchor_key)

    def apply(self, report: Report, judged: list[Judged], snapshot: Snapshot) -> list[Suggestion]:
        """Store what :meth:`judge` found on ``snapshot`` (the new anchors, the verdicts)
        and the suggestions they call for; return the suggestions."""
        from tracker.claims.anchor import Anchor, anchor_at

        made: list[Suggestion] = []
        for item in judged:
            stored, claim, reference = item.stored, item.claim, item.reference
            if item.support is not None:
                support = item.support
                status = ClaimStatus.SUPPORTED if support.supported else ClaimStatus.UNSUPPORTED
                found_at = anchor_at(snapshot.text, support.start, support.end)
                self._put(stored, found_at, snapshot, support.score, status)
                verdict = ANCHORED if support.supported else UNSUPPORTED
                self._log(stored, snapshot, verdict, status, support.score, None, support.passage)
                continue
            found = item.verdict
            assert found is not None
            old = Anchor(stored.exact, stored.prefix, stored.suffix, stored.start, stored.end)
            suggestion: Suggestion | None = None
            status = found.status  # as stored, and logged
            if found.status is ClaimStatus.ORPHANED:
                if stored.status is not ClaimStatus.ORPHANED:  # told once per disappearance
                    suggestion = self._made(self._orphaned(report, claim, reference, stored))
                # The old anchor stays: the passage may come back.
                self._put(stored, old, None, stored.score, ClaimStatus.ORPHANED)
            elif found.status is ClaimStatus.CHANGED and found.anchor is not None:
                from tracker.claims.proposals import claim_changed

                suggestion = self._made(
                    claim_changed(
                        report,
                        claim,
                        reference,
                        before=found.before,
                        after=found.after or "",
                        score=stored.score,
                        revision=found.revision,
                        now=self.now,
                    )
                )
                self._put(stored, found.anchor, snapshot, stored.score, ClaimStatus.CHANGED)
            elif found.anchor is not None:
                # Unchanged, moved or reworded: the claim stands as it stood (a claim
                # already found changed stays so until the report's sentence changes).
                keep = stored.status if stored.status is ClaimStatus.CHANGED else None
                status = keep or ClaimStatus.SUPPORTED
                self._put(stored, found.anchor, snapshot, stored.score, status)
            if suggestion is not None:
                made.append(suggestion)
            self._log(
                stored,
                snapshot,
                found.verdict,
                status,
                stored.score,
                found.before,
                found.after,
                suggestion,
            )
        return made

    def _agreed_passage(self, stored: ClaimAnchor) -> str | None:
        """The passage as it read the last time the claim stood supported on this page."""
        checks = self.store.claim_verdicts(stored.claim_id, stored.url)
        agreed = [v.after for v in checks if v.status is ClaimStatus.SUPPORTED and v.after]
        return agreed[-1] if agreed else None

    def _orphaned(
        self, report: Report, claim: Claim, reference: Reference, stored: ClaimAnchor
    ) -> Suggestion:
        from tracker.claims.proposals import claim_orphaned

        return claim_orphaned(
            report,
            claim,
            reference,
            before=stored.exact,
            score=stored.score,
            anchored_on=self._snapshot_day(stored),
            now=self.now,
        )

    def _snapshot_day(self, stored: ClaimAnchor) -> date | None:
        """The day of the snapshot the passage was last anchored in: its archived copy has it."""
        found = self.store.snapshot(stored.snapshot_id) if stored.snapshot_id else None
        return found.fetched_at.date() if found is not None else None

    # -- anchor ---------------------------------------------------------------------

    def anchor_new(self) -> list[Suggestion]:
        """Anchor every current claim on each page it cites that has a snapshot and no
        anchor of it yet (against the page's latest snapshot); return the suggestions made."""
        made: list[Suggestion] = []
        for report in self.reports:
            claims = self.claims(report)
            if not claims:
                continue
            by_number = {r.number: r for r in report.references if r.url}
            mine = [a for a in self.store.claim_anchors() if a.claim_id in claims]
            self._forget_uncited(claims, by_number, mine)
            anchored = {(a.claim_id, a.url) for a in mine}
            pending: dict[str, list[tuple[Claim, Reference]]] = {}
            for claim in claims.values():
                for number in claim.references:
                    reference = by_number.get(number)
                    if reference is not None and (claim.id, reference.url) not in anchored:
                        pending.setdefault(reference.url, []).append((claim, reference))
            for url, pairs in pending.items():
                snapshot = self.store.latest_snapshot(url)
                if snapshot is None:
                    continue
                from tracker.claims.support import find_supports

                # The model runs before the transaction: the write lock is the whole
                # store's, and other writers must not wait on an embedding.
                supports = find_supports([c for c, _ in pairs], snapshot.text, embed=self.embed)
                with self.store.transaction():
                    made.extend(self._anchor(report, snapshot, pairs, supports))
        return made

    def _forget_uncited(
        self,
        claims: dict[str, Claim],
        by_number: dict[int, Reference],
        anchors: list[ClaimAnchor],
    ) -> None:
        """Drop the anchors on pages a claim no longer cites (its reference now names
        another URL, or it no longer cites that number), logging an ``uncited`` verdict
        with the passage as last anchored: a stale orphaned or changed passage would
        otherwise stand for the claim for good, as no refresh re-checks that page."""
        for anchor in anchors:
            cited = {by_number[n].url for n in claims[anchor.claim_id].references if n in by_number}
            if anchor.url in cited:
                continue
            with self.store.transaction():
                self.store.record_claim_verdict(
                    ClaimVerdict(
                        claim_id=anchor.claim_id,
                        url=anchor.url,
                        snapshot_id=anchor.snapshot_id,
                        verdict=UNCITED,
                        status=anchor.status,
                        score=anchor.score,
                        before=anchor.exact,
                        after=None,
                        checked_at=self.clock(),
                    )
                )
                self.store.forget_claim_anchor(anchor.claim_id, anchor.url)

    def _anchor(
        self,
        report: Report,
        snapshot: Snapshot,
        pairs: list[tuple[Claim, Reference]],
        supports: list[Support],
    ) -> list[Suggestion]:
        from tracker.claims.anchor import anchor_at

        made: list[Suggestion] = []
        # On a wall page only the first unsupported claim gets a suggestion (the page's).
        wall = _looks_like_a_wall(supports)
        told = False
        for i, ((claim, reference), support) in enumerate(zip(pairs, supports, strict=True)):
            status = ClaimStatus.SUPPORTED if support.supported else ClaimStatus.UNSUPPORTED
            stored = ClaimAnchor(
                claim.id,
                snapshot.url,
                reference.number,
                "",
                "",
                "",
                0,
                0,
                snapshot.id,
                support.score,
                status,
                self.clock(),
            )
            self._put(
                stored,
                anchor_at(snapshot.text, support.start, support.end),
                snapshot,
                support.score,
                status,
            )
            suggestion = None
            if not support.supported and not told:
                told = wall
                if not self.store.claim_suggested(claim.id, snapshot.url, UNSUPPORTED):
                    suggestion = self._made(self._unsupported(report, pairs, supports, i))
                    made.append(suggestion)
            verdict = ANCHORED if support.supported else UNSUPPORTED
            self._log(
                stored, snapshot, verdict, status, support.score, None, support.passage, suggestion
            )
        return made

    def _unsupported(
        self, report: Report, pairs: list[tuple[Claim, Reference]], supports: list[Support], i: int
    ) -> Suggestion:
        """Claim ``i``'s own ``unsupported-claim``, or on a wall page the page's one."""
        from tracker.claims.proposals import unsupported_claim, unsupported_page

        (claim, reference), support = pairs[i], supports[i]
        candidate, score, now = support.passage, support.score, self.now
        if not _looks_like_a_wall(supports):
            return unsupported_claim(
                report, claim, reference, candidate=candidate, score=score, now=now
            )
        unsupported = [c for (c, _), s in zip(pairs, supports, strict=True) if not s.supported]
        return unsupported_page(
            report,
            unsupported,
            reference,
            cited=len(pairs),
            candidate=candidate,
            score=score,
            now=now,
        )

    # -- shared ---------------------------------------------------------------------

    @functools.cached_property
    def embed(self) -> Embed:
        """The matcher's embeddings, each text embedded once per refresh.

        Re-checking many claims on one page embeds its passages once, not once
        per orphaned or unsupported claim. The model loads on the first text.
        """
        from tracker.claims.support import remembering

        return remembering(max_texts=20_000)  # at most ~40 MB of vectors

    def _made(self, suggestion: Suggestion) -> Suggestion:
        return self._store_suggestion(suggestion)

    def _put(
        self,
        stored: ClaimAnchor,
        anchor: Anchor,
        snapshot: Snapshot | None,
        score: float,
        status: ClaimStatus,
    ) -> None:
        self.store.put_claim_anchor(
            ClaimAnchor(
                claim_id=stored.claim_id,
                url=stored.url,
                reference=stored.reference,
                exact=anchor.exact,
                prefix=anchor.prefix,
                suffix=anchor.suffix,
                start=anchor.start,
                end=anchor.end,
                snapshot_id=snapshot.id if snapshot is not None else stored.snapshot_id,
                score=float(score),
                status=status,
                checked_at=self.clock(),
            )
        )

    def _log(
        self,
        stored: ClaimAnchor,
        snapshot: Snapshot,
        verdict: str,
        status: ClaimStatus,
        score: float,
        before: str | None,
        after: str | None,
        suggestion: Suggestion | None = None,
    ) -> None:
        self.store.record_claim_verdict(
            ClaimVerdict(
                claim_id=stored.claim_id,
                url=stored.url,
                snapshot_id=snapshot.id,
                verdict=verdict,
                status=status,
                score=float(score),
                before=before,
                after=after,
                checked_at=self.clock(),
                suggestion_id=suggestion.id if suggestion is not None else None,
            )
        )


def _looks_like_a_wall(supports: Sequence[Support]) -> bool:
    """Whether a page supports under a quarter of at least three claims anchored on it
    together (all the claims citing it, on its first snapshot).

    A page the report really cites for several sentences supports most of them (on
    the claims evaluation, 61 of 65 claims on their own pages); one that supports
    almost none is far more likely a login, cookie or consent wall, an app shell or
    the wrong page than a source the report misquotes again and again, and one
    suggestion for the page says so without flooding the editor. With one or two
    claims a suggestion each is no flood, and says more."""
    supported = sum(1 for s in supports if s.supported)
    return len(supports) >= 3 and supported * 4 < len(supports)


def _anchor_key(anchor: ClaimAnchor) -> tuple[str, str]:
    return anchor.claim_id, anchor.url
