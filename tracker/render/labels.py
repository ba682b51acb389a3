"""The few words tracker writes into a report, in the report's language.

Only Chinese and English are written out; any other language gets English.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.types import SuggestionKind, SuggestionStatus


@dataclass(frozen=True)
class Labels:
    pending_heading: str
    source: str
    accept_hint: str  # format with id=
    source_updated: str  # format with day=
    references_heading: str
    kinds: dict[SuggestionKind, str]
    statuses: dict[SuggestionStatus, str]
    changelog_suggestions: str
    changelog_cited: str
    cited_changed: str
    cited_gone: str
    cited_redirected: str
    section: str
    insertions: str
    deletions: str
    first_edition: str
    clause_separator: str
    needs_translation: str  # after a pending item's kind
    not_applied: str  # an accepted revision or citation whose target is gone
    not_a_row: str  # an accepted table-row revision whose replacement is no such row
    cited_for: str  # before the sentence a citation cites the article for
    # Claim checks (tracker.render.claimtext): labels inside a pending claim item.
    passage_before: str
    passage_after: str
    passage_candidate: str  # format with score=
    archived_copy: str
    revised_claim: str
    claim_sentence: str  # before the sentence a claim check concerns, in the changelog


_ZH = Labels(
    pending_heading="待审更新",
    source="来源：",
    accept_hint="采纳：`tracker accept {id}`",
    source_updated="（来源已于 {day} 更新）",
    references_heading="参考文献",
    kinds={
        SuggestionKind.ADDITION: "新增",
        SuggestionKind.SOURCE_CHANGED: "来源内容变化",
        SuggestionKind.SOURCE_GONE: "来源失效",
        SuggestionKind.REVISION: "修订",
        SuggestionKind.CITATION: "补充引用",
        SuggestionKind.CLAIM_CHANGED: "引文已变",
        SuggestionKind.CLAIM_ORPHANED: "引文已不在原页",
        SuggestionKind.UNSUPPORTED_CLAIM: "来源未见此说法",
    },
    statuses={
        SuggestionStatus.PENDING: "待审",
        SuggestionStatus.ACCEPTED: "已采纳",
        SuggestionStatus.REJECTED: "已拒绝",
    },
    changelog_suggestions="建议",
    changelog_cited="引用来源变化",
    cited_changed="内容变化",
    cited_gone="失效",
    cited_redirected="已重定向",
    section="章节",
    insertions="新增内容",
    deletions="删除内容",
    first_edition="首个版本，无对比",
    clause_separator="；",
    needs_translation="（待翻译）",
    not_applied="已采纳，但报告中已找不到这段原文，未自动修改，请手动编辑",
    not_a_row="已采纳，但替换文本不是同样列数的表格行，未自动修改，请手动编辑",
    cited_for="引用于：",
    passage_before="原引文：",
    passage_after="现引文：",
    passage_candidate="来源中最接近的段落（{score}）：",
    archived_copy="存档副本",
    revised_claim="建议修订：",
    claim_sentence="所涉原句：",
)

_EN = Labels(
    pending_heading="Pending review",
    source="Source: ",
    accept_hint="accept: `tracker accept {id}`",
    source_updated=" (source updated {day})",
    references_heading="References",
    kinds={
        SuggestionKind.ADDITION: "addition",
        SuggestionKind.SOURCE_CHANGED: "source changed",
        SuggestionKind.SOURCE_GONE: "source gone",
        SuggestionKind.REVISION: "revision",
        SuggestionKind.CITATION: "citation",
        SuggestionKind.CLAIM_CHANGED: "cited passage changed",
        SuggestionKind.CLAIM_ORPHANED: "cited passage gone",
        SuggestionKind.UNSUPPORTED_CLAIM: "not found in its source",
    },
    statuses={
        SuggestionStatus.PENDING: "pending",
        SuggestionStatus.ACCEPTED: "accepted",
        SuggestionStatus.REJECTED: "rejected",
    },
    changelog_suggestions="Suggestions",
    changelog_cited="Cited sources",
    cited_changed="changed",
    cited_gone="gone",
    cited_redirected="redirected",
    section="Section",
    insertions="inserted",
    deletions="deleted",
    first_edition="first edition, nothing to compare",
    clause_separator="; ",
    needs_translation=" (needs translation)",
    not_applied="accepted, but the report no longer has this text as written: not applied, "
    "edit by hand",
    not_a_row="accepted, but the replacement is not a table row with as many cells: "
    "not applied, edit by hand",
    cited_for="cited for: ",
    passage_before="cited passage was: ",
    passage_after="now reads: ",
    passage_candidate="closest passage ({score}): ",
    archived_copy="archived copy",
    revised_claim="proposed revision: ",
    claim_sentence="sentence: ",
)


def labels_for(language: str) -> Labels:
    """Chinese labels for any ``zh*`` language tag, English otherwise."""
    return _ZH if language.lower().startswith("zh") else _EN
