"""``tracker demo``: the whole cycle, offline, on bundled fixture sources.

It serves the fixture feeds, article pages and stand-ins for the report's
cited pages from a real HTTP server on 127.0.0.1, then runs the real
refresh twice, a week apart in the demo's clock: the first refresh finds the
first batch of stories, the editor accepts one suggestion, and the second
refresh sees new stories, a cited page that changed and one that is gone.
Nothing here is special-cased by the pipeline: the demo is a config file and
a web server.

``tracker demo --serve`` then runs the daemon on the demo's state, with the
fixture sources still served, so a newcomer sees the review pages at once.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import yaml
from rich.console import Console

from tracker.app import Tracker
from tracker.config import load_config
from tracker.demo.server import LocalServer
from tracker.errors import TrackerError
from tracker.types import RunSummary, SuggestionStatus

MARKER = ".tracker-demo"
REPORT_ID = "ai-2024-2025"


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    feeds: tuple[str, ...]
    round: int
    published: datetime
    language: str
    author: str
    title: str
    text: str


def _fixtures() -> dict[str, Any]:
    data = resources.files("tracker.demo").joinpath("data/fixtures.yaml").read_text("utf-8")
    loaded: dict[str, Any] = yaml.safe_load(data)
    return loaded


def _seed_report() -> str:
    return resources.files("tracker.demo").joinpath("data/report.md").read_text("utf-8")


def run_demo(directory: Path, console: Console, *, now: datetime | None = None) -> Path:
    """Run the demo in ``directory`` and return the config file it wrote."""
    with demo_sources(directory, console, now=now) as config_path:
        pass
    _print_outputs(console, directory, config_path)
    return config_path


def serve_demo(directory: Path, console: Console, *, now: datetime | None = None) -> int:
    """Run the demo, then the daemon on its state until SIGINT/SIGTERM; return the exit code.

    The fixture sources stay served while the daemon runs, so "Refresh now"
    (and the daemon's own refresh at start, which finds nothing new) fetch
    them as the demo did. The daemon listens on a free port of 127.0.0.1.
    """
    with demo_sources(directory, console, now=now, listen="127.0.0.1:0") as config_path:
        _print_outputs(console, directory, config_path)
        from tracker.daemon.service import Daemon

        def announce(address: str) -> None:
            console.print(f"\n[bold]review page[/bold]  {address}", highlight=False)
            console.print("(Ctrl-C stops the daemon)", markup=False)
            console.file.flush()

        return Daemon(config_path, load_config(config_path)).run(on_listening=announce)


@contextmanager
def demo_sources(
    directory: Path,
    console: Console,
    *,
    now: datetime | None = None,
    listen: str | None = None,
) -> Iterator[Path]:
    """Run the demo's two refreshes in ``directory``; yield its config while the
    fixture sources are still served (they stop when the block ends).

    ``listen`` sets ``daemon.listen`` in the written config.
    """
    now = now or datetime.now(UTC)
    _prepare(directory)
    fixtures = _fixtures()
    articles = _articles(fixtures, now)
    with LocalServer() as server:
        config_path = _write_config(directory, server, fixtures, listen)
        config = load_config(config_path)

        console.print(f"[bold]tracker demo[/bold] · sources served from {server.base_url}")
        _serve_round(server, fixtures, articles, round_=1)
        first_clock = now - timedelta(days=7)
        first_week = Tracker(config, clock=lambda: first_clock)
        first = first_week.refresh(trigger="demo")
        _report_round(console, 1, first)

        pending = first_week.suggestions(report=REPORT_ID, status=SuggestionStatus.PENDING)
        additions = [s for s in pending if s.kind == "addition" and s.id is not None]
        if additions:
            best = max(additions, key=lambda s: s.score)
            assert best.id is not None
            first_week.decide([best.id], SuggestionStatus.ACCEPTED)
            console.print(
                f"editor accepts #{best.id} (what `tracker accept {best.id}` does): {best.title}",
                markup=False,
            )

        _serve_round(server, fixtures, articles, round_=2)
        second = Tracker(config, clock=lambda: now).refresh(trigger="demo")
        _report_round(console, 2, second)
        yield config_path


def _prepare(directory: Path) -> None:
    """Start from an empty folder; re-running the demo replaces only a demo's own folder."""
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise TrackerError(
                f"{directory} is not empty and holds no earlier demo; choose another --dir"
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("made by `tracker demo`\n", encoding="utf-8")


def _articles(fixtures: dict[str, Any], now: datetime) -> list[DemoArticle]:
    return [
        DemoArticle(
            slug=item["slug"],
            feeds=(item["feed"], *([item["also_in"]] if item.get("also_in") else [])),
            round=item["round"],
            published=(now - timedelta(days=item["days_ago"])).replace(microsecond=0),
            language=item["language"],
            author=item["author"],
            title=item["title"],
            text=item["text"].strip(),
        )
        for item in fixtures["articles"]
    ]


def _write_config(
    directory: Path, server: LocalServer, fixtures: dict[str, Any], listen: str | None
) -> Path:
    report_dir = directory / "reports" / REPORT_ID
    report_dir.mkdir(parents=True)
    markdown = _seed_report()

    # The demo's copy cites local stand-ins of its five sources, so that the
    # cited-source checks have something to watch offline.
    markdown = re.sub(r"^((\d+)\. .*?)https?://\S+$", _cited_link(server), markdown, flags=re.M)
    (report_dir / "report.md").write_text(markdown, encoding="utf-8")
    config = {
        "state_dir": "./state",
        "reports": [
            {
                "id": REPORT_ID,
                "path": f"reports/{REPORT_ID}/report.md",
                "language": "zh",
                "since": "2026-02-11",
            }
        ],
        "feeds": [{"name": f["name"], "url": server.url(f["path"])} for f in fixtures["feeds"]],
        "watch_cited": True,
        "fetch": {"allow_private_networks": True, "read_timeout": 10},
        # The demo's two refreshes are a week apart: its cited pages are checked at each.
        "match": {"gone_after": 1, "gone_after_days": 0, "cited_recheck_days": 0},
    }
    if listen is not None:
        config["daemon"] = {"listen": listen}
    path = directory / "sources.yaml"
    path.write_text(
        "# Written by `tracker demo`: its sources live on a local test server.\n"
        + yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return path


def _cited_link(server: LocalServer) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return f"{match.group(1)}{server.url(f'/cited/{match.group(2)}')}"

    return replace


def _serve_round(
    server: LocalServer, fixtures: dict[str, Any], articles: list[DemoArticle], *, round_: int
) -> None:
    visible = [a for a in articles if a.round <= round_]
    for article in visible:
        server.add(f"/articles/{article.slug}", _article_page(article))
    for feed in fixtures["feeds"]:
        items = [a for a in visible if feed["path"] in a.feeds]
        encoding = feed.get("encoding", "utf-8")
        if feed["format"] == "atom":
            body = _atom(feed["name"], server, items)
            content_type = "application/atom+xml; charset=utf-8"
        else:
            body = _rss(feed["name"], server, items, encoding)
            content_type = f"application/rss+xml; charset={encoding}"
        server.add(feed["path"], body.encode(encoding), content_type=content_type)
    for number, page in fixtures["cited"].items():
        text = _cited_text(page, round_)
        path = f"/cited/{number}"
        if text is None:
            server.add(path, "<h1>Gone</h1>", status=410)
        else:
            server.add(path, _cited_page(page["title"], text, server))


def _cited_text(page: dict[str, Any], round_: int) -> str | None:
    """A cited page's text in refresh ``round_``: the latest ``roundN`` text at or before
    it (None: gone), with every ``roundN_edits`` replacement up to it applied."""
    text: str | None = page["round1"]
    for n in range(2, round_ + 1):
        if f"round{n}" in page:
            text = page[f"round{n}"]
        for old, new in page.get(f"round{n}_edits", []):
            if text is not None:
                if old not in text:  # a fixture mistake (a line break inside "old"?)
                    raise ValueError(f"cited page edit for round {n}: {old!r} is not in the text")
                text = text.replace(old, new)
    return text


def _article_page(article: DemoArticle) -> str:
    paragraphs = "\n".join(f"<p>{escape(p)}</p>" for p in _paragraphs(article.text))
    return f"""<!doctype html>
<html lang="{article.language}"><head><meta charset="utf-8">
<title>{escape(article.title)}</title>
<meta name="author" content="{escape(article.author)}">
<meta property="article:published_time" content="{article.published.isoformat()}">
</head><body>
<nav><a href="/">Home</a> · <a href="/about">About</a></nav>
<header><h1>{escape(article.title)}</h1></header>
<article>
{paragraphs}
</article>
<footer>Demo material written for tracker. Not a real news site.</footer>
</body></html>"""


def _paragraphs(text: str) -> list[str]:
    """Fixture text is hard-wrapped YAML: paragraphs are separated by blank
    lines, and a paragraph's lines are joined with a space in Latin-script
    text and with nothing in Chinese, where a space would be a stray character."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        joined = ""
        for line in block.split("\n"):
            line = line.strip()
            separator = " " if joined and joined[-1].isascii() and line[:1].isascii() else ""
            joined += separator + line
        paragraphs.append(joined)
    return paragraphs


def _cited_page(title: str, text: str, server: LocalServer) -> str:
    paragraphs = "\n".join(f"<p>{escape(p)}</p>" for p in _paragraphs(text))
    feed = server.url("/feeds/lab-notes.atom")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<link rel="alternate" type="application/atom+xml" title="Demo Lab Notes" href="{feed}">
</head><body><article><h1>{escape(title)}</h1>
{paragraphs}
</article></body></html>"""


def _rss(name: str, server: LocalServer, items: list[DemoArticle], encoding: str) -> str:
    entries = "\n".join(
        f"""<item><title>{xml_escape(a.title)}</title>
<link>{server.url(f"/articles/{a.slug}")}?utm_source=rss&amp;utm_medium=feed</link>
<guid isPermaLink="false">{a.slug}</guid>
<pubDate>{format_datetime(a.published)}</pubDate>
<description>{xml_escape(_paragraphs(a.text)[0])}</description></item>"""
        for a in items
    )
    return f"""<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0"><channel><title>{xml_escape(name)}</title>
<link>{server.base_url}/</link><description>Demo feed</description>
{entries}
</channel></rss>"""


def _atom(name: str, server: LocalServer, items: list[DemoArticle]) -> str:
    updated = max((a.published for a in items), default=datetime(2026, 1, 1, tzinfo=UTC))
    entries = "\n".join(
        f"""<entry><title type="text">{xml_escape(a.title)}</title>
<link rel="alternate" href="{server.url(f"/articles/{a.slug}")}"/>
<id>urn:demo:{a.slug}</id><updated>{a.published.isoformat()}</updated>
<published>{a.published.isoformat()}</published>
<summary type="text">{xml_escape(_paragraphs(a.text)[0])}</summary></entry>"""
        for a in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{xml_escape(name)}</title>
<id>urn:demo:{xml_escape(name)}</id><updated>{updated.isoformat()}</updated>
{entries}
</feed>"""


def _report_round(console: Console, number: int, summary: RunSummary) -> None:
    console.print(
        f"refresh {number}: {summary.sources_ok} sources ok, {summary.new_articles} new articles, "
        f"{summary.new_suggestions} new suggestions, {summary.cited_changed} cited pages "
        f"changed, {summary.cited_gone} gone",
        markup=False,
    )
    for failure in summary.failures:
        console.print(f"  failed {failure.source}: {failure.url} — {failure.reason}", markup=False)


def _print_outputs(console: Console, directory: Path, config_path: Path) -> None:
    report_dir = directory / "reports" / REPORT_ID
    editions = sorted((report_dir / "editions").glob("*.md"))
    console.print("\n[bold]outputs[/bold]")
    if editions:
        latest = editions[-1]
        for suffix in (".md", ".html", ".diff"):
            console.print(f"  edition {suffix:<5} {latest.with_suffix(suffix)}", markup=False)
    console.print(f"  changelog     {report_dir / 'CHANGELOG.md'}", markup=False)
    console.print(f"  config        {config_path}", markup=False)
    console.print(
        f"\nTry: tracker --config {config_path} suggestions   "
        f"(then `show ID`, `accept ID`, `reject ID`, `status`)",
        markup=False,
    )
