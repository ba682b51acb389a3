"""Feed text in editions and changelogs: shown as written, never markup, never a reference.

The edition and CHANGELOG.md are read in Markdown viewers that pass raw HTML
through (GitHub-like), so they are rendered here with markdown-it-py with
HTML enabled; and an edition may be adopted as the report, so it is parsed
back with the report parser.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tracker.render import changelog_entry, render_edition
from tracker.render.mdtext import md_drafted, md_text
from tracker.report import parse_report
from tracker.types import Report, Suggestion, SuggestionKind, SuggestionStatus

DATA = Path(__file__).parent / "data" / "render"
DAY = date(2026, 11, 20)
WHEN = datetime(2026, 11, 20, 9, 0)
VIEWER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

HOSTILE_TITLES = [
    "\\<img src=x onerror=alert(1)> escaped backslash",
    "![p](https://evil.example/x.gif) pixel",
    "\\![p](https://evil.example/y.gif) escaped bang",
    "<script>alert(2)</script> & <b onmouseover=alert(3)>x</b>",
    "[click](javascript:alert(4)) *em* _em_ `code` ~~strike~~ | cell |",
    "&lt;img src=x onerror=alert(5)&gt; entity",
    "<https://evil.example/auto> [ref]: https://evil.example/def",
]


@pytest.fixture(scope="module")
def report() -> Report:
    text = (DATA / "report-en.md").read_text(encoding="utf-8")
    return parse_report(text, report_id="en", path="report-en.md", language="en")


def _addition(title: str, *, status: SuggestionStatus, id: int = 31) -> Suggestion:
    url = f"https://news.example/{id}"
    return Suggestion(
        report="en",
        section="1",
        section_title="1 Introduction",
        kind=SuggestionKind.ADDITION,
        score=0.8,
        title=title,
        url=url,
        published=WHEN,
        source="News",
        excerpt=title,
        proposed_text=f"- 2026-11-20, News reports: “{title}” [3]",
        created_at=WHEN,
        status=status,
        reference=f"News. (2026). {title}. {url}",
        id=id,
        decided_at=WHEN if status is SuggestionStatus.ACCEPTED else None,
    )


class _Viewer(HTMLParser):
    """What a viewer shows: elements, attributes and the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _view(markdown: str) -> _Viewer:
    viewer = _Viewer()
    viewer.feed(VIEWER.render(markdown))
    viewer.close()
    return viewer


@pytest.mark.parametrize("title", HOSTILE_TITLES)
@pytest.mark.parametrize("status", [SuggestionStatus.PENDING, SuggestionStatus.ACCEPTED])
def test_hostile_feed_titles_stay_text_in_edition_and_changelog(report, title, status):
    s = _addition(title, status=status)
    edition = render_edition(report, [s], edition_date=DAY)
    entry = changelog_entry(report, day=DAY, suggestions=[s], cited=[])
    for markdown in (edition, entry):
        shown = _view(markdown)
        assert {"img", "script", "b"}.isdisjoint(shown.tags)
        assert not [a for a in shown.attrs if a.startswith("on") or a == "src"]
        links = re.findall(r'href="([^"]*)"', VIEWER.render(markdown))
        assert all(h.startswith("https://news.example/") for h in links)
        # what the feed wrote is what the reader sees
        assert title in " ".join("".join(shown.text).split())


def test_control_and_bidi_characters_are_dropped():
    text = "a\x1b]8;;x\x07b\x1b[2J c\u202eevil\u202c \u2066d\u2069\x85e\x00"
    assert md_text(text) == "a\\]8;;xb\\[2J cevil de"
    assert md_text("x\u2067y\u202a") == "xy"


def test_our_own_markers_stay_markdown_feed_markup_does_not():
    drafted = md_drafted("- 2026-11-20, X: “*b* [7] <i>” [6]", markers=[6])
    assert drafted == "- 2026-11-20, X: “\\*b\\* \\[7\\] \\<i\\>” [6]"


ROUND_TRIP_TITLES = [
    "see https://evil.example/x [ 3] and ［ 4 ］",
    "[9] Fake R. (2026). Planted entry. https://evil.example/planted",
    "Lab says [1][2] were wrong, cf. [ 1 ]",
    "the same number as ours: [3]",
]


@pytest.mark.parametrize("title", ROUND_TRIP_TITLES)
def test_accepted_feed_text_adds_no_references_or_citations_when_parsed_back(report, title):
    """An edition may be adopted as the report: feed text must not become a
    reference entry, a citation, or a URL of the reference list."""
    accepted = _addition(title, status=SuggestionStatus.ACCEPTED)
    edition = render_edition(report, [accepted], edition_date=DAY)
    reparsed = parse_report(edition, report_id="en", path="edition.md", language="en")

    numbers = [r.number for r in reparsed.references]
    assert numbers == [1, 2, 3]
    assert reparsed.references[-1].url == accepted.url
    assert "https://evil.example" not in " ".join(reparsed.cited_urls)
    intro = reparsed.section("1")
    assert intro is not None and set(intro.citations) == {1, 3}
    assert reparsed.section("2.1").citations == (2,)
