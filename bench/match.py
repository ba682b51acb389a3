"""Benchmark: match N synthetic articles against the seed report.

    python bench/match.py [--articles 1000] [--report reports/ai-2024-2025/report.md]

Articles are generated from templates (English and Chinese, short briefs and
long pages) so the run needs no data. Prints the time to build the matcher,
to load the model and embed the sections, to match all articles (in batches
as a refresh would), and the process's peak resident memory. Targets: 1,000
articles in under 10 s on 2 cores, peak under 400 MB.

    python bench/match.py --eval eval/articles.yaml [--threshold T]

instead scores a labelled set in-process (items with title, text and label, a
section id or null) and prints precision and recall of "deserves a
suggestion" and section accuracy (the labelled section or its parent) for the
matcher and for the model-only baseline (nearest section by cosine, its own
best threshold), plus a threshold sweep. ``eval/run.py`` is the black-box
measurement through ``tracker refresh``; this is the quick loop for calibration.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.match import Matcher  # noqa: E402
from tracker.report import load_report  # noqa: E402
from tracker.types import Article  # noqa: E402

SUBJECTS_EN = [
    "Anthropic", "OpenAI", "Google DeepMind", "Alibaba's Qwen team", "DeepSeek", "Moonshot AI",
    "Zhipu", "MiniMax", "Mistral", "Meta", "a travel agency", "a bakery", "a football club",
    "the city council", "a chess federation", "an insurance broker",
]  # fmt: skip
THINGS_EN = [
    "a new reasoning model", "a coding agent for the terminal", "an image generation model",
    "open weights for its largest model", "a $200 monthly subscription",
    "interpretability research",
    "a background agent that opens pull requests", "a summer holiday package", "a new stadium",
    "quarterly results", "a benchmark for long tasks", "a chain-of-thought monitoring paper",
]  # fmt: skip
DETAILS_EN = [
    "The company said the release improves results on math and coding benchmarks.",
    "Developers can try it today through the API and a command-line tool.",
    "Analysts expect competitors to respond within weeks.",
    "The announcement came with a technical report and pricing details.",
    "Customers reported long queues on the first day.",
    "The team plans further updates before the end of the year.",
    "Critics questioned whether the numbers can be reproduced.",
    "The weather is expected to stay warm through the weekend.",
]  # fmt: skip
SUBJECTS_ZH = [
    "深度求索",
    "月之暗面",
    "智谱",
    "阿里巴巴",
    "谷歌",
    "一家旅行社",
    "市体育局",
    "一家面包店",
]
THINGS_ZH = [
    "新一代推理模型", "命令行编程智能体", "图像生成模型", "开源权重大模型", "高端订阅套餐",
    "可解释性研究成果", "春节旅游套餐", "全民健身计划",
]  # fmt: skip
DETAILS_ZH = [
    "公司表示，新版本在数学和编程测试中成绩明显提升。",
    "开发者可以通过接口和命令行工具试用。",
    "分析人士认为，竞争对手将很快跟进。",
    "发布同时公布了技术报告和价格。",
    "首日访问量激增，部分用户需要排队。",
    "团队计划在年底前继续更新。",
]  # fmt: skip


def synthetic_articles(n: int, seed: int = 7) -> list[Article]:
    rng = random.Random(seed)
    articles = []
    for i in range(n):
        chinese = i % 3 == 0
        long_page = i % 10 == 0  # some articles are full pages, most are briefs
        sentences = rng.randint(20, 40) if long_page else rng.randint(3, 7)
        if chinese:
            title = f"{rng.choice(SUBJECTS_ZH)}发布{rng.choice(THINGS_ZH)}"
            body = "".join(rng.choice(DETAILS_ZH) for _ in range(sentences))
            text = f"{title}。{body}"
        else:
            title = f"{rng.choice(SUBJECTS_EN)} announces {rng.choice(THINGS_EN)}"
            body = " ".join(rng.choice(DETAILS_EN) for _ in range(sentences))
            text = f"{title}. {body}"
        articles.append(
            Article(
                url=f"https://bench.example/{i}",
                title=title,
                text=text,
                published=None,
                language="zh" if chinese else "en",
                source="bench",
                content_hash=str(i),
            )
        )
    return articles


def _fits(label: str, predicted: str) -> bool:
    return (
        predicted == label
        or predicted == label.rsplit(".", 1)[0]
        or predicted.startswith(f"{label}.")
    )


def _figures(rows: Sequence[tuple[str | None, str | None, float]], threshold: float) -> str:
    relevant = [r for r in rows if r[0] is not None]
    flagged = [r for r in rows if r[1] is not None and r[2] >= threshold]
    hits = [r for r in flagged if r[0] is not None]
    right = [r for r in hits if r[1] is not None and _fits(str(r[0]), r[1])]
    precision = len(hits) / len(flagged) if flagged else 1.0
    recall = len(hits) / len(relevant) if relevant else 1.0
    accuracy = len(right) / len(hits) if hits else 0.0
    return f"precision {precision:.3f}  recall {recall:.3f}  section accuracy {accuracy:.3f}"


def evaluate(path: Path, report_path: Path, threshold: float | None) -> None:
    import numpy as np
    import yaml

    from tracker import match as match_module

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items: list[dict[str, Any]] = (
        (data.get("articles") or data.get("items") or []) if isinstance(data, dict) else data
    )
    report = load_report(report_path, report_id="eval", language="zh")
    matcher = Matcher(report, threshold=threshold)
    articles = [
        Article(url=f"https://eval.example/{i}", title=it["title"], text=it["text"], published=None,
                language=it.get("language"), source="eval", content_hash=str(i))
        for i, it in enumerate(items)
    ]  # fmt: skip
    scored = matcher.score(articles)
    labels = [None if it.get("label") is None else str(it["label"]) for it in items]
    mine = [
        (lab, m.section_id if m else None, m.score if m else 0.0)
        for lab, m in zip(labels, scored, strict=True)
    ]

    # Model-only baseline: nearest section by cosine of the same article embedding.
    views = [matcher._view(a) for a in articles]
    vectors = match_module.embed([s for v in views for s in v.embedded])
    own = matcher._section_vectors()[:, 0, :]
    candidates = [i for i, s in enumerate(report.sections) if s.text.strip()]
    baseline = []
    start = 0
    for label, view in zip(labels, views, strict=True):
        doc = vectors[start : start + len(view.embedded)].sum(axis=0)
        start += len(view.embedded)
        cosines = own @ (doc / np.linalg.norm(doc))
        best = max(candidates, key=lambda i: float(cosines[i]))
        baseline.append((label, report.sections[best].id, float(cosines[best])))
    base_threshold = max(
        sorted({round(r[2], 3) for r in baseline}),
        key=lambda t: _f1(baseline, t),
    )
    print(f"items {len(items)}: {sum(lab is not None for lab in labels)} relevant, "
          f"{sum(lab is None for lab in labels)} distractors")  # fmt: skip
    print(f"tracker   (threshold {matcher.threshold:.3f})  {_figures(mine, matcher.threshold)}")
    print(f"baseline  (threshold {base_threshold:.3f})  {_figures(baseline, base_threshold)}")
    print("sweep:")
    for t in np.arange(matcher.threshold - 0.04, matcher.threshold + 0.045, 0.01):
        print(f"  {t:.2f}  {_figures(mine, float(t))}")
    for (label, predicted, score), item in zip(mine, items, strict=True):
        wrong_section = label is not None and predicted is not None and not _fits(label, predicted)
        missed = label is not None and score < matcher.threshold
        false_alarm = label is None and score >= matcher.threshold
        if wrong_section or missed or false_alarm:
            print(f"  label {label!s:5} got {predicted!s:5} {score:.3f}  {item['title'][:70]}")


def _f1(rows: Sequence[tuple[str | None, str | None, float]], threshold: float) -> float:
    flagged = [r for r in rows if r[2] >= threshold]
    hits = sum(r[0] is not None for r in flagged)
    relevant = sum(r[0] is not None for r in rows)
    if not flagged or not hits:
        return 0.0
    precision, recall = hits / len(flagged), hits / relevant
    return 2 * precision * recall / (precision + recall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--eval", type=Path, help="score a labelled set instead of timing")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--batch", type=int, default=200, help="articles per match() call")
    parser.add_argument(
        "--report", type=Path, default=ROOT / "reports" / "ai-2024-2025" / "report.md"
    )
    args = parser.parse_args()
    if args.eval:
        evaluate(args.eval, args.report, args.threshold)
        return

    articles = synthetic_articles(args.articles)
    report = load_report(args.report, report_id="bench", language="zh")
    started = time.perf_counter()
    matcher = Matcher(report)
    built = time.perf_counter()
    matcher.match(articles[:1])  # loads the model and embeds the sections
    warmed = time.perf_counter()
    matched = 0
    for start in range(0, len(articles), args.batch):
        results = matcher.match(articles[start : start + args.batch])
        matched += sum(r is not None for r in results)
    finished = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"articles              {len(articles)}")
    print(f"matched (>= threshold) {matched}")
    print(f"build matcher          {built - started:6.2f} s")
    print(f"load model + sections  {warmed - built:6.2f} s")
    print(f"match articles         {finished - warmed:6.2f} s")
    print(f"total                  {finished - started:6.2f} s   (target < 10 s)")
    print(f"peak memory            {peak_mb:6.0f} MB  (target < 400 MB)")


if __name__ == "__main__":
    main()
