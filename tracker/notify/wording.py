"""The digest's own words, in the report's language: Chinese or English.

Headings, labels, the subject, the summary line and dates. Any language
other than Chinese gets English. Only tracker's wording is translated here;
titles, excerpts and proposed texts are shown as the suggestions carry them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Wording:
    """Fixed labels; counted phrases and dates come from the functions below."""

    language: str  # "zh" or "en"
    kicker: str
    text_heading: str
    proposed_text: str
    accept: str
    reject: str
    open_link: str
    review_queue: str  # the link to the daemon's review queue
    cited_heading: str
    changed: str
    gone: str
    items: str  # format with n=
    reference: str  # format with number=
    empty_note: str
    footer: str
    untitled: str
    colon: str  # what follows a label: "：" or ": "
    additions: str  # the group titles within a section
    revisions: str
    citations: str
    replaced_text: str  # a revision's old text
    cited_sentence: str  # the sentence a citation cites the article for
    needs_translation: str
    sources_heading: str  # feeds that started failing or recovered in the period
    source_failing: str  # format with day=
    source_recovered: str  # format with day= and since=
    # Claim checks (tracker.notify.claims): a cited sentence against its cited passage.
    claims_heading: str  # a section's group of claim suggestions
    claim_kinds: dict[str, str]  # by suggestion kind
    claim: str  # the report sentence concerned
    passage_before: str  # the cited passage as it read
    passage_after: str  # as it reads now
    passage_candidate: str  # the closest passage of a page that does not say it
    archived_copy: str
    revised_claim: str  # the proposed revision of the sentence
    # Dated statements past their age (tracker.notify.rechecks).
    rechecks_heading: str
    recheck_age: str  # format with months= and day=
    recheck_news: str  # newer articles on the same subject

    @property
    def chinese(self) -> bool:
        return self.language == "zh"


ZH = Wording(
    language="zh",
    kicker="tracker · 每周修改建议",
    text_heading="tracker · 修改建议",
    proposed_text="建议修改",
    accept="采纳",
    reject="拒绝",
    open_link="在 tracker 中查看",
    review_queue="在浏览器中审阅全部建议",
    cited_heading="引用来源变化",
    changed="来源内容变化",
    gone="来源失效",
    items="{n} 条",
    reference="参考文献 [{number}]",
    empty_note="本期没有新内容：没有修改建议，所引用的来源也都没有变化。",
    footer="由 tracker 发送。在安装了 tracker 的机器上运行上面的命令，即可采纳或拒绝建议。",
    untitled="（无标题）",
    colon="：",
    additions="新增",
    revisions="修订",
    citations="补充引用",
    replaced_text="原文",
    cited_sentence="为此句补充引用",
    needs_translation="待翻译",
    sources_heading="信息源状态变化",
    source_failing="自{day}起无法获取",
    source_recovered="{day}已恢复（自{since}起曾无法获取）",
    claims_heading="引文核对",
    claim_kinds={
        "claim-changed": "引文已变",
        "claim-orphaned": "引文已不在原页",
        "unsupported-claim": "来源未见此说法",
    },
    claim="报告原句",
    passage_before="原引文",
    passage_after="现引文",
    passage_candidate="来源中最接近的段落",
    archived_copy="存档副本",
    revised_claim="建议改为",
    rechecks_heading="待复核的时效性陈述",
    recheck_age="已过 {months} 个月（截至{day}）",
    recheck_news="此后的相关文章",
)

EN = Wording(
    language="en",
    kicker="tracker · weekly digest",
    text_heading="tracker · suggested edits",
    proposed_text="Proposed text",
    accept="Accept",
    reject="Reject",
    open_link="open in tracker",
    review_queue="review them all in the browser",
    cited_heading="Cited sources that changed or went away",
    changed="Source changed",
    gone="Source gone",
    items="{n} items",
    reference="Reference [{number}]",
    empty_note="Nothing new this period: no suggested edits, and every cited source is as it was.",
    footer=(
        "Sent by tracker. Run the commands above where tracker is installed "
        "to accept or reject a suggestion."
    ),
    untitled="(untitled)",
    colon=": ",
    additions="Additions",
    revisions="Revisions",
    citations="Citations",
    replaced_text="Current text",
    cited_sentence="Cite the article for",
    needs_translation="needs translation",
    sources_heading="Feeds that stopped or came back",
    source_failing="failing since {day}",
    source_recovered="back since {day} (failing since {since})",
    claims_heading="Cited claims to check",
    claim_kinds={
        "claim-changed": "passage changed",
        "claim-orphaned": "passage gone",
        "unsupported-claim": "not found in its source",
    },
    claim="Report sentence",
    passage_before="Cited passage, before",
    passage_after="Cited passage, now",
    passage_candidate="Closest passage of the source",
    archived_copy="archived copy",
    revised_claim="Proposed revision",
    rechecks_heading="Statements to re-check",
    recheck_age="{months} months old (as of {day})",
    recheck_news="Newer articles on the subject",
)


def wording_for(language: str | None) -> Wording:
    """Chinese for any ``zh*`` language tag, English for everything else."""
    return ZH if (language or "").lower().startswith("zh") else EN


def plural(n: int, word: str, plural_form: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural_form or word + 's')}"


def edits_phrase(w: Wording, n: int) -> str:
    """``7 suggested edits`` / ``7 条修改建议``; the empty case reads as a sentence."""
    if w.chinese:
        return f"{n} 条修改建议" if n else "本期无修改建议"
    return plural(n, "suggested edit") if n else "No suggested edits"


def item_count(w: Wording, n: int) -> str:
    if w.chinese:
        return w.items.format(n=n)
    return plural(n, "item")


def day_label(w: Wording, day: date, *, with_year: bool = True) -> str:
    """``2026年11月28日`` / ``11月28日``; ``28 Nov 2026`` / ``28 Nov``."""
    if w.chinese:
        return f"{day.year}年{day.month}月{day.day}日" if with_year else f"{day.month}月{day.day}日"
    short = f"{day.day} {_EN_MONTHS[day.month - 1]}"
    return f"{short} {day.year}" if with_year else short


def period_label(start: datetime, end: datetime, timezone: tzinfo, language: str = "en") -> str:
    """The period in ``timezone``, the year only when it spans two.

    English: ``22–29 Nov``, ``28 Nov – 5 Dec``, ``28 Dec 2025 – 4 Jan 2026``.
    Chinese: ``11月22日–29日``, ``11月28日–12月5日``, ``2025年12月28日–2026年1月4日``.
    """
    w = wording_for(language)
    a, b = start.astimezone(timezone).date(), end.astimezone(timezone).date()
    if a == b:
        return day_label(w, a, with_year=False)
    if a.year != b.year:
        joint = "–" if w.chinese else " – "
        return f"{day_label(w, a)}{joint}{day_label(w, b)}"
    if a.month != b.month:
        if w.chinese:
            return f"{day_label(w, a, with_year=False)}–{day_label(w, b, with_year=False)}"
        return f"{day_label(w, a, with_year=False)} – {day_label(w, b, with_year=False)}"
    if w.chinese:
        return f"{a.month}月{a.day}日–{b.day}日"
    return f"{a.day}–{b.day} {_EN_MONTHS[b.month - 1]}"


def subject_line(w: Wording, total: int, title: str, other_reports: int, label: str) -> str:
    """``[tracker] <count> · <first report's title>[ +N reports] · <period>``."""
    if total == 0:
        nothing = "本期无修改建议" if w.chinese else "no suggested edits"
        return f"[tracker] {nothing} · {label}"
    if other_reports:
        title += (
            f" 等 {other_reports + 1} 份报告"
            if w.chinese
            else f" +{plural(other_reports, 'report')}"
        )
    return f"[tracker] {edits_phrase(w, total)} · {title} · {label}"


