"""What a report does not cover (``reports[].exclude``): the config key, the matcher's
rule (tracker.match_scope) and a refresh that leaves excluded news without a suggestion.

The matcher runs the real embedding model; the refresh runs against a real
HTTP server on 127.0.0.1 with the frozen seed report.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
import yaml

from tracker.config import load_config
from tracker.demo.server import LocalServer
from tracker.errors import ConfigError
from tracker.match import Matcher
from tracker.refresh import run_refresh
from tracker.report import load_report
from tracker.store import open_store
from tracker.types import Article
from tracker.urls import canonical_url

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
RECENT = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)

# The editor's statement of what the seed report leaves out (README, eval/README.md).
EXCLUDE = [
    "AI chips, GPUs and export controls",
    "data centres and compute deals",
    "AI regulation, policy and court rulings",
    "AI in medicine and health",
    "robots and robotics",
]

# Chip export news naming NVIDIA: AI news, but the report has no section for it.
EXPORT_RULE = (
    "Nvidia shares slide as Washington tightens export rules for H20 chips",
    "Nvidia said on Tuesday that new US export licence requirements for its H20 data-centre "
    "chips will cost it about $5.5 billion this quarter. The H20 was designed to comply with "
    "earlier restrictions on sales of advanced AI accelerators to China. Analysts expect "
    "Chinese cloud providers to turn to domestic GPUs from Huawei.",
)
EXPORT_RULE_ZH = (
    "美国收紧对华AI芯片出口，英伟达H20需申请许可证",
    "英伟达表示，美国政府要求其H20芯片对华出口须获得许可证，公司预计将因此计提约55亿美元费用。"
    "H20是英伟达为符合此前出口管制规则专门为中国市场设计的AI加速芯片。"
    "分析人士认为，国内云厂商将更多采用华为昇腾等国产GPU。",
)
# The same company in news the report states (5.2: DeepSeek's effect on NVIDIA).
DEEPSEEK_SHOCK = (
    "DeepSeek R1 wipes nearly $600 billion off Nvidia's market value",
    "Nvidia lost close to $600 billion in market value in a single day after the Chinese lab "
    "DeepSeek released R1, an open-weight reasoning model that rivals OpenAI's o1 at a fraction "
    "of the training cost. Investors questioned how many GPUs frontier AI really needs. It was "
    "the largest one-day loss for any company in US market history.",
)


# --------------------------------------------------------------------------
# config


def _config_file(tmp_path: Path, exclude: object) -> Path:
    (tmp_path / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    report: dict[str, object] = {"id": "ai", "path": "report.md", "language": "zh"}
    if exclude is not None:
        report["exclude"] = exclude
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"reports": [report]}, allow_unicode=True), encoding="utf-8")
    return path


def test_exclude_is_optional_and_takes_topics_in_any_language(tmp_path: Path) -> None:
    assert load_config(_config_file(tmp_path, None)).reports[0].exclude == []
    topics = [" AI chips, GPUs and export controls ", "人形机器人与机器人技术"]
    config = load_config(_config_file(tmp_path, topics))
    assert config.reports[0].exclude == [
        "AI chips, GPUs and export controls",
        "人形机器人与机器人技术",
    ]


@pytest.mark.parametrize(
    ("exclude", "key", "why"),
    [
        (["AI chips", ""], "reports[0].exclude[1]", "at least 1 character"),
        (["AI chips", "   "], "reports[0].exclude[1]", "at least 1 character"),
        ([["nested"]], "reports[0].exclude[0]", "string"),
        ("AI chips", "reports[0].exclude", "list"),
        ([f"topic {n}" for n in range(21)], "reports[0].exclude", "at most 20"),
        (["x" * 201], "reports[0].exclude[0]", "at most 200"),
    ],
)
def test_a_bad_exclude_names_the_key_and_the_file(
    tmp_path: Path, exclude: object, key: str, why: str
) -> None:
    path = _config_file(tmp_path, exclude)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    line = next(line for line in message.splitlines() if key + ":" in line)
    assert why in line, message


def test_the_shipped_config_states_the_seed_reports_scope() -> None:
    config = load_config(Path(__file__).resolve().parents[1] / "sources.yaml")
    assert 5 <= len(config.report("ai-2024-2025").exclude) <= 20


# --------------------------------------------------------------------------
# the matcher


def _article(title: str, text: str, n: int) -> Article:
    return Article(
        url=f"https://news.example.org/{n}", title=title, text=text, published=None,
        language=None, source="Example News", content_hash=str(n),
    )  # fmt: skip


@pytest.fixture(scope="module")
def report():
    return load_report(SEED, report_id="ai-2024-2025", language="zh")


def test_an_excluded_topic_drops_the_article_and_keeps_in_scope_news_of_the_same_company(
    report,
) -> None:
    articles = [
        _article(*EXPORT_RULE, 1),
        _article(*EXPORT_RULE_ZH, 2),
        _article(*DEEPSEEK_SHOCK, 3),
    ]
    # Without the editor's statement all three clear the threshold (the chip stories on
    # NVIDIA's name and the report's vocabulary), in 5.2 beside DeepSeek's effect on it.
    assert all(m is not None for m in Matcher(report).match(articles))

    matcher = Matcher(report, exclude=EXCLUDE)
    export, export_zh, shock = matcher.match(articles)
    assert export is None and export_zh is None
    assert shock is not None and shock.section_id == "5.2"

    scored = matcher.score(articles)
    assert [m.features["excluded"] for m in scored if m] == [1.0, 1.0, 0.0]
    for m in scored:
        assert m is not None
        assert m.features["exclusion_margin"] == pytest.approx(
            m.features["exclusion"] - m.features["cosine"], abs=0.002
        )


def test_no_exclude_means_no_exclusion_features(report) -> None:
    scored = Matcher(report).score([_article(*EXPORT_RULE, 1)])[0]
    assert scored is not None and "excluded" not in scored.features


# --------------------------------------------------------------------------
# a refresh


def _page(title: str, text: str, lang: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><article><h1>{title}</h1><p>{text}</p></article></body></html>"
    )


def test_a_refresh_suggests_the_in_scope_story_only_and_marks_both_matched(
    tmp_path: Path, local_server: LocalServer
) -> None:
    stories = {"export": (*EXPORT_RULE, "en"), "shock": (*DEEPSEEK_SHOCK, "en")}
    items = ""
    for name, (title, text, lang) in stories.items():
        link = local_server.add(f"/articles/{name}.html", _page(title, text, lang))
        items += (
            f"<item><title>{title}</title><link>{link}</link>"
            f"<pubDate>{format_datetime(RECENT)}</pubDate><description>{title}</description></item>"
        )
    feed = local_server.add(
        "/feed.xml",
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>{local_server.url('/')}</link><description>d</description>{items}</channel></rss>",
        content_type="application/rss+xml",
    )
    (tmp_path / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    data = {
        "state_dir": "state",
        "reports": [
            {"id": "ai", "path": "report.md", "language": "zh", "since": "2026-02-11",
             "exclude": EXCLUDE}
        ],
        "feeds": [{"name": "Wire", "url": feed}],
        "watch_cited": False,
        "fetch": {"allow_private_networks": True},
    }  # fmt: skip
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    config = load_config(tmp_path / "sources.yaml")

    summary = run_refresh(config, clock=lambda: NOW)
    assert summary.outcome == "ok"

    export_url = canonical_url(local_server.url("/articles/export.html"))
    shock_url = canonical_url(local_server.url("/articles/shock.html"))
    with open_store(config.database_path) as store:
        suggested = {u for s in store.suggestions(report="ai") for u in (s.url, *s.urls)}
        assert shock_url in suggested
        assert export_url not in suggested
        # Both were matched (the excluded one to nothing), so neither is scored again.
        assert {a.url for a in store.unmatched_articles()}.isdisjoint({export_url, shock_url})
        assert {export_url, shock_url} <= {a.url for a in store.articles()}
