"""The HTML edition shows an unchanged block as CommonMark does.

tracker parses blocks with markdown-it-py (tracker.markdown) but renders
them itself, through its own inline parser (tracker.render.inline), because
the diff needs each character's source offset. Here markdown-it-py, set up
as the block model is (CommonMark, GFM tables, no raw HTML, no link
reference definitions) and keeping line breaks as the renderer does, is the
oracle: both HTMLs are read into a sequence of (block path, inline styles,
text) and must be equal.

Differences on purpose, normalised here and documented in
tracker.render.html: list items are always tight (a ``<p>`` directly inside
an ``<li>`` is not compared); a numbered item carries its own number
(attributes of ``<ol>``/``<li>`` are not compared); bare URLs become links
(a link whose text is its own URL counts as text on both sides); tables sit
in a scrolling ``<div>``. Not exercised here, because they differ on
purpose: entity references (shown as written), links to refused schemes
(``[x](javascript:…)`` shows just ``x``, markdown-it the whole source) and
``<user@host>`` autolinks without ``mailto:`` (text).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from markdown_it import MarkdownIt

from tracker.render import render_edition, render_html
from tracker.report import parse_report
from tracker.types import Suggestion, SuggestionKind, SuggestionStatus

ROOT = Path(__file__).resolve().parents[1]
SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
DATA = ROOT / "tests" / "data" / "render"
DAY = date(2026, 11, 20)

ORACLE = (
    MarkdownIt("commonmark", {"html": False, "breaks": True}).enable("table").disable("reference")
)

_BLOCK_TAGS = frozenset(
    {"p", "li", "ul", "ol", "blockquote", "pre", "table", "thead", "tbody", "tr", "th", "td", "hr"}
    | {f"h{level}" for level in range(1, 7)}
)
_INLINE_TAGS = frozenset({"strong", "em", "code", "a"})
_VOID = frozenset({"br", "hr"})

Run = tuple[tuple[str, ...], frozenset[str], str]


class _Structure(HTMLParser):
    """Block-level open tags and styled text runs, in document order.

    Elements marked inserted or deleted (``class="ins"``/``"del"``, ``<ins>``,
    ``<del>``) are left out with everything in them.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.styles: list[str] = []
        self.open: list[tuple[str, str]] = []  # (tag, kind) for every open element
        self.skipping = 0
        self.runs: list[Run] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "br":
            self.handle_data(" ")
            return
        if self.skipping or tag in ("ins", "del") or found.get("class") in ("ins", "del"):
            if tag not in _VOID:
                self.skipping += 1
                self.open.append((tag, "skip"))
            return
        kind = "other"
        if tag == "p" and self.blocks and self.blocks[-1] == "li":
            self.handle_data(" ")  # tight or loose, a paragraph break in an item is a space
        elif tag in _BLOCK_TAGS:
            name = tag
            if tag in ("th", "td"):
                align = found.get("class") or (found.get("style") or "").removeprefix("text-align:")
                name = f"{tag}:{align or ''}"
            self.runs.append(((*self.blocks, name), frozenset(), ""))
            if tag in _VOID:
                return
            self.blocks.append(name)
            kind = "block"
        elif tag in _INLINE_TAGS:
            href = found.get("href") or ""
            self.styles.append(f"a:{unquote(href)}" if tag == "a" else tag)
            kind = "inline"
        self.open.append((tag, kind))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not self.open:
            return
        _, kind = self.open.pop()
        if kind == "skip":
            self.skipping -= 1
        elif kind == "block":
            self.blocks.pop()
        elif kind == "inline":
            self.styles.pop()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        self.runs.append((tuple(self.blocks), frozenset(self.styles), data))


def structure(html: str) -> list[Run]:
    """``html`` as block paths and styled text runs, whitespace collapsed."""
    parser = _Structure()
    parser.feed(html)
    parser.close()
    merged: list[Run] = []
    for path, styles, text in parser.runs:
        # A link whose text is its own URL is text (bare URLs are links only here).
        styles = frozenset(s for s in styles if s != f"a:{unquote(text.strip())}")
        if merged and text and merged[-1][:2] == (path, styles) and merged[-1][2]:
            merged[-1] = (path, styles, merged[-1][2] + text)
        else:
            merged.append((path, styles, text))
    out: list[Run] = []
    for path, styles, text in merged:
        words = " ".join(text.split())
        if words or not text:  # block openings have no text; whitespace alone is layout
            out.append((path, styles, words))
    return out


