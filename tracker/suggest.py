"""Turn matches and cited-source checks into suggested edits.

Plain functions: no I/O, no clock (``now`` is passed in), no knowledge of the
store. They decide *what* to propose and write it in the report's own
language and style; whether a suggestion is new, and where it is kept, is the
orchestrator's business.

* :func:`addition` — a new development for a section: a dated bullet quoting
  the article's key sentence, with a provisional reference number (the
  report's highest + 1; the renderer renumbers), and the new reference entry
  in the report's own reference format, without its number.
* :func:`is_already_cited` / :func:`near_duplicate` — what must *not* become a
  second suggestion: an article the report already cites, and the same story
  arriving from another feed.
* :func:`source_changed` — a cited page changed materially (dates, counters,
  whitespace and boilerplate do not count).
* :func:`source_gone` — a cited page keeps failing; propose an archived copy.
  Policy: a 410 counts at once (the server says the page is gone for good);
  404/"gone" counts after two consecutive checks (a single 404 is often a
  deploy hiccup); anything else (timeouts, 5xx, DNS) after ``min_failures``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from urllib.parse import urlsplit

from tracker.report import REFERENCES_SECTION, report_date
from tracker.types import Article, Match, Reference, Report, Suggestion, SuggestionKind
from tracker.urls import canonical_url

_EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_CITATION_MARK = re.compile(r"\s*[\[［]\d+(?:[-–,，\s]*\d+)*[\]］]")
_QUOTE_LIMIT = 220  # characters of a quoted key sentence

# ----------------------------------------------------------------------- additions


def addition(
    report: Report,
    article: Article,
    match: Match,
    *,
    now: datetime,
    source_names: Sequence[str] = (),
) -> Suggestion:
    """An ``addition`` suggestion for ``match.section_id`` built from ``article``.

    ``source_names`` are every feed that carried the story (the first names
    the reporter); ``article.source`` is used when empty. Raises ``ValueError``
    when the match names a section the report does not have.
    """
    section = report.section(match.section_id)
    if section is None:
        raise ValueError(f"report {report.id!r} has no section {match.section_id!r}")
    names = [n for n in (source_names or (article.source,)) if n] or [_host(article.url)]
    published = article.published or now
    number = max((r.number for r in report.references), default=0) + 1
    quote = _quote(match.evidence or article.title)
    chinese = report.language.lower().startswith("zh")
    if chinese:
        who = "、".join(_short_name(n) for n in names)
        text = f"- {published:%Y-%m-%d}，{who} 报道：“{quote}” [{number}]"
    else:
        who = " and ".join(_short_name(n) for n in names)
        verb = "report" if len(names) > 1 else "reports"
        when = f"{published.day} {_EN_MONTHS[published.month - 1]} {published.year}"
        text = f'- {when} — {who} {verb}: "{quote}" [{number}]'
    return Suggestion(
        report=report.id,
        section=section.id,
        section_title=section.title,
        kind=SuggestionKind.ADDITION,
        score=match.score,
        title=article.title,
        url=article.url,
        published=article.published,
        source=names[0],
        excerpt=_one_line(match.evidence),
        proposed_text=text,
        created_at=now,
        urls=(article.url,),
        reference=reference_entry(report, article, source=names[0], published=published),
        features=dict(match.features),
    )


def reference_entry(report: Report, article: Article, *, source: str, published: datetime) -> str:
    """A reference-list entry for ``article`` in the style the report already uses
    (without its number): ``Author. (Year). Title. Site. URL`` for the APA-like
    style of the seed, ``[Title](URL)`` for link-style lists, else ``Title. Site. URL``."""
    title = _one_line(article.title).rstrip(".。 ") or article.url
    short = _short_name(source)
    raws = [r.raw for r in report.references]
    if any(re.search(r"\]\(https?://", raw) for raw in raws):
        return f"{short}. ({published.year}). [{title}]({article.url})"
    if not raws or any(re.search(r"[(（]\d{4}[a-z]?[)）]", raw) for raw in raws):
        site = f" {source}." if source != short else ""
        return f"{short}. ({published.year}). {title}.{site} {article.url}"
    return f"{title}. {source}, {published:%Y-%m-%d}. {article.url}"


def _short_name(source: str) -> str:
    """``Simon Willison's Weblog`` → ``Simon Willison``; other names unchanged."""
    short = re.sub(
        r"(?:'s|’s)\s+(?:weblog|blog|newsletter|substack|site|notes)$", "", source, flags=re.I
    )
    return short.strip() or source


