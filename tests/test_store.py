"""tracker.store against a real SQLite file in tmp_path and a real PostgreSQL database.

Every test that takes ``store`` or ``db_path`` runs on both backends
(``db_path`` is then the file's path or the database's URL); the
throw-away PostgreSQL cluster is tests/postgres.py's.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import store_backends

import tracker.store
from tracker.errors import StoreError
from tracker.store import CitedReported, FetchRecord, ShownSuggestions, Store, open_store
from tracker.store.schema import Domain
from tracker.types import (
    Article,
    CitedStatus,
    Fact,
    FeedEntry,
    FetchOutcome,
    Novelty,
    RunSummary,
    SourceFailure,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
    Validators,
)

# The store fixtures, over SQLite and PostgreSQL (tests/store_backends.py).
db_path = store_backends.db_path
pg_store_url = store_backends.pg_store_url
store = store_backends.store

T0 = datetime(2026, 2, 11, 8, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def entry(url: str, feed: str = "https://a.example/feed", source: str = "A", **kw) -> FeedEntry:
    fields = dict(
        url=url,
        link=url + "?utm_source=x",
        title=f"Title of {url}",
        summary="summary",
        content_html="<p>body</p>",
        published=T0 - timedelta(hours=1),
        author="someone",
        guid=url,
        feed_url=feed,
        source_name=source,
        language="en",
    )
    fields.update(kw)
    return FeedEntry(**fields)  # type: ignore[arg-type]


def article(url: str, **kw) -> Article:
    fields = dict(
        url=url,
        title="An article",
        text="Some text 中文",
        published=T0,
        language="en",
        source="A",
        content_hash="h-" + url,
    )
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


def suggestion(**kw) -> Suggestion:
    fields = dict(
        report="ai-2024-2025",
        section="3.2",
        section_title="多模态",
        kind=SuggestionKind.ADDITION,
        score=0.73,
        title="New model released",
        url="https://news.example/a",
        published=T0,
        source="A",
        excerpt="excerpt",
        proposed_text="建议补充……",
        created_at=T0 + timedelta(minutes=5),
        reference="[9] New model released. https://news.example/a",
        features={"cosine": 0.81, "entities": 2.0},
    )
    fields.update(kw)
    return Suggestion(**fields)  # type: ignore[arg-type]


def summary(run_id: int, **kw) -> RunSummary:
    fields = dict(
        run_id=run_id,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=42),
        outcome="ok",
        sources_ok=9,
        sources_failed=1,
        failures=(SourceFailure("Feed B", "https://b.example/feed", "HTTP 500"),),
        warnings=(SourceFailure("Feed C", "https://c.example/feed", "malformed XML"),),
        requests={"200": 3, "304": 6, "error": 1},
        new_entries=4,
        new_articles=3,
        cited_changed=1,
        cited_gone=0,
        new_suggestions=2,
        editions=("reports/x/editions/2026-02-11.md",),
        durations={"fetch": 1.5, "match": 0.25},
    )
    fields.update(kw)
    return RunSummary(**fields)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Opening and migrations: tests/test_store_schema.py


# --------------------------------------------------------------------------
# Sources


def test_health_counts_failures_and_success_resets_them(store: Store) -> None:
    url = "https://a.example/feed"
    v1 = Validators(etag='"v1"', last_modified="Tue, 10 Feb 2026 10:00:00 GMT")
    assert store.validators(url) == Validators()
    store.record_fetch(url, kind="feed", name="A", outcome=FetchOutcome.OK, status=200,
                       validators=v1, error=None, at=T0)  # fmt: skip
    for i, outcome in enumerate([FetchOutcome.HTTP_ERROR, FetchOutcome.UNREACHABLE], start=1):
        at = T0 + timedelta(hours=i)
        store.record_fetch(url, kind="feed", name="A", outcome=outcome, status=None,
                           validators=None, error=f"failure {i}", at=at)  # fmt: skip
    (h,) = store.sources("feed")
    assert h.consecutive_failures == 2
    assert h.last_error == "failure 2"
    assert h.last_success == T0
    assert h.last_failure == h.last_checked == T0 + timedelta(hours=2)
    assert h.last_outcome == FetchOutcome.UNREACHABLE
    assert store.validators(url) == v1  # a failure keeps the old validators

    at = T0 + timedelta(hours=3)
    store.record_fetch(url, kind="feed", name="A", outcome=FetchOutcome.NOT_MODIFIED,
                       status=304, validators=None, error=None, at=at)  # fmt: skip
    h = store.source(url)  # type: ignore[assignment]
    assert h.consecutive_failures == 0
    assert h.last_success == h.last_checked == at
    assert h.last_status == 304
    assert store.validators(url) == v1  # a 304 without validators keeps them

    v2 = Validators(etag='"v2"')
    store.record_fetch(url, kind="feed", name="A", outcome=FetchOutcome.OK, status=200,
                       validators=v2, error=None, at=at + timedelta(hours=1))  # fmt: skip
    assert store.validators(url) == v2
    assert store.sources("cited") == []


def test_bulk_fetch_records_and_validators(store: Store) -> None:
    urls = [f"https://feeds.example/{i}.xml" for i in range(1200)]
    records = [
        FetchRecord(u, "feed", f"feed {i}", FetchOutcome.OK, 200,
                    Validators(etag=f'"{i}"'), None, T0)
        for i, u in enumerate(urls)
    ]  # fmt: skip
    store.record_fetches(records)
    unknown = "https://feeds.example/unknown.xml"
    found = store.validators_for([*urls, unknown])
    assert len(found) == len(urls) + 1
    assert found[unknown] == Validators()
    assert all(found[r.url] == r.validators for r in records)
    assert len(store.sources()) == len(urls)


def test_a_feeds_health_changes_are_logged_once_each(store: Store) -> None:
    feed, page = "https://feeds.example/a.xml", "https://news.example/story"
    outcomes = [  # hours after T0
        (0, FetchOutcome.OK), (1, FetchOutcome.UNREACHABLE), (2, FetchOutcome.HTTP_ERROR),
        (3, FetchOutcome.UNREACHABLE), (4, FetchOutcome.NOT_MODIFIED), (5, FetchOutcome.OK),
    ]  # fmt: skip
    for hour, outcome in outcomes:
        for url, kind in ((feed, "feed"), (page, "page")):
            store.record_fetches([
                FetchRecord(url, kind, "A", outcome, None, None, f"down at {hour}",
                            T0 + timedelta(hours=hour))
            ])  # fmt: skip
    new = "https://feeds.example/new.xml"  # broken from its first check
    store.record_fetch(new, kind="feed", name="B", outcome=FetchOutcome.GONE, status=404,
                       validators=None, error="404", at=T0 + timedelta(hours=6))  # fmt: skip

    events = store.source_events(until=T0 + timedelta(days=1))
    assert [(e.url, e.event, e.at, e.error) for e in events] == [
        (feed, "failing", T0 + timedelta(hours=1), "down at 1"),  # not at 2 or 3: still failing
        (feed, "recovered", T0 + timedelta(hours=4), None),  # not at 5: still healthy
        (new, "failing", T0 + timedelta(hours=6), "404"),
    ]  # article pages are not sources an editor watches
    assert len(store.source_events(until=T0 + timedelta(hours=4))) == 1


def test_unknown_source_kind_is_rejected(store: Store) -> None:
    with pytest.raises(ValueError, match="kind"):
        store.record_fetch("https://x.example", kind="podcast", name="x",
                           outcome=FetchOutcome.OK, status=200, validators=None,
                           error=None, at=T0)  # fmt: skip


def test_feed_candidates_are_idempotent(store: Store) -> None:
    store.add_feed_candidate("https://p.example/", "https://p.example/feed", "P", T0)
    store.add_feed_candidate(
        "https://p.example/", "https://p.example/feed", "P again", T0 + timedelta(1)
    )
    (c,) = store.feed_candidates()
    assert (c.page_url, c.feed_url, c.title, c.first_seen) == (
        "https://p.example/", "https://p.example/feed", "P", T0,
    )  # fmt: skip


# --------------------------------------------------------------------------
# Entries and articles


def test_add_entries_dedups_across_feeds_and_records_every_source(store: Store) -> None:
    shared = "https://news.example/story"
    first = [entry(shared), entry("https://news.example/only-a")]
    assert store.add_entries(first, T0) == first
    from_b = entry(shared, feed="https://b.example/rss", source="B", title="B's title")
    again = entry("https://news.example/only-a")
    new_b = entry("https://news.example/only-b", feed="https://b.example/rss", source="B")
    assert store.add_entries([from_b, again, new_b, new_b], T0 + timedelta(hours=1)) == [new_b]

    assert store.counts()["entries"] == 3
    assert store.entry_sources(shared) == [("A", "https://a.example/feed"),
                                           ("B", "https://b.example/rss")]  # fmt: skip
    assert store.entry_sources(new_b.url) == [("B", "https://b.example/rss")]
    # The stored entry is the first sighting, round-tripped exactly.
    backlog = {e.url: e for e in store.entries_without_article()}
    assert backlog[shared] == first[0]


def test_entries_without_article_is_the_crash_backlog(store: Store) -> None:
    es = [entry(f"https://n.example/{i}") for i in range(4)]
    store.add_entries(es, T0)
    store.add_article(article(es[1].url), T0)
    store.mark_entries_skipped([es[2].url], T0)
    assert [e.url for e in store.entries_without_article()] == [es[0].url, es[3].url]
    assert [e.url for e in store.entries_without_article(limit=1)] == [es[0].url]


def test_articles_round_trip_with_aware_datetimes(store: Store) -> None:
    shanghai = timezone(timedelta(hours=8))
    a = article("https://n.example/1", published=datetime(2026, 2, 12, 9, 30, tzinfo=shanghai))
    b = article("https://n.example/2", published=None, from_feed_only=True, source="B")
    c = article("https://n.example/3", published=T0 + timedelta(days=3))
    ids = [store.add_article(x, T0) for x in (a, b, c)]
    assert len(set(ids)) == 3

    got = store.article(a.url)
    assert got == replace(a, id=ids[0])
    assert got is not None and got.published is not None
    assert got.published.utcoffset() == timedelta(0)
    assert got.published == a.published
    assert store.article(ids[1]) == replace(b, id=ids[1])
    assert store.article("https://n.example/missing") is None

    # Newest first by published, an undated article by its fetch time.
    assert [x.url for x in store.articles()] == [c.url, a.url, b.url]
    assert [x.url for x in store.articles(source="B")] == [b.url]
    assert [x.url for x in store.articles(since=T0 + timedelta(hours=12))] == [c.url, a.url]
    assert [x.url for x in store.articles(limit=1)] == [c.url]
    assert store.find_article_by_hash(b.content_hash) == replace(b, id=ids[1])


def test_article_upsert_keeps_id_and_rematches_only_changed_text(store: Store) -> None:
    a = article("https://n.example/1")
    first = store.add_article(a, T0)
    store.mark_matched([first], T0)
    assert store.unmatched_articles() == []
    assert store.add_article(replace(a, title="Retitled"), T0) == first
    assert store.unmatched_articles() == []
    assert store.add_article(replace(a, content_hash="changed"), T0) == first
    assert [x.id for x in store.unmatched_articles()] == [first]
    assert store.counts()["articles"] == 1


# --------------------------------------------------------------------------
# Cited sources


def test_snapshots_keep_every_version(store: Store) -> None:
    url = "https://cited.example/paper"
    assert store.latest_snapshot(url) is None
    texts = ["v1", "v2", "v1"]  # going back to an old text is still a new version
    ids = [
        store.add_snapshot(url, final_url=url + "/", text=t, content_hash=f"h{t}",
                           at=T0 + timedelta(days=i))
        for i, t in enumerate(texts)
    ]  # fmt: skip
    assert [s.text for s in store.snapshots(url)] == texts
    assert [s.id for s in store.snapshots(url)] == ids
    latest = store.latest_snapshot(url)
    assert latest is not None
    assert (latest.id, latest.fetched_at, latest.final_url) == (
        ids[-1],
        T0 + timedelta(days=2),
        url + "/",
    )
    assert store.snapshots("https://cited.example/other") == []


def test_record_cited_check_counts_consecutive_failures(store: Store) -> None:
    url = "https://cited.example/paper"
    sequence = [
        (CitedStatus.OK, 0),
        (CitedStatus.UNREACHABLE, 1),
        (CitedStatus.GONE, 2),
        (CitedStatus.REDIRECTED, 0),
        (CitedStatus.GONE, 1),
        (CitedStatus.GONE, 2),
        (CitedStatus.UNREACHABLE, 3),
    ]
    got = [
        store.record_cited_check(url, status, T0 + timedelta(hours=i), error=None)
        for i, (status, _) in enumerate(sequence)
    ]
    assert [g.count for g in got] == [expected for _, expected in sequence]
    # A streak starts at its first failed check: hours 1 and 4 here.
    assert [g.since for g in got] == [
        None, *[T0 + timedelta(hours=1)] * 2, None, *[T0 + timedelta(hours=4)] * 3
    ]  # fmt: skip
    # Another URL's streak is its own.
    other = store.record_cited_check("https://cited.example/b", CitedStatus.GONE, T0)
    assert (other.count, other.since) == (1, T0)
    assert [c[0] for c in store.cited_checks(url)] == [s for s, _ in sequence]


# --------------------------------------------------------------------------
# Runs


def test_runs_finish_and_interrupt_stale(store: Store) -> None:
    first = store.start_run(T0, trigger="daemon", pid=4242)
    second = store.start_run(T0 + timedelta(hours=6))
    s = summary(second)
    store.finish_run(second, s)

    r = store.run(second)
    assert r is not None
    assert (r.outcome, r.trigger, r.finished_at) == ("ok", "cli", s.finished_at)
    assert r.counts["new_entries"] == s.new_entries
    assert r.counts["sources_failed"] == s.sources_failed
    assert list(r.failures) == [{"source": f.source, "url": f.url, "reason": f.reason}
                                for f in s.failures]  # fmt: skip
    assert r.warnings[0]["reason"] == s.warnings[0].reason
    assert r.requests == dict(s.requests)
    assert r.editions == s.editions
    assert r.durations == s.durations

    stale = store.run(first)
    assert stale is not None and stale.finished_at is None and stale.pid == 4242
    later = T0 + timedelta(days=1)
    assert store.interrupt_stale_runs(later) == 1
    assert store.interrupt_stale_runs(later) == 0
    stale = store.run(first)
    assert stale is not None
    assert (stale.outcome, stale.finished_at) == ("interrupted", later)
    assert [x.id for x in store.runs()] == [second, first]
    assert [x.id for x in store.runs(limit=1)] == [second]
    assert store.run(999) is None
    with pytest.raises(StoreError, match="999"):
        store.finish_run(999, summary(999))


# --------------------------------------------------------------------------
# Suggestions


def test_suggestions_round_trip_and_status_changes(store: Store) -> None:
    s = suggestion(urls=("https://news.example/a", "https://mirror.example/a"))
    sid = store.add_suggestion(s)
    assert store.suggestion(sid) == replace(s, id=sid)

    store.add_suggestion_url(sid, "https://third.example/a")
    store.add_suggestion_url(sid, "https://mirror.example/a")  # already there
    got = store.suggestion(sid)
    assert got is not None
    assert got.urls == (*s.urls, "https://third.example/a")
    assert store.suggestion_for_url(s.report, "https://third.example/a") == got
    assert store.suggestion_for_url("other-report", "https://third.example/a") is None

    # url always leads urls, even when the caller left it out.
    other = suggestion(section="4", url="https://x.example/b", kind=SuggestionKind.SOURCE_GONE,
                       features={}, reference="", created_at=T0 + timedelta(days=2))  # fmt: skip
    oid = store.add_suggestion(other)
    assert store.suggestion(oid).urls == (other.url,)  # type: ignore[union-attr]

    decided = T0 + timedelta(days=3)
    assert store.set_suggestion_status([oid, 12345], SuggestionStatus.REJECTED, decided) == [oid]
    rejected = store.suggestion(oid)
    assert rejected is not None
    assert (rejected.status, rejected.decided_at) == (SuggestionStatus.REJECTED, decided)

    assert [x.id for x in store.suggestions()] == [sid, oid]
    assert [x.id for x in store.suggestions(status=SuggestionStatus.PENDING)] == [sid]
    assert [x.id for x in store.suggestions(section="4")] == [oid]
    assert [x.id for x in store.suggestions(report="nope")] == []
    assert [x.id for x in store.suggestions(since=T0 + timedelta(days=1))] == [oid]
    assert store.counts()["suggestions_pending"] == 1

    store.set_suggestion_status([oid], SuggestionStatus.PENDING, decided)
    assert store.suggestion(oid).decided_at is None  # type: ignore[union-attr]
    with pytest.raises(StoreError):
        store.add_suggestion_url(999, "https://x.example")


def test_an_edit_keeps_its_target_fact_drafter_and_novelty(store: Store) -> None:
    fact = Fact(
        actor="Moonshot AI",
        event="ranking",
        object="Kimi K3",
        date=date(2026, 11, 20),
        numbers=("#1",),
        sentence="Kimi K3 now ranks first among open-weight models.",
    )
    revision = suggestion(
        kind=SuggestionKind.REVISION,
        target="| 1 | GLM-4.7 | 智谱AI |",
        proposed_text="| 1 | Kimi K3 | 月之暗面 |",
        fact=fact,
        drafter="qwen2.5:7b-instruct",
        needs_translation=True,
        novelty=Novelty.COVERED,
        urls=("https://news.example/a",),
    )
    sid = store.add_suggestion(revision)
    assert store.suggestion(sid) == replace(revision, id=sid)
    undated = replace(revision, fact=replace(fact, date=None, numbers=()), target=None)
    uid = store.add_suggestion(undated)
    assert store.suggestion(uid) == replace(undated, id=uid)


# --------------------------------------------------------------------------
# Vectors, editions, digests


def test_vectors_editions_and_digests(store: Store) -> None:
    assert store.section_vector("use-m3", "abc") is None
    store.put_section_vector("use-m3", "abc", b"\x00\x01\xff")
    assert store.section_vector("use-m3", "abc") == b"\x00\x01\xff"
    assert store.section_vector("other-model", "abc") is None

    assert store.last_edition("r") is None
    store.record_edition("r", "2026-02-11", "e/2026-02-11.md", "h1", T0)
    store.record_edition("r", "2026-02-12", "e/2026-02-12.md", "h2", T0 + timedelta(days=1))
    last = store.last_edition("r")
    assert last is not None
    assert (last.edition_date, last.path, last.content_hash) == (
        "2026-02-12",
        "e/2026-02-12.md",
        "h2",
    )

    start, end = T0 - timedelta(days=7), T0
    assert store.last_digest() is None
    assert not store.digest_sent(start, end)
    store.record_digest(start, end, sent_at=T0, message_id="<m1@x>",
                        recipients=["editor@example.org"], outbox_path=None)  # fmt: skip
    assert store.digest_sent(start, end)
    assert not store.digest_sent(end, end + timedelta(days=7))
    d = store.last_digest()
    assert d is not None
    assert (d.period_start, d.period_end, d.message_id, d.recipients) == (
        start, end, "<m1@x>", ("editor@example.org",),
    )  # fmt: skip


def test_an_edition_is_recorded_together_with_the_suggestions_it_shows(store: Store) -> None:
    report = "ai-2024-2025"
    ids = [store.add_suggestion(suggestion(url=f"https://news.example/{i}")) for i in range(3)]
    assert store.shown_in_edition(report, "2026-02-11") == ShownSuggestions()
    first = ShownSuggestions(pending=frozenset(ids[:2]), merged=frozenset(ids[2:]))
    store.record_edition(report, "2026-02-11", "e/2026-02-11.md", "h1", T0, shown=first)
    assert store.shown_in_edition(report, "2026-02-11") == first
    assert store.shown_in_edition("other-report", "2026-02-11") == ShownSuggestions()

    # A second edition the same day replaces the first, what it shows included.
    again = ShownSuggestions(merged=frozenset(ids))
    store.record_edition(report, "2026-02-11", "e/2026-02-11.md", "h2", T0 + HOUR, shown=again)
    last = store.last_edition(report)
    assert last is not None and (last.content_hash, last.created_at) == ("h2", T0 + HOUR)
    assert store.counts()["editions"] == 1
    assert store.shown_in_edition(report, "2026-02-11") == again

    # One transaction: an edition showing a suggestion that does not exist is not recorded.
    with pytest.raises(StoreError):
        store.record_edition(report, "2026-02-12", "e/2026-02-12.md", "h3", T0 + DAY,
                             shown=ShownSuggestions(pending=frozenset({999})))  # fmt: skip
    last = store.last_edition(report)
    assert last is not None and last.edition_date == "2026-02-11"
    assert store.shown_in_edition(report, "2026-02-12") == ShownSuggestions()


def test_the_last_publish_check_is_kept_per_report(store: Store) -> None:
    assert store.last_publish_check("r") is None
    store.record_publish_check("r", "key-1", T0)
    store.record_publish_check("other", "key-2", T0)
    store.record_publish_check("r", "key-3", T0 + HOUR)
    assert store.last_publish_check("r") == "key-3"
    assert store.last_publish_check("other") == "key-2"
    # Not a row count of tracker status: checking moves it without anything changing.
    assert "publish_checks" not in store.counts()


def test_a_changelog_entry_is_recorded_with_what_it_announces_then_marked_written(
    store: Store,
) -> None:
    report = "ai-2024-2025"
    ids = [store.add_suggestion(suggestion(url=f"https://news.example/{i}")) for i in range(3)]
    snapshot = store.add_snapshot("https://cited.example/a", final_url=None, text="new",
                                  content_hash="h", at=T0)  # fmt: skip
    assert store.unwritten_changelog_entries(report) == []
    assert store.reported_cited(report) == {}
    assert store.announced_suggestions(report) == ShownSuggestions()

    shown = ShownSuggestions(pending=frozenset(ids[:2]), merged=frozenset(ids[2:]))
    changed = CitedReported("https://cited.example/a", CitedStatus.OK, None, snapshot)
    gone = CitedReported("https://cited.example/b", CitedStatus.GONE, None)
    first = store.record_changelog_entry(
        report, "2026-02-11", "## 2026-02-11\n\n- a\n", T0, cited=[changed, gone], announced=shown
    )
    [unwritten] = store.unwritten_changelog_entries(report)
    assert (unwritten.id, unwritten.entry_date, unwritten.text) == (
        first, "2026-02-11", "## 2026-02-11\n\n- a\n",
    )  # fmt: skip
    assert unwritten.written_at is None and unwritten.recorded_at == T0
    assert store.reported_cited(report) == {changed.url: changed, gone.url: gone}
    assert store.reported_cited("other-report") == {}
    assert store.announced_suggestions(report) == shown

    store.changelog_entry_written(first, T0 + HOUR)
    store.changelog_entry_written(first, T0 + DAY)  # the first time counts
    assert store.unwritten_changelog_entries(report) == []
    [written] = store.changelog_entries(report)
    assert written.written_at == T0 + HOUR

    # The latest entry about a URL is what the changelog last said about it;
    # an entry without suggestions to announce leaves the announced ones alone.
    moved = CitedReported(gone.url, CitedStatus.REDIRECTED, "https://cited.example/c")
    second = store.record_changelog_entry(report, "2026-02-12", "## 2026-02-12\n", T0 + DAY,
                                          cited=[moved])  # fmt: skip
    assert store.reported_cited(report) == {changed.url: changed, gone.url: moved}
    assert store.announced_suggestions(report) == shown
    assert [e.id for e in store.changelog_entries(report)] == [second, first]
    assert [e.id for e in store.unwritten_changelog_entries(report)] == [second]

    store.record_announced(report, ShownSuggestions(merged=frozenset(ids)))
    assert store.announced_suggestions(report) == ShownSuggestions(merged=frozenset(ids))
    assert store.announced_suggestions("other-report") == ShownSuggestions()

    # One transaction: an entry announcing a suggestion that does not exist is not recorded.
    with pytest.raises(StoreError):
        store.record_changelog_entry(
            report,
            "2026-02-13",
            "## 2026-02-13\n",
            T0 + 2 * DAY,
            cited=[gone],
            announced=ShownSuggestions(pending=frozenset({999})),
        )
    assert [e.id for e in store.changelog_entries(report)] == [second, first]
    assert store.reported_cited(report)[gone.url] == moved


# --------------------------------------------------------------------------
# Sharing the file and crash safety


def test_second_connection_sees_committed_data_only(db_path: Path | str) -> None:
    with open_store(db_path) as writer, open_store(db_path) as reader:
        writer.add_entries([entry("https://n.example/1")], T0)
        assert reader.counts()["entries"] == 1
        with writer.transaction():
            writer.add_entries([entry("https://n.example/2")], T0)
            # WAL: the reader is not blocked and does not see uncommitted rows.
            assert reader.counts()["entries"] == 1
        assert reader.counts()["entries"] == 2
        assert [e.url for e in reader.entries_without_article()] == [
            "https://n.example/1", "https://n.example/2",
        ]  # fmt: skip


def test_exception_inside_a_transaction_leaves_no_partial_rows(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.add_entries([entry("https://n.example/1")], T0)
        store.add_article(article("https://n.example/1"), T0)
        raise RuntimeError("killed half-way")
    assert store.counts()["entries"] == 0
    assert store.counts()["articles"] == 0
    assert store.article("https://n.example/1") is None


def test_failing_row_rolls_back_the_whole_batch(store: Store) -> None:
    good = [entry(f"https://n.example/{i}") for i in range(3)]
    bad = entry("https://n.example/bad", title=None)  # violates NOT NULL
    with pytest.raises(StoreError) as info:
        store.add_entries([*good, bad], T0)
    assert str(store.path) in str(info.value)
    assert store.counts()["entries"] == 0
    assert store.entry_sources(good[0].url) == []
    assert store.add_entries(good, T0) == good  # the store is usable afterwards


def test_failed_call_inside_a_transaction_undoes_only_itself(store: Store) -> None:
    bad_batch = [entry("https://n.example/2"), entry("https://n.example/bad", title=None)]
    with store.transaction():
        store.add_entries([entry("https://n.example/1")], T0)
        with pytest.raises(StoreError):
            store.add_entries(bad_batch, T0)
        store.add_article(article("https://n.example/1"), T0)
    assert [e.url for e in store.entries_without_article()] == []
    assert store.counts()["entries"] == 1
    assert store.counts()["articles"] == 1


def test_process_killed_mid_transaction_leaves_previous_state(db_path: Path | str) -> None:
    with open_store(db_path) as s:
        s.add_entries([entry("https://n.example/kept")], T0)
    script = textwrap.dedent(
        f"""
        import os
        from datetime import datetime, timezone
        from tracker.store import open_store
        from tracker.types import Article
        store = open_store({str(db_path)!r})
        with store.transaction():
            for i in range(50):
                store.add_article(Article(url=f"https://n.example/{{i}}", title="t", text="x",
                    published=None, language=None, source="A", content_hash=str(i)),
                    datetime.now(timezone.utc))
            os._exit(9)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 9, done.stderr.decode()
    with open_store(db_path) as s:
        assert s.counts()["articles"] == 0
        assert s.counts()["entries"] == 1
        s.add_article(article("https://n.example/after"), T0)  # not locked by the dead process
        assert s.counts()["articles"] == 1


# --------------------------------------------------------------------------
# The interface


def test_the_package_docstring_lists_every_domain_and_its_methods() -> None:
    doc = tracker.store.__doc__ or ""
    domains = [c for c in Store.__mro__ if c is not Domain and issubclass(c, Domain)][1:]
    listed: set[str] = set()
    for domain in domains:
        heading = f"``{domain.__module__.rsplit('.', 1)[1]}.{domain.__name__}`` ("
        entry = doc[doc.index(heading) :].split("\n\n")[0].split("\n``")[0]
        methods = set(re.findall(r"\w+", entry.split(")", 1)[1]))
        assert methods == {n for n in vars(domain) if not n.startswith("_")}, domain
        listed |= methods
    # Store adds nothing but opening and closing, transactions and the schema version.
    public = {n for n in dir(Store) if not n.startswith("_")}
    assert public - listed == {"close", "transaction", "migrations"}