def summary_line(
    w: Wording,
    *,
    reports: int,
    sections: int,
    additions: int,
    changed: int,
    gone: int,
    label: str,
    revisions: int = 0,
    citations: int = 0,
    claims: int = 0,
    rechecks: int = 0,
) -> str:
    """One closing sentence with the counts (revisions, citations, claim checks and
    statements to re-check when there are any)."""
    if w.chinese:
        if not reports:
            return f"{label}没有修改建议。"
        kinds = [f"{additions} 条新增"]
        kinds += [f"{revisions} 条修订"] if revisions else []
        kinds += [f"{citations} 条补充引用"] if citations else []
        kinds += [f"{claims} 条引文核对"] if claims else []
        edits = _joined(kinds, "、", "和 ")
        recheck = f"另有 {rechecks} 条时效性陈述待复核。" if rechecks else ""
        return (
            f"{label}：{reports} 份报告的 {sections} 个章节共有 {edits}建议；"
            f"{changed} 个引用来源内容有变化，{gone} 个已失效。{recheck}"
        )
    if not reports:
        return f"No suggested edits for {label}."
    english = [plural(additions, "suggested addition")]
    english += [plural(revisions, "revision")] if revisions else []
    english += [plural(citations, "citation")] if citations else []
    english += [plural(claims, "cited claim") + " to check"] if claims else []
    recheck = f" {plural(rechecks, 'dated statement')} to re-check." if rechecks else ""
    return (
        f"{label}: {_joined(english, ', ', ' and ')} in {plural(sections, 'section')}"
        f" of {plural(reports, 'report')}, {plural(changed, 'cited source')} changed, {gone} gone."
        f"{recheck}"
    )


def _joined(parts: list[str], separator: str, last: str) -> str:
    """``a``, ``a and b``, ``a, b and c`` (``a、b和c``)."""
    if len(parts) == 1:
        return parts[0]
    return separator.join(parts[:-1]) + last + parts[-1]
