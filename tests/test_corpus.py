"""Conformance over the shared third-party corpus (../shared/corpus, or $TRACKER_CORPUS).

Every feed and page is served from a real HTTP server on 127.0.0.1 without a
charset in its Content-Type (the captures have no HTTP headers) and fetched
through ``tracker.fetch.Fetcher``. Feeds must yield their entries with
correctly decoded titles; pages are scored against their origin project's
ground truth and must score no worse than plain ``trafilatura.extract`` on the
correctly decoded page. Run with ``-s`` to see the score table.
"""

from __future__ import annotations

import asyncio
import functools
import html
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trafilatura

from tracker.demo.server import LocalServer
from tracker.feeds import parse_feed
from tracker.fetch import Fetcher, FetchPolicy
from tracker.pages import extract_page
from tracker.textutil import html_to_text
from tracker.types import FetchRequest, FetchResult

CORPUS = Path(os.environ.get("TRACKER_CORPUS") or Path(__file__).parents[2] / "shared" / "corpus")
MANIFEST_PATH = CORPUS / "MANIFEST.json"

pytestmark = pytest.mark.skipif(not MANIFEST_PATH.is_file(), reason=f"corpus not found at {CORPUS}")


def _manifest() -> dict[str, Any]:
    if not MANIFEST_PATH.is_file():
        return {"feeds": [], "pages": []}
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


MANIFEST = _manifest()
FEEDS = {f["file"]: f for f in MANIFEST["feeds"]}
PAGES = {p["file"]: p for p in MANIFEST["pages"]}


# --------------------------------------------------------------------------
# Serving and fetching everything once


@pytest.fixture(scope="module")
def fetched() -> dict[str, FetchResult]:
    """Every corpus document, keyed by its MANIFEST path, as the fetcher received it."""
    with LocalServer() as server:
        urls = {}
        for name in [*FEEDS, *PAGES]:
            content_type = "text/html" if name in PAGES else "application/octet-stream"
            if name.endswith(".json"):
                content_type = "application/json"
            elif name in FEEDS:
                content_type = "application/xml"
            urls[name] = server.add(
                "/" + name, (CORPUS / name).read_bytes(), content_type=content_type
            )

        async def fetch_all() -> dict[str, FetchResult]:
            async with Fetcher(FetchPolicy(allow_private_networks=True)) as fetcher:
                results = await asyncio.gather(
                    *(fetcher.fetch(FetchRequest(url)) for url in urls.values())
                )
            return dict(zip(urls, results, strict=True))

        return asyncio.run(fetch_all())


# --------------------------------------------------------------------------
# Feeds

_REPLACEMENT = "\ufffd"
# UTF-8 read as Latin-1/cp1252: a lead byte shown as a letter, then continuation
# bytes shown as C1 controls, Latin-1 symbols or cp1252 punctuation.
_CONT = (
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_UTF8_AS_LATIN1 = re.compile(
    f"[\u00c2\u00c3\u00c5\u00d0\u00d1\u00d8\u00d9]{_CONT}|[\u00e2-\u00e9]{_CONT}{{2}}"
)
# Legacy CJK or Cyrillic bytes read as Latin-1: runs of accented Latin letters.
_LATIN1_RUN = re.compile("[\u00c0-\u00ff]{3,}")
_CJK = re.compile("[\u3400-\u9fff]")


def mojibake(text: str) -> str | None:
    """Name the kind of mis-decoding ``text`` shows, or None when it looks clean."""
    if _REPLACEMENT in text:
        return "U+FFFD"
    if "â€" in text or _UTF8_AS_LATIN1.search(text):
        return "UTF-8 read as Latin-1"
    if _LATIN1_RUN.search(text):
        return "legacy bytes read as Latin-1"
    return None


def _same_title(a: str, b: str) -> bool:
    return " ".join(html.unescape(a).split()) == " ".join(b.split())


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_feed_entries_and_titles(name: str, fetched: dict[str, FetchResult]) -> None:
    meta = FEEDS[name]
    result = fetched[name]
    assert result.ok, result.error
    feed = parse_feed(
        result.body, url=result.final_url or result.url, headers=result.headers, source_name=name
    )
    expected = meta.get("feedparser_entries", meta.get("items"))
    if expected is None:  # a cut-off document: what parsed, plus a warning
        assert feed.entries and feed.warning
    else:
        # Exact repeats (same link and guid) and items without any link are
        # dropped, so allow a few fewer than feedparser's raw count.
        assert expected - max(1, expected // 20) <= len(feed.entries) <= expected
    if meta.get("feedparser_bozo") and "Encoding" not in meta.get("feedparser_bozo_exception", ""):
        assert feed.warning, "a malformed document must be reported"
    if meta.get("title"):
        assert _same_title(meta["title"], feed.title), (meta["title"], feed.title)
    for entry in feed.entries:
        assert mojibake(entry.title) is None, (mojibake(entry.title), entry.title)
        assert mojibake(entry.summary[:500]) is None, entry.summary[:200]
        assert "#" not in entry.url and "utm_" not in entry.url
    if _CJK.search(meta.get("title", "")) or meta["declared_encoding"].lower() in (
        "gb2312", "big5",
    ):  # fmt: skip
        assert any(_CJK.search(e.title) for e in feed.entries), "CJK feed without CJK titles"


def test_mojibake_detector_catches_known_failures() -> None:
    # The detector must itself fail on the failures it exists to catch.
    for clean in ["Golem.de: Red Dead Redemption 2", "中文标题", "Цитата", "crème brûlée – 2026"]:
        assert mojibake(clean) is None
    for broken in [
        "中文标题".encode().decode("cp1252", "replace"),
        "crème brûlée – 2026".encode().decode("cp1252"),
        "Цитата".encode().decode("latin-1"),
        "中文标题".encode("gbk").decode("latin-1"),
        "Цитата".encode("koi8-r").decode("latin-1"),
        "bad \ufffd byte",
    ]:
        assert mojibake(broken) is not None, broken


# --------------------------------------------------------------------------
# Pages

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).lower().split())


