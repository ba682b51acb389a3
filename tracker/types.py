"""Plain data passed between the stages of a refresh.

Every stage takes and returns these frozen dataclasses; none of them knows
about SQL, HTTP sessions or templates. Times are timezone-aware UTC
``datetime`` values unless a field says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

# --------------------------------------------------------------------------
# Report model


@dataclass(frozen=True)
class Reference:
    """One numbered entry of the report's reference list."""

    number: int
    title: str
    url: str
    raw: str  # the entry's full Markdown line(s), as written


@dataclass(frozen=True)
class Section:
    """A heading of the report with the text directly under it.

    ``id`` follows DESIGN.md: the heading's own number (``二、`` → ``"2"``,
    ``2.1`` → ``"2.1"``) or, failing that, its position among its siblings.
    ``text`` is the body up to the next heading of any level; ``citations``
    are the reference numbers used in that body.
    """

    id: str
    title: str
    level: int  # Markdown heading level: 2 for "##"
    text: str
    citations: tuple[int, ...]
    parent_id: str | None
    start_line: int  # 0-based line of the heading
    end_line: int  # 0-based line after the section's own body (exclusive)

    @property
    def depth(self) -> int:
        return self.id.count(".") + 1


@dataclass(frozen=True)
class Report:
    """A parsed report. ``markdown`` is the exact source text."""

    id: str
    path: str
    language: str
    title: str
    markdown: str
    sections: tuple[Section, ...]
    references: tuple[Reference, ...]
    references_start_line: int | None = None  # heading line of the reference list

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    @property
    def cited_urls(self) -> tuple[str, ...]:
        return tuple(r.url for r in self.references if r.url)


# --------------------------------------------------------------------------
# Fetching


class FetchOutcome(StrEnum):
    OK = "ok"  # 2xx with a body
    NOT_MODIFIED = "not-modified"  # 304 to a conditional request
    GONE = "gone"  # 404 or 410
    HTTP_ERROR = "http-error"  # any other non-2xx status
    UNREACHABLE = "unreachable"  # DNS, connect, timeout, TLS, reset
    REFUSED = "refused"  # blocked by policy: private address, robots.txt, scheme
    TOO_LARGE = "too-large"  # body cap exceeded (also after decompression)
    TOO_MANY_REDIRECTS = "too-many-redirects"


@dataclass(frozen=True)
class Validators:
    """HTTP cache validators remembered between refreshes."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchRequest:
    url: str
    validators: Validators = Validators()
    respect_robots: bool = False  # article pages: True; feeds and cited pages: False


@dataclass(frozen=True)
class FetchResult:
    """What one request produced. Never raises for per-URL failures."""

    url: str  # as requested
    outcome: FetchOutcome
    final_url: str | None = None  # after redirects
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    validators: Validators = Validators()  # from the response, for next time
    redirects: tuple[str, ...] = ()  # every URL passed through, in order
    error: str | None = None  # human-readable reason when not OK/NOT_MODIFIED
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome is FetchOutcome.OK

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", self.headers.get("content-type", ""))


# --------------------------------------------------------------------------
# Feeds and pages


@dataclass(frozen=True)
class FeedEntry:
    """One feed item, its link canonicalized."""

    url: str  # canonical: tracking parameters and fragment removed
    link: str  # as the feed gave it
    title: str
    summary: str  # plain text
    content_html: str  # the richest HTML body the feed carried ("" if none)
    published: datetime | None
    author: str
    guid: str
    feed_url: str
    source_name: str
    language: str | None
    # When a refresh first stored it (set on entries read back from the store):
    # the date of an entry that neither its feed nor its page dates.
    first_seen: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ParsedFeed:
    url: str
    title: str
    link: str
    language: str | None
    entries: tuple[FeedEntry, ...]
    warning: str | None = None  # set when the document was malformed but partly parsed


@dataclass(frozen=True)
class PageContent:
    """Main text and metadata extracted from an HTML page."""

    url: str
    title: str
    text: str
    published: date | None
    language: str | None
    author: str
    feed_links: tuple[str, ...] = ()  # <link rel="alternate"> feeds the page advertises


@dataclass(frozen=True)
class Article:
    """A collected article: one entry's page (or the entry itself when the page failed)."""

    url: str  # canonical
    title: str
    text: str
    published: datetime | None
    language: str | None
    source: str  # source (feed) name
    content_hash: str
    from_feed_only: bool = False  # page unavailable; text is the feed's content
    id: int | None = None  # store's row id once stored


# --------------------------------------------------------------------------
# Cited sources


class CitedStatus(StrEnum):
    OK = "ok"
    REDIRECTED = "redirected"
    GONE = "gone"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class CitedCheck:
    """The result of checking one cited URL during a refresh."""

    url: str
    status: CitedStatus
    final_url: str | None
    text_changed: bool  # a new snapshot was stored
    error: str | None = None


# --------------------------------------------------------------------------
# Matching and suggestions


class SuggestionKind(StrEnum):
    ADDITION = "addition"  # a new development, added to its section
    SOURCE_CHANGED = "source-changed"  # a cited page changed
    SOURCE_GONE = "source-gone"  # a cited page is gone: cite an archived copy
    REVISION = "revision"  # replace a report sentence or table row with a newer value
    CITATION = "citation"  # cite the article for a sentence that already states the news
    # Claim checks (a cited sentence against the passage of its own source that supports it):
    CLAIM_CHANGED = "claim-changed"  # the supporting passage now reads differently
    CLAIM_ORPHANED = "claim-orphaned"  # the supporting passage is gone from the page
    UNSUPPORTED_CLAIM = "unsupported-claim"  # the cited page never said it


