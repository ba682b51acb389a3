"""Feed documents → entries: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed by hand.

``parse_feed`` is pure (bytes in, ``ParsedFeed`` out). It chooses the character
encoding itself (``tracker.textutil.decode_document``: HTTP charset, XML
declaration, then evidence from the bytes) and hands feedparser UTF-8, because
feedparser trusts a declared Latin-1 or a missing Content-Type charset in ways
that turn valid UTF-8 into mojibake. Entry links are resolved against the feed
URL, canonicalized and deduplicated within the feed; deduplication across feeds
is the store's job. It does not fetch anything, follow links or judge relevance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

from tracker.cleantext import strip_controls
from tracker.errors import ExtractError
from tracker.textutil import decode_document, header, html_to_text, normalise_whitespace
from tracker.types import FeedEntry, ParsedFeed
from tracker.urls import absolute_http_url, canonical_url

_XML_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.I)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# bozo exceptions that describe the transport, not a broken document.
_BENIGN_BOZO = ("NonXMLContentType", "CharacterEncodingOverride")


def _declared_charset(headers: Mapping[str, str]) -> str | None:
    match = _CHARSET_PARAM.search(header(headers, "content-type"))
    return match.group(1) if match else None


def _language(value: object) -> str | None:
    """Primary language subtag, lowercased: "zh-CN" → "zh"."""
    if not isinstance(value, str) or not value.strip():
        return None
    primary = re.split(r"[-_]", value.strip())[0].lower()
    return primary if primary.isalpha() and len(primary) <= 3 else None


def _dedup(entries: Iterable[FeedEntry]) -> tuple[FeedEntry, ...]:
    """Drop repeats of one item: same canonical URL and same guid (the raw link when none).

    Entries that share a page but are distinct items (a newsletter whose items
    all point at "entries.php#n", a fragment canonicalization removes) stay
    separate entries; merging them into one article is the store's business.
    """
    seen: set[tuple[str, str]] = set()
    kept = []
    for entry in entries:
        key = (entry.url, entry.guid)
        if key not in seen:
            seen.add(key)
            kept.append(entry)
    return tuple(kept)


def _one_line(text: str) -> str:
    return " ".join(strip_controls(text).split())


# --------------------------------------------------------------------------
# RSS / Atom


def _struct_to_utc(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        year, month, day, hour, minute, second = (int(v) for v in value[:6])
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _detail_text(entry: Any, key: str) -> str:
    """A feedparser text construct as plain text, stripping markup only when it is markup.

    A construct the feed declares as text keeps any angle brackets it has: a
    title such as ``Why <script> tags block rendering`` is about markup, and
    it is the renderers' job to escape it, not this parser's to drop it.
    """
    value = entry.get(key) or ""
    detail = entry.get(f"{key}_detail") or {}
    if detail.get("type") in _HTML_TYPES:
        return strip_controls(html_to_text(value))
    return strip_controls(normalise_whitespace(value))


def _richest_html(entry: Any) -> str:
    bodies = [c.get("value", "") for c in entry.get("content") or () if c.get("value")]
    summary_detail = entry.get("summary_detail") or {}
    if entry.get("summary"):
        bodies.append(entry["summary"])
    if not bodies:
        return ""
    best = max(bodies, key=len)
    if best is entry.get("summary") and summary_detail.get("type") not in _HTML_TYPES:
        return ""  # a plain-text summary is not HTML
    return str(best)


def _rss_entries(
    parsed: Any, url: str, source_name: str, language: str | None
) -> Iterator[FeedEntry]:
    for item in parsed.entries:
        guid = str(item.get("id") or "")
        link = absolute_http_url(item.get("link"), url)
        if link is None and guid.startswith(("http://", "https://")):
            link = guid
        if link is None:
            continue
        item_language = _language((item.get("title_detail") or {}).get("language")) or language
        yield FeedEntry(
            url=canonical_url(link),
            link=link,
            title=_one_line(_detail_text(item, "title")),
            summary=_detail_text(item, "summary"),
            content_html=_richest_html(item),
            # dict.get: FeedParserDict's own lookup aliases updated→published with a warning.
            published=_struct_to_utc(dict.get(item, "published_parsed"))
            or _struct_to_utc(dict.get(item, "updated_parsed")),
            author=normalise_whitespace(str(item.get("author") or "")),
            guid=guid or link,
            feed_url=url,
            source_name=source_name,
            language=item_language,
        )


def _parse_xml_feed(
    body: bytes, url: str, headers: Mapping[str, str], source_name: str
) -> ParsedFeed:
    declared = _XML_DECLARED.search(body[:512])
    text, _ = decode_document(
        body, [_declared_charset(headers), declared.group(1).decode() if declared else None]
    )
    # Hand feedparser UTF-8 and say so: its own RFC 3023 rules would read a
    # charset-less text/xml as ASCII and a declared Latin-1 over UTF-8 as Latin-1.
    parsed = feedparser.parse(
        text.encode("utf-8"),
        response_headers={
            "content-type": "application/xml; charset=utf-8",
            "content-location": url,
        },
    )
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise ExtractError(url, f"not a feed{f' ({problem})' if problem else ''}")
    if not version and header(headers, "content-type").split(";")[0].strip() in _HTML_TYPES:
        raise ExtractError(url, "not a feed (an HTML page)")
    warnings = []
    problem = parsed.get("bozo_exception")
    if parsed.get("bozo") and type(problem).__name__ not in _BENIGN_BOZO:
        warnings.append(f"malformed feed: {type(problem).__name__}: {problem}")
    feed = parsed.feed
    language = _language(feed.get("language")) or _language(
        (feed.get("title_detail") or {}).get("language")
    )
    entries = list(_rss_entries(parsed, url, source_name, language))
    skipped = len(parsed.entries) - len(entries)
    if skipped:
        warnings.append(f"{skipped} entries without an http(s) link skipped")
    return ParsedFeed(
        url=url,
        title=_one_line(_detail_text(feed, "title")),
        link=absolute_http_url(feed.get("link"), url) or "",
        language=language,
        entries=_dedup(entries),
        warning="; ".join(warnings) or None,
    )


# --------------------------------------------------------------------------
# JSON Feed (https://jsonfeed.org/version/1.1)


def _parse_datetime(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _salvage_items(text: str) -> tuple[dict[str, Any], list[Any]]:
    """Recover the top-level fields before "items" and every complete item of a cut-off document."""
    decoder = json.JSONDecoder(strict=False)
    head: dict[str, Any] = {}
    marker = re.search(r'"items"\s*:\s*\[', text)
    if marker is None:
        return head, []
    prefix = text[: marker.start()].rstrip().rstrip(",") + "}"
    try:
        head = json.loads(prefix, strict=False)
    except ValueError:
        head = {}
    items: list[Any] = []
    pos = marker.end()
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] != "{":
            break
        try:
            item, pos = decoder.raw_decode(text, pos)
        except ValueError:
            break
        items.append(item)
    return head, items


def _authors(item: Mapping[str, Any]) -> str:
    people = item.get("authors") or (
        [item["author"]] if isinstance(item.get("author"), dict) else []
    )
    names = [p.get("name", "") for p in people if isinstance(p, dict) and p.get("name")]
    return ", ".join(str(n) for n in names)


def _parse_json_feed(
    body: bytes, url: str, headers: Mapping[str, str], source_name: str
) -> ParsedFeed:
    text, _ = decode_document(body, [_declared_charset(headers), "utf-8"])
    warning = None
    try:
        doc = json.loads(text, strict=False)
    except ValueError as exc:
        doc, items = _salvage_items(text)
        if not items:
            raise ExtractError(url, f"not a feed: invalid JSON ({exc})") from exc
        doc["items"] = items
        warning = f"malformed JSON feed, {len(items)} complete items recovered: {exc}"
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise ExtractError(url, "not a feed: JSON without an items list")
    if "jsonfeed.org/version" not in str(doc.get("version", "")) and warning is None:
        warning = "JSON document without a JSON Feed version; read as one anyway"
    language = _language(doc.get("language"))
    entries = []
    for item in doc["items"]:
        if not isinstance(item, dict):
            continue
        link = absolute_http_url(item.get("url"), url) or absolute_http_url(
            item.get("external_url"), url
        )
        if link is None:
            continue
        content_html = item.get("content_html") if isinstance(item.get("content_html"), str) else ""
        summary_source = item.get("summary") or item.get("content_text") or content_html or ""
        entries.append(
            FeedEntry(
                url=canonical_url(link),
                link=link,
                title=_one_line(html_to_text(str(item.get("title") or ""))),
                summary=strip_controls(html_to_text(str(summary_source))),
                content_html=content_html or "",
                published=_parse_datetime(item.get("date_published"))
                or _parse_datetime(item.get("date_modified")),
                author=_authors(item) or _authors(doc),
                guid=str(item.get("id") or link),
                feed_url=url,
                source_name=source_name,
                language=_language(item.get("language")) or language,
            )
        )
    return ParsedFeed(
        url=url,
        title=_one_line(html_to_text(str(doc.get("title") or ""))),
        link=absolute_http_url(doc.get("home_page_url"), url) or "",
        language=language,
        entries=_dedup(entries),
        warning=warning,
    )


# --------------------------------------------------------------------------
# Public API


def parse_feed(
    body: bytes, *, url: str, headers: Mapping[str, str], source_name: str
) -> ParsedFeed:
    """Parse a fetched feed document.

    Raises ``ExtractError`` when the body is not a feed at all (empty, an HTML
    page, garbage, JSON without items); a feed that is broken but partly
    readable comes back with what parsed and ``warning`` naming the problem.
    """
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise ExtractError(url, "not a feed: empty document")
    media_type = header(headers, "content-type").split(";")[0].strip().lower()
    try:
        if stripped.startswith(b"{") or media_type in ("application/feed+json", "application/json"):
            return _parse_json_feed(body, url, headers, source_name)
        return _parse_xml_feed(body, url, headers, source_name)
    except ExtractError:
        raise
    except Exception as exc:  # hostile input must become a per-source error, never a crash
        raise ExtractError(url, f"feed could not be parsed: {type(exc).__name__}: {exc}") from exc


def filter_since(
    entries: Iterable[FeedEntry], since: date, *, undated_at: datetime | None = None
) -> tuple[FeedEntry, ...]:
    """Drop entries published before ``since`` (a UTC calendar date).

    An undated entry counts as published at ``undated_at`` (the refresh that
    first sees it); without one, undated entries are kept.
    """

    def day(entry: FeedEntry) -> date | None:
        when = entry.published or undated_at
        return None if when is None else when.astimezone(UTC).date()

    return tuple(e for e in entries if (d := day(e)) is None or d >= since)
