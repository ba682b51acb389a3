"""`tracker demo`, the README's main job, on a fresh folder."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from tracker.demo.run import REPORT_ID

REPO = Path(__file__).resolve().parents[1]


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.inserted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.inserted += tag == "ins"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_bundled_report_is_the_seed_report() -> None:
    bundled = REPO / "tracker" / "demo" / "data" / "report.md"
    seed = REPO / "tests" / "data" / "reports" / "seed.md"  # the frozen seed
    assert bundled.read_bytes() == seed.read_bytes()


def test_demo_produces_an_edition_its_diff_and_a_changelog(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "demo", "--dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report_dir = folder / "reports" / REPORT_ID
    editions = sorted((report_dir / "editions").glob("*.md"))
    assert len(editions) == 2  # one per refresh, a week apart
    latest = editions[-1]
    for suffix in (".md", ".html", ".diff"):
        path = latest.with_suffix(suffix)
        assert path.is_file() and path.stat().st_size > 0
        assert str(path) in result.stdout

    changelog = (report_dir / "CHANGELOG.md").read_text(encoding="utf-8")
    dates = re.findall(r"^## (\d{4}-\d{2}-\d{2})$", changelog, flags=re.M)
    assert dates == sorted(dates, reverse=True) and len(dates) == 2

    # The accepted suggestion is merged with a new reference; the rest wait for review.
    edition = latest.read_text(encoding="utf-8")
    assert re.search(r"^6\. .*http://127\.0\.0\.1:\d+/articles/", edition, flags=re.M)
    assert "待审更新" in edition

    # The HTML edition highlights insertions and shows the hostile feed title as text.
    page = _Page()
    page.feed(latest.with_suffix(".html").read_text(encoding="utf-8"))
    assert page.inserted > 0
    assert "script" not in page.tags
    assert any("<script>alert('demo')</script>" in chunk for chunk in page.text)

    # Suggestions are edits: Chinese text for English news, a revision of a statement
    # the news makes stale, a citation for news the report already states.
    listed = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(folder / "sources.yaml"),
         "suggestions", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    suggestions = json.loads(listed.stdout)
    kinds = {s["kind"] for s in suggestions}
    assert {"revision", "citation", "addition"} <= kinds
    assert any(
        s["kind"] == "revision" and s["target"] == "| 1 | GLM-4.7 | 智谱AI |" for s in suggestions
    )
    english = [s for s in suggestions if s["fact"] and re.search(r"[A-Za-z]{4}", s["title"])]
    chinese = [s for s in english if re.search(r"[\u4e00-\u9fff]", s["proposed_text"])]
    assert len(chinese) >= 3
    # The pending revision is a tracked change in the edition.
    assert "~~" in edition and "**修订**" in edition

    # Running it again replaces the demo's own folder instead of piling up.
    again = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "demo", "--dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert len(sorted((report_dir / "editions").glob("*.md"))) == 2


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "demo", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "not empty" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (tmp_path / "notes.txt").exists()
