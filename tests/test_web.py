"""The daemon's review pages over a real server, a real daemon and a real store.

Suggestions and two dated editions come from real refreshes of a copy of the
seed report against a local feed server; one more suggestion, with a hostile
title and link, is stored directly. Each test gets its own copy of that
state and a real :class:`~tracker.daemon.service.Daemon` serving the pages
on 127.0.0.1 (port 0) through the real ``ApiServer``. Requests go over
sockets with ``http.client``: redirects are looked at, not followed.
"""

from __future__ import annotations

import http.client
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

# The same three stories, pages and feed the CLI workflow test serves.
from test_workflow import DAY_1, serve

from tracker.config import load_config
from tracker.daemon.api import ApiServer
from tracker.daemon.service import Daemon
from tracker.demo.server import LocalServer
from tracker.lock import refresh_lock
from tracker.refresh import run_refresh
from tracker.store import open_store
from tracker.types import Suggestion, SuggestionKind, SuggestionStatus

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes
DAY_2 = DAY_1 + timedelta(days=7)
HOSTILE = "<script>alert('feed')</script>"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with a config, the report, a store of suggestions and two editions."""
    root = tmp_path_factory.mktemp("web")
    with LocalServer() as server:
        (root / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
        (root / "sources.yaml").write_text(
            yaml.safe_dump(
                {
                    "state_dir": "state",
                    "reports": [
                        {"id": "ai", "path": "report.md", "language": "zh", "since": "2026-02-11"}
                    ],
                    "feeds": [{"name": "News", "url": serve(server)}],
                    "watch_cited": False,
                    "fetch": {"allow_private_networks": True},
                }
            ),
            encoding="utf-8",
        )
        config = load_config(root / "sources.yaml")
        assert run_refresh(config, clock=lambda: DAY_1).new_suggestions == 3
        with open_store(config.database_path) as store:
            first = store.suggestions()[0]
            assert first.id is not None
            store.set_suggestion_status([first.id], SuggestionStatus.ACCEPTED, DAY_1)
        run_refresh(config, clock=lambda: DAY_2)
        with open_store(config.database_path) as store:
            store.add_suggestion(
                Suggestion(
                    report="ai",
                    section=first.section,
                    section_title=first.section_title,
                    kind=SuggestionKind.ADDITION,
                    score=0.5,
                    title=HOSTILE,
                    url="javascript:alert(1)",
                    published=DAY_2,
                    source=f"<b>{HOSTILE}</b>",
                    excerpt=HOSTILE,
                    proposed_text=f"新增：{HOSTILE}",
                    created_at=DAY_2,
                )
            )
        yield root


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")


@dataclass
class Browser:
    """A client that keeps cookies and shows redirects instead of following them."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str | list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read().decode("utf-8"))
        finally:
            connection.close()
        for cookie in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return reply

    def get(self, path: str, **kwargs: dict[str, str]) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(
        self, path: str, form: dict[str, str | list[str]], headers: dict[str, str] | None = None
    ) -> Reply:
        return self.request("POST", path, form=form, headers=headers)

    def csrf(self, path: str = "/") -> str:
        page = self.get(path)
        assert page.status == 200, page
        found = re.search(r'name="csrf" value="([^"]+)"', page.body)
        assert found, page.body
        return found.group(1)


@dataclass
class Site:
    root: Path
    daemon: Daemon
    server: ApiServer
    browser: Browser

    @property
    def database(self) -> Path:
        return self.daemon.config.database_path

    def statuses(self) -> dict[int, tuple[str, str | None]]:
        with open_store(self.database) as store:
            return {s.id or 0: (str(s.status), s.edited_text) for s in store.suggestions()}

    def pending(self) -> list[Suggestion]:
        with open_store(self.database) as store:
            return store.suggestions(status=SuggestionStatus.PENDING)

    def hostile(self) -> Suggestion:
        with open_store(self.database) as store:
            return next(s for s in store.suggestions() if s.title == HOSTILE)

    def editions(self) -> list[str]:
        with open_store(self.database) as store:
            return [e.edition_date for e in store.editions("ai")]


def _site(prepared: Path, tmp_path: Path, token: str | None) -> Iterator[Site]:
    root = tmp_path / "site"
    shutil.copytree(prepared, root)
    config = load_config(root / "sources.yaml")
    daemon = Daemon(root / "sources.yaml", config)
    server = ApiServer(daemon, "127.0.0.1", 0, token, review=daemon)
    server.start()
    try:
        yield Site(root, daemon, server, Browser(server.port))
    finally:
        daemon.worker.join(60)
        server.stop()


