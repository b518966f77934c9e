"""The member portal under /portal: what every page shares (docs/portal.md).

A coordinator hands a member a signed, expiring link (``portal_links.py``).
Opening it (``open_link``) exchanges the token for a session cookie and
redirects to ``/portal/``, so the token leaves the address bar, the history
and every ``Referer``.

``PortalGuard`` wraps the whole ``/portal`` mount (web/app.py).  For every request it

1. reads the session cookie ``pk_portal`` (``Path=/portal``, signed with its own
   salt, so it is worthless below ``/admin`` and an admin cookie is worthless
   here; ``sessions.py``), and loads the session's member: a removed member's
   session ends;
2. remembers ``?lang=de|en`` in the session;
3. on POST: reads the body (at most ``MAX_BODY``), parses the form and refuses
   it with a 403 page unless its ``csrf`` field matches the session's token;
4. sends every page but a link to an explanation of how to get in, unless the
   session names a member;
5. writes the (renewed) cookie and the pages' security headers; renders 404
   and 503 as portal pages.

Handlers reach their member only through ``member_of(request)``, the member
the session names, never through a URL or a form field: whatever ids or
slugs a member puts into a request, it sees and changes its own data only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from widget_server.core.errors import BadTokenError, NotFoundError
from widget_server.core.models import LANGUAGES, Member
from widget_server.core.signing import SALT_PORTAL_SESSION
from widget_server.network.portal_links import read_portal_claim
from widget_server.web.charts import number
from widget_server.web.endpoints.admin.base import read_body, replay
from widget_server.web.endpoints.guards import serve_pages, with_headers
from widget_server.web.endpoints.public import PAGE_HEADERS
from widget_server.web.labels import DONE
from widget_server.web.reasons import reason_text
from widget_server.web.runtime import runtime_of
from widget_server.web.sessions import (
    CSRF_FIELD,
    LIFETIME_SECONDS,
    Session,
    cookie_header,
    decode_session,
    encode_session,
)

COOKIE = "pk_portal"
COOKIE_PATH = "/portal"
# The token is in the address of a link's request: no page of ours sends a Referer.
HEADERS = {**PAGE_HEADERS, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_LINK = re.compile(r"/[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)+")  # /portal/{token}: has dots


def is_link(path: str) -> bool:
    """Is this path below /portal a link's token (the one page without a session)?"""
    return _LINK.fullmatch(path) is not None


async def _session(scope: Scope, now: float) -> tuple[Session | None, Member | None, bool]:
    """(session, its member, whether a cookie was sent at all)."""
    request = Request(scope)
    runtime = runtime_of(request)
    value = request.cookies.get(COOKIE)
    if not value or runtime.signer is None:
        return None, None, bool(value)
    session = decode_session(runtime.signer, value, now, salt=SALT_PORTAL_SESSION)
    if session is None or session.member_id is None:
        return None, None, True
    try:
        member = await runtime.storage.get_member_by_id(session.member_id)
    except NotFoundError:
        return None, None, True
    if member.status == "removed":
        return session, member, True  # the guard says "no access any more"
    # Ended server-side by logout, by a coordinator or by the member's removal.
    if not await runtime.storage.session_active(session.sid, "portal", str(member.id), now):
        return None, None, True
    return session, member, True


