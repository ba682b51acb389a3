"""The feeds of ``sources.yaml``, in and out: OPML import and export, adopting a
feed that a cited page advertises.

``read_opml`` turns an OPML 1.0/2.0 subscription list into ``OpmlFeed`` rows
(folders flattened); ``export_opml`` writes every configured feed as OPML 2.0;
``add_feeds`` appends feeds to ``sources.yaml`` and ``adopt_feed`` does the
same for one of the store's feed candidates.

``sources.yaml`` is edited, not regenerated: ruamel.yaml's round trip keeps
its comments, key order, quoting and indentation, and new feeds go at the end
of ``feeds:``. The edited text is validated by :func:`tracker.config.load_config`
before it atomically replaces the file, so an edit that would make the
config invalid writes nothing and raises :class:`~tracker.errors.ConfigError`.

What this module deliberately does not do: fetch anything (an imported feed
is first polled by the next refresh), keep a feed's ``every`` or ``enabled``
in OPML (the format has no place for them), or tell a running daemon (it
reads the new file on reload, SIGHUP).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from xml.parsers import expat

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent

from tracker.atomic import TEMP_SUFFIX, replace_file
from tracker.config import Config, load_config
from tracker.errors import ConfigError, TrackerError
from tracker.urls import canonical_url

if TYPE_CHECKING:
    from tracker.store import FeedCandidate


@dataclass(frozen=True)
class OpmlFeed:
    """One feed as an OPML outline names it."""

    name: str
    url: str


@dataclass(frozen=True)
class AddResult:
    """What :func:`add_feeds` did: the feeds appended (with the names they got)
    and those left out because their URL was already configured."""

    added: tuple[OpmlFeed, ...]
    skipped_existing: tuple[OpmlFeed, ...]


# -- reading OPML ----------------------------------------------------------------


class _Refused(Exception):
    """Raised from expat's handlers to stop at a construct we never parse."""


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node]


def read_opml(data: bytes, *, source: str) -> list[OpmlFeed]:
    """The feeds of an OPML subscription list, in document order, folders flattened.

    A feed is an ``outline`` with an ``xmlUrl``; its name is its ``text``, else its
    ``title``, else the URL. An outline without ``xmlUrl`` must hold other outlines
    (a folder). Entity declarations and external entities are refused before any
    expansion, so an entity bomb costs nothing. Raises ``ConfigError`` naming
    ``source`` for XML that is not well formed, a root that is not ``<opml>``, an
    outline that is neither feed nor folder, or a URL that is not http(s).
    """
    root = _parse_xml(data, source)
    if root.tag != "opml":
        raise ConfigError(source, [f"not OPML: the root element is <{root.tag}>, not <opml>"])
    body = next((child for child in root.children if child.tag == "body"), None)
    if body is None:
        raise ConfigError(source, ["not OPML: <opml> has no <body>"])
    feeds: list[OpmlFeed] = []
    problems: list[str] = []
    _collect(body, feeds, problems)
    if problems:
        raise ConfigError(source, problems)
    return feeds


