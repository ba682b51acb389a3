"""Quote anchors: a passage of a page kept so it can be found again after the page changes.

An :class:`Anchor` is the passage itself (``exact``), the text just before and
after it (``prefix``, ``suffix``) and its character offsets in the page's
extracted text: a text-quote selector with a position selector beside it, the
way web annotation tools keep a highlighted quote. :func:`reanchor` finds it in
a newer text of the page and says what became of it:

``unchanged``
    the quote is there, word for word (whitespace aside), with at least one
    side of its old context still next to it: the page around it may have
    churned (navigation, footers, banners, line wrapping) but not the passage.
``moved``
    the quote is there word for word, but among other neighbours: a paragraph
    or section was moved.
``changed``
    the quote is gone, but a passage that reads differently was found in its
    place: between its old prefix and suffix, by fuzzy search (bitap, from
    diff-match-patch) for its head and tail near its old position, or as the
    page's most similar sentence or pair of sentences.
``orphaned``
    no passage close enough was found.

Time grows linearly with the page: exact search first (regular expressions
over literal words), bitap only on a window near the expected position
(bitap patterns are at most 32 characters, so the quote's head and tail are
searched, not the whole quote), and the sentence-level comparison is one pass
over the page's sentences with bag-of-token overlap.

What it does not do: judge meaning. A "changed" passage may say the same
thing in other words, or something else; :mod:`tracker.claims.verdict`
decides that against the claim.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from diff_match_patch import diff_match_patch

UNCHANGED = "unchanged"
MOVED = "moved"
CHANGED = "changed"
ORPHANED = "orphaned"

# How similar (bag-of-token Dice, 0..1) a found passage must be to the old
# quote, by how it was found. Between the old prefix and suffix the position
# itself vouches for the passage, so a rewording that keeps a fifth of its
# words is taken; found by bitap near the old place, half; found anywhere on
# the page as its most similar sentence(s), more than half. Set before the
# claims evaluation ran and not tuned on it; there (eval/claims/edits.yaml)
# the hand-written rewordings keep 0.44-0.88 of their tokens, and two distinct
# sentences of a page share at most 0.40 (median 0.07).
BRACKETED_MIN = 0.2
NEARBY_MIN = 0.5
ANYWHERE_MIN = 0.6
# A found passage is between these multiples of the old quote's length.
_MIN_LENGTH_RATIO = 0.4
_MAX_LENGTH_RATIO = 2.5
_MAX_HITS = 64  # occurrences of one quote or context piece considered
_BITAP_BITS = 32  # diff-match-patch's bitap compares patterns of at most this many characters
_SENTENCE_CANDIDATES = 64  # sentences sharing most rare words with a quote, compared in full
_WINDOW = 1500  # characters either side of the expected position searched by bitap
# A "sentence" longer than this is text without sentence ends (a table dump, a
# minified block, a page of one line): it is cut into pieces of at most this
# length at a space or comma, so a passage stays a quote a person can read and
# is judged by its own words, not by a whole page's. Prose sentences run to
# about 400 characters; the model reads the first 400 of a passage.
MAX_PASSAGE_CHARS = 600
_PIECE_BREAK = re.compile(r"[\s,，、;；]")

_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+|[\u3400-\u9fff]", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[。！？；.!?])[\"'”’)\]]*\s+|(?<=[。！？；])|\n\s*")
_FOLD = re.compile(r"[\W_]+", re.UNICODE)
# A line that reads as a heading: short, without closing punctuation.
_HEADING = re.compile(r"[^\n.!?。！？:：;；\"”’)）]{0,60}")
_HEADING_MAX_WORDS = 7


@dataclass(frozen=True)
class Anchor:
    """A passage of a page's extracted text: the quote, its context, its offsets."""

    exact: str
    prefix: str
    suffix: str
    start: int
    end: int


@dataclass(frozen=True)
class Reanchored:
    """What became of an anchor in a newer text: the verdict, the new anchor
    (None when orphaned) and how similar the found passage is to the old one."""

    verdict: str
    anchor: Anchor | None
    similarity: float


def anchor_at(text: str, start: int, end: int, *, context: int = 32) -> Anchor:
    """The anchor of ``text[start:end]`` with up to ``context`` characters either side."""
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"passage {start}:{end} is outside the text (length {len(text)})")
    return Anchor(
        exact=text[start:end],
        prefix=text[max(0, start - context) : start],
        suffix=text[end : end + context],
        start=start,
        end=end,
    )


