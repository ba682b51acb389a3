"""tracker.pages on hand-written pages under tests/data/pages; expectations beside them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tracker.errors import ExtractError
from tracker.pages import (
    article_from_entry,
    article_from_page,
    decode_html,
    extract_page,
    html_title,
)
from tracker.textutil import content_hash
from tracker.types import FeedEntry, PageContent

DATA = Path(__file__).parent / "data" / "pages"


def _json(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------
# decode_html


def test_gb2312_meta_over_utf8_bytes_decodes_as_utf8() -> None:
    expected = _json("lying-meta.expected.json")
    text = decode_html((DATA / "lying-meta-gb2312.html").read_bytes(), {})
    assert expected["paragraph"] in text


def test_real_gb2312_bytes_follow_the_meta() -> None:
    expected = _json("lying-meta.expected.json")
    text = decode_html((DATA / "real-gb2312.html").read_bytes(), {})
    assert expected["paragraph"] in text


def test_http_charset_beats_a_wrong_meta() -> None:
    sentence = "繁體中文測試：人工智慧模型的進展"
    body = f'<meta charset="gb2312"><p>{sentence}</p>'.encode("big5")
    assert sentence in decode_html(body, {"Content-Type": "text/html; charset=Big5"})


def test_lying_utf8_header_over_gbk_bytes_falls_back_to_meta() -> None:
    expected = _json("lying-meta.expected.json")
    text = decode_html(
        (DATA / "real-gb2312.html").read_bytes(), {"content-type": "text/html; charset=utf-8"}
    )
    assert expected["paragraph"] in text


def test_mostly_utf8_with_stray_latin1_bytes() -> None:
    body = "<p>Mitgefühl wählen – café</p>".encode() + b"<p>Mitgef\xfchl</p>"
    text = decode_html(body, {})
    assert "Mitgefühl wählen – café" in text and "<p>Mitgefühl</p>" in text


@pytest.mark.parametrize(
    ("html", "title"),
    [
        ("<html><head><title>Plain</title></head>", "Plain"),
        ('<TITLE lang="en">Upper &amp; case</Title>', "Upper & case"),
        ("<title>\n  Spread\n  over lines </title>", "Spread over lines"),
        ("<title>First</title><title>Second</title>", "First"),
        ("<title>a <b>bold</b> word</title>", "a bold word"),
        ("<title></title>", ""),
        ("<p>no title here</p>", ""),
        # Hostile: openings that never close, or never even end their tag.
        ("<head>" + "<title>x" * 2000, ""),
        ("<head>" + "<title " * 2000, ""),
        ("<title " * 2000 + "><title>late</title>", "late"),
        ("<title>x" * 2000 + "</title>", "x" * 2000),
    ],
)
def test_html_title(html: str, title: str) -> None:
    assert " ".join(html_title(html).split()) == title


def test_html_title_of_the_sample_pages() -> None:
    article = decode_html((DATA / "article.html").read_bytes(), {})
    lying = decode_html((DATA / "lying-meta-gb2312.html").read_bytes(), {})
    assert html_title(article) == "Lab releases open model with longer context - Example Tech News"
    assert html_title(lying) == "开源大模型发布"


@pytest.mark.parametrize(
    "head",
    [
        b"<meta " * 3000 + b'<meta charset="gb2312">',  # never-ended tags, then the real one
        b"<meta>" * 3000 + b'<meta charset="gb2312">',
        b'<meta name="x" content="y"><meta http-equiv="Content-Type" '
        b'content="text/html; charset=gb2312">',
    ],
)
def test_meta_charset_found_after_hostile_markup(head: bytes) -> None:
    sentence = "简体中文测试"
    assert sentence in decode_html(head + f"<p>{sentence}</p>".encode("gb2312"), {})


def test_undeclared_latin1_page() -> None:
    body = "<html><body><p>Déjà vu : le modèle français progresse très vite.</p></body></html>"
    text = decode_html(body.encode("latin-1"), {})
    assert "Déjà vu : le modèle français progresse très vite." in text


def test_bom_wins() -> None:
    body = "\ufeff<p>naïve</p>".encode("utf-16")
    assert "<p>naïve</p>" in decode_html(body, {"Content-Type": "text/html; charset=iso-8859-1"})


# --------------------------------------------------------------------------
# extract_page


def test_extract_article_page() -> None:
    expected = _json("article.expected.json")
    page = extract_page((DATA / "article.html").read_bytes(), url=expected["url"], headers={})
    assert page.title == expected["title"]
    assert page.published == date.fromisoformat(expected["published"])
    assert page.language == expected["language"]
    assert page.author == expected["author"]
    assert list(page.feed_links) == expected["feed_links"]
    for wanted in expected["text_contains"]:
        assert wanted in page.text
    for unwanted in expected["text_excludes"]:
        assert unwanted not in page.text
        assert unwanted not in page.title


def test_extract_chinese_page_behind_lying_meta() -> None:
    expected = _json("lying-meta.expected.json")
    page = extract_page(
        (DATA / "lying-meta-gb2312.html").read_bytes(), url="https://zh.example.cn/a", headers={}
    )
    assert expected["paragraph"] in page.text
    assert page.title == expected["title"]
    assert page.language == expected["language"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        (DATA / "empty-shell.html").read_bytes(),
        b"\x00\x01\x02\xff\xfe",
        b"<html><body><script>only a script</script></body></html>",
        b"<" * 5000,
    ],
)
def test_page_without_main_text_raises(body: bytes) -> None:
    with pytest.raises(ExtractError) as caught:
        extract_page(body, url="https://x.example/empty", headers={})
    assert caught.value.url == "https://x.example/empty"


def test_deeply_nested_hostile_markup_does_not_crash() -> None:
    body = ("<div>" * 5000 + "<p>" + "deep text " * 50 + "</p>" + "</div>" * 10).encode()
    try:
        page = extract_page(body, url="https://x.example/deep", headers={})
    except ExtractError:
        return  # a clean refusal is fine; a crash is not
    assert "deep text" in page.text


# --------------------------------------------------------------------------
# Articles


def _entry(**overrides: Any) -> FeedEntry:
    fields: dict[str, Any] = {
        "url": "https://news.example.com/a",
        "link": "https://news.example.com/a?utm_source=rss",
        "title": "Feed title",
        "summary": "Short summary from the feed.",
        "content_html": "<p>Full <b>content</b> from the feed, longer than the summary.</p>",
        "published": datetime(2026, 2, 24, 9, 0, tzinfo=UTC),
        "author": "A",
        "guid": "g1",
        "feed_url": "https://news.example.com/rss.xml",
        "source_name": "Example",
        "language": "en",
    }
    fields.update(overrides)
    return FeedEntry(**fields)


def test_article_from_page_prefers_page_text_and_feed_metadata() -> None:
    page = PageContent(
        url="https://news.example.com/a",
        title="Page title - Site",
        text="Page body text.",
        published=date(2026, 2, 23),
        language="en",
        author="B",
    )
    article = article_from_page(_entry(), page)
    assert article.text == "Page body text."
    assert article.title == "Feed title"
    assert article.published == datetime(2026, 2, 24, 9, 0, tzinfo=UTC)
    assert article.content_hash == content_hash("Page body text.")
    assert not article.from_feed_only
    undated = article_from_page(_entry(published=None, title=""), page)
    assert undated.published == datetime(2026, 2, 23, tzinfo=UTC)
    assert undated.title == "Page title - Site"


def test_article_from_entry_uses_richest_feed_text() -> None:
    article = article_from_entry(_entry())
    assert article.from_feed_only
    assert article.text == "Full content from the feed, longer than the summary."
    bare = article_from_entry(_entry(content_html="", summary=""))
    assert bare.text == "Feed title"


def test_content_hash_ignores_whitespace_only_changes() -> None:
    assert content_hash("a  b\n\nc") == content_hash(" a b c ")
    assert content_hash("a b c") != content_hash("a b d")