def _quote(sentence: str) -> str:
    text = _CITATION_MARK.sub("", _one_line(sentence))
    text = text.replace("“", "「").replace("”", "」").replace('"', "'")
    if len(text) > _QUOTE_LIMIT:
        text = text[:_QUOTE_LIMIT].rstrip() + "…"
    return text


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


# ------------------------------------------------------------ what is not new


def _url_key(url: str) -> str:
    """Canonical URL with scheme and ``www.`` folded: the same page however it was linked."""
    try:
        canonical = canonical_url(url.strip())
    except ValueError:
        canonical = url.strip()
    parts = urlsplit(canonical)
    host = (parts.hostname or "").removeprefix("www.")
    port = f":{parts.port}" if parts.port else ""
    path = parts.path.rstrip("/") or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{path}{query}"


def is_already_cited(report: Report, url: str) -> bool:
    """Whether ``url`` is (a spelling of) a URL in the report's reference list."""
    key = _url_key(url)
    return any(_url_key(cited) == key for cited in report.cited_urls)


def _shingles(text: str, size: int = 3) -> set[str]:
    """Token n-grams of normalised text: a CJK character or a Latin word is one token."""
    normal = unicodedata.normalize("NFKC", text).lower()
    tokens = re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff]|[a-z0-9]+", normal)
    if len(tokens) < size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def near_duplicate(
    text: str, others: Sequence[tuple[int, str]], threshold: float = 0.6
) -> int | None:
    """The id of the earlier article in ``others`` that tells the same story, or None.

    Similarity of token 3-gram sets (Chinese by character, English by word).
    When both texts are long enough (30+ shingles) it is the overlap
    coefficient — a feed's summary is contained in the full page; otherwise
    Jaccard. The most similar article at or above ``threshold`` wins, the
    earliest in ``others`` on a tie.
    """
    mine = _shingles(text)
    if not mine:
        return None
    best_id: int | None = None
    best = threshold
    for other_id, other_text in others:
        theirs = _shingles(other_text)
        if not theirs:
            continue
        shared = len(mine & theirs)
        smaller = min(len(mine), len(theirs))
        # Long texts: containment (a feed summary inside the page); short ones: Jaccard.
        similarity = shared / smaller if smaller >= 30 else shared / len(mine | theirs)
        if similarity >= best and (best_id is None or similarity > best):
            best_id, best = other_id, similarity
    return best_id


# ------------------------------------------------------------ cited sources

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
            label + "、".join(f"“{_quote(p)}”" for p in passages)
            for label, passages in (("新增：", added), ("删除：", removed))
            if passages
        ]
        text = "；".join(clauses)
        return text if not text or _ends_sentence(text) else text + "。"
    sentences = []
    for label, passages in (("Added: ", added), ("Removed: ", removed)):
        if passages:
            clause = label + "; ".join(f'"{_quote(p)}"' for p in passages)
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
        source=_host(reference.url),
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


def _failures_needed(status: str, min_failures: int) -> int:
    status = status.strip().lower()
    if status in {"410"}:
        return 1
    if status in {"404", "gone"}:
        return min(2, min_failures)
    return min_failures


def source_gone(
    report: Report,
    reference: Reference,
    *,
    consecutive_failures: int,
    status: str,
    now: datetime,
    min_failures: int = 3,
    last_good: date | None = None,
) -> Suggestion | None:
    """A ``source-gone`` suggestion proposing an archived copy, or None while the
    failures are not yet conclusive (policy in the module docstring).

    The archive date is ``last_good`` (the last successful snapshot) when known,
    else the report's own date, else ``now``. ``proposed_text`` is the reference
    entry with its link replaced.
    """
    if consecutive_failures < _failures_needed(status, min_failures):
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
        source=_host(reference.url),
        excerpt=excerpt,
        proposed_text=replaced,
        created_at=now,
        urls=(reference.url,),
        features={"consecutive_failures": float(consecutive_failures)},
    )