def reanchor(anchor: Anchor, text: str) -> Reanchored:
    """Find ``anchor`` in ``text`` (a newer extract of the same page); see the module doc."""
    if not anchor.exact.strip():
        return Reanchored(ORPHANED, None, 0.0)  # an empty quote is nothing to find
    context = max(len(anchor.prefix), len(anchor.suffix), 1)
    found = _exact(anchor, text)
    if found is not None:
        start, end, beside = found
        verdict = UNCHANGED if beside >= 0.5 or start == anchor.start else MOVED
        return Reanchored(verdict, anchor_at(text, start, end, context=context), 1.0)
    # What stands between the old neighbours wins over a bitap match nearby: the
    # neighbours place it, while bitap's head and tail may each land a little off.
    bracketed = _bracketed(anchor, text)
    best = _pick(anchor, text, [(s, e, BRACKETED_MIN) for s, e in bracketed])
    if best is None:
        nearby = _nearby(anchor, text, bracketed)
        best = _pick(anchor, text, [(s, e, NEARBY_MIN) for s, e in nearby])
    anywhere: tuple[float, int, int] | None = None
    if best is None or best[0] < ANYWHERE_MIN:
        # Not found near its old place, or only loosely: compare the page's sentences.
        anywhere = _best_sentences(anchor, text)
        if anywhere is not None:
            far = _pick(anchor, text, [(anywhere[1], anywhere[2], ANYWHERE_MIN)])
            best = far if far is not None and (best is None or far[0] > best[0]) else best
    if best is None:
        return Reanchored(ORPHANED, None, anywhere[0] if anywhere else 0.0)
    score, start, end = best
    new = anchor_at(text, start, end, context=context)
    if _folded(new.exact) == _folded(anchor.exact):
        return Reanchored(UNCHANGED, new, 1.0)  # only punctuation or case differs
    return Reanchored(CHANGED, new, score)


