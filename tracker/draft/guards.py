"""The checks every model answer passes before its text replaces the offline draft.

A model writes fluently and is sometimes wrong: it invents a figure, cites
a page the editor never saw, answers in English for a Chinese report, runs
on, or drops the citation. Each check here turns one of those into a
``Rejected`` with a reason the log and the run can show; the caller then
keeps the offline draft. The checks are deliberately mechanical: they do not
judge whether the wording is good, only whether it is safe to propose.
"""

from __future__ import annotations

import re

from tracker.draft.request import DraftRequest
from tracker.figures import figures_in, present_in
from tracker.types import SuggestionKind

MAX_CHARS = 400  # never longer than this, whatever the offline draft's length
GROWTH = 2.5  # nor longer than this many times the offline draft
MIN_CAP = 120  # a very short offline draft still leaves room for a sentence
TARGET_SLACK = 40  # a revision may run this much longer than the text it replaces

# Share of a proposed text's writing that must be in CJK script for a report
# in Chinese, Japanese or Korean, and that may be for any other report.
CJK_AT_LEAST = 0.4
CJK_AT_MOST = 0.1
_CJK_LANGUAGES = ("zh", "ja", "ko")

_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]"
)
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]|\.(?=\w))*")
_MARKER = re.compile(r"\[\d+\]")
# A URL ends at white space, brackets, quotes or the first non-ASCII character
# (a Chinese sentence's full-width punctuation follows it without a space).
# Only the scheme ignores case: under re.I the non-ASCII range would exclude i, k and s.
_URL = re.compile(r"(?i:https?://|www\.)[^\s<>()\[\]\"'\u0080-\U0010ffff]+")


class Rejected(Exception):
    """An answer that may not be used; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def length_cap(request: DraftRequest, target: str | None = None) -> int:
    """The most characters a proposed text may have, replacing ``target`` if given."""
    offline = len(request.suggestion.proposed_text)
    cap = min(MAX_CHARS, max(MIN_CAP, int(GROWTH * offline)))
    if target is not None:
        cap = max(cap, len(target) + len(request.citation_marker) + TARGET_SLACK)
    return cap


def check_text(
    text: str, request: DraftRequest, *, kind: SuggestionKind, target: str | None
) -> None:
    """Raise ``Rejected`` unless ``text`` may stand as the proposed text."""
    check_length(text, request, target)
    check_markers(text, request.citation_marker, target)
    check_urls(text, request.article_url)
    check_language(text, request.report_language, target)
    check_figures(text, request, target if kind is not SuggestionKind.ADDITION else None)
    check_table_row(text, target)


def check_length(text: str, request: DraftRequest, target: str | None) -> None:
    cap = length_cap(request, target)
    if len(text) > cap:
        raise Rejected(f"guard: {len(text)} characters, more than {cap}")


def check_markers(text: str, marker: str, target: str | None) -> None:
    """The provisional marker exactly once, and no citation the target did not already have."""
    count = text.count(marker)
    if count != 1:
        raise Rejected(f"guard: citation marker {marker} appears {count} times, not once")
    allowed = {marker, *_MARKER.findall(target or "")}
    for other in _MARKER.findall(text):
        if other not in allowed:
            raise Rejected(f"guard: citation marker {other} is not the article's")


def check_urls(text: str, article_url: str) -> None:
    allowed = _url_key(article_url)
    for found in _URL.findall(text):
        if _url_key(found) != allowed:
            raise Rejected(f"guard: URL {found} is not the article's")


def _url_key(url: str) -> str:
    return url.rstrip(".,;:!?)/").removeprefix("https://").removeprefix("http://").lower()


def cjk_share(text: str) -> float | None:
    """How much of the writing is CJK: CJK characters against plain Latin-script words.

    Names (GPT-5, OpenAI, SWE-bench, iPhone: any word with a capital, a
    digit or a hyphen) do not count, so a Chinese sentence naming models
    reads as Chinese; each plain word (all lower-case letters: "released",
    "the") counts as two characters, about a Chinese word, so an English
    sentence with one Chinese name does not. Digits, punctuation, citation
    markers and URLs do not count. None when nothing counts.
    """
    text = _URL.sub(" ", _MARKER.sub(" ", text))
    cjk = len(_CJK.findall(text))
    words = _WORD.findall(_CJK.sub(" ", text))
    plain = sum(2 for word in words if word.isalpha() and word.islower())
    if cjk + plain == 0:
        return None
    return cjk / (cjk + plain)


def check_language(text: str, language: str, target: str | None) -> None:
    """The report's script; a revision or citation may be as mixed as the text it replaces."""
    share = cjk_share(text)
    if share is None:
        return
    base = cjk_share(target) if target else None
    wanted = language.split("-")[0].lower()
    if wanted in _CJK_LANGUAGES:
        least = CJK_AT_LEAST if base is None else min(CJK_AT_LEAST, base)
        if share < least:
            raise Rejected(f"guard: not written in {language} ({share:.0%} CJK)")
    else:
        most = CJK_AT_MOST if base is None else max(CJK_AT_MOST, base)
        if share > most:
            raise Rejected(f"guard: not written in {language} ({share:.0%} CJK)")


def check_figures(text: str, request: DraftRequest, target: str | None) -> None:
    """Every figure stated is in the article, or in the sentence a revision or citation edits.

    The article's date of publication and its fact's date count as the
    article's: they come from its metadata, and a report's bullet opens
    with them whether or not the body repeats them.
    """
    offline = request.suggestion
    dates = (
        offline.published.date() if offline.published else None,
        offline.fact.date if offline.fact else None,
    )
    sources = [request.article_text, " ".join(f"{d.isoformat()} " for d in dates if d)]
    if target:
        sources.append(target)
    for figure in figures_in(_MARKER.sub(" ", text)):
        if not any(present_in(figure, source) for source in sources):
            where = "the article" if target is None else "the article or the target"
            raise Rejected(f"guard: number {figure.text} not in {where}")


def check_table_row(text: str, target: str | None) -> None:
    """A table row is replaced by a row with as many cells."""
    if target is None or not target.lstrip().startswith("|"):
        return
    if not text.lstrip().startswith("|"):
        raise Rejected("guard: the target is a table row and the text is not")
    want, got = _cells(target), _cells(text)
    if want != got:
        raise Rejected(f"guard: the row has {got} cells, the target {want}")


def _cells(row: str) -> int:
    return len(row.strip().strip("|").split("|"))
