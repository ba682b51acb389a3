"""The evaluation set: loading and checking an article file, and publishing it.

An article file (``articles.yaml``, format in eval/README.md) lists news briefs,
each labelled with the seed report's section it belongs to or ``null``; a
relevant brief may carry its gold key facts (``gold``) and the report sentence
it makes stale (``revises``). This module turns one into what a real source
would serve: one HTML page per article and a few RSS 2.0 feeds linking to them.

It does no I/O beyond reading the file and knows nothing about tracker: the
pages and feeds are plain strings for whatever server the caller runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("en", "zh")
_SECTION_ID = re.compile(r"^\d+(\.\d+)*$")
_REQUIRED = ("id", "url", "published", "language", "title", "text", "label", "note")
_OPTIONAL = ("event_date", "gold", "revises", "hypothetical")
_GOLD_KEYS = ("actor", "thing", "covered", "number")
# The end of a first sentence: Chinese full stops need no following space.
_SENTENCE_END = re.compile(r"(?<=[。！？])|(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


class EvalSetError(ValueError):
    """An article file that does not follow the documented format."""


@dataclass(frozen=True)
class Names:
    """One name as an English and a Chinese text would write it; each side may list variants."""

    en: tuple[str, ...]
    zh: tuple[str, ...]

    @property
    def spellings(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.en + self.zh))


@dataclass(frozen=True)
class Gold:
    """The key facts of a relevant brief, written by hand.

    ``actor`` did something to ``thing`` (a model, product, paper, law); ``number``
    lists spellings of the figure the point depends on (empty when none does);
    ``covered`` says whether the seed report already states the event.
    """

    actor: Names
    thing: Names
    covered: bool
    number: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalArticle:
    id: str
    url: str  # the real source of the event; not served
    published: date  # simulated publication date (after the report's cut-off)
    language: str
    title: str
    text: str
    label: str | None  # the seed report section it deserves an edit in, or None
    note: str
    event_date: date | None = None
    gold: Gold | None = None
    # Report sentences or table rows (verbatim) this news makes stale; any one is the target.
    revises: tuple[str, ...] = ()
    hypothetical: bool = False  # an invented future update, not a real event

    @property
    def page_path(self) -> str:
        return f"/articles/{self.id}.html"

    @property
    def description(self) -> str:
        """The first sentence, used as the feed item's description."""
        return first_sentence(self.text)


def parent_section(section_id: str) -> str | None:
    """``"3"`` for ``"3.2"``; None for a top-level id."""
    return section_id.rsplit(".", 1)[0] if "." in section_id else None


def first_sentence(text: str) -> str:
    stripped = " ".join(text.split())
    parts = _SENTENCE_END.split(stripped, maxsplit=1)
    return parts[0].strip() if parts else stripped


