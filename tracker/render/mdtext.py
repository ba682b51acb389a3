"""Putting text into Markdown safely: feed text, the report's own, and ours.

Three kinds of text reach an edition or a changelog, and each is written as
what it is:

* **Untrusted text** (feed titles, quotes, names): :func:`md_text`. Every
  ASCII punctuation character Markdown gives a meaning to is backslash-escaped
  (the backslash itself first), so no tag, link, image, emphasis, strike,
  entity or table cell survives — a Markdown viewer shows the
  characters as written. Control and bidi-override characters are dropped and
  whitespace runs collapse to one space, so the text cannot start a block of
  its own. It cannot forge what :mod:`tracker.report` reads back either:
  ``://`` is written ``:\\/\\/`` and ``www.`` as ``www\\.`` (a viewer shows them
  unchanged, but neither the report parser nor an autolinker takes them for
  a URL), and a bracketed number — ``[3]``, ``[ 3]``, ``［ 4 ］`` — is written
  with escaped ASCII brackets (``\\[ 4 \\]``), which no parser reads as a
  citation.
* **The report's own text** (a revision's or citation's target, section and
  report titles): :func:`md_report_text` and :func:`md_struck`. It is Markdown
  as the editor wrote it and stays so; only ``<``/``>`` and runs of tildes are
  escaped (a lone ``~``, as in ``/~user/``, is no markup).
* **Text tracker drafted** (a proposed or edited text): :func:`md_drafted`.
  What the renderer itself relies on stays Markdown — a leading list marker,
  the citation markers it is told to keep, and, for an edit of the report,
  whatever the text shares with its target (the report's emphasis and
  citations), and an edited table row's cell bars. Everything else, which came from a feed or a
  model, is untrusted text.

URLs are written by :func:`md_link` (``[text](<url>)``, http(s) only) and
:func:`md_url` (a bare URL that stays one token and holds no markup).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import quote

from diff_match_patch import diff_match_patch

from tracker.cleantext import strip_controls

_WHITESPACE = re.compile(r"\s+")
_ANGLE = re.compile(r"(?<!\\)([<>])")
_TILDES = re.compile(r"(?<!\\)~~+")
# Every ASCII punctuation character that is markup somewhere in CommonMark or GFM;
# ``-``, ``+``, ``=`` and ``.`` only at the start. Not ``$``: only a pair is math (on
# GitHub), and ``$3 billion`` is how prices read.
_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#!|~&])")
_LEADING = re.compile(r"^(?=[-+=])|^\d+(?=\.)")
_WIDE_NUMBER = re.compile(r"［(\s*\d[\d\s,，、;；–—\-~]*)］")
_SCHEME = re.compile(r"(?<=:)//")
_WWW = re.compile(r"(?i)(?<![\w.])(www)\.")
_LIST_ITEM = re.compile(r"^[-*+] +")
_MARKER = re.compile(r"\[(\d+)\]")
_CELL_BAR = re.compile(r"(?<!\\)\|")
_URL_MARKUP = frozenset("[]()!*_`~\\&|{}")


def one_line(text: str) -> str:
    """All whitespace runs (newlines included) become one space."""
    return _WHITESPACE.sub(" ", text).strip()


def md_text(text: str) -> str:
    """One line of untrusted text, safe to place in Markdown prose (see above)."""
    return _escape(one_line(strip_controls(text)), at_start=True)


def md_report_text(text: str) -> str:
    """One line of the report's own Markdown, kept Markdown but for tags and strikes."""
    return _light(one_line(strip_controls(text)))


def md_struck(text: str) -> str:
    """``~~text~~``: the report's own text, struck through ("" for no text)."""
    inner = md_report_text(text)
    if not inner:
        return ""
    return f"~~{_close_backslashes(inner)}~~"


def md_struck_text(text: str) -> str:
    """``~~text~~`` for untrusted text (a page's passage), escaped ("" for no text)."""
    inner = md_text(text)
    if not inner:
        return ""
    return f"~~{_close_backslashes(inner)}~~"


