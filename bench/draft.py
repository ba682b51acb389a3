"""Benchmark: the edit figures of the evaluation for a model drafter.

    python bench/draft.py --endpoint http://127.0.0.1:11434/v1 --model qwen3:8b
    python bench/draft.py --endpoint https://api.example.com/v1 --model some-model \\
        --key-env EXAMPLE_API_KEY --set eval/holdout.yaml --with-offline

Runs ``eval/run.py --json --no-baseline`` with ``--draft-endpoint`` and
``--draft-model`` (tracker, black-box, with a ``draft:`` section in its
config), then prints precision, recall and section accuracy and the four edit
figures of issue 9 beside their targets: in the report's language (with the
``needs_translation`` share), key facts, novelty both ways, revisions. It also
counts which drafter wrote each text, since every failed model answer falls
back to the offline draft. ``--with-offline`` runs the same set once more
without a model and prints the two side by side.

It is a benchmark, not a test: it needs a running chat-completions endpoint
(Ollama, llama.cpp's server, vLLM, a LiteLLM proxy or a hosted API) and takes
as long as the model does. Without ``--endpoint`` it explains itself and exits 2.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "eval" / "run.py"
DEFAULT_SET = ROOT / "eval" / "articles.yaml"

DETECTION = (
    ("precision", "precision"),
    ("recall", "recall"),
    ("section_accuracy", "section acc. (detected)"),
)
EDITS = (
    ("in_language", "in the report's language"),
    ("needs_translation", "  marked needs_translation"),
    ("key_facts", "key facts (actor + thing)"),
    ("novelty_covered", "novelty: covered, no bullet"),
    ("novelty_new", "novelty: new, proposed"),
    ("revisions", "revisions, right target"),
)


def run_eval(set_path: Path, timeout: float, draft: Sequence[str]) -> dict[str, Any]:
    """One black-box run of eval/run.py; its JSON, or an ``error`` entry."""
    command = [
        sys.executable,
        str(RUN),
        "--json",
        "--no-baseline",
        "--set",
        str(set_path),
        "--timeout",
        str(timeout),
        *draft,
    ]
    proc = subprocess.run(command, capture_output=True, text=True)
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return {"error": f"eval/run.py exited {proc.returncode}: " + " / ".join(tail)}
    tracker = dict(data.get("tracker") or {"error": "no tracker figures in the JSON"})
    if tracker.get("error"):
        return {"error": tracker["error"]}
    tracker.pop("error", None)
    return tracker


def _cell(result: dict[str, Any], name: str) -> str:
    if "error" in result:
        return "failed"
    if name in result:  # a detection figure
        return f"{result[name]:.3f}"
    figure = result["edits"][name]
    if figure["value"] is None:
        return f"— (0/{figure['total']})"
    return f"{figure['value']:.3f} ({figure['hits']}/{figure['total']})"


def _target(result: dict[str, Any], name: str) -> str:
    if "error" in result or name not in result.get("edits", {}):
        return ""
    figure = result["edits"][name]
    if figure["target"] is None:
        return ""
    verdict = {True: "ok", False: "missed", None: ""}[figure["met"]]
    return f"{figure['target']} {verdict}"


def print_table(columns: dict[str, dict[str, Any]]) -> None:
    names = list(columns)
    print(f"\n{'':30}" + "".join(f"{n:>22}" for n in names) + f"{'target':>16}")
    for key, label in DETECTION + EDITS:
        cells = "".join(f"{_cell(columns[n], key):>22}" for n in names)
        print(f"{label:30}{cells}{_target(columns[names[0]], key):>16}")
    for name, result in columns.items():
        if "error" in result:
            print(f"\n{name}: FAILED — {result['error']}")
        else:
            drafters = result["edits"].get("drafters") or {}
            wrote = ", ".join(f"{n} by {d}" for d, n in sorted(drafters.items())) or "no texts"
            print(f"\n{name}: {wrote}; refresh took {result.get('refresh_seconds', '?')}s")
            if name != "offline" and set(drafters) <= {"offline"}:
                print(
                    f"  warning: {name} wrote none of the texts; every one fell back to the "
                    "offline draft (is the endpoint up? see tracker's log)"
                )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Edit figures of eval/run.py for a model drafter (needs a running endpoint)."
    )
    parser.add_argument("--endpoint", help="OpenAI-compatible chat-completions base URL")
    parser.add_argument("--model", help="model name at that endpoint")
    parser.add_argument("--key-env", help="environment variable holding the API key, if any")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="article file (YAML)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per tracker command, s")
    parser.add_argument(
        "--with-offline", action="store_true", help="also run without a model, side by side"
    )
    args = parser.parse_args(argv)
    if not args.endpoint or not args.model:
        parser.print_usage(sys.stderr)
        print(
            "bench/draft.py measures tracker's model drafter, so it needs one to talk to:\n"
            "  --endpoint URL   an OpenAI-compatible chat-completions server, e.g. Ollama at\n"
            "                   http://127.0.0.1:11434/v1 or llama.cpp's server at\n"
            "                   http://127.0.0.1:8080/v1\n"
            "  --model NAME     the model to ask, e.g. qwen3:8b\n"
            "  --key-env VAR    the environment variable holding its API key, if it needs one\n"
            "For the offline drafter's figures run: python eval/run.py",
            file=sys.stderr,
        )
        return 2

    draft = ["--draft-endpoint", args.endpoint, "--draft-model", args.model]
    if args.key_env:
        draft += ["--draft-key-env", args.key_env]
    print(f"set: {args.set}; drafter: {args.model} at {args.endpoint}")
    columns = {args.model: run_eval(args.set, args.timeout, draft)}
    if args.with_offline:
        columns["offline"] = run_eval(args.set, args.timeout, [])
    print_table(columns)
    return 1 if any("error" in result for result in columns.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
