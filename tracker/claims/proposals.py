"""Claim checks as suggested edits: ``claim-changed``, ``claim-orphaned``, ``unsupported-claim``.

Each is about one claim and one page it cites. ``target`` is the claim
sentence as the report writes it and ``section`` the claim's section, so the
edit lands where the sentence is; ``url`` and ``title`` are the cited page's
reference; ``evidence`` (:class:`~tracker.types.PassageEvidence`) carries the
passage: before and after for a changed one, the old one and the archived
copy's link for an orphaned one, the best candidate and its score for an
unsupported claim. Only a changed passage that changed a figure the claim
quotes proposes text (the claim with the new figure, which the edition
merges like a revision when accepted); the others ask the editor to look and
change nothing when accepted. ``excerpt`` says it in one line of the
report's language. A page that supports almost none of its claims (a login
or cookie wall) gets one ``unsupported-claim`` for the page
(:func:`unsupported_page`), targeting its first unsupported claim.

Plain functions: no I/O, no clock (``now`` is passed in). Whether a verdict
deserves a suggestion at all is the refresh's call.
"""

from __future__ import annotations

from datetime import date, datetime

from tracker.suggest.additions import host, quote
from tracker.suggest.sources import archive_url
from tracker.types import Claim, PassageEvidence, Reference, Report, Suggestion, SuggestionKind


def claim_changed(
    report: Report,
    claim: Claim,
    reference: Reference,
    *,
    before: str,
    after: str,
    score: float,
    revision: str | None,
    now: datetime,
) -> Suggestion:
    """The passage backing ``claim`` now reads ``after``; ``revision`` is the claim
    rewritten to agree with it, when a figure it quotes changed."""
    if _chinese(report):
        excerpt = (
            f"参考文献 [{reference.number}] 中支撑此句的段落已改变。"
            f"原为：“{quote(before)}”；现为：“{quote(after)}”"
        )
    else:
        excerpt = (
            f"The passage of reference [{reference.number}] behind this sentence changed. "
            f'It read: "{quote(before)}"; it now reads: "{quote(after)}"'
        )
    evidence = PassageEvidence(reference.number, before, after, score)
    return _suggestion(
        report,
        claim,
        reference,
        SuggestionKind.CLAIM_CHANGED,
        excerpt,
        revision or "",
        evidence,
        now,
    )


def claim_orphaned(
    report: Report,
    claim: Claim,
    reference: Reference,
    *,
    before: str,
    score: float,
    anchored_on: date | None,
    now: datetime,
) -> Suggestion:
    """The passage backing ``claim`` is gone from its page. ``anchored_on`` is the
    day of the last snapshot that held it: the archived copy of that day has it."""
    archived = archive_url(reference.url, anchored_on) if anchored_on and reference.url else None
    if _chinese(report):
        excerpt = f"参考文献 [{reference.number}] 中支撑此句的段落已被删除：“{quote(before)}”"
        excerpt += f"。存档：{archived}" if archived else ""
    else:
        excerpt = (
            f"The passage of reference [{reference.number}] behind this sentence is gone: "
            f'"{quote(before)}"'
        )
        excerpt += f". Archived copy: {archived}" if archived else ""
    evidence = PassageEvidence(reference.number, before, None, score, archived_url=archived)
    return _suggestion(
        report, claim, reference, SuggestionKind.CLAIM_ORPHANED, excerpt, "", evidence, now
    )


def unsupported_claim(
    report: Report,
    claim: Claim,
    reference: Reference,
    *,
    candidate: str,
    score: float,
    now: datetime,
) -> Suggestion:
    """No passage of the cited page supports ``claim``; ``candidate`` came closest."""
    if _chinese(report):
        excerpt = f"参考文献 [{reference.number}] 中找不到支撑此句的段落"
        excerpt += f"；最接近的是：“{quote(candidate)}”（{score:.2f}）" if candidate else ""
    else:
        excerpt = f"No passage of reference [{reference.number}] supports this sentence"
        excerpt += f'; the closest is: "{quote(candidate)}" ({score:.2f})' if candidate else ""
    evidence = PassageEvidence(reference.number, None, candidate or None, score)
    return _suggestion(
        report, claim, reference, SuggestionKind.UNSUPPORTED_CLAIM, excerpt, "", evidence, now
    )


def unsupported_page(
    report: Report,
    claims: list[Claim],
    reference: Reference,
    *,
    cited: int,
    candidate: str,
    score: float,
    now: datetime,
) -> Suggestion:
    """The cited page supports none or almost none of the ``cited`` claims citing it:
    one suggestion for the page, not one per claim. ``claims`` are the unsupported
    ones in reading order; the first is the target, and the excerpt names the
    sections of all of them. ``candidate`` is the first claim's closest passage."""
    supported = cited - len(claims)
    chinese = _chinese(report)
    sections = ("、" if chinese else ", ").join(_section_names(report, claims))
    if chinese:
        share = f"只支撑其中 {supported} 句" if supported else "一句也不支撑"
        excerpt = (
            f"参考文献 [{reference.number}] 的页面被 {cited} 句引用，{share}"
            "（可能是登录页、Cookie 同意页或应用外壳，或不是原本要引用的页面）；"
            f"不受支撑的句子所在章节：{sections}"
        )
    else:
        share = f"only {supported}" if supported else "none"
        excerpt = (
            f"The page of reference [{reference.number}] supports {share} of its {cited} "
            "claims (it may be a login, cookie or consent wall, an app shell, or not the "
            f"page meant); the unsupported claims are in: {sections}"
        )
    evidence = PassageEvidence(reference.number, None, candidate or None, score)
    return _suggestion(
        report, claims[0], reference, SuggestionKind.UNSUPPORTED_CLAIM, excerpt, "", evidence, now
    )


def _section_names(report: Report, claims: list[Claim]) -> list[str]:
    """Each claim's section once, in reading order, by its title ("2.1 推理模型的兴起")."""
    names: list[str] = []
    for claim in claims:
        section = report.section(claim.section)
        name = section.title if section is not None else claim.section
        if name not in names:
            names.append(name)
    return names


def _suggestion(
    report: Report,
    claim: Claim,
    reference: Reference,
    kind: SuggestionKind,
    excerpt: str,
    proposed_text: str,
    evidence: PassageEvidence,
    now: datetime,
) -> Suggestion:
    section = report.section(claim.section)
    return Suggestion(
        report=report.id,
        section=claim.section,
        section_title=section.title if section is not None else "",
        kind=kind,
        score=round(float(evidence.score), 4),
        title=reference.title,
        url=reference.url,
        published=None,
        source=host(reference.url),
        excerpt=excerpt,
        proposed_text=proposed_text,
        created_at=now,
        urls=(reference.url,),
        target=claim.text,
        features={"support": round(float(evidence.score), 4)},
        evidence=evidence,
    )


def _chinese(report: Report) -> bool:
    return report.language.lower().startswith("zh")
