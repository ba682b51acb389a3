"""The editor's week with edits, end to end: news that makes a statement stale, news
the report already states, and news in English for a Chinese report.

A real feed on 127.0.0.1 carries three stories; the real refresh turns them into
a revision (a new first place in the 5.1 ranking table), a citation (Gemini 3,
which 2.1 states citing only the general year-in-review source) and a Chinese
addition. The editor accepts the revision and the citation through the CLI; the
next refresh's edition replaces the table row and the sentence in place, appends
the references, and its diff is exactly that.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import yaml

from tracker.app import Tracker
from tracker.config import load_config
from tracker.demo.server import LocalServer

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
DAY_1 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
DAY_2 = DAY_1 + timedelta(days=7)

STORIES = {
    "kimi-k3": (
        "zh",
        "月之暗面发布Kimi K3，登顶开源权重模型排行榜",
        "月之暗面发布新一代开源权重模型Kimi K3，采用MIT许可证。根据Artificial Analysis最新排名，"
        "Kimi K3超过GLM-4.7和DeepSeek V3.2，成为排名第一的开源权重模型。",
    ),
    "gemini-3": (
        "en",
        "Google launches Gemini 3 with stronger reasoning",
        "Google launched Gemini 3, its new family of frontier models, with stronger reasoning "
        "and tool use than the Gemini 2.5 models it replaces.",
    ),
    "mistral-large-3": (
        "en",
        "Mistral AI releases Mistral Large 3 under an open licence",
        "Mistral AI released Mistral Large 3, an open-weight model under the Apache 2.0 "
        "licence. The company says it matches leading closed models on reasoning.",
    ),
}
ROW = "| 1 | GLM-4.7 | 智谱AI |"
SENTENCE = "Google推出Gemini 2.5和3.0系列，同样具备强大的推理能力[1]。"


def serve(server: LocalServer) -> str:
    items = ""
    for slug, (language, title, text) in STORIES.items():
        url = server.add(
            f"/news/{slug}",
            f'<html lang="{language}"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><article><h1>{title}</h1><p>{text}</p></article></body></html>",
        )
        items += (
            f"<item><title>{title}</title><link>{url}</link>"
            f"<pubDate>{format_datetime(DAY_1 - timedelta(days=1))}</pubDate>"
            f"<description>{text}</description></item>"
        )
    return server.add(
        "/feed.xml",
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News</title>'
        f"{items}</channel></rss>",
        content_type="application/rss+xml; charset=utf-8",
    )


def write_config(folder: Path, feed: str) -> Path:
    (folder / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    path = folder / "sources.yaml"
    config = {
        "state_dir": "state",
        "reports": [{"id": "ai", "path": "report.md", "language": "zh", "since": "2026-02-11"}],
        "feeds": [{"name": "News", "url": feed}],
        "watch_cited": False,
        "fetch": {"allow_private_networks": True},
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def cli(config: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_revision_and_a_citation_are_accepted_and_edit_the_report_in_place(
    tmp_path: Path, local_server: LocalServer
) -> None:
    config_path = write_config(tmp_path, serve(local_server))
    config = load_config(config_path)
    Tracker(config, clock=lambda: DAY_1).refresh()

    suggestions = json.loads(cli(config_path, "suggestions", "--json"))
    by_kind = {s["kind"]: s for s in suggestions}
    assert set(by_kind) == {"revision", "citation", "addition"}, suggestions
    revision, citation, addition = by_kind["revision"], by_kind["citation"], by_kind["addition"]
    assert (revision["target"], revision["proposed_text"]) == (
        ROW,
        "| 1 | Kimi K3 [6] | 月之暗面 |",
    )
    assert revision["novelty"] == "covered" and revision["fact"]["object"] == "Kimi K3"
    assert citation["target"] == SENTENCE and citation["section"] == "2.1"
    # The English story is proposed in Chinese, not quoted.
    assert re.fullmatch(
        r"- 2026-11-19，Mistral\S*发布Mistral Large 3 \[6\]", addition["proposed_text"]
    )
    assert not addition["needs_translation"] and addition["novelty"] == "new"

    # The first edition shows the revision as a tracked change, the report itself unchanged.
    first = (tmp_path / "editions" / "2026-11-20.md").read_text(encoding="utf-8")
    assert ROW in first and f"~~{ROW}~~" in first.replace("\\|", "|")

    cli(config_path, "accept", str(revision["id"]), str(citation["id"]))
    cli(config_path, "reject", str(addition["id"]))
    Tracker(config, clock=lambda: DAY_2).refresh()
    editions = tmp_path / "editions"
    edition = (editions / "2026-11-27.md").read_text(encoding="utf-8")
    diff = (editions / "2026-11-27.diff").read_text(encoding="utf-8")

    # In place: the row and the sentence are replaced, numbered in id order.
    numbers = {
        s["id"]: n for n, s in enumerate(sorted((revision, citation), key=lambda s: s["id"]), 6)
    }
    new_row = f"| 1 | Kimi K3 [{numbers[revision['id']]}] | 月之暗面 |"
    new_sentence = SENTENCE.replace("[1]。", f"[1][{numbers[citation['id']]}]。")
    assert new_row in edition and ROW not in edition
    assert new_sentence in edition
    references = edition[edition.index("## 参考文献") :]
    for s in (revision, citation):
        entry = next(
            line for line in references.splitlines() if line.startswith(f"{numbers[s['id']]}. ")
        )
        assert s["url"] in entry

    added = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++") and line[1:].strip()
    ]
    removed = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("-") and not line.startswith("---") and line[1:].strip()
    ]
    # Line by line: the row, the paragraph that holds the sentence, two references.
    new_references = [line for line in references.splitlines() if line[:3] in ("6. ", "7. ")]
    assert len(added) == 4 and new_row in added
    assert [line for line in added if new_sentence in line] == [
        line for line in edition.splitlines() if new_sentence in line
    ]
    assert set(new_references) <= set(added)
    assert ROW in removed
    assert any(SENTENCE in line for line in removed)
    assert all(line == ROW or SENTENCE in line or line.startswith(">") for line in removed)


def test_one_story_in_two_languages_is_one_suggestion_drafted_from_the_reports_language(
    tmp_path: Path, local_server: LocalServer
) -> None:
    stories = {
        "mistral-en": (
            "en",
            "Mistral AI releases Mistral Large 3 under an open licence",
            "Mistral AI released Mistral Large 3, an open-weight model under the Apache 2.0 "
            "licence. The company says it matches leading closed models on reasoning.",
        ),
        "mistral-zh": (
            "zh",
            "Mistral AI发布开源模型Mistral Large 3",
            "法国公司Mistral AI发布开源权重模型Mistral Large 3，采用Apache 2.0许可证，"
            "公司称其推理能力可与领先的闭源模型相当。",
        ),
    }
    feeds = {}
    for slug, (language, title, text) in stories.items():
        url = local_server.add(
            f"/news/{slug}",
            f'<html lang="{language}"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><article><h1>{title}</h1><p>{text}</p></article></body></html>",
        )
        feeds[slug] = local_server.add(
            f"/{slug}.xml",
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{slug}'
            f"</title><item><title>{title}</title><link>{url}</link>"
            f"<pubDate>{format_datetime(DAY_1 - timedelta(days=1))}</pubDate></item>"
            "</channel></rss>",
            content_type="application/rss+xml; charset=utf-8",
        )
    config_path = write_config(tmp_path, feeds["mistral-en"])
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    # The English feed first: the Chinese copy must still lead the suggestion.
    config["feeds"] = [{"name": slug, "url": url} for slug, url in feeds.items()]
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    Tracker(load_config(config_path), clock=lambda: DAY_1).refresh()

    [suggestion] = json.loads(cli(config_path, "suggestions", "--json"))
    assert suggestion["url"].endswith("/news/mistral-zh")
    assert [u.rsplit("/", 1)[1] for u in suggestion["urls"]] == ["mistral-zh", "mistral-en"]
    assert "Mistral Large 3" in suggestion["proposed_text"]
    assert re.search(r"[\u4e00-\u9fff]", suggestion["proposed_text"])


def test_news_of_a_change_is_accepted_as_a_dated_update_of_its_statement(
    tmp_path: Path, local_server: LocalServer
) -> None:
    title = "OpenAI停止更新Codex CLI，功能并入ChatGPT桌面应用"
    text = (
        "OpenAI 11月19日宣布，开源终端编程智能体Codex CLI将停止更新，其编码智能体功能并入"
        "ChatGPT桌面应用，GitHub仓库转为只读。已有用户可以一键迁移设置，继续在终端里让智能体"
        "编写代码、执行代码并提交修改。"
    )
    url = local_server.add(
        "/news/codex-cli",
        f'<html lang="zh"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><article><h1>{title}</h1><p>{text}</p></article></body></html>",
    )
    feed = local_server.add(
        "/feed.xml",
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News</title>'
        f"<item><title>{title}</title><link>{url}</link>"
        f"<pubDate>{format_datetime(DAY_1 - timedelta(days=1))}</pubDate></item>"
        "</channel></rss>",
        content_type="application/rss+xml; charset=utf-8",
    )
    config_path = write_config(tmp_path, feed)
    config = load_config(config_path)
    Tracker(config, clock=lambda: DAY_1).refresh()

    [update] = json.loads(cli(config_path, "suggestions", "--json"))
    item = "Codex CLI（OpenAI）[1]"
    assert update["kind"] == "revision" and update["target"] == item
    assert update["proposed_text"] == f"{item}；2026年11月19日，{title}[6]"

    cli(config_path, "accept", str(update["id"]))
    Tracker(config, clock=lambda: DAY_2).refresh()
    edition = (tmp_path / "editions" / "2026-11-27.md").read_text(encoding="utf-8")
    # The item keeps its words and source; the update follows it, citing the article.
    assert f"- {item}；2026年11月19日，{title}[6]" in edition.splitlines()
    references = edition[edition.index("## 参考文献") :]
    assert any(line.startswith("6. ") and url in line for line in references.splitlines())