def md_drafted(
    text: str, *, markers: Collection[int] = (), provisional: int | None = None, target: str = ""
) -> str:
    """One line of text tracker drafted, from a feed's words (see above).

    ``markers`` are the citation numbers whose ``[N]`` stays a citation;
    ``provisional`` is the new reference's marker, and only its last ``[N]``
    stays one (tracker writes it after the feed's words, which may carry the
    same number);
    ``target`` is the report text an edit replaces: what the drafted text
    shares with it is the report's own Markdown and stays so.
    """
    text = one_line(strip_controls(text))
    kinds = _shared(one_line(strip_controls(target)), text) if target else [_UNTRUSTED] * len(text)
    if not target and (item := _LIST_ITEM.match(text)):
        kinds[: item.end()] = [_RAW] * item.end()
    if _is_row(target) and _is_row(text):  # an edited table row keeps its cells
        for bar in _CELL_BAR.finditer(text):
            kinds[bar.start()] = _RAW
    for marker in _MARKER.finditer(text):
        if int(marker.group(1)) in markers:
            kinds[marker.start() : marker.end()] = [_RAW] * (marker.end() - marker.start())
    if provisional is not None and (last := text.rfind(f"[{provisional}]")) >= 0:
        end = last + len(f"[{provisional}]")
        kinds[last:end] = [_RAW] * (end - last)
    out: list[str] = []
    start = 0
    for end in range(1, len(text) + 1):
        if end < len(text) and kinds[end] == kinds[start]:
            continue
        run, kind = text[start:end], kinds[start]
        if kind == _UNTRUSTED:
            out.append(_escape(run, at_start=start == 0))
        elif kind == _REPORT:
            out.append(_close_backslashes(_light(run)) if end < len(text) else _light(run))
        else:
            out.append(run)
        start = end
    return "".join(out)


def md_link(text: str, url: str) -> str:
    """``[text](<url>)`` for an http(s) URL; just the escaped text otherwise."""
    label = md_text(text) or md_url(url)
    if not url.lower().startswith(("http://", "https://")):
        return label
    return f"[{label}](<{safe_url(url)}>)"


def md_url(url: str) -> str:
    """A URL shown as itself, one token holding no markup: ``<url>`` when it has
    characters that are markup elsewhere."""
    safe = safe_url(url)
    if _URL_MARKUP.isdisjoint(safe):
        return safe
    if safe.lower().startswith(("http://", "https://")):
        return f"<{safe}>"
    return md_text(safe)


def md_reference(entry: str, url: str) -> str:
    """A reference entry tracker drafted around an article's ``url``.

    The URL (bare, or as the target of the entry's one link) and a year in
    parentheses stay as written, so the report parser reads the entry's URL
    and style as before; everything else is untrusted text, whose URLs are
    no URLs to the parser, so the article's is the first it finds.
    """
    entry = one_line(strip_controls(entry))
    if not url:
        return md_text(entry)
    shown = md_url(url)
    link = entry.find(f"]({url})")
    opening = entry.find("[")
    if not 0 <= opening < link:
        return _entry_text(entry, url, shown)
    target = f"(<{safe_url(url)}>)" if shown.startswith("<") else f"({shown})"
    after = entry[link + len(url) + 3 :]
    return (
        f"{_entry_text(entry[:opening], url, shown)}[{md_text(entry[opening + 1 : link])}]"
        f"{target}{_entry_text(after, url, shown, at_start=False)}"
    )


def safe_url(url: str) -> str:
    """The URL with whitespace and angle brackets percent-encoded, so it stays one token."""
    return quote(strip_controls(url).strip(), safe="/:?#[]@!$&'()*+,;=%~-._")


_UNTRUSTED, _REPORT, _RAW = 0, 1, 2


def _escape(text: str, *, at_start: bool) -> str:
    text = _MARKUP.sub(r"\\\1", _WIDE_NUMBER.sub(r"[\1]", text))
    if at_start:  # what starts a list item, a setext underline or an ordered item
        text = _LEADING.sub(lambda m: m.group() + "\\", text, count=1)
    return _WWW.sub(r"\1\\.", _SCHEME.sub(r"\\/\\/", text))


def _entry_text(text: str, url: str, shown: str, *, at_start: bool = True) -> str:
    parts = re.split(f"({re.escape(url)}|\\(\\d{{4}}[a-z]?\\))", text)
    return "".join(
        (shown if part == url else part) if i % 2 else _escape(part, at_start=at_start and i == 0)
        for i, part in enumerate(parts)
    )


def _light(text: str) -> str:
    escaped = _ANGLE.sub(r"\\\1", text)
    return _TILDES.sub(lambda run: "\\~" * len(run.group()), escaped)


def _is_row(text: str) -> bool:
    return len(text) > 1 and text.startswith("|") and text.endswith("|")


def _close_backslashes(text: str) -> str:
    """A last lone backslash would escape whatever follows: make it a backslash shown."""
    return text + "\\" if (len(text) - len(text.rstrip("\\"))) % 2 else text


def _shared(target: str, text: str) -> list[int]:
    """Per character of ``text``: whether it is the target's own (a diff's common part)."""
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0.2
    diffs = dmp.diff_main(target, text)
    dmp.diff_cleanupSemantic(diffs)
    kinds: list[int] = []
    for op, chunk in diffs:
        if op == dmp.DIFF_EQUAL:
            kinds += [_REPORT] * len(chunk)
        elif op == dmp.DIFF_INSERT:
            kinds += [_UNTRUSTED] * len(chunk)
    return kinds