def ours(markdown: str, previous: str | None = None) -> list[Run]:
    page = render_html(markdown, previous, title="t", edition_date=DAY, language="en")
    return structure(page.split("<main>", 1)[1].split("</main>", 1)[0])


def theirs(markdown: str) -> list[Run]:
    return structure(ORACLE.render(markdown))


def test_the_seed_report_renders_as_commonmark() -> None:
    text = SEED.read_text(encoding="utf-8")
    assert ours(text) == theirs(text)


def test_unchanged_blocks_of_an_edition_render_as_commonmark() -> None:
    """With the inserted blocks taken out, the page is the previous edition as CommonMark."""
    text = SEED.read_text(encoding="utf-8")
    report = parse_report(text, report_id="ai-2024-2025", path="report.md", language="zh")
    rows = yaml.safe_load((DATA / "suggestions.yaml").read_text(encoding="utf-8"))
    row = next(r for r in rows if r["kind"] == "addition" and r["status"] == "accepted")
    accepted = Suggestion(
        report=report.id,
        section=row["section"],
        section_title=row["section_title"],
        kind=SuggestionKind.ADDITION,
        score=0.9,
        title=row["title"],
        url=row["url"],
        published=None,
        source=row["source"],
        excerpt=row["excerpt"],
        proposed_text=row["proposed_text"],
        created_at=datetime.fromisoformat(str(row["created_at"])),
        status=SuggestionStatus.ACCEPTED,
        reference=row["reference"],
        id=row["id"],
    )
    edition = render_edition(report, [accepted], edition_date=DAY)
    assert edition != text
    assert ours(edition, text) == theirs(text)


SAMPLES = {
    "emphasis": "Some *em*, **strong**, ***both***, **bold *nested em* text** and a lone * star.\n",
    "code spans": "Use `code`, ``a ` tick`` and `` `x` `` in **`bold code`**.\n",
    "links": "[text](https://example.org/a), [angle](<https://example.org/b>) and "
    "[**styled** label](https://example.org/c?q=1&r=2).\n",
    "autolinks": "<https://example.org/x> and <mailto:editor@example.org>; bare "
    "https://example.org/y, here.\n",
    "escapes and raw HTML": "\\*not em\\* and \\[not a link\\]; <b>bold</b> <div>x</div>\n"
    "\n<div>\nblock html\n</div>\n",
    "line breaks": "one\ntwo  \nthree\n",
    "headings": "# One #\n\nSetext one\n==========\n\nSetext *two*\n---\n\n###### Six\n",
    "tables": "| Left | Centre | Right | None |\n|:-----|:------:|------:|------|\n"
    "| `a` | **b** | [c](https://example.org/c) | d \\| e |\n| f |\n",
    "nested lists": "- a\n  - b\n    - c\n  - d\n- e\n\n1. one\n2. two\n   1. two.one\n\n"
    "* star\n+ plus\n",
    "loose list items": "- first\n\n  second paragraph\n\n  ```\n  code in item\n  ```\n- next\n",
    "quotes": "> quoted **text**\n> > nested\n>\n> - item in quote\n\nafter\n",
    "quote in a list": "- item\n  > quoted in item\n- other\n",
    "code and rules": "```py\nx = '<b>' [1]\n```\n\n    indented\n\n---\n\n***\n",
    "reference definitions": "[1]: https://example.org/one\n[2] Two. https://example.org/two\n",
}


@pytest.mark.parametrize("markdown", SAMPLES.values(), ids=SAMPLES.keys())
def test_samples_render_as_commonmark(markdown: str) -> None:
    assert ours(markdown) == theirs(markdown)


def test_the_comparison_sees_a_difference() -> None:
    assert ours("Title\n=====\n") != theirs("Title\n\n=====\n")
    assert ours("*em*") != theirs("**strong**")
    assert ours("| a |\n|:-|\n") != theirs("| a |\n|-:|\n")
    assert re.search(r"<h1>", ORACLE.render("Title\n=====\n"))
