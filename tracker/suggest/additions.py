"""Turn matches and cited-source checks into suggested edits.

Plain functions: no I/O, no clock (``now`` is passed in), no knowledge of the
store. They decide *what* to propose and write it in the report's own
language and style; whether a suggestion is new, and where it is kept, is the
orchestrator's business.

* :func:`addition` — a new development for a section: a dated bullet stating
  the article's news in the report's language (:mod:`~tracker.suggest.facts`,
  :mod:`~tracker.suggest.phrasing`), with a provisional reference number (the
  report's highest + 1; the renderer renumbers), and the new reference entry
  in the report's own reference format, without its number.
* :func:`is_already_cited` / :func:`near_duplicate` — what must *not* become a
  second suggestion: an article the report already cites, and the same story
  arriving from another feed.

Cited sources that changed or went away are :mod:`tracker.suggest.sources`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from tracker.suggest.facts import key_fact
from tracker.suggest.names import NameBook
from tracker.suggest.phrasing import draft_news
from tracker.types import (
    Article,
    Fact,
    Match,
    Novelty,
    Report,
    Section,
    Suggestion,
    SuggestionKind,
)
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
    names: NameBook | None = None,
    fact: Fact | None = None,
) -> Suggestion:
    """An ``addition`` for ``match.section_id``: the article's news as one dated
    bullet in the report's language, with the provisional reference number.

    ``source_names`` are every feed that carried the story (the first names the
    reporter); ``article.source`` is used when empty. ``names`` and ``fact`` are
    worked out here when not given. Raises ``ValueError`` when the match names a
    section the report does not have.
    """
    section = report.section(match.section_id)
    if section is None:
        raise ValueError(f"report {report.id!r} has no section {match.section_id!r}")
    sources = feeds_of(article, source_names)
    names = names or NameBook.for_report(report.markdown)
    fact = fact or key_fact(article, names, evidence=match.evidence)
    if fact.date is None:
        fact = replace(fact, date=(article.published or now).date())
    number = max((r.number for r in report.references), default=0) + 1
    joiner = "、" if report.language.lower().startswith("zh") else " and "
    draft = draft_news(
        fact,
        language=report.language,
        names=names,
        headline=article.title,
        source=joiner.join(_short_name(n) for n in sources),
    )
    made = from_article(
        report,
        article,
        match,
        fact,
        kind=SuggestionKind.ADDITION,
        section=section,
        proposed_text=f"- {draft.text} [{number}]",
        now=now,
        sources=sources,
    )
    return replace(made, needs_translation=draft.needs_translation)


def feeds_of(article: Article, source_names: Sequence[str]) -> list[str]:
    """Every feed that carried the story, the first naming the reporter; the
    article's own source, else its host, when none is known."""
    return [n for n in (source_names or (article.source,)) if n] or [host(article.url)]


def from_article(
    report: Report,
    article: Article,
    match: Match,
    fact: Fact,
    *,
    kind: SuggestionKind,
    section: Section | None,
    proposed_text: str,
    now: datetime,
    sources: Sequence[str],
    target: str | None = None,
) -> Suggestion:
    """A suggestion made from an article: what every kind shares (the article, its
    feeds, the excerpt, the new reference entry); ``target`` makes it an edit of a
    statement the report already has."""
    published = article.published or now
    return Suggestion(
        report=report.id,
        section=section.id if section else match.section_id,
        section_title=section.title if section else "",
        kind=kind,
        score=match.score,
        title=article.title,
        url=article.url,
        published=article.published,
        source=sources[0],
        excerpt=quote(fact.sentence or match.evidence),
        proposed_text=proposed_text,
        created_at=now,
        urls=(article.url,),
        reference=reference_entry(report, article, source=sources[0], published=published),
        features=dict(match.features),
        target=target,
        fact=fact,
        novelty=Novelty.NEW if target is None else Novelty.COVERED,
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


def quote(sentence: str) -> str:
    text = _CITATION_MARK.sub("", _one_line(sentence))
    text = text.replace("“", "「").replace("”", "」").replace('"', "'")
    if len(text) > _QUOTE_LIMIT:
        text = text[:_QUOTE_LIMIT].rstrip() + "…"
    return text


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def host(url: str) -> str:
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