@dataclass(frozen=True)
class Truth:
    wanted: tuple[str, ...]
    unwanted: tuple[str, ...]


def _snippets_from_paragraphs(text: str) -> tuple[str, ...]:
    """A middle slice of every substantial paragraph of the expected article text."""
    snippets = []
    for paragraph in text.split("\n"):
        flat = _norm(paragraph)
        if len(flat) >= 24:
            middle = len(flat) // 2
            snippets.append(flat[max(0, middle - 12) : middle + 12])
    return tuple(snippets)


def _truth(folder: Path) -> Truth | None:
    evaldata = folder / "expected-trafilatura-evaldata.json"
    if evaldata.is_file():
        (entry,) = json.loads(evaldata.read_text(encoding="utf-8")).values()
        return Truth(tuple(entry.get("with", [])), tuple(entry.get("without", [])))
    expected_html = folder / "expected.html"
    if expected_html.is_file():
        return Truth(_snippets_from_paragraphs(html_to_text(expected_html.read_text("utf-8"))), ())
    expected_txt = folder / "expected.txt"
    if expected_txt.is_file():
        return Truth(_snippets_from_paragraphs(expected_txt.read_text("utf-8")), ())
    return None


def score(text: str, truth: Truth) -> float:
    """Share of wanted snippets present plus unwanted snippets absent."""
    flat = _norm(text)
    hits = sum(_norm(s) in flat for s in truth.wanted)
    hits += sum(_norm(s) not in flat for s in truth.unwanted)
    return hits / max(1, len(truth.wanted) + len(truth.unwanted))


def _correctly_decoded(meta: dict[str, Any], body: bytes) -> str:
    """The page text decoded with the encoding verified for the corpus (not by our code)."""
    if meta["utf8_decodable"]:
        return body.decode("utf-8")
    declared = meta["declared_encoding"].lower()
    encoding = {"gb2312": "gb18030", "iso-8859-1": "cp1252"}.get(declared, declared)
    return body.decode(encoding, errors="replace")


@dataclass(frozen=True)
class PageScore:
    name: str
    ours: float
    baseline: float
    snippets: int


@functools.cache
def _page_score(
    name: str, body: bytes, url: str, headers: tuple[tuple[str, str], ...]
) -> PageScore:
    meta = PAGES[name]
    truth = _truth((CORPUS / name).parent)
    assert truth is not None
    page = extract_page(body, url=url, headers=dict(headers))
    baseline_text = (
        trafilatura.extract(_correctly_decoded(meta, (CORPUS / name).read_bytes())) or ""
    )
    return PageScore(
        name=name.split("/")[1],
        ours=score(page.text, truth),
        baseline=score(baseline_text, truth),
        snippets=len(truth.wanted) + len(truth.unwanted),
    )


def _score_for(name: str, fetched: dict[str, FetchResult]) -> PageScore:
    result = fetched[name]
    assert result.ok, result.error
    return _page_score(
        name, result.body, result.final_url or result.url, tuple(result.headers.items())
    )


GRADED = sorted(n for n, p in PAGES.items() if p.get("ground_truth"))
UNGRADED = sorted(n for n, p in PAGES.items() if not p.get("ground_truth"))


@pytest.mark.parametrize("name", GRADED)
def test_page_extraction_no_worse_than_trafilatura(
    name: str, fetched: dict[str, FetchResult]
) -> None:
    result = _score_for(name, fetched)
    assert result.ours >= result.baseline, result


@pytest.mark.parametrize("name", UNGRADED)
def test_page_without_ground_truth_extracts_clean_text(
    name: str, fetched: dict[str, FetchResult]
) -> None:
    result = fetched[name]
    page = extract_page(result.body, url=result.final_url or result.url, headers=result.headers)
    assert len(page.text) > 200
    assert mojibake(page.text) is None and mojibake(page.title) is None


def test_page_titles_decode_cleanly(fetched: dict[str, FetchResult]) -> None:
    for name in PAGES:
        result = fetched[name]
        page = extract_page(result.body, url=result.final_url or result.url, headers=result.headers)
        assert mojibake(page.title) is None, (name, page.title)
        assert mojibake(page.text[:3000]) is None, (name, page.text[:200])


def test_score_table(fetched: dict[str, FetchResult]) -> None:
    rows = [_score_for(name, fetched) for name in GRADED]
    print(f"\n{'page':48} {'snips':>5} {'ours':>6} {'plain':>6}")
    for row in rows:
        print(f"{row.name:48} {row.snippets:5d} {row.ours:6.3f} {row.baseline:6.3f}")
    ours = sum(r.ours for r in rows) / len(rows)
    baseline = sum(r.baseline for r in rows) / len(rows)
    print(f"{'mean over ' + str(len(rows)) + ' pages':48} {'':5} {ours:6.3f} {baseline:6.3f}")
    assert ours >= baseline