# The claim checks' kinds: about one report sentence and the passage of its cited page.
CLAIM_KINDS = frozenset(
    {SuggestionKind.CLAIM_CHANGED, SuggestionKind.CLAIM_ORPHANED, SuggestionKind.UNSUPPORTED_CLAIM}
)


class Novelty(StrEnum):
    """Whether the report already states the news an article brings."""

    NEW = "new"
    COVERED = "covered"


@dataclass(frozen=True)
class Fact:
    """The news of an article, as structured data: who did what, to what, when.

    ``event`` is a kind of news (``release``, ``open-source``, ``paper``,
    ``ranking``, ``funding``, ``acquisition``, ``award``, ``regulation``,
    ``lawsuit``, ``price``, ``milestone`` or ``other``); ``actor`` and
    ``object`` are spelled as the article spells them; ``numbers`` are the key
    figures as written (``"$2.5 billion"``, ``"#1"``); ``sentence`` is the
    article sentence that states it.
    """

    actor: str
    event: str
    object: str
    date: date | None
    numbers: tuple[str, ...]
    sentence: str


class ClaimStatus(StrEnum):
    """Where a cited sentence stands against the page it cites."""

    UNCHECKED = "unchecked"  # no snapshot of its cited page yet
    SUPPORTED = "supported"  # a passage of the cited page supports it (as anchored)
    UNSUPPORTED = "unsupported"  # no passage of the cited page supports it
    CHANGED = "changed"  # the supporting passage now reads differently
    ORPHANED = "orphaned"  # the supporting passage is gone from the page


@dataclass(frozen=True)
class Claim:
    """A report sentence, list item or table row that cites a reference.

    ``id`` is stable while the sentence's text and section stay the same (a
    hash of report, section and text), so a verdict follows the sentence and
    not its position. ``numbers``, ``dates`` and ``names`` are as written.
    """

    id: str
    report: str
    section: str
    text: str  # verbatim from the report's Markdown, as an edit would target it
    references: tuple[int, ...]
    kind: str  # "sentence", "item" or "row"
    numbers: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    status: ClaimStatus = ClaimStatus.UNCHECKED


@dataclass(frozen=True)
class PassageEvidence:
    """What a claim suggestion shows beside its claim: the cited passage, before and now.

    For ``claim-changed`` both ``before`` and ``after`` are set; for
    ``claim-orphaned`` ``after`` is None and ``archived_url`` links the last
    archived copy when there is one; for ``unsupported-claim`` ``before`` is
    None and ``after`` is the best candidate passage, ``score`` its support.
    """

    reference: int  # the reference number the claim cites
    before: str | None
    after: str | None
    score: float
    archived_url: str | None = None


class SuggestionStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Match:
    """Why an article belongs to a section."""

    article_url: str
    section_id: str
    score: float
    features: Mapping[str, float]
    evidence: str  # the article sentence closest to the section


@dataclass(frozen=True)
class Suggestion:
    """A proposed edit to one section of one report."""

    report: str
    section: str
    section_title: str
    kind: SuggestionKind
    score: float
    title: str
    url: str
    published: datetime | None
    source: str
    excerpt: str
    proposed_text: str
    created_at: datetime
    urls: tuple[str, ...] = ()
    status: SuggestionStatus = SuggestionStatus.PENDING
    reference: str = ""  # the new reference-list entry for an addition ("" otherwise)
    features: Mapping[str, float] = field(default_factory=dict)
    id: int | None = None
    decided_at: datetime | None = None
    # The editor's wording of an accepted suggestion: what the edition merges
    # instead of ``proposed_text``, which is kept as proposed.
    edited_text: str | None = None
    # The report sentence or table row (as written) a revision replaces or a
    # citation cites the article for; None for additions.
    target: str | None = None
    fact: Fact | None = None  # the article's news, when it comes from an article
    drafter: str = "offline"  # "offline", or the name of the model that wrote the text
    # True when no wording in the report's language could be drafted: the text
    # keeps the headline in its own language for the editor to translate.
    needs_translation: bool = False
    novelty: Novelty = Novelty.NEW
    # Claim suggestions: the cited passage the claim rests on, before and now.
    evidence: PassageEvidence | None = None


# --------------------------------------------------------------------------
# Runs


@dataclass(frozen=True)
class SourceFailure:
    source: str  # feed name or "cited"
    url: str
    reason: str


@dataclass(frozen=True)
class RunSummary:
    """What one refresh did; printed by ``tracker refresh --json``."""

    run_id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str  # "ok", "failed", "interrupted"
    sources_ok: int
    sources_failed: int
    failures: tuple[SourceFailure, ...]
    warnings: tuple[SourceFailure, ...]
    requests: Mapping[str, int]  # by status ("200", "304", "error", ...)
    new_entries: int
    new_articles: int
    cited_changed: int
    cited_gone: int
    new_suggestions: int
    editions: tuple[str, ...]  # paths of edition files written
    durations: Mapping[str, float] = field(default_factory=dict)  # seconds per stage
