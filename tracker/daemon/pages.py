"""The review pages, served by the daemon beside its control API.

Routes::

    GET  /                                   review queue (?report=&section=&kind=&status=)
    GET  /suggestions/{id}                   one suggestion in its section, with the actions
    POST /suggestions/{id}/accept|reject     decide one      (form: csrf, next)
    POST /suggestions/{id}/edit              accept in the editor's words (form: text)
    POST /undo                               take back the last decision
    POST /batch                              decide a selection (form: ids…, action)
    GET  /reports/{id}/editions              the report's dated editions
    GET  /reports/{id}/editions/{date}       one edition's HTML (its diff), as written
    GET  /reports/{id}/editions/compare      ?from=D1&to=D2: two editions' diff
    GET  /sources                            feeds and cited pages, their health
    GET  /runs                               recent refreshes; POST /runs/refresh starts one
    GET  /login, POST /login, POST /logout   the token login (token mode only)
    GET  /static/…                           the pages' own CSS and JS

Every action is a plain HTML form that redirects (303) back; the keyboard
script only presses those forms. Nothing changes state on GET: mail scanners
open digest links. Who may do what is :mod:`tracker.daemon.security`'s
business, applied in :meth:`Pages.guarded` before any handler runs.

The pages speak only to a :class:`ReviewBackend` (the daemon, which
delegates to its ``Tracker``); they never open the store. Edition files are
served only when the store recorded them: the date picks a record and the
record names the file, so no request path reaches the disk.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import quote

import jinja2
from aiohttp import web

from tracker.daemon.errors import RefreshBusy, ShuttingDown
from tracker.daemon.security import CSRF_FIELD, Guard, local_path, same_origin
from tracker.daemon.views import KIND_LABELS, group_queue, preview, safe_url
from tracker.errors import TrackerError
from tracker.types import Report, Suggestion, SuggestionKind, SuggestionStatus

if TYPE_CHECKING:
    from tracker.app import Decided
    from tracker.status import Status
    from tracker.store import Decision, EditionRecord

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_PACKAGE = Path(__file__).resolve().parent
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# An edition's HTML carries its own <style> and no script; let it run none.
_EDITION_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src http: https: data:; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class ReviewBackend(Protocol):
    """What the pages need from the daemon; each call may block (run in an executor)."""

    def report_ids(self) -> list[str]: ...
    def report(self, report_id: str) -> Report: ...  # raises TrackerError
    def suggestions(
        self, *, report: str | None, status: SuggestionStatus | None, section: str | None
    ) -> list[Suggestion]: ...
    def suggestion(self, suggestion_id: int) -> Suggestion | None: ...
    def decide(
        self, ids: list[int], status: SuggestionStatus, edited_text: str | None = None
    ) -> Decided: ...
    def undo(self) -> list[Decision]: ...
    def editions(self, report_id: str) -> list[EditionRecord]: ...  # raises TrackerError
    def compare_editions(
        self, report_id: str, old: EditionRecord, new: EditionRecord
    ) -> str: ...  # raises TrackerError
    def overview(self) -> Status: ...
    def start_refresh(self) -> int: ...  # raises RefreshBusy or ShuttingDown
    def adopt_feed(self, feed_url: str) -> int: ...  # feeds added; raises TrackerError


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tracker.daemon", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["kind_label"] = lambda kind: KIND_LABELS.get(kind, str(kind))
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M") if value else "—"
    env.filters["day"] = lambda value: value.strftime("%Y-%m-%d") if value else "—"
    return env


class Pages:
    """Adds the review pages to an aiohttp app; :meth:`guarded` is their gate."""

    def __init__(self, backend: ReviewBackend, guard: Guard) -> None:
        self.backend = backend
        self.guard = guard
        self._env = _environment()

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/", self._queue)
        r.add_get(r"/suggestions/{id:\d+}", self._suggestion)
        r.add_post(r"/suggestions/{id:\d+}/{action:accept|reject|edit}", self._decide)
        r.add_post("/undo", self._undo)
        r.add_post("/batch", self._batch)
        r.add_get("/reports/{report}/editions", self._editions)
        r.add_get("/reports/{report}/editions/compare", self._compare)
        r.add_get("/reports/{report}/editions/{date}", self._edition)
        r.add_get("/sources", self._sources)
        r.add_post("/sources/adopt", self._adopt)
        r.add_get("/runs", self._runs)
        r.add_post("/runs/refresh", self._refresh)
        r.add_get("/login", self._login_form)
        r.add_post("/login", self._login)
        r.add_post("/logout", self._logout)
        r.add_static("/static/", _PACKAGE / "static", append_version=False)

    # -- the gate ------------------------------------------------------------------

    async def guarded(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Sessions in token mode; the CSRF token and same-origin check on every POST."""
        if request.path.startswith("/static/"):
            return await handler(request)
        if self.guard.token and request.path != "/login" and self.guard.session(request) is None:
            if request.method in ("GET", "HEAD"):
                raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
            raise web.HTTPForbidden(text="log in first")
        if request.method == "POST":
            if not same_origin(request):
                raise web.HTTPForbidden(text="a form from another site")
            if request.path != "/login":
                form = await request.post()
                given = form.get(CSRF_FIELD)
                if not isinstance(given, str) or not self.guard.csrf_valid(request, given):
                    raise web.HTTPForbidden(text="the form's CSRF token is missing or stale")
        return await handler(request)

    # -- helpers -------------------------------------------------------------------

    async def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, lambda: function(*args, **kwargs))

    def _page(
        self, request: web.Request, template: str, status: int = 200, **context: Any
    ) -> web.Response:
        html = self._env.get_template(template).render(
            csrf=self.guard.csrf_for(request),
            token_mode=bool(self.guard.token),
            here=request.path_qs,
            **context,
        )
        return web.Response(
            text=html, status=status, content_type="text/html", headers=_PAGE_HEADERS
        )

    def _report_or_none(self, report_id: str) -> Report | None:
        try:
            return self.backend.report(report_id)
        except TrackerError:
            return None

    async def _suggestion_or_404(self, request: web.Request) -> Suggestion:
        suggestion = await self._call(self.backend.suggestion, int(request.match_info["id"]))
        if suggestion is None:
            raise web.HTTPNotFound(text="no such suggestion")
        return suggestion

    @staticmethod
    def _back(form: Any, default: str = "/") -> web.HTTPSeeOther:
        target = form.get("next")
        return web.HTTPSeeOther(local_path(target if isinstance(target, str) else None, default))

    # -- review --------------------------------------------------------------------

    async def _queue(self, request: web.Request) -> web.Response:
        query = request.query
        try:
            status = SuggestionStatus(query.get("status") or "pending")
            kind = SuggestionKind(query["kind"]) if query.get("kind") else None
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        report_ids = await self._call(self.backend.report_ids)
        report = query.get("report") or None
        if report is not None and report not in report_ids:
            raise web.HTTPBadRequest(text=f"no report {report!r}")
        section = query.get("section") or None

        def load() -> tuple[list[Suggestion], dict[str, Report]]:
            found = self.backend.suggestions(report=report, status=status, section=section)
            wanted = {s.report for s in found}
            parsed = {r: p for r in wanted if (p := self._report_or_none(r)) is not None}
            return found, parsed

        found, reports = await self._call(load)
        if kind is not None:
            found = [s for s in found if s.kind is kind]
        return self._page(
            request,
            "queue.html.j2",
            groups=group_queue(report_ids, reports, found),
            total=len(found),
            report_ids=report_ids,
            kinds=list(SuggestionKind),
            statuses=list(SuggestionStatus),
            chosen={"report": report or "", "section": section or "", "kind": kind or "",
                    "status": status},
        )  # fmt: skip

    async def _suggestion(self, request: web.Request) -> web.Response:
        suggestion = await self._suggestion_or_404(request)
        report = await self._call(self._report_or_none, suggestion.report)
        section = report.section(suggestion.section) if report else None
        return self._page(
            request,
            "suggestion.html.j2",
            s=suggestion,
            report=report,
            section=section,
            pieces=preview(section.text if section else None, suggestion),
        )

    async def _decide(self, request: web.Request) -> web.StreamResponse:
        suggestion = await self._suggestion_or_404(request)
        assert suggestion.id is not None
        form = await request.post()
        action = request.match_info["action"]
        edited: str | None = None
        if action == "edit":
            text = form.get("text")
            if not isinstance(text, str) or not text.strip():
                raise web.HTTPBadRequest(text="the edited text is empty")
            edited = text.replace("\r\n", "\n").strip()
        status = SuggestionStatus.REJECTED if action == "reject" else SuggestionStatus.ACCEPTED
        try:
            await self._call(self.backend.decide, [suggestion.id], status, edited)
        except TrackerError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        raise self._back(form)

    async def _undo(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        await self._call(self.backend.undo)
        raise self._back(form)

    async def _batch(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        action = form.get("action")
        if action not in ("accept", "reject"):
            raise web.HTTPBadRequest(text="action must be accept or reject")
        try:
            ids = sorted({int(str(value)) for value in form.getall("ids", [])})
        except ValueError:
            raise web.HTTPBadRequest(text="ids must be numbers") from None
        if not ids:
            raise web.HTTPBadRequest(text="no suggestion selected")

        def decide() -> bool:
            if any(self.backend.suggestion(i) is None for i in ids):
                return False
            status = SuggestionStatus.ACCEPTED if action == "accept" else SuggestionStatus.REJECTED
            self.backend.decide(ids, status)
            return True

        if not await self._call(decide):
            raise web.HTTPNotFound(text="no such suggestion")
        raise self._back(form)

    # -- editions ------------------------------------------------------------------

    async def _records(self, request: web.Request) -> tuple[str, list[EditionRecord]]:
        report_id = request.match_info["report"]
        try:
            return report_id, await self._call(self.backend.editions, report_id)
        except TrackerError:
            raise web.HTTPNotFound(text=f"no report {report_id!r}") from None

    @staticmethod
    def _record(records: list[EditionRecord], day: str | None) -> EditionRecord:
        if not day or not _DATE.match(day):
            raise web.HTTPBadRequest(text="an edition date is YYYY-MM-DD")
        for record in records:
            if record.edition_date == day:
                return record
        raise web.HTTPNotFound(text=f"no edition of {day}")

    async def _editions(self, request: web.Request) -> web.Response:
        report_id, records = await self._records(request)
        return self._page(request, "editions.html.j2", report_id=report_id, editions=records)

    async def _edition(self, request: web.Request) -> web.Response:
        _, records = await self._records(request)
        record = self._record(records, request.match_info["date"])
        try:
            html = await self._call(Path(record.path).with_suffix(".html").read_bytes)
        except OSError:
            raise web.HTTPNotFound(text="the edition's HTML file is missing") from None
        return web.Response(
            body=html, content_type="text/html", charset="utf-8", headers=_EDITION_HEADERS
        )

    async def _compare(self, request: web.Request) -> web.Response:
        report_id, records = await self._records(request)
        old = self._record(records, request.query.get("from"))
        new = self._record(records, request.query.get("to"))

        try:
            html = await self._call(self.backend.compare_editions, report_id, old, new)
        except TrackerError as exc:
            raise web.HTTPNotFound(text=str(exc)) from None
        return web.Response(text=html, content_type="text/html", headers=_EDITION_HEADERS)

    # -- operations ----------------------------------------------------------------

    async def _sources(self, request: web.Request) -> web.Response:
        overview = await self._call(self.backend.overview)
        adopted = request.query.get("adopted")
        return self._page(request, "sources.html.j2", overview=overview, adopted=adopted)

    async def _adopt(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        feed_url = str(form.get("feed_url", "")).strip()
        if not feed_url:
            raise web.HTTPBadRequest(text="which feed? (feed_url is missing)")
        try:
            added = await self._call(self.backend.adopt_feed, feed_url)
        except TrackerError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        raise web.HTTPSeeOther(f"/sources?adopted={added}")

    async def _runs(self, request: web.Request) -> web.Response:
        overview = await self._call(self.backend.overview)
        return self._page(
            request,
            "runs.html.j2",
            overview=overview,
            busy=request.query.get("busy") == "1",
            started=request.query.get("started", ""),
        )

    async def _refresh(self, request: web.Request) -> web.StreamResponse:
        try:
            run_id = await self._call(self.backend.start_refresh)
        except RefreshBusy:
            raise web.HTTPSeeOther("/runs?busy=1") from None
        except ShuttingDown:
            raise web.HTTPServiceUnavailable(text="the daemon is shutting down") from None
        raise web.HTTPSeeOther(f"/runs?started={run_id}")

    # -- login -----------------------------------------------------------------------

    async def _login_form(self, request: web.Request) -> web.Response:
        if not self.guard.token:
            raise web.HTTPSeeOther("/")
        return self._page(
            request, "login.html.j2", next=local_path(request.query.get("next")), refused=False
        )

    async def _login(self, request: web.Request) -> web.StreamResponse:
        if not self.guard.token:
            raise web.HTTPSeeOther("/")
        form = await request.post()
        given = form.get("token")
        target = form.get("next")
        next_path = local_path(target if isinstance(target, str) else None)
        if not isinstance(given, str) or not self.guard.token_matches(given):
            return self._page(request, "login.html.j2", status=403, next=next_path, refused=True)
        response = _redirect(next_path)
        self.guard.log_in(request, response)
        return response

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        response = _redirect("/login" if self.guard.token else "/")
        self.guard.log_out(request, response)
        return response
