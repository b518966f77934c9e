"""The coordinators' admin under /admin: what every page shares.

``AdminGuard`` wraps the whole ``/admin`` mount (web/app.py), so no page can
forget it.  For every request it

1. reads the session cookie (signed, expiring; ``sessions.py``) and checks
   that the session has not been ended (the ``sessions`` table) and its
   account still exists; without one it starts an anonymous session
   (which carries the CSRF token of the login form);
2. remembers ``?lang=de|en`` in the session;
3. on POST: reads the body (at most ``MAX_BODY`` bytes), parses the form and
   refuses it with a 403 page unless its ``csrf`` field matches the session's
   token; handlers get the parsed form from ``guards.form_of``;
4. sends every other page to the login unless signed in;
5. writes the (renewed) session cookie, ``Path=/admin``, and the pages'
   security headers on the response; renders 404 pages as HTML.

The page modules are ``admin_auth`` (login, logout), ``admin_coordinators``
(accounts, own password, the public one-time reset page), ``admin_members``,
``admin_themes``, ``admin_rules`` (editor and preview), ``admin_stats``
(overview, stats, simulator) and ``admin_audit``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from widget_server.core.collation import sorted_german
from widget_server.core.errors import NotFoundError
from widget_server.core.models import LANGUAGES, Theme
from widget_server.storage import Storage
from widget_server.web.charts import number
from widget_server.web.endpoints.guards import serve_pages, with_headers
from widget_server.web.endpoints.public import PAGE_HEADERS
from widget_server.web.labels import DONE
from widget_server.web.reasons import reason_text
from widget_server.web.runtime import runtime_of
from widget_server.web.sessions import (
    CSRF_FIELD,
    LoginThrottle,
    Session,
    cookie_header,
    decode_session,
    encode_session,
)

COOKIE = "pk_admin"
COOKIE_PATH = "/admin"
MAX_BODY = 4 * 1024 * 1024  # bytes; a logo is at most 512 KiB, a rule document far less
PUBLIC = frozenset({"/login"})  # paths (below /admin) that need no login
PUBLIC_PREFIXES = ("/reset/",)  # a coordinator's one-time password link (coordinators.py)
HEADERS = {**PAGE_HEADERS, "Cache-Control": "no-store"}


@dataclass
class AdminState:
    """Per application: failed logins (in memory; sessions are in the database)."""

    throttle: LoginThrottle = field(default_factory=LoginThrottle)


def admin_state(app: Starlette) -> AdminState:
    found: AdminState | None = getattr(app.state, "admin", None)
    if found is None:
        found = app.state.admin = AdminState()
    return found


async def _session(request: Request, state: AdminState, now: float) -> Session | None:
    runtime = runtime_of(request)
    value = request.cookies.get(COOKIE)
    if not value or runtime.signer is None:
        return None
    session = decode_session(runtime.signer, value, now)
    if session is None:
        return None
    if session.username is not None:
        # Ended server-side by logout or a password change (storage/access.py).
        if not await runtime.storage.session_active(session.sid, "admin", session.username, now):
            return None
        try:
            account = await runtime.storage.get_account(session.username)
        except NotFoundError:
            return None
        if not account.active:  # deactivated: its sessions were ended, this is belt and braces
            return None
    return session


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when it is larger than ``MAX_BODY``."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def replay(body: bytes) -> Receive:
    """A ``receive`` that hands a body already read to the app (the portal's guard uses it too)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class AdminGuard:
    """ASGI middleware of the /admin mount: session, language, CSRF, login, headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        runtime = runtime_of(request)
        state = admin_state(request.app)
        now = runtime.clock()
        session = await _session(request, state, now) or Session.new(now)
        lang = request.query_params.get("lang")
        if lang in LANGUAGES and lang != session.lang:
            session = session.with_lang(lang)
        scope.setdefault("state", {})["session"] = session
        path = scope["path"][len(scope.get("root_path", "")) :] or "/"

        form: FormData | None = None
        if scope["method"] == "POST":
            body = await read_body(receive)
            if body is None:
                await self._page(scope, send, "error.html", 413, {"problem": "too_large"})
                return
            receive = replay(body)
            form = await Request(scope, replay(body)).form(
                max_files=2, max_fields=300, max_part_size=2 * 1024 * 1024
            )
            if not session.csrf_matches(_text(form.get(CSRF_FIELD))):
                await form.close()
                await self._page(scope, send, "error.html", 403, {"problem": "csrf"})
                return
            scope["state"]["form"] = form
        public = path in PUBLIC or path.startswith(PUBLIC_PREFIXES)
        if not session.signed_in and not public:
            root = scope.get("root_path", "")
            # Back to the page after login; a POST's form is lost, so back to the overview.
            target = request.url.path if scope["method"] in ("GET", "HEAD") else f"{root}/"
            if scope["method"] in ("GET", "HEAD") and request.url.query:
                target += f"?{request.url.query}"
            login = f"{root}/login?" + urlencode({"next": target})
            await self._respond(scope, receive, send, RedirectResponse(login, status_code=303))
            return
        # Errors below /admin are pages, not problem+json: our handlers replace the app's.
        await serve_pages(
            self.app,
            scope,
            receive,
            self._sending(scope, send),
            not_found=_not_found,
            unavailable=_unavailable,
            no_route=lambda: self._page(scope, send, "error.html", 404, {"problem": "not_found"}),
            form=form,
        )

    def _sending(self, scope: Scope, send: Send) -> Send:
        """Adds the session cookie and the security headers to the response."""
        return with_headers(send, HEADERS, lambda: _cookie(scope))

    async def _respond(
        self, scope: Scope, receive: Receive, send: Send, response: Response
    ) -> None:
        await response(scope, receive, self._sending(scope, send))

    async def _page(
        self, scope: Scope, send: Send, template: str, status: int, context: dict[str, Any]
    ) -> None:
        response = render(Request(scope), template, context, status=status)
        await self._respond(scope, replay(b""), send, response)


async def _not_found(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {"problem": "not_found"}, status=404)


async def _unavailable(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {"problem": "unavailable"}, status=503)


def _cookie(scope: Scope) -> str:
    request = Request(scope)
    runtime = runtime_of(request)
    secure = scope.get("scheme") == "https" or (runtime.settings.public_url or "").startswith(
        "https://"
    )
    session: Session | None = scope["state"].get("session")
    if session is None or runtime.signer is None:
        return cookie_header(COOKIE, None, path=COOKIE_PATH, secure=secure)
    value = encode_session(runtime.signer, session)
    return cookie_header(COOKIE, value, path=COOKIE_PATH, secure=secure)


def _text(value: str | UploadFile | None) -> str | None:
    return value if isinstance(value, str) else None


# -- for the page modules -----------------------------------------------------------------------


def session_of(request: Request) -> Session:
    session: Session = request.state.session
    return session


def actor(request: Request) -> str:
    """Who acts, as the audit log and rule versions name them."""
    return f"admin:{session_of(request).username}"


def page_count(items: int, size: int) -> int:
    """The pages a list of ``items`` shows ``size`` at a time; an empty one has one."""
    return max(1, -(-items // size))


def page_number(request: Request) -> int:
    """The ``page`` a paged list asks for: 1 unless it is a whole number above 1 (a page
    beyond the last is the list's to clamp)."""
    try:
        return max(1, int(request.query_params.get("page") or "1"))
    except ValueError:
        return 1


def lang_of(request: Request) -> str:
    return session_of(request).lang or "de"


async def render_long(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> Response:
    """``render`` in a worker thread, for a page whose length grows with the network (a
    card per theme): at 2,000 themes Jinja took 0.6-1 s for the dashboard and the theme
    list, and the event loop, which serves the widget, waited for it."""
    return await asyncio.to_thread(render, request, template, context, status=status)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An admin page; every template gets lang, the session's CSRF token and the user."""
    runtime = runtime_of(request)
    session = session_of(request)
    lang = lang_of(request)
    done = request.query_params.get("done")
    base = {
        "lang": lang,
        "reason": lambda text: reason_text(lang, text),
        "num": lambda value, digits=2: "–" if value is None else number(value, lang, digits),
        "csrf": session.csrf,
        "csrf_field": CSRF_FIELD,
        "user": session.username,
        "done": done if done in DONE else None,
        "errors": {},
        "section": "",
        "participant_search": "admin_participants",  # finds a large theme's members by name
    }
    return runtime.templates.TemplateResponse(
        request,
        f"admin/{template}",
        {**base, **(context or {})},
        status_code=status,
        headers=dict(headers or {}),
    )


async def themes_by_name(storage: Storage, lang: str) -> list[Theme]:
    """Every theme in German order of its name, sorted in a worker thread (2,000
    themes' collation keys are some 15 ms)."""
    themes = await storage.list_themes()
    return await asyncio.to_thread(sorted_german, themes, key=lambda t: t.name(lang))