def _parse_xml(data: bytes, source: str) -> _Node:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Node] = []
    roots: list[_Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _Node(tag, attrs, parser.CurrentLineNumber, [])
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    def refuse_entity(name: str, *args: object) -> None:
        raise _Refused(f"line {parser.CurrentLineNumber}: entity declarations are refused ({name})")

    def refuse_external(*args: object) -> int:
        raise _Refused(f"line {parser.CurrentLineNumber}: external entities are refused")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise ConfigError(source, [str(exc)]) from None
    except expat.ExpatError as exc:
        raise ConfigError(source, [f"not well-formed XML: {exc}"]) from None
    if not roots:  # expat reports an empty document itself; this is belt and braces
        raise ConfigError(source, ["not well-formed XML: no element found"])
    return roots[0]


def _collect(parent: _Node, feeds: list[OpmlFeed], problems: list[str]) -> None:
    for node in parent.children:
        if node.tag != "outline":
            continue
        # xmlUrl is the spec's spelling; some exporters write xmlurl or XMLURL.
        attrs = {key.lower(): value for key, value in node.attrs.items()}
        name = _clean(attrs.get("text", "")) or _clean(attrs.get("title", ""))
        url = attrs.get("xmlurl", "").strip()
        shown = f"line {node.line}: outline {name or '(untitled)'!r}"
        if url:
            if not _is_http(url):
                problems.append(f"{shown}: xmlUrl {url!r} is not an http(s) URL")
            else:
                feeds.append(OpmlFeed(name=name or url, url=url))
        elif not any(child.tag == "outline" for child in node.children):
            problems.append(f"{shown} has no xmlUrl: neither a feed nor a folder of feeds")
        _collect(node, feeds, problems)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


# -- writing OPML ----------------------------------------------------------------

# Characters XML 1.0 cannot carry even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def export_opml(config: Config) -> bytes:
    """Every configured feed (disabled ones too) as an OPML 2.0 document in UTF-8."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    reports = ", ".join(report.id for report in config.reports)
    ET.SubElement(head, "title").text = _NOT_XML.sub("", f"tracker feeds: {reports}")
    body = ET.SubElement(root, "body")
    for feed in config.feeds:
        name = _NOT_XML.sub("", feed.name)
        ET.SubElement(
            body, "outline", type="rss", text=name, title=name, xmlUrl=_NOT_XML.sub("", feed.url)
        )
    ET.indent(root)
    document = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{document}\n'.encode()


# -- editing sources.yaml --------------------------------------------------------


def add_feeds(config_path: str | os.PathLike[str], feeds: Iterable[OpmlFeed]) -> AddResult:
    """Append ``feeds`` to the ``feeds:`` of the config file at ``config_path``.

    A feed whose canonical URL is already configured (or came earlier in
    ``feeds``) is skipped; a name already taken gets `` (2)``, `` (3)``… The file
    keeps its comments, order and formatting. Nothing is written when nothing
    is added, or when the result would not load: then ``ConfigError`` says why.
    """
    path = Path(config_path)
    shown = str(path)
    original = _read(path)
    try:
        text = original.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(shown, ["cannot be read: not UTF-8"]) from None
    yaml, document = _load_round_trip(text, shown)

    entries = document.get("feeds")
    if not isinstance(entries, CommentedSeq):
        if entries is not None:
            raise ConfigError(shown, ["feeds: must be a list"])
        entries = CommentedSeq()
        document["feeds"] = entries
    if not entries:
        entries.fa.set_block_style()
    known_urls = {
        canonical_url(str(item["url"]))
        for item in entries
        if isinstance(item, dict) and "url" in item
    }
    names = {str(item["name"]) for item in entries if isinstance(item, dict) and "name" in item}

    added: list[OpmlFeed] = []
    skipped: list[OpmlFeed] = []
    for feed in feeds:
        key = canonical_url(feed.url)
        if key in known_urls:
            skipped.append(feed)
            continue
        known_urls.add(key)
        name = _free_name(_clean(feed.name) or feed.url, names)
        names.add(name)
        added.append(OpmlFeed(name=name, url=feed.url.strip()))
    if not added:
        return AddResult(added=(), skipped_existing=tuple(skipped))

    _append(entries, added)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    new_text = buffer.getvalue()
    if "\r\n" in text:
        new_text = new_text.replace("\n", "\r\n")
    data = new_text.encode("utf-8")
    _validate(path, data)
    if _read(path) != original:
        raise ConfigError(shown, ["changed by someone else while feeds were added; try again"])
    try:
        replace_file(path, data)
    except OSError as exc:
        raise ConfigError(shown, [f"cannot be written: {exc}"]) from None
    return AddResult(added=tuple(added), skipped_existing=tuple(skipped))


def adopt_feed(
    config_path: str | os.PathLike[str], candidates: Sequence[FeedCandidate], feed_url: str
) -> AddResult:
    """Add the feed a cited page advertises (one of ``candidates``, by URL) under
    the title the page gave it, as :func:`add_feeds` does.

    Raises ``TrackerError`` when no candidate has that URL.
    """
    wanted = canonical_url(feed_url)
    for candidate in candidates:
        if canonical_url(candidate.feed_url) == wanted:
            name = _clean(candidate.title) or (urlsplit(candidate.feed_url).hostname or "")
            return add_feeds(config_path, [OpmlFeed(name=name, url=candidate.feed_url)])
    raise TrackerError(f"no cited page advertises the feed {feed_url}")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot be read: {exc}"]) from None


# Indentation tried when re-emitting the document: the first that reproduces the
# file unchanged is the file's own. (mapping, sequence, offset of the dash)
_MAPPING_INDENTS = (2, 4, 3)
_SEQUENCE_INDENTS = ((4, 2), (2, 0), (3, 1), (4, 0), (6, 4), (8, 4))


def _load_round_trip(text: str, shown: str) -> tuple[YAML, CommentedMap]:
    """A round-trip loader set to the file's own indentation, and the document."""
    normalised = text.replace("\r\n", "\n")
    try:
        _, guessed_sequence, guessed_offset = load_yaml_guess_indent(normalised)
    except YAMLError as exc:
        raise ConfigError(shown, [f"not valid YAML: {exc}"]) from None
    sequences = list(_SEQUENCE_INDENTS)
    if guessed_sequence is not None and guessed_offset is not None:
        sequences.insert(0, (guessed_sequence, guessed_offset))
    first: tuple[YAML, CommentedMap] | None = None
    for sequence, offset in sequences:
        for mapping in _MAPPING_INDENTS:
            if offset >= sequence:
                continue
            yaml = _round_trip(mapping, sequence, offset)
            document = yaml.load(normalised)
            if not isinstance(document, CommentedMap):
                raise ConfigError(shown, ["the top level must be a mapping of keys"])
            first = first or (yaml, document)
            buffer = io.StringIO()
            yaml.dump(document, buffer)
            if buffer.getvalue() in (normalised, normalised + "\n"):
                return yaml, yaml.load(normalised)
    # No setting reproduces the file exactly (mixed indentation, say): comments
    # and order still survive; whitespace takes the first setting's shape.
    assert first is not None
    return first


def _round_trip(mapping: int, sequence: int, offset: int) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never re-wrap a long value
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _free_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"


def _append(entries: CommentedSeq, feeds: Sequence[OpmlFeed]) -> None:
    """Append feeds as ``name``/``url`` mappings after the last entry.

    Comment lines and blank lines that followed the last entry (a commented-out
    feed, the gap before the next section) are attached to that entry's last
    value by ruamel; they move to the new last entry so they still come after
    the list, and the old entry keeps only its own end-of-line comment.
    """
    previous = entries[-1] if entries else None
    for feed in feeds:
        item = CommentedMap()
        item["name"] = feed.name
        item["url"] = feed.url
        entries.append(item)
    if not isinstance(previous, CommentedMap) or not previous:
        return
    last_key = list(previous)[-1]
    slot: Any = previous.ca.items.get(last_key)
    token = slot[2] if slot and len(slot) > 2 else None
    if not isinstance(token, CommentToken):
        return
    line_end = token.value.find("\n")
    if line_end < 0 or line_end == len(token.value) - 1:
        return
    token.value, rest = token.value[: line_end + 1], token.value[line_end + 1 :]
    entries[-1].ca.items["url"] = [None, None, CommentToken("\n" + rest, CommentMark(0)), None]


def _validate(path: Path, data: bytes) -> None:
    """Load ``data`` as ``path`` would be loaded, from a temporary copy beside it
    (so relative paths resolve the same); its problems are reported against ``path``."""
    try:
        fd, temp_name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX
        )
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot be written: {exc}"]) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        load_config(temp_name)
    except ConfigError as exc:
        raise ConfigError(
            str(path), ["left unchanged: the edit would make it invalid", *exc.problems]
        ) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