def load_articles(path: Path) -> list[EvalArticle]:
    """Read and validate an article file; raise :class:`EvalSetError` on any problem."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = raw.get("articles") if isinstance(raw, dict) else raw
    if not isinstance(items, list) or not items:
        raise EvalSetError(f"{path}: expected a non-empty list under 'articles'")
    articles = [_article(item, i, path) for i, item in enumerate(items)]
    for key in ("id", "url"):
        seen: set[str] = set()
        for article in articles:
            value = getattr(article, key)
            if value in seen:
                raise EvalSetError(f"{path}: duplicate {key} {value!r}")
            seen.add(value)
    return articles


def _article(item: Any, index: int, path: Path) -> EvalArticle:
    where = f"{path}: articles[{index}]"
    if not isinstance(item, dict):
        raise EvalSetError(f"{where}: expected a mapping")
    missing = [key for key in _REQUIRED if key not in item]
    if missing:
        raise EvalSetError(f"{where}: missing {', '.join(missing)}")
    unknown = [key for key in item if key not in _REQUIRED + _OPTIONAL]
    if unknown:
        raise EvalSetError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    label = item["label"]
    if label is not None:
        label = str(label)
        if not _SECTION_ID.match(label):
            raise EvalSetError(f"{where}.label: {label!r} is not a section id like '3.2'")
    language = str(item["language"])
    if language not in LANGUAGES:
        raise EvalSetError(f"{where}.language: {language!r} not in {LANGUAGES}")
    for key in ("id", "url", "title", "text"):
        if not isinstance(item[key], str) or not item[key].strip():
            raise EvalSetError(f"{where}.{key}: expected a non-empty string")
    if not re.match(r"^https?://", item["url"]):
        raise EvalSetError(f"{where}.url: not an http(s) URL")
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", item["id"]):
        raise EvalSetError(f"{where}.id: use letters, digits, '.', '_' and '-' only")
    gold = _gold(item["gold"], f"{where}.gold") if item.get("gold") is not None else None
    revises = _texts(item["revises"], f"{where}.revises") if "revises" in item else ()
    if label is None and (gold is not None or revises):
        raise EvalSetError(f"{where}: gold and revises belong to labelled articles only")
    if revises and gold is not None and gold.covered:
        raise EvalSetError(f"{where}: a brief that revises the report is not already covered")
    hypothetical = item.get("hypothetical", False)
    if not isinstance(hypothetical, bool):
        raise EvalSetError(f"{where}.hypothetical: expected true or false")
    return EvalArticle(
        id=item["id"],
        url=item["url"],
        published=_date(item["published"], f"{where}.published"),
        language=language,
        title=item["title"].strip(),
        text=item["text"].strip(),
        label=label,
        note=str(item["note"]),
        event_date=_date(item["event_date"], f"{where}.event_date")
        if item.get("event_date") is not None
        else None,
        gold=gold,
        revises=revises,
        hypothetical=hypothetical,
    )


def _texts(value: Any, where: str) -> tuple[str, ...]:
    """A non-empty string or list of non-empty strings (numbers read as written)."""
    values = value if isinstance(value, list) else [value]
    if not values:
        raise EvalSetError(f"{where}: expected a string or a non-empty list of strings")
    result = []
    for one in values:
        if isinstance(one, bool) or not isinstance(one, str | int | float) or not str(one).strip():
            raise EvalSetError(f"{where}: expected a string or a non-empty list of strings")
        result.append(str(one).strip())
    return tuple(result)


def _names(value: Any, where: str) -> Names:
    if not isinstance(value, dict) or set(value) != {"en", "zh"}:
        raise EvalSetError(f"{where}: expected a mapping with exactly the keys en and zh")
    return Names(_texts(value["en"], f"{where}.en"), _texts(value["zh"], f"{where}.zh"))


def _gold(value: Any, where: str) -> Gold:
    if not isinstance(value, dict):
        raise EvalSetError(f"{where}: expected a mapping")
    missing = [key for key in ("actor", "thing", "covered") if key not in value]
    unknown = [key for key in value if key not in _GOLD_KEYS]
    if missing or unknown:
        raise EvalSetError(
            f"{where}: needs actor, thing and covered (and optionally number); "
            f"missing {missing or 'none'}, unknown {unknown or 'none'}"
        )
    if not isinstance(value["covered"], bool):
        raise EvalSetError(f"{where}.covered: expected true or false")
    number = _texts(value["number"], f"{where}.number") if "number" in value else ()
    return Gold(
        actor=_names(value["actor"], f"{where}.actor"),
        thing=_names(value["thing"], f"{where}.thing"),
        covered=value["covered"],
        number=number,
    )


def revises_problems(articles: list[EvalArticle], report_text: str) -> list[str]:
    """Problems with ``revises``: each must be copied verbatim from the report."""
    return [
        f"{article.id}: revises text not found verbatim in the report: {sentence!r}"
        for article in articles
        for sentence in article.revises
        if sentence not in report_text
    ]


def _date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise EvalSetError(f"{where}: {value!r} is not a YYYY-MM-DD date") from exc


# --------------------------------------------------------------------------
# Publishing


def article_page(article: EvalArticle) -> str:
    """A minimal news page: <title>, an <article> with a <time datetime> and the text."""
    lang = "zh-CN" if article.language == "zh" else "en"
    paragraphs = "\n".join(
        f"    <p>{escape(p.strip())}</p>" for p in article.text.split("\n") if p.strip()
    )
    day = article.published.isoformat()
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
  <meta charset="utf-8">
  <title>{escape(article.title)}</title>
  <meta name="description" content="{escape(article.description)}">
  <meta property="article:published_time" content="{day}">
</head>
<body>
  <header><nav><a href="/">Eval Wire</a></nav></header>
  <main>
  <article>
    <h1>{escape(article.title)}</h1>
    <p class="byline">Eval Wire staff · <time datetime="{day}">{day}</time></p>
{paragraphs}
  </article>
  </main>
  <footer><p>Briefs written for tracker's evaluation set.</p></footer>
</body>
</html>
"""


def rss_feed(title: str, site_url: str, language: str, items: list[tuple[EvalArticle, str]]) -> str:
    """An RSS 2.0 document; ``items`` pairs each article with its page URL."""
    entries = []
    for article, link in sorted(items, key=lambda pair: pair[0].published, reverse=True):
        when = datetime.combine(article.published, datetime.min.time(), UTC).replace(hour=8)
        entries.append(
            "    <item>\n"
            f"      <title>{escape(article.title)}</title>\n"
            f"      <link>{escape(link)}</link>\n"
            f'      <guid isPermaLink="true">{escape(link)}</guid>\n'
            f"      <description>{escape(article.description)}</description>\n"
            f"      <pubDate>{format_datetime(when, usegmt=True)}</pubDate>\n"
            "    </item>"
        )
    body = "\n".join(entries)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>{escape(title)}</title>
    <link>{escape(site_url)}</link>
    <description>{escape(title)}</description>
    <language>{"zh-cn" if language == "zh" else "en"}</language>
{body}
  </channel>
</rss>
"""


def split_into_feeds(
    articles: list[EvalArticle], per_language: int = 2
) -> dict[str, list[EvalArticle]]:
    """Deal articles round-robin into ``per_language`` feeds per language.

    Feed names are stable (``eval-en-1`` …) so a rerun serves the same layout.
    """
    feeds: dict[str, list[EvalArticle]] = {}
    for language in LANGUAGES:
        own = [a for a in articles if a.language == language]
        for i, article in enumerate(own):
            feeds.setdefault(f"eval-{language}-{i % per_language + 1}", []).append(article)
    return feeds
