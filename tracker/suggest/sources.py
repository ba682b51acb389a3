"""Cited sources that changed or went away, as suggested edits.

* :func:`source_changed` — a cited page changed materially (dates, counters,
  whitespace and boilerplate do not count).
* :func:`source_gone` — a cited page keeps failing; propose an archived copy.
  Policy: a 410 counts at once (the server says the page is gone for good).
  Anything else (404, timeouts, 5xx, DNS) counts only after ``min_failures``
  failed checks in a row that span at least ``min_days``: with a refresh
  every six hours, counting checks alone called a page dead after a
  six-hour outage, and a site's bad deploy or a weekend's downtime is not a
  dead reference.

Plain functions: no I/O, no clock (``now`` is passed in).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from tracker.report import REFERENCES_SECTION, report_date
from tracker.suggest.additions import host, quote
from tracker.types import Reference, Report, Suggestion, SuggestionKind

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

# Lines that change on every visit without the content changing.
_BOILERPLATE = re.compile(
    r"(cookie|subscribe|sign up|sign in|log in|newsletter|advertisement|sponsored|"
    r"related (posts|articles|stories)|share (this|on)|follow us|all rights reserved|©|"
    r"comments?|trending|most popular|read more|recommended|"
    r"订阅|登录|注册|广告|相关阅读|相关文章|推荐阅读|分享到|版权所有|评论|热门)",
    re.IGNORECASE,
)
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_PATTERNS = re.compile(
    "|".join(
        (
            r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?",
            rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}",
            rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+\d{{4}}",
            r"\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm|utc|gmt)?",
            r"\b\d+\s*(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\s+ago\b",
            r"\d+\s*(?:秒|分钟|小时|天|周)前",
            r"(?:updated|last modified|posted|published)\s*:?",
        )
    ),
    re.IGNORECASE,
)
_COUNTERS = re.compile(
    r"\d[\d,.]*\s*[kKmM万]?\s*(?:views?|reads?|likes?|shares?|comments?|replies|followers?|"
    r"subscribers?|claps?|reactions?|次阅读|阅读|点赞|评论|转发|收藏|浏览)|"
    r"(?:阅读|浏览|点赞|评论|转发)\s*[:：]?\s*\d[\d,.]*[万kK]?",
    re.IGNORECASE,
)
_MIN_CHANGED_CHARS = 40  # below this a change is an edit of a word or two


def _passages(text: str) -> list[str]:
    """Sentences/lines of a page, each normalised for comparison (dates and counters out)."""
    normal = unicodedata.normalize("NFKC", text)
    pieces = re.split(r"(?<=[。！？!?])|(?<=\.)\s+|\n+", normal)
    return [p.strip() for p in pieces if p and p.strip()]


def _comparable(passage: str) -> str:
    passage = _DATE_PATTERNS.sub(" ", passage)
    passage = _COUNTERS.sub(" ", passage)
    return re.sub(r"\s+", " ", passage).strip().lower()


def _material(passages: list[str]) -> list[str]:
    kept = []
    for passage in passages:
        comparable = _comparable(passage)
        weight = len(_CJK.findall(comparable)) * 3 + len(re.findall(r"[a-z0-9]", comparable))
        if weight >= 12 and not (_BOILERPLATE.search(passage) and len(comparable) < 120):
            kept.append(passage)
    return kept


def changed_passages(old_text: str, new_text: str) -> tuple[list[str], list[str]]:
    """(removed, added) material passages between two versions of a page."""
    old = _passages(old_text)
    new = _passages(new_text)
    old_keys = [_comparable(p) for p in old]
    new_keys = [_comparable(p) for p in new]
    removed: list[str] = []
    added: list[str] = []
    matcher = difflib.SequenceMatcher(a=old_keys, b=new_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed.extend(old[i1:i2])
        added.extend(new[j1:j2])
    # A passage that only moved is not a change.
    removed_keys = {_comparable(p) for p in removed}
    added_keys = {_comparable(p) for p in added}
    removed = [p for p in removed if _comparable(p) not in added_keys]
    added = [p for p in added if _comparable(p) not in removed_keys]
    return _material(removed), _material(added)


def _first_citing_section(report: Report, reference: Reference) -> tuple[str, str]:
    for section in report.sections:
        if reference.number in section.citations:
            return section.id, section.title
    # Listed but cited nowhere in the text: the edit belongs to the reference list.
    return REFERENCES_SECTION, _reference_list_title(report)


def _reference_list_title(report: Report) -> str:
    if report.references_start_line is not None:
        heading = report.markdown.splitlines()[report.references_start_line]
        return heading.lstrip("#").strip()
    return "参考文献" if report.language.lower().startswith("zh") else "References"


def _change_prose(added: Sequence[str], removed: Sequence[str], *, chinese: bool) -> str:
    """``新增：“…”、“…”；删除：“…”。`` / ``Added: "…"; "…". Removed: "…".``

    A clause whose last quotation already ends a sentence gets no second full stop.
    """
    if chinese:
        clauses = [
            label + "、".join(f"“{quote(p)}”" for p in passages)
            for label, passages in (("新增：", added), ("删除：", removed))
            if passages
        ]
        text = "；".join(clauses)
        return text if not text or _ends_sentence(text) else text + "。"
    sentences = []
    for label, passages in (("Added: ", added), ("Removed: ", removed)):
        if passages:
            clause = label + "; ".join(f'"{quote(p)}"' for p in passages)
            sentences.append(clause if _ends_sentence(clause) else clause + ".")
    return " ".join(sentences)


def _ends_sentence(quoted: str) -> bool:
    """Whether the text inside the closing quotation mark ends with a full stop or the like."""
    return quoted[-2:-1] in tuple("。！？.!?…")


def source_changed(
    report: Report, reference: Reference, old_text: str, new_text: str, *, now: datetime
) -> Suggestion | None:
    """A ``source-changed`` suggestion when the cited page changed materially, else None.

    Whitespace, dates and times, relative times ("3 hours ago"), view/like
    counters and short boilerplate lines are ignored; so is a passage that
    merely moved. What is left must add up to at least a sentence.
    """
    removed, added = changed_passages(old_text, new_text)
    changed = sum(len(_comparable(p)) for p in removed + added)
    if changed < _MIN_CHANGED_CHARS:
        return None
    section_id, section_title = _first_citing_section(report, reference)
    chinese = report.language.lower().startswith("zh")
    # Prose in the report's language, one paragraph: it is read in the digest and
    # the edition's review block, where diff sigils or nested bullets would leak.
    excerpt = _change_prose(added[:5], removed[:5], chinese=chinese)
    change = _change_prose(added[:3], removed[:3], chinese=chinese)
    if chinese:
        proposed = f"参考文献 [{reference.number}] 的内容已更新，请据此核对本节相关表述。{change}"
    else:
        proposed = (
            f"Reference [{reference.number}] has changed; check this section against it. {change}"
        )
    old_size = max(len(_comparable(old_text)), 1)
    return Suggestion(
        report=report.id,
        section=section_id,
        section_title=section_title,
        kind=SuggestionKind.SOURCE_CHANGED,
        score=round(min(1.0, changed / old_size), 4),
        title=reference.title,
        url=reference.url,
        published=None,
        source=host(reference.url),
        excerpt=excerpt,
        proposed_text=proposed,
        created_at=now,
        urls=(reference.url,),
        features={
            "added_passages": float(len(added)),
            "removed_passages": float(len(removed)),
            "changed_chars": float(changed),
        },
    )


def archive_url(url: str, day: date) -> str:
    """The Wayback Machine address of ``url`` as of ``day`` (it redirects to the nearest copy)."""
    return f"https://web.archive.org/web/{day:%Y%m%d}/{url}"


def _conclusive(
    status: str,
    failures: int,
    failing_since: datetime | None,
    now: datetime,
    min_failures: int,
    min_days: float,
) -> bool:
    if status.strip() == "410":
        return failures >= 1
    if failures < min_failures:
        return False
    # No start given (a caller without a check log): the count alone decides.
    return failing_since is None or now - failing_since >= timedelta(days=min_days)


def source_gone(
    report: Report,
    reference: Reference,
    *,
    consecutive_failures: int,
    status: str,
    now: datetime,
    min_failures: int = 3,
    failing_since: datetime | None = None,
    min_days: float = 3.0,
    last_good: date | None = None,
) -> Suggestion | None:
    """A ``source-gone`` suggestion proposing an archived copy, or None while the
    failures are not yet conclusive (policy in the module docstring).

    The archive date is ``last_good`` (the last successful snapshot) when known,
    else the report's own date, else ``now``. ``proposed_text`` is the reference
    entry with its link replaced.
    """
    if not _conclusive(status, consecutive_failures, failing_since, now, min_failures, min_days):
        return None
    day = last_good or report_date(report) or now.date()
    archived = archive_url(reference.url, day)
    replaced = reference.raw.replace(reference.url, archived) if reference.url else reference.raw
    section_id, section_title = _first_citing_section(report, reference)
    chinese = report.language.lower().startswith("zh")
    if chinese:
        excerpt = (
            f"参考文献 [{reference.number}] 连续 {consecutive_failures} 次检查无法访问"
            f"（{status}），建议改用存档链接：{archived}"
        )
    else:
        excerpt = (
            f"Reference [{reference.number}] failed {consecutive_failures} consecutive checks "
            f"({status}); use the archived copy: {archived}"
        )
    return Suggestion(
        report=report.id,
        section=section_id,
        section_title=section_title,
        kind=SuggestionKind.SOURCE_GONE,
        score=1.0,
        title=reference.title,
        url=reference.url,
        published=None,
        source=host(reference.url),
        excerpt=excerpt,
        proposed_text=replaced,
        created_at=now,
        urls=(reference.url,),
        features={"consecutive_failures": float(consecutive_failures)},
    )
