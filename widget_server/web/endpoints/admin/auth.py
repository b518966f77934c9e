"""Signing in and out of the admin.

Passwords are checked with scrypt (``passwords.py``) in a worker thread, so a
check (about 50 ms) does not stall the event loop.  Failed logins are limited
with growing delays (``sessions.LoginThrottle``): while a delay runs the
login is refused with 429 before any password is checked.  A browser that
signed in to the account before carries a signed ``pk_known`` cookie and
skips the account-wide delay, so strangers cannot lock the coordinator out.  An
unknown user name costs the same scrypt check as a known one.
"""

from __future__ import annotations

import asyncio
import functools

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from widget_server.core.errors import BadTokenError, NotFoundError
from widget_server.core.passwords import hash_password, verify_password
from widget_server.core.signing import SALT_KNOWN_BROWSER
from widget_server.web.endpoints.admin.base import admin_state, lang_of, render, session_of
from widget_server.web.endpoints.guards import form_of, form_text, redirect
from widget_server.web.runtime import runtime_of
from widget_server.web.sessions import (
    KNOWN_COOKIE,
    KNOWN_SECONDS,
    LIFETIME_SECONDS,
    Session,
    cookie_header,
)

LOGIN_PATH = "/admin/login"


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the account does not exist, so both cases take equally long.
    Made at the first such login, not at import: a hash is tens of ms of CPU, and every
    server start and CLI command imports this module."""
    return hash_password("partnerkreis-no-such-account")


def _next(request: Request, value: str) -> str:
    """Where to go after login: an admin path of ours, never another site."""
    home = request.url_for("admin_home").path
    if value.startswith("/admin") and not value.startswith("//") and "\\" not in value:
        return value
    return home


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


async def login_form(request: Request) -> Response:
    if session_of(request).signed_in:
        return redirect(request, "admin_home")
    return render(request, "login.html", {"next": request.query_params.get("next", "")})


async def login(request: Request) -> Response:
    runtime = runtime_of(request)
    state = admin_state(request.app)
    form = form_of(request)
    username = form_text(form, "username").strip()[:100]
    password = form_text(form, "password")[:1000]
    target = _next(request, form_text(form, "next"))
    now = runtime.clock()
    context = {"next": target, "username": username}
    known = _known(request, username)
    wait = state.throttle.retry_after(username, _address(request), now, known=known)
    if wait:
        minutes = max(1, round(wait / 60))
        return render(
            request,
            "login.html",
            {**context, "limited": minutes},
            status=429,
            headers={"Retry-After": str(wait)},
        )
    try:
        account = await runtime.storage.get_account(username)
        stored = account.password_hash
    except NotFoundError:
        account, stored = None, None
    valid = await asyncio.to_thread(
        lambda: verify_password(password, stored if stored is not None else _dummy_hash())
    )
    if account is None or not valid or not username or not account.active:
        state.throttle.failed(username, _address(request), now)
        return render(request, "login.html", {**context, "failed": True}, status=401)
    state.throttle.succeeded(username, _address(request))
    # A new session id and CSRF token: a session planted before login is worth nothing.
    session = Session.new(now, username=account.username, lang=lang_of(request))
    await runtime.storage.add_session(
        session.sid, "admin", account.username, now + LIFETIME_SECONDS
    )
    request.state.session = session
    response = RedirectResponse(target, status_code=303)
    assert runtime.signer is not None
    mark = runtime.signer.dumps(SALT_KNOWN_BROWSER, {"u": _fold(account.username)})
    secure = request.url.scheme == "https" or (runtime.settings.public_url or "").startswith(
        "https://"
    )
    response.headers.append(
        "set-cookie",
        cookie_header(KNOWN_COOKIE, mark, path=LOGIN_PATH, secure=secure, max_age=KNOWN_SECONDS),
    )
    return response


def _fold(username: str) -> str:
    return username.strip().casefold()


def _known(request: Request, username: str) -> bool:
    """Has this browser signed in to ``username`` before (a valid ``pk_known`` cookie)?"""
    signer = runtime_of(request).signer
    value = request.cookies.get(KNOWN_COOKIE)
    if not value or signer is None:
        return False
    try:
        data = signer.loads(SALT_KNOWN_BROWSER, value, max_age=KNOWN_SECONDS)
    except BadTokenError:
        return False
    return isinstance(data, dict) and data.get("u") == _fold(username)


async def logout(request: Request) -> Response:
    runtime = runtime_of(request)
    await runtime.storage.end_session(session_of(request).sid)
    lang = lang_of(request)
    request.state.session = Session.new(runtime.clock(), lang=lang)
    return redirect(request, "admin_login", done="logged_out")