class PortalGuard:
    """ASGI middleware of the /portal mount: session, language, CSRF, access, headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        now = runtime_of(request).clock()
        session, member, had_cookie = await _session(scope, now)
        state = scope.setdefault("state", {})
        state["cookie_sent"] = had_cookie
        lang = request.query_params.get("lang")
        if session is not None and lang in LANGUAGES and lang != session.lang:
            session = session.with_lang(lang)
        state["lang"] = lang if lang in LANGUAGES else (session.lang if session else None)
        path = scope["path"][len(scope.get("root_path", "")) :] or "/"
        if member is not None and member.status == "removed":
            state["session"] = None
            await self._page(scope, send, "link.html", 403, {"problem": "removed"})
            return
        state["session"], state["member"] = session, member

        form: FormData | None = None
        if scope["method"] == "POST":
            body = await read_body(receive)
            if body is None:
                await self._page(scope, send, "error.html", 413, {"problem": "too_large"})
                return
            receive = replay(body)
            form = await Request(scope, replay(body)).form(
                max_files=2, max_fields=50, max_part_size=2 * 1024 * 1024
            )
            if session is None or not session.csrf_matches(_text(form.get(CSRF_FIELD))):
                await form.close()
                await self._page(scope, send, "error.html", 403, {"problem": "csrf"})
                return
            state["form"] = form
        if member is None and not is_link(path):
            bye = request.query_params.get("done") == "logged_out"
            problem = "logged_out" if bye else "signed_out"
            await self._page(scope, send, "link.html", 200 if bye else 403, {"problem": problem})
            return
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

    async def _page(
        self, scope: Scope, send: Send, template: str, status: int, context: dict[str, Any]
    ) -> None:
        response = render(Request(scope), template, context, status=status)
        await response(scope, replay(b""), self._sending(scope, send))


async def _not_found(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {"problem": "not_found"}, status=404)


async def _unavailable(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {"problem": "unavailable"}, status=503)


def _cookie(scope: Scope) -> str | None:
    """The Set-Cookie value: the renewed session, its deletion, or nothing at all."""
    request = Request(scope)
    runtime = runtime_of(request)
    secure = scope.get("scheme") == "https" or (runtime.settings.public_url or "").startswith(
        "https://"
    )
    session: Session | None = scope["state"].get("session")
    if session is None or runtime.signer is None:
        # A stale or foreign cookie is deleted; a visitor without one gets none.
        if not scope["state"].get("cookie_sent"):
            return None
        return cookie_header(COOKIE, None, path=COOKIE_PATH, secure=secure)
    value = encode_session(runtime.signer, session, salt=SALT_PORTAL_SESSION)
    return cookie_header(COOKIE, value, path=COOKIE_PATH, secure=secure)


def moment(when: float | str, lang: str) -> str:
    """A time for people: ``15.01.2027, 10:00 UTC`` (``2027-01-15 10:00 UTC``).

    ``when`` is Unix time or ISO text as storage keeps it.
    """
    if isinstance(when, str):
        at = datetime.fromisoformat(when)
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    else:
        at = datetime.fromtimestamp(when, UTC)
    return at.strftime("%d.%m.%Y, %H:%M UTC" if lang == "de" else "%Y-%m-%d %H:%M UTC")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


# -- for the page modules -----------------------------------------------------------------------


def session_of(request: Request) -> Session:
    session: Session = request.state.session
    return session


def member_of(request: Request) -> Member:
    """The member whose portal this is: the session's, never one named in the request."""
    member: Member = request.state.member
    return member


def actor(request: Request) -> str:
    """Who acts, as the audit log names it."""
    return f"member:{member_of(request).slug}"


def lang_of(request: Request) -> str:
    lang: str | None = request.state.lang
    return lang or "de"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A portal page; every template gets lang, the CSRF token, the member and the session."""
    runtime = runtime_of(request)
    session: Session | None = getattr(request.state, "session", None)
    lang = lang_of(request)
    done = request.query_params.get("done")
    base: dict[str, Any] = {
        "lang": lang,
        "reason": lambda text: reason_text(lang, text),
        "num": lambda value, digits=2: "–" if value is None else number(value, lang, digits),
        "csrf": session.csrf if session else "",
        "csrf_field": CSRF_FIELD,
        "member": getattr(request.state, "member", None) if session else None,
        "until_text": moment(session.until, lang) if session and session.until else None,
        "when": lambda value: moment(value, lang),
        "done": done if done in DONE else None,
        "errors": {},
        "section": "",
        "participant_search": "portal_participants",  # finds a large theme's members by name
    }
    return runtime.templates.TemplateResponse(
        request,
        f"portal/{template}",
        {**base, **(context or {})},
        status_code=status,
        headers=dict(headers or {}),
    )


# -- opening a link, signing out ------------------------------------------------------------


async def open_link(request: Request) -> Response:
    """``/portal/{token}``: a valid link starts a session and leaves for ``/portal/``."""
    runtime = runtime_of(request)
    assert runtime.signer is not None
    now = runtime.clock()
    try:
        claim = read_portal_claim(runtime.signer, request.path_params["token"], now)
    except BadTokenError as exc:
        # A genuine link past its time (410) or a broken one (400): a page, not an error.
        expired = "expired" in str(exc)
        problem = "expired" if expired else "invalid"
        return render(request, "link.html", {"problem": problem}, status=410 if expired else 400)
    try:
        member = await runtime.storage.get_member_by_id(claim.member_id)
    except NotFoundError:
        return render(request, "link.html", {"problem": "invalid"}, status=400)
    if member.status == "removed":
        return render(request, "link.html", {"problem": "removed"}, status=403)
    if not await runtime.storage.portal_link_active(claim.link_id, member.id, now):
        return render(request, "link.html", {"problem": "invalid"}, status=400)  # revoked
    # A new session id and CSRF token, whatever session there was (maybe another member's).
    session = Session.new(now, member_id=member.id, until=claim.expires, lang=request.state.lang)
    until = min(claim.expires, now + LIFETIME_SECONDS)
    await runtime.storage.add_session(session.sid, "portal", str(member.id), until)
    request.state.session = session
    request.state.member = member
    return RedirectResponse(request.url_for("portal_home").path, status_code=303)


async def logout(request: Request) -> Response:
    runtime = runtime_of(request)
    session = session_of(request)
    await runtime.storage.end_session(session.sid)
    request.state.session = None
    query = "?done=logged_out" + (f"&lang={session.lang}" if session.lang else "")
    return RedirectResponse(request.url_for("portal_home").path + query, status_code=303)
