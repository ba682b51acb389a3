"""Which blocks of an edition changed, and how: the diff behind the HTML edition.

Both editions' blocks (:mod:`tracker.markdown`) are diffed block by block with
diff-match-patch. Unchanged blocks are kept as they are; added or removed
blocks are kept whole as insertions / deletions; a block edited in place
(same kind and place, enough text in common) gets a character diff of its
Markdown source with ``diff_cleanupSemantic``. Chinese has no spaces, so a
character diff would read as a salad of single changed characters; each
change is therefore grown to whole phrases — small unchanged islands between
two changes are absorbed, and the change is widened to the nearest
punctuation or space on both sides. A replacement that shares little with
its original is kept as the old block deleted and the new block inserted.

Nothing here writes HTML: :mod:`tracker.render.html` shows the result.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

from tracker.markdown import Block

EQUAL, INSERT, DELETE = 0, 1, -1
CHANGED = 2  # a block edited in place: shown once, with its inline changes
# Below this share of unchanged characters a replaced block is shown whole.
_MIN_SHARED = 0.4
_BOUNDARY_PUNCT = frozenset("，。；：！？、（）【】《》「」“”‘’…—,;:!?()[]\"'|")


@dataclass(frozen=True)
class Piece:
    """A run of text that is unchanged (0), inserted (1) or deleted (-1)."""

    op: int
    text: str


@dataclass(frozen=True)
class Shown:
    """A block as the page shows it: unchanged, inserted, deleted or edited in place.

    For an edited block, ``pieces`` holds the phrase diff of its text (one
    entry) or of each table cell (one entry per cell).
    """

    op: int
    block: Block
    old: Block | None = None
    pieces: tuple[tuple[Piece, ...], ...] = ()


def diff_blocks(previous: Sequence[Block], current: Sequence[Block]) -> list[Shown]:
    """``current`` in order, interleaved with what was removed from ``previous``."""
    dmp = _differ()
    codes: dict[Block, str] = {}

    def encode(blocks: Sequence[Block]) -> str:
        # One character per distinct block (skipping the surrogate range), as
        # diff_linesToChars does for lines.
        return "".join(
            codes.setdefault(b, chr(0x100 + len(codes) + (0x800 if len(codes) > 0xD6FF else 0)))
            for b in blocks
        )

    diffs = dmp.diff_main(encode(previous), encode(current), False)
    out: list[Shown] = []
    at_old = at_new = 0
    i = 0
    while i < len(diffs):
        if diffs[i][0] == EQUAL:
            count = len(diffs[i][1])
            out += [Shown(EQUAL, b) for b in current[at_new : at_new + count]]
            at_old, at_new = at_old + count, at_new + count
            i += 1
            continue
        removed, added = 0, 0
        while i < len(diffs) and diffs[i][0] != EQUAL:
            if diffs[i][0] == DELETE:
                removed += len(diffs[i][1])
            else:
                added += len(diffs[i][1])
            i += 1
        out += _pair_up(
            previous[at_old : at_old + removed],
            current[at_new : at_new + added],
            out[-1].block if out else None,
            dmp,
        )
        at_old, at_new = at_old + removed, at_new + added
    return out


def _pair_up(
    removed: Sequence[Block], added: Sequence[Block], before: Block | None, dmp: diff_match_patch
) -> list[Shown]:
    """Show replaced blocks as edits where kind and place match, else whole."""
    matcher = difflib.SequenceMatcher(
        None, [b.container for b in removed], [b.container for b in added], autojunk=False
    )
    out: list[Shown] = []
    for tag, r0, r1, a0, a1 in matcher.get_opcodes():
        if tag == "equal":
            for old, new in zip(removed[r0:r1], added[a0:a1], strict=True):
                out += _edit(old, new, dmp)
            continue
        deleted = [Shown(DELETE, b) for b in removed[r0:r1]]
        inserted = [Shown(INSERT, b) for b in added[a0:a1]]
        last = out[-1].block if out else before
        # A new list item or table row right after its list/table goes before
        # the removed blocks, so it joins that list instead of starting one.
        if (
            inserted
            and _continues(last, inserted[0].block)
            and not (deleted and _continues(last, deleted[0].block))
        ):
            out += inserted + deleted
        else:
            out += deleted + inserted
    return out


def _continues(last: Block | None, block: Block) -> bool:
    if last is None or last.quote != block.quote:
        return False
    return (last.kind == block.kind == "item") or (
        last.kind in ("row", "delimiter") and block.kind == "row" and not block.header
    )


def _edit(old: Block, new: Block, dmp: diff_match_patch) -> list[Shown]:
    if new.kind in ("rule", "delimiter"):
        return [Shown(EQUAL, new)]
    if new.kind == "row":
        if len(old.cells) != len(new.cells):
            return [Shown(DELETE, old), Shown(INSERT, new)]
        cells = tuple(
            tuple(_phrase_diff(dmp, a, b)) if a != b else (Piece(EQUAL, b),)
            for a, b in zip(old.cells, new.cells, strict=True)
        )
        return [Shown(CHANGED, new, old, cells)]
    pieces = _phrase_diff(dmp, old.text, new.text)
    if not any(p.op == EQUAL for p in pieces):
        return [Shown(DELETE, old), Shown(INSERT, new)]
    return [Shown(CHANGED, new, old, (tuple(pieces),))]


def _differ() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 5.0
    return dmp


def count_changes(shown: Sequence[Shown]) -> tuple[int, int]:
    """Insertions and deletions as a reader counts them: a run of whole blocks is one."""
    counts = {INSERT: 0, DELETE: 0}
    previous = EQUAL
    for s in shown:
        if s.op in counts and s.op != previous:
            counts[s.op] += 1
        for pieces in s.pieces:
            for piece in pieces:
                if piece.op in counts:
                    counts[piece.op] += 1
        previous = s.op
    return counts[INSERT], counts[DELETE]


@dataclass
class _Change:
    deleted: str
    inserted: str


def _phrase_diff(dmp: diff_match_patch, old: str, new: str) -> list[Piece]:
    diffs = dmp.diff_main(old, new, False)
    dmp.diff_cleanupSemantic(diffs)
    # Alternate equal strings and changes: [str, _Change, str, _Change, ..., str].
    parts: list[str | _Change] = [""]
    for op, text in diffs:
        if op == EQUAL:
            if isinstance(parts[-1], str):
                parts[-1] += text
            else:
                parts.append(text)
        else:
            if isinstance(parts[-1], str):
                parts.append(_Change("", ""))
            change = parts[-1]
            assert isinstance(change, _Change)
            if op == DELETE:
                change.deleted += text
            else:
                change.inserted += text
    if not isinstance(parts[-1], str):
        parts.append("")
    parts = _absorb_islands(parts)
    _widen_to_phrases(parts)
    parts = _absorb_islands(parts)  # widening can empty the run between two changes
    shared = sum(len(p) for p in parts if isinstance(p, str))
    if shared < _MIN_SHARED * max(len(old), len(new)):
        return [Piece(DELETE, old), Piece(INSERT, new)]
    pieces: list[Piece] = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(Piece(EQUAL, part))
        else:
            pieces += [Piece(DELETE, part.deleted), Piece(INSERT, part.inserted)]
    return [p for p in pieces if p.text]


def _absorb_islands(parts: list[str | _Change]) -> list[str | _Change]:
    """Fold an unchanged run without any phrase boundary into the changes around it."""
    out: list[str | _Change] = [parts[0]]
    i = 1
    while i < len(parts):
        change, equal = parts[i], parts[i + 1]
        assert isinstance(change, _Change) and isinstance(equal, str)
        previous = out[-2] if len(out) >= 2 else None
        island = out[-1]
        if isinstance(previous, _Change) and isinstance(island, str) and not _has_boundary(island):
            previous.deleted += island + change.deleted
            previous.inserted += island + change.inserted
            out[-1] = equal
        else:
            out += [change, equal]
        i += 2
    return out


def _widen_to_phrases(parts: list[str | _Change]) -> None:
    """Grow each change to the phrase boundaries around it, in place."""
    for i in range(1, len(parts), 2):
        change, before, after = parts[i], parts[i - 1], parts[i + 1]
        assert isinstance(change, _Change) and isinstance(before, str) and isinstance(after, str)
        texts = [t for t in (change.deleted, change.inserted) if t]
        if before and not _is_boundary(before[-1]) and not all(_is_boundary(t[0]) for t in texts):
            cut = max((k for k, ch in enumerate(before) if _is_boundary(ch)), default=-1) + 1
            moved = before[cut:]
            change.deleted, change.inserted = moved + change.deleted, moved + change.inserted
            parts[i - 1] = before[:cut]
        if after and not _is_boundary(after[0]) and not all(_is_boundary(t[-1]) for t in texts):
            cut = next((k for k, ch in enumerate(after) if _is_boundary(ch)), len(after))
            moved = after[:cut]
            change.deleted, change.inserted = change.deleted + moved, change.inserted + moved
            parts[i + 1] = after[cut:]


def _is_boundary(ch: str) -> bool:
    return ch.isspace() or ch in _BOUNDARY_PUNCT


def _has_boundary(text: str) -> bool:
    return any(_is_boundary(ch) for ch in text)