def similarity(a: str, b: str) -> float:
    """Bag-of-token Dice overlap of two passages (Latin words, numbers, CJK characters), 0..1."""
    ta, tb = _tokens(a), _tokens(b)
    total = sum(ta.values()) + sum(tb.values())
    return 2 * sum((ta & tb).values()) / total if total else 0.0


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of the sentences of ``text`` (lines and sentence ends split; blanks dropped;
    a run longer than ``MAX_PASSAGE_CHARS`` cut into pieces)."""
    spans: list[tuple[int, int]] = []
    last = 0
    for cut in _SENTENCE_END.finditer(text):
        if cut.start() > last:
            spans.extend(_pieces(text, *_trim(text, last, cut.start())))
        last = cut.end()
    if last < len(text):
        spans.extend(_pieces(text, *_trim(text, last, len(text))))
    return [(s, e) for s, e in spans if e - s >= 2]


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` as pieces of at most ``MAX_PASSAGE_CHARS``, each cut at the last
    space or comma of its second half (anywhere, when it has none)."""
    pieces = []
    while end - start > MAX_PASSAGE_CHARS:
        limit = start + MAX_PASSAGE_CHARS
        breaks = list(_PIECE_BREAK.finditer(text, start + MAX_PASSAGE_CHARS // 2, limit))
        cut = breaks[-1].end() if breaks else limit
        pieces.append(_trim(text, start, cut))
        start, end = _trim(text, cut, end)
    pieces.append((start, end))
    return pieces


def looks_like_heading(text: str) -> bool:
    """A short line without closing punctuation ("Coding agents and Claude Code").

    Such a line is no passage of its own: its words come back in the sentences
    under it, so an anchor on it would wander, and a sentence removed from under
    it is not found again in it.
    """
    return bool(_HEADING.fullmatch(text.strip())) and len(text.split()) <= _HEADING_MAX_WORDS


# ----------------------------------------------------------------- exact search


def _flexible(piece: str) -> re.Pattern[str] | None:
    """A pattern matching ``piece`` with any run of whitespace for each of its runs."""
    words = piece.split()
    return re.compile(r"\s+".join(map(re.escape, words))) if words else None


def _exact(anchor: Anchor, text: str) -> tuple[int, int, float] | None:
    """The quote's best occurrence: (start, end, how much of its context is still beside it)."""
    pattern = _flexible(anchor.exact)
    if pattern is None:
        return None
    best: tuple[float, int, int, int] | None = None
    for n, hit in enumerate(pattern.finditer(text)):
        if n >= _MAX_HITS:
            break
        beside = _context_kept(anchor, text, hit.start(), hit.end())
        rank = (beside, -abs(hit.start() - anchor.start))
        if best is None or rank > (best[0], best[1]):
            best = (beside, -abs(hit.start() - anchor.start), hit.start(), hit.end())
    return None if best is None else (best[2], best[3], best[0])


def _context_kept(anchor: Anchor, text: str, start: int, end: int) -> float:
    """The share of the old prefix and suffix (whitespace aside) found right beside the quote."""
    sides: list[float] = []
    old_before = " ".join(anchor.prefix.split())
    if old_before:
        new_before = " ".join(text[max(0, start - 2 * len(anchor.prefix)) : start].split())
        sides.append(_common_suffix(old_before, new_before) / len(old_before))
    old_after = " ".join(anchor.suffix.split())
    if old_after:
        new_after = " ".join(text[end : end + 2 * len(anchor.suffix)].split())
        sides.append(_common_prefix(old_after, new_after) / len(old_after))
    return max(sides) if sides else 1.0


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


# ----------------------------------------------------------------- fuzzy search


def _pick(
    anchor: Anchor, text: str, candidates: list[tuple[int, int, float]]
) -> tuple[float, int, int] | None:
    """The candidate most similar to the quote among those similar enough:
    (similarity, start, end); candidates are (start, end, the similarity each needs)."""
    best: tuple[float, int, int] | None = None
    was_heading = looks_like_heading(anchor.exact)
    for start, end, needed in candidates:
        start, end = _trim(text, start, end)
        if not _plausible_length(end - start, len(anchor.exact)):
            continue
        if looks_like_heading(text[start:end]) and not was_heading:
            continue  # a sentence that left a heading like it behind is gone
        score = similarity(anchor.exact, text[start:end])
        if score >= needed and (best is None or score > best[0]):
            best = (score, start, end)
    return best


def _bracketed(anchor: Anchor, text: str) -> list[tuple[int, int]]:
    """What now stands between the old prefix and the old suffix, where both are still there."""
    before, after = _flexible(anchor.prefix), _flexible(anchor.suffix)
    if before is None or after is None:
        return []
    limit = _MAX_LENGTH_RATIO * len(anchor.exact) + 64
    ends = [m.end() for _, m in zip(range(_MAX_HITS), before.finditer(text), strict=False)]
    found: list[tuple[int, int]] = []
    for end in ends:
        nxt = after.search(text, end, min(len(text), int(end + limit + len(anchor.suffix) * 2)))
        if nxt is not None:
            found.append((end, nxt.start()))
    found.sort(key=lambda span: abs(span[0] - anchor.start))
    return found[:4]


def _nearby(anchor: Anchor, text: str, bracketed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Head and tail of the quote found by bitap near where it is expected to be."""
    exact = anchor.exact
    if len(exact) < 8:
        return []
    expected = bracketed[0][0] if bracketed else min(anchor.start, len(text))
    low = max(0, expected - _WINDOW)
    window = text[low : expected + len(exact) + _WINDOW]
    matcher = diff_match_patch()
    matcher.Match_Threshold = 0.35
    matcher.Match_Distance = _WINDOW
    head, tail = exact[:_BITAP_BITS], exact[-_BITAP_BITS:]
    start = matcher.match_main(window, head, expected - low)
    if start < 0:
        return []
    end = matcher.match_main(window, tail, start + len(exact) - len(tail))
    if end < 0 or end + len(tail) <= start:
        return []
    end += len(tail)
    if "\n\n" not in exact and (cut := window.find("\n\n", start, end)) >= 0:
        end = cut  # a quote from one paragraph is found in one paragraph
    return [(low + start, low + end)]


@dataclass(frozen=True)
class _SentenceIndex:
    """A text's sentences as token bags, with the sentences each token occurs in."""

    spans: list[tuple[int, int]]
    bags: list[Counter[str]]
    joins: list[bool]  # joins[i]: sentence i and i + 1 are in one paragraph
    postings: dict[str, list[int]]


@lru_cache(maxsize=2)  # the page being re-checked: one index for all its anchors
def _sentence_index(text: str) -> _SentenceIndex:
    spans = sentence_spans(text)
    bags = [_tokens(text[s:e]) for s, e in spans]
    joins = ["\n\n" not in text[spans[i][1] : spans[i + 1][0]] for i in range(len(spans) - 1)] + [
        False
    ]
    postings: dict[str, list[int]] = {}
    for i, bag in enumerate(bags):
        for token in bag:
            postings.setdefault(token, []).append(i)
    return _SentenceIndex(spans, bags, joins, postings)


def _best_sentences(anchor: Anchor, text: str) -> tuple[float, int, int] | None:
    """The sentence, or pair of neighbouring sentences in one paragraph, most like the
    quote: (similarity, start, end). Only sentences sharing the quote's rarer words
    are compared, so the time per quote grows with the page's size, not its square."""
    quote = _tokens(anchor.exact)
    size = sum(quote.values())
    index = _sentence_index(text)
    if not size or not index.spans:
        return None
    common = max(3, len(index.spans) // 50)  # a token in more sentences is no clue
    hits: Counter[int] = Counter()
    for token in quote:
        found = index.postings.get(token, ())
        if len(found) <= common:
            hits.update(found)
    if not hits:  # only common words: every sentence with any of them
        for token in quote:
            hits.update(index.postings.get(token, ()))
    best: tuple[float, int, int] | None = None
    for i, _ in hits.most_common(_SENTENCE_CANDIDATES):
        for first, last in ((i, i), (i - 1, i), (i, i + 1)):
            if first < 0 or last >= len(index.spans):
                continue
            if last > first and not index.joins[first]:
                continue
            bag = index.bags[first] if first == last else index.bags[first] + index.bags[last]
            score = 2 * sum((quote & bag).values()) / (size + sum(bag.values()))
            if best is None or score > best[0]:
                best = (score, index.spans[first][0], index.spans[last][1])
    return best


# ----------------------------------------------------------------- helpers


def _tokens(text: str) -> Counter[str]:
    return Counter(t.lower() for t in _TOKEN.findall(text))


def _folded(text: str) -> str:
    return _FOLD.sub("", text).casefold()


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _plausible_length(found: int, old: int) -> bool:
    return _MIN_LENGTH_RATIO * old <= found <= _MAX_LENGTH_RATIO * old + 8