@pytest.fixture
def site(prepared: Path, tmp_path: Path) -> Iterator[Site]:
    yield from _site(prepared, tmp_path, None)


@pytest.fixture
def token_site(prepared: Path, tmp_path: Path) -> Iterator[Site]:
    yield from _site(prepared, tmp_path, "s3cret-token")


def _decisions(database: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT * FROM decisions ORDER BY rowid").fetchall()


# ---------------------------------------------------------------- status codes


def test_every_page_answers_with_the_right_status(site: Site) -> None:
    b = site.browser
    some = site.pending()[0]
    first, second = sorted(site.editions())
    assert first == "2026-11-20" and second == "2026-11-27"
    pages = {
        "/": 200,
        "/?status=accepted": 200,
        "/?report=ai&section=" + some.section + "&kind=addition": 200,
        f"/suggestions/{some.id}": 200,
        "/reports/ai/editions": 200,
        f"/reports/ai/editions/{second}": 200,
        f"/reports/ai/editions/compare?from={first}&to={second}": 200,
        "/sources": 200,
        "/runs": 200,
        "/static/app.css": 200,
        "/static/review.js": 200,
        "/?status=maybe": 400,
        "/?kind=rumour": 400,
        "/?report=nope": 400,
        "/reports/ai/editions/compare?from=" + first: 400,
        "/reports/ai/editions/compare?from=2020-01-01&to=" + second: 404,
        "/suggestions/999999": 404,
        "/suggestions/abc": 404,
        "/reports/nope/editions": 404,
        "/reports/nope/editions/" + second: 404,
        "/static/missing.js": 404,
        "/undo": 405,
        f"/suggestions/{some.id}/accept": 405,
        "/batch": 405,
        "/runs/refresh": 405,
    }
    answers = {path: b.get(path).status for path in pages}
    assert answers == pages
    queue = b.get("/").body
    assert f"/suggestions/{some.id}" in queue and "§" in queue
    page = b.get(f"/suggestions/{some.id}").body
    assert some.url in page and "As it would sit in the section" in page
    editions = b.get("/reports/ai/editions").body
    assert f"/reports/ai/editions/{first}" in editions
    # The compare view is the renderer's own page with the changes marked.
    assert "<ins" in b.get(f"/reports/ai/editions/compare?from={first}&to={second}").body
    # Without a token there is nothing to log in to.
    assert b.get("/login").location == "/"


def test_get_never_changes_state(site: Site) -> None:
    before = (site.statuses(), _decisions(site.database), site.editions())
    some = site.pending()[0]
    for path in ("/", f"/suggestions/{some.id}", "/undo", f"/suggestions/{some.id}/accept",
                 f"/suggestions/{some.id}/reject", "/batch?ids=1&action=accept",
                 "/runs", "/runs/refresh", "/sources", "/reports/ai/editions"):  # fmt: skip
        site.browser.get(path)
    assert (site.statuses(), _decisions(site.database), site.editions()) == before
    assert site.daemon.worker.running is False


# ---------------------------------------------------------------- decisions


def test_accept_reject_edit_undo_and_batch_change_the_store(site: Site) -> None:
    b = site.browser
    csrf = b.csrf()
    one, two, three = (s.id for s in site.pending()[:3])
    assert one and two and three

    accepted = b.post(f"/suggestions/{one}/accept", {"csrf": csrf, "next": "/?status=pending"})
    assert (accepted.status, accepted.location) == (303, "/?status=pending")
    assert site.statuses()[one] == ("accepted", None)

    rejected = b.post(f"/suggestions/{two}/reject", {"csrf": csrf, "next": f"/suggestions/{two}"})
    assert (rejected.status, rejected.location) == (303, f"/suggestions/{two}")
    assert site.statuses()[two] == ("rejected", None)

    undone = b.post("/undo", {"csrf": csrf, "next": "/"})
    assert undone.status == 303
    assert site.statuses()[two] == ("pending", None)
    assert site.statuses()[one] == ("accepted", None)

    edited = b.post(f"/suggestions/{three}/edit", {"csrf": csrf, "text": "编辑后的文字。\r\n"})
    assert (edited.status, edited.location) == (303, "/")
    assert site.statuses()[three] == ("accepted", "编辑后的文字。")
    assert b.post(f"/suggestions/{two}/edit", {"csrf": csrf, "text": "  "}).status == 400

    hostile = site.hostile().id
    assert hostile is not None
    batch = b.post("/batch", {"csrf": csrf, "ids": [str(two), str(hostile)], "action": "reject"})
    assert batch.status == 303
    assert site.statuses()[two][0] == site.statuses()[hostile][0] == "rejected"

    before = site.statuses()
    assert b.post("/batch", {"csrf": csrf, "ids": [str(two)], "action": "drop"}).status == 400
    assert b.post("/batch", {"csrf": csrf, "ids": ["x"], "action": "accept"}).status == 400
    assert b.post("/batch", {"csrf": csrf, "action": "accept"}).status == 400
    assert (
        b.post("/batch", {"csrf": csrf, "ids": [str(two), "999999"], "action": "accept"}).status
        == 404
    )
    assert b.post("/suggestions/999999/accept", {"csrf": csrf}).status == 404
    # A redirect only ever goes back to this site.
    away = b.post(f"/suggestions/{two}/reject", {"csrf": csrf, "next": "//evil.example/"})
    assert away.location == "/"
    assert {k: v for k, v in site.statuses().items() if k != two} == {
        k: v for k, v in before.items() if k != two
    }


def test_posts_need_the_csrf_token_and_this_sites_origin(site: Site) -> None:
    b = site.browser
    some = site.pending()[0].id
    csrf = b.csrf()
    before = site.statuses()
    port = site.server.port
    refused = [
        b.post(f"/suggestions/{some}/accept", {}),
        b.post(f"/suggestions/{some}/accept", {"csrf": "guessed"}),
        b.post("/undo", {}),
        b.post("/batch", {"ids": [str(some)], "action": "accept"}),
        b.post("/runs/refresh", {}),
        b.post(f"/suggestions/{some}/accept", {"csrf": csrf}, {"Origin": "https://evil.example"}),
        b.post(f"/suggestions/{some}/accept", {"csrf": csrf}, {"Origin": "null"}),
        # Local, but not this site's origin.
        b.post(f"/suggestions/{some}/accept", {"csrf": csrf}, {"Origin": f"http://localhost:{port}"}),
        # A rebound DNS name: Host must name this machine exactly.
        b.post(f"/suggestions/{some}/accept", {"csrf": csrf}, {"Host": f"127.evil.example:{port}"}),
    ]  # fmt: skip
    assert [r.status for r in refused] == [403] * len(refused)
    assert site.statuses() == before
    assert site.daemon.worker.running is False
    own = b.post(
        f"/suggestions/{some}/accept", {"csrf": csrf}, {"Origin": f"http://127.0.0.1:{port}"}
    )
    assert own.status == 303
    assert site.statuses()[some or 0][0] == "accepted"


# ---------------------------------------------------------------- hostile feed text


def test_feed_text_is_escaped_and_only_http_links_are_links(site: Site) -> None:
    hostile = site.hostile()
    for path in ("/", f"/suggestions/{hostile.id}"):
        page = site.browser.get(path).body
        assert "&lt;script&gt;alert(" in page
        assert "<script>alert(" not in page and "<b>" not in page
        assert 'href="javascript:' not in page  # shown as text, never a link
    # The only scripts are the pages' own file.
    assert re.findall(r"<script[^>]*>", site.browser.get("/").body) == [
        '<script src="/static/review.js" defer>'
    ]


# ---------------------------------------------------------------- editions


def test_edition_files_are_only_those_the_store_recorded(site: Site) -> None:
    b = site.browser
    day = site.editions()[0]
    shown = b.get(f"/reports/ai/editions/{day}")
    written = (site.root / "editions" / f"{day}.html").read_text(encoding="utf-8")
    assert shown.body == written
    assert "script-src" not in shown.headers["Content-Security-Policy"]
    assert "default-src 'none'" in shown.headers["Content-Security-Policy"]
    (site.root / "editions" / "2001-01-01.html").write_text("<p>stray</p>", encoding="utf-8")
    answers = {
        path: b.get(path).status
        for path in (
            "/reports/ai/editions/2001-01-01",  # a file, but no edition the store recorded
            "/reports/ai/editions/..%2F..%2Fsources.yaml",
            "/reports/ai/editions/%2e%2e%2f%2e%2e%2fsources.yaml",
            f"/reports/ai/editions/{day}.md",
            f"/reports/ai/editions/{day}%00",
            "/reports/..%2F..%2Fetc/editions",
            "/static/..%2F..%2Fsources.yaml",
            "/static/%2e%2e/service.py",
        )
    }
    assert all(status in (400, 403, 404) for status in answers.values()), answers
    assert answers["/reports/ai/editions/2001-01-01"] == 404


# ---------------------------------------------------------------- runs


def test_refresh_now_runs_once_and_a_running_one_is_not_doubled(site: Site) -> None:
    b = site.browser
    csrf = b.csrf("/runs")
    assert "Refresh now" in b.get("/runs").body
    with refresh_lock(site.daemon.config.state_dir, trigger="cli"):
        busy = b.post("/runs/refresh", {"csrf": csrf})
        assert (busy.status, busy.location) == (303, "/runs?busy=1")
        page = b.get("/runs?busy=1").body
        assert "A refresh is running" in page and "not started twice" in page
        assert 'data-running="yes"' in page
    started = b.post("/runs/refresh", {"csrf": csrf})
    assert started.status == 303
    run_id = int((started.location or "").rpartition("=")[2])
    assert site.daemon.worker.join(120)
    runs = {run.id: run for run in site.daemon.tracker.runs()}
    assert runs[run_id].trigger == "api" and runs[run_id].outcome != "running"
    assert f"<td>{run_id}</td>" in b.get("/runs").body


# ---------------------------------------------------------------- token login


def test_with_a_token_pages_want_a_session_from_the_login_form(token_site: Site) -> None:
    b = token_site.browser
    some = token_site.pending()[0].id
    first = b.get(f"/suggestions/{some}")
    assert (first.status, first.location) == (303, f"/login?next=/suggestions/{some}")
    assert b.get("/sources").status == 303
    assert b.post("/undo", {"csrf": "x"}).status == 403
    assert b.get("/login").status == 200
    assert b.get("/api/status").status == 401

    wrong = b.post("/login", {"token": "guess", "next": "/sources"})
    assert wrong.status == 403 and "Set-Cookie" not in wrong.headers
    assert "not the daemon" in wrong.body
    assert b.post("/login", {}).status == 403
    assert b.get("/").status == 303

    right = b.post("/login", {"token": "s3cret-token", "next": f"/suggestions/{some}"})
    assert (right.status, right.location) == (303, f"/suggestions/{some}")
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback; https would add it
    assert b.get("/").status == 200
    # The logged-in browser may read the API (the runs page polls it), not drive it.
    assert b.get("/api/status").status == 200
    assert b.post("/api/refresh", {}).status == 401

    csrf = b.csrf(f"/suggestions/{some}")
    other = Browser(b.port)
    other.post("/login", {"token": "s3cret-token"})
    assert other.csrf() != csrf
    # One session's token does not work for another.
    assert other.post(f"/suggestions/{some}/reject", {"csrf": csrf}).status == 403
    accepted = b.post(f"/suggestions/{some}/accept", {"csrf": csrf})
    assert accepted.status == 303
    assert token_site.statuses()[some or 0][0] == "accepted"

    assert b.post("/logout", {"csrf": csrf}).status == 303
    assert b.get("/").status == 303
    # A forged session id is no session.
    forged = Browser(b.port, cookies={"tracker_session": "made-up"})
    assert forged.get("/").status == 303


def test_a_feed_a_cited_page_advertises_is_adopted_with_a_form(site: Site) -> None:
    feed_url = "http://127.0.0.1:9/advertised.xml"
    with open_store(site.database) as store:
        store.add_feed_candidate(
            "http://127.0.0.1:9/cited", feed_url, "Advertised News", datetime.now(UTC)
        )
    b = site.browser
    page = b.get("/sources")
    assert page.status == 200 and 'action="/sources/adopt"' in page.body
    config = site.root / "sources.yaml"
    before = config.read_bytes()
    assert b.get(f"/sources/adopt?feed_url={feed_url}").status == 405  # never on GET
    assert b.post("/sources/adopt", {"feed_url": feed_url}).status == 403  # no CSRF token
    assert config.read_bytes() == before

    csrf = b.csrf("/sources")
    adopted = b.post("/sources/adopt", {"csrf": csrf, "feed_url": feed_url})
    assert adopted.status == 303 and adopted.location == "/sources?adopted=1"
    assert feed_url in config.read_text(encoding="utf-8")
    assert any(f.url == feed_url for f in load_config(config).feeds)
    again = b.post("/sources/adopt", {"csrf": csrf, "feed_url": feed_url})
    assert again.location == "/sources?adopted=0"  # already configured: nothing added
    unknown = b.post("/sources/adopt", {"csrf": csrf, "feed_url": "http://127.0.0.1:9/no.xml"})
    assert unknown.status == 400
