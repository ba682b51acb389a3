"""The store's claims domain on a real SQLite file and a real PostgreSQL database:
the index rebuilt as the report changes (gone claims kept), anchors per claim and
page, verdict history, and a claim suggestion's evidence round-tripped."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import store_backends

from tracker.store import ClaimAnchor, ClaimVerdict, Store
from tracker.types import (
    Claim,
    ClaimStatus,
    PassageEvidence,
    Suggestion,
    SuggestionKind,
)

# The store fixtures, over SQLite and PostgreSQL (tests/store_backends.py).
db_path = store_backends.db_path
pg_store_url = store_backends.pg_store_url
store = store_backends.store

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
PAGE = "https://simonwillison.net/2025/Dec/31/the-year-in-llms/"
OTHER = "https://www.technologyreview.com/2026/01/12/1129782/"


def claim(id: str, text: str, section: str = "3.3", refs: tuple[int, ...] = (1,)) -> Claim:
    return Claim(
        id=id,
        report="ai",
        section=section,
        text=text,
        references=refs,
        kind="sentence",
        numbers=("10亿美元",),
        dates=("2025年12月",),
        names=("Anthropic", "Claude Code"),
    )


def anchor(claim_id: str, url: str = PAGE, status: ClaimStatus = ClaimStatus.SUPPORTED,
           snapshot_id: int | None = None, **kw: object) -> ClaimAnchor:  # fmt: skip
    fields: dict[str, object] = dict(
        claim_id=claim_id,
        url=url,
        reference=1,
        exact="Claude Code reached a $1 billion annual run-rate in December.",
        prefix="coding agents. ",
        suffix=" Other labs",
        start=120,
        end=182,
        snapshot_id=snapshot_id,
        score=0.71,
        status=status,
        checked_at=T0,
    )
    fields.update(kw)
    return ClaimAnchor(**fields)  # type: ignore[arg-type]


A = claim("aaaaaaaaaaaa", "Anthropic的Claude Code在2025年12月达到10亿美元年收入里程碑[1]。")
B = claim("bbbbbbbbbbbb", "2025年2月，Anthropic悄然发布Claude Code[1]。", section="3.2")
C = claim("cccccccccccc", "研究人员使用稀疏自编码器来理解模型内部机制[1][3]。", "6.1", (1, 3))


def test_the_index_is_rebuilt_and_gone_claims_are_kept(store: Store) -> None:
    assert store.claim_index_key("ai") is None
    assert store.sync_claims("ai", [A, B], key="k1", at=T0) == [A.id, B.id]
    assert store.claim_index_key("ai") == "k1"
    assert [c.id for c in store.claims(report="ai")] == [A.id, B.id]
    assert store.claims(report="ai")[0] == A  # every field, status unchecked
    assert store.counts()["claims"] == 2

    store.put_claim_anchor(anchor(A.id))
    # The report changed: A is gone, C is new, B moved before it.
    later = T0 + timedelta(days=1)
    assert store.sync_claims("ai", [B, C], key="k2", at=later) == [C.id]
    assert [c.id for c in store.claims(report="ai")] == [B.id, C.id]
    assert [c.id for c in store.claims(report="ai", include_gone=True)] == [B.id, C.id, A.id]
    assert store.claim_anchors(claim_id=A.id) == []  # not current...
    assert store.claim_anchors(claim_id=A.id, current=False) == [anchor(A.id)]  # ...but kept
    assert store.counts()["claims"] == 2
    # An edit undone brings A back, with its anchor.
    assert store.sync_claims("ai", [A, B, C], key="k1", at=later) == [A.id]
    assert store.claim_anchors(claim_id=A.id) == [anchor(A.id)]
    assert store.claim(A.id) == replace(A, status=ClaimStatus.SUPPORTED)
    assert store.claim("nope") is None
    assert store.claims(report="other") == []


def test_a_claims_status_is_the_most_serious_of_its_anchors(store: Store) -> None:
    store.sync_claims("ai", [A, B, C], key="k", at=T0)
    snapshot = store.add_snapshot(PAGE, final_url=None, text="page", content_hash="h", at=T0)
    store.put_claim_anchor(anchor(A.id, snapshot_id=snapshot))
    store.put_claim_anchor(anchor(C.id, snapshot_id=snapshot))
    store.put_claim_anchor(anchor(C.id, OTHER, ClaimStatus.UNSUPPORTED, reference=3, exact=""))
    statuses = {c.id: c.status for c in store.claims()}
    assert statuses == {
        A.id: ClaimStatus.SUPPORTED,
        B.id: ClaimStatus.UNCHECKED,
        C.id: ClaimStatus.UNSUPPORTED,
    }
    assert [c.id for c in store.claims(status=ClaimStatus.UNCHECKED)] == [B.id]
    # Re-anchoring replaces the row for that claim and page.
    moved = anchor(
        A.id, status=ClaimStatus.CHANGED, start=300, end=362, checked_at=T0 + timedelta(1)
    )
    store.put_claim_anchor(moved)
    assert store.claim_anchors(url=PAGE) == [moved, anchor(C.id, snapshot_id=snapshot)]
    assert store.claim(A.id).status is ClaimStatus.CHANGED  # type: ignore[union-attr]
    assert store.counts()["claim_anchors"] == 3


def test_verdicts_are_a_history_and_say_what_was_suggested(store: Store) -> None:
    store.sync_claims("ai", [A], key="k", at=T0)
    sid = store.add_suggestion(claim_suggestion(A))
    first = ClaimVerdict(A.id, PAGE, None, "unsupported", ClaimStatus.UNSUPPORTED, 0.2,
                         None, "best candidate", T0, suggestion_id=sid)  # fmt: skip
    second = ClaimVerdict(A.id, PAGE, None, "unchanged", ClaimStatus.UNSUPPORTED, 0.2,
                          "best candidate", "best candidate", T0 + timedelta(days=1))  # fmt: skip
    ids = [store.record_claim_verdict(first), store.record_claim_verdict(second)]
    assert store.claim_verdicts(A.id) == [
        replace(first, id=ids[0]),
        replace(second, id=ids[1]),
    ]
    assert store.claim_verdicts(A.id, OTHER) == []
    assert store.claim_suggested(A.id, PAGE, "unsupported")
    assert not store.claim_suggested(A.id, PAGE, "unchanged")  # no suggestion made
    assert not store.claim_suggested(A.id, OTHER, "unsupported")


def test_forgetting_an_anchor_keeps_the_others_and_the_history(store: Store) -> None:
    store.sync_claims("ai", [C], key="k", at=T0)
    store.put_claim_anchor(anchor(C.id, PAGE, ClaimStatus.ORPHANED))
    store.put_claim_anchor(anchor(C.id, OTHER, reference=3))
    verdict = ClaimVerdict(C.id, PAGE, None, "orphaned", ClaimStatus.ORPHANED, 0.7, "x", None, T0)
    store.record_claim_verdict(verdict)
    assert store.claims()[0].status is ClaimStatus.ORPHANED
    store.forget_claim_anchor(C.id, PAGE)
    assert [a.url for a in store.claim_anchors(claim_id=C.id)] == [OTHER]
    assert store.claims()[0].status is ClaimStatus.SUPPORTED
    assert [v.verdict for v in store.claim_verdicts(C.id, PAGE)] == ["orphaned"]


def test_the_snapshot_an_anchor_names_is_read_by_its_id(store: Store) -> None:
    first = store.add_snapshot(PAGE, final_url=None, text="one", content_hash="1", at=T0)
    later = T0 + timedelta(days=3)
    second = store.add_snapshot(PAGE, final_url=None, text="two", content_hash="2", at=later)
    found = store.snapshot(first)
    assert found is not None and (found.id, found.text, found.fetched_at) == (first, "one", T0)
    assert store.snapshot(second) == store.latest_snapshot(PAGE)
    assert store.snapshot(second + 1) is None


def claim_suggestion(c: Claim, evidence: PassageEvidence | None = None) -> Suggestion:
    return Suggestion(
        report=c.report,
        section=c.section,
        section_title="3.3 异步智能体模式",
        kind=SuggestionKind.CLAIM_CHANGED,
        score=0.8,
        title="2025: The year in LLMs",
        url=PAGE,
        published=None,
        source="simonwillison.net",
        excerpt="",
        proposed_text=c.text.replace("10亿", "12亿"),
        created_at=T0,
        urls=(PAGE,),
        target=c.text,
        evidence=evidence,
    )


@pytest.mark.parametrize(
    "evidence",
    [
        PassageEvidence(1, "reached $1 billion in December.", "reached $1.2 billion.", 0.83),
        PassageEvidence(
            3,
            "the passage that was there",
            None,
            0.61,
            archived_url="https://web.archive.org/web/20260110/" + OTHER,
        ),
        PassageEvidence(1, None, "the best candidate passage", 0.12),
        None,
    ],
)
def test_a_suggestions_evidence_round_trips(store: Store, evidence: PassageEvidence | None) -> None:
    s = claim_suggestion(A, evidence)
    sid = store.add_suggestion(s)
    assert store.suggestion(sid) == replace(s, id=sid)
    assert store.suggestions(report="ai") == [replace(s, id=sid)]
