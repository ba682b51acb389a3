"""The Markdown block model: kinds, containers and source lines of each block.

Cases are in tests/data/markdown/blocks.yaml; the seed report checks that
the lines each block claims really hold it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.markdown import Block, parse_blocks

ROOT = Path(__file__).resolve().parents[1]
SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
CASES = yaml.safe_load(
    (Path(__file__).parent / "data" / "markdown" / "blocks.yaml").read_text(encoding="utf-8")
)
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Block)}


def _described(block: Block) -> dict[str, Any]:
    """The block as the YAML writes it: non-default fields, ``lines`` for its range."""
    out: dict[str, Any] = {}
    for name, value in dataclasses.asdict(block).items():
        if name in ("start_line", "end_line") or value == _DEFAULTS[name]:
            continue
        out[name] = list(value) if isinstance(value, tuple) else value
    out["lines"] = [block.start_line, block.end_line]
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_blocks(case: dict[str, Any]) -> None:
    assert [_described(b) for b in parse_blocks(case["markdown"])] == case["blocks"]


def test_seed_blocks_sit_on_their_lines() -> None:
    text = SEED.read_text(encoding="utf-8")
    lines = text.split("\n")
    blocks = parse_blocks(text)
    kinds = {b.kind for b in blocks}
    assert kinds == {"heading", "paragraph", "item", "row", "delimiter", "rule"}
    for block in blocks:
        first = lines[block.start_line]
        assert first.strip() and lines[block.end_line - 1].strip()
        if block.kind == "heading":
            assert first == "#" * block.level + " " + block.text
        elif block.kind in ("paragraph", "item"):
            assert block.text.split("\n")[0] in first
        elif block.kind == "row":
            assert all(cell in first for cell in block.cells)
        elif block.kind == "rule":
            assert first == "---"
    # Every non-blank line belongs to a block.
    covered = {i for b in blocks for i in range(b.start_line, b.end_line)}
    assert {i for i, line in enumerate(lines) if line.strip()} <= covered


def test_equal_blocks_show_the_same_thing_wherever_they_are_written() -> None:
    atx, setext = parse_blocks("text\n\n# Title\n\nTitle\n=====\n")[1:]
    assert (atx.start_line, setext.start_line, atx.setext, setext.setext) == (2, 4, False, True)
    assert atx == setext and hash(atx) == hash(setext)
    assert parse_blocks("- a\n") != parse_blocks("* a\n")  # another bullet, another list


def test_deep_nesting_and_odd_input_do_not_raise() -> None:
    assert parse_blocks("") == ()
    deep = parse_blocks("> " * 200 + "deep\n" + "- " * 200 + "x\n")
    assert deep and all(b.start_line in (0, 1) for b in deep)
    assert parse_blocks("\x00 | a |\n|-|\n")[0].kind in ("paragraph", "row")
