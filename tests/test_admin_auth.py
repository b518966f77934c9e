"""The admin's door: login, rate limits, sessions, CSRF, cookies, headers, language."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from tests.admin_helpers import PASSWORD, USER, csrf_of, login, make_account, signed_in, token
from tests.conftest import Clock
from widget_server.storage import SQLiteStorage
from widget_server.web.endpoints.admin.base import PUBLIC_PREFIXES
from widget_server.web.sessions import IDLE_SECONDS, LIFETIME_SECONDS, LoginThrottle

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def account(network: dict[str, int], storage: SQLiteStorage) -> AsyncIterator[None]:
    await make_account(storage)
    yield


def admin_routes(app: Starlette) -> list[Route]:
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/admin")
    return [r for r in mount.routes if isinstance(r, Route)]


def concrete(path: str) -> str:
    """An admin path with its parameters filled in with things that exist."""
    slug = "hochzeit" if path.startswith("/themes/{") else "blumen"
    return "/admin" + path.replace("{slug}", slug)


async def test_login_with_the_right_password_opens_the_admin(
    account: None, client: httpx.AsyncClient
) -> None:
    response = await login(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/"
    home = await client.get("/admin/")
    assert home.status_code == 200
    assert "Übersicht" in home.text and USER in home.text


async def test_login_with_a_wrong_password_or_unknown_user_fails_alike(
    account: None, client: httpx.AsyncClient
) -> None:
    wrong = await login(client, password="falsch-falsch-falsch")
    unknown = await login(client, username="niemand")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Benutzername oder Passwort stimmen nicht." in response.text
    assert (await client.get("/admin/")).status_code == 303


async def test_the_unknown_users_hash_is_made_at_the_first_such_login_not_at_import() -> None:
    # A password hash is tens of ms of CPU; every server start and CLI command imports
    # the login module.  An unknown user's password is still checked against a real hash.
    import asyncio
    import sys

    probe = (
        "from widget_server.core import passwords\n"
        "made = []\n"
        "real = passwords.hash_password\n"
        "passwords.hash_password = lambda p: made.append(p) or real(p)\n"
        "from widget_server.web.endpoints.admin import auth\n"
        "print(len(made))\n"
        "stored = auth._dummy_hash()\n"
        "print(len(made), auth._dummy_hash() is stored, passwords.verify_password('x', stored))\n"
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", probe, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 0
    assert out.decode().split() == ["0", "1", "True", "False"]


async def test_login_goes_back_to_the_page_asked_for_but_never_elsewhere(
    account: None, client: httpx.AsyncClient
) -> None:
    first = await client.get("/admin/members?status=pending")
    assert first.status_code == 303
    assert first.headers["location"] == "/admin/login?next=%2Fadmin%2Fmembers%3Fstatus%3Dpending"
    page = await client.get(first.headers["location"])
    data = {"csrf": csrf_of(page.text), "username": USER, "password": PASSWORD}
    back = await client.post("/admin/login", data={**data, "next": "/admin/members?status=pending"})
    assert back.headers["location"] == "/admin/members?status=pending"
    await client.post("/admin/logout", data={"csrf": await token(client)})
    for target in ("https://evil.example/", "//evil.example/admin", "/admin\\@evil.example"):
        page = await client.get("/admin/login")
        away = await client.post(
            "/admin/login", data={**data, "csrf": csrf_of(page.text), "next": target}
        )
        assert away.headers["location"] == "/admin/", target
        await client.post("/admin/logout", data={"csrf": await token(client)})


async def test_failed_logins_from_one_address_are_delayed_more_and_more(
    account: None, client: httpx.AsyncClient, clock: Clock
) -> None:
    limits = LoginThrottle().limits
    for _ in range(limits.free_per_pair):
        assert (await login(client, password="falsch-falsch")).status_code == 401
    delayed = await login(client)  # even the right password is not checked now
    assert delayed.status_code == 429
    first = int(delayed.headers["retry-after"])
    assert 0 < first <= limits.first_delay + 1
    assert "Zu viele fehlgeschlagene Anmeldungen" in delayed.text
    assert (await client.get("/admin/")).status_code == 303
    clock.advance(first)
    assert (await login(client, password="falsch-falsch")).status_code == 401
    second = int((await login(client)).headers["retry-after"])
    assert second > first  # the delay grows
    clock.advance(second)
    assert (await login(client)).status_code == 303  # never a lockout


async def test_failures_are_forgotten_after_the_window(
    account: None, client: httpx.AsyncClient, clock: Clock
) -> None:
    limits = LoginThrottle().limits
    for _ in range(limits.free_per_pair):
        await login(client, password="falsch-falsch")
    assert (await login(client)).status_code == 429
    clock.advance(limits.window + 1)
    assert (await login(client)).status_code == 303


async def test_failed_logins_are_delayed_per_client_address(
    account: None, client: httpx.AsyncClient
) -> None:
    limits = LoginThrottle().limits
    for n in range(limits.free_per_address):
        assert (await login(client, username=f"rate-{n}")).status_code == 401
    assert (await login(client)).status_code == 429  # another account, the same address


async def test_a_stranger_cannot_lock_the_coordinator_out() -> None:
    """Many failures from strangers' addresses delay neither the coordinator's address
    nor, account-wide, a browser that signed in before (issue 16: five wrong
    passwords used to lock the account for everyone for 15 minutes)."""
    throttle = LoginThrottle()
    for n in range(200):
        throttle.failed("koordination", f"198.51.100.{n % 50}", float(n))
    assert throttle.retry_after("koordination", "203.0.113.9", 200.0, known=True) == 0
    assert throttle.retry_after("koordination", "203.0.113.9", 200.0) > 0  # a new browser waits


async def test_a_browser_that_signed_in_before_skips_the_account_wide_delay(
    account: None, client: httpx.AsyncClient, app: Starlette, clock: Clock
) -> None:
    await signed_in(client)  # receives the signed pk_known cookie
    assert "pk_known" in client.cookies
    throttle = app.state.admin.throttle
    for n in range(100):
        throttle.failed(USER, f"198.51.100.{n}", clock())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as fresh:
        assert (await login(fresh)).status_code == 429  # unknown browser: delayed
    client.cookies.delete("pk_admin")
    assert (await login(client)).status_code == 303


async def test_the_throttle_keeps_no_address_in_clear() -> None:
    throttle = LoginThrottle()
    throttle.failed("someone", "203.0.113.7", 0.0)
    assert "203.0.113.7" not in repr(throttle._failures)
    assert throttle.retry_after("someone", "203.0.113.7", 1.0) == 0


async def test_every_admin_page_but_the_login_needs_a_session(
    app: Starlette, account: None, client: httpx.AsyncClient
) -> None:
    checked = 0
    for route in admin_routes(app):
        if "GET" not in (route.methods or ()) or route.path == "/login":
            continue
        if route.path.startswith(PUBLIC_PREFIXES):  # its signed one-time link is its key
            continue
        path = concrete(route.path)
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/admin/login?next="), path
        checked += 1
    assert checked >= 10


async def test_every_post_without_or_with_a_wrong_csrf_token_is_refused(
    app: Starlette, account: None, client: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await signed_in(client)
    posts = [r for r in admin_routes(app) if "POST" in (r.methods or ())]
    assert len(posts) >= 10
    for route in posts:
        path = concrete(route.path)
        for data in ({"action": "remove", "confirm": "yes"}, {"csrf": "forged", "action": "pause"}):
            response = await client.post(path, data=data)
            assert response.status_code == 403, (path, data)
            assert "Anfrage abgelehnt" in response.text
    member = await storage.get_member("blumen")
    assert member.status == "active"
    assert await storage.list_audit_entries() == []
    assert (await client.get("/admin/")).status_code == 200  # still signed in


async def test_a_csrf_token_of_another_session_is_refused(
    account: None, client: httpx.AsyncClient, app: Starlette
) -> None:
    await signed_in(client)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        foreign = await signed_in(other)
    response = await client.post(
        "/admin/members/blumen/status", data={"csrf": foreign, "action": "pause"}
    )
    assert response.status_code == 403


async def test_logout_ends_the_session_even_for_a_copied_cookie(
    account: None, client: httpx.AsyncClient
) -> None:
    csrf = await signed_in(client)
    copied = client.cookies.get("pk_admin")
    out = await client.post("/admin/logout", data={"csrf": csrf})
    assert out.status_code == 303
    assert out.headers["location"] == "/admin/login?done=logged_out"
    assert (await client.get("/admin/")).status_code == 303
    client.cookies.clear()
    client.cookies.set("pk_admin", copied or "", domain="testserver.local", path="/admin")
    assert (await client.get("/admin/")).status_code == 303


async def test_a_session_expires_when_idle(
    account: None, client: httpx.AsyncClient, clock: Clock
) -> None:
    await signed_in(client)
    clock.advance(IDLE_SECONDS - 60)
    assert (await client.get("/admin/")).status_code == 200  # renews the cookie
    clock.advance(IDLE_SECONDS - 60)
    assert (await client.get("/admin/")).status_code == 200
    clock.advance(IDLE_SECONDS + 1)
    assert (await client.get("/admin/")).status_code == 303


async def test_a_session_ends_after_its_lifetime_however_busy(
    account: None, client: httpx.AsyncClient, clock: Clock
) -> None:
    await signed_in(client)
    for _ in range(LIFETIME_SECONDS // 3600 - 1):
        clock.advance(3600)
        assert (await client.get("/admin/")).status_code == 200
    clock.advance(3601)
    assert (await client.get("/admin/")).status_code == 303


async def test_a_forged_session_cookie_is_ignored(account: None, client: httpx.AsyncClient) -> None:
    await signed_in(client)
    value = client.cookies.get("pk_admin") or ""
    client.cookies.clear()
    # One character of the signature changed, where all of its bits are signature: the
    # last two ("xx" before) were sometimes "xx" already, or differed only in the bits
    # base64 leaves unused, and the "forged" cookie was the real one (about 1 in 1,000).
    at = len(value) - 5
    forged = value[:at] + ("A" if value[at] != "A" else "B") + value[at + 1 :]
    assert forged != value
    client.cookies.set("pk_admin", forged, domain="testserver.local", path="/admin")
    assert (await client.get("/admin/")).status_code == 303


async def test_the_session_cookie_is_http_only_lax_and_only_for_admin(
    account: None, client: httpx.AsyncClient
) -> None:
    response = await login(client)
    cookies = response.headers.get_list("set-cookie")
    cookie = next(c for c in cookies if c.startswith("pk_admin="))
    known = next(c for c in cookies if c.startswith("pk_known="))
    assert "Path=/admin/login" in known and "HttpOnly" in known
    for flag in ("HttpOnly", "SameSite=Lax", "Path=/admin", f"Max-Age={IDLE_SECONDS}"):
        assert flag in cookie
    assert "Secure" not in cookie  # plain http in this test
    assert "koordination" not in cookie  # signed, and base64: not the plain name either


async def test_over_https_the_cookie_is_secure(
    account: None, network: dict[str, int], app: Starlette
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as secure:
        page = await secure.get("/admin/login")
        assert "Secure" in page.headers["set-cookie"]


async def test_admin_pages_are_uncached_with_a_strict_csp(
    account: None, client: httpx.AsyncClient
) -> None:
    await signed_in(client)
    for path in ("/admin/login", "/admin/", "/admin/members", "/admin/nope"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "<script>" not in response.text and " style=" not in response.text


async def test_public_endpoints_stay_cookie_free_after_an_admin_login(
    account: None, network: dict[str, int], client: httpx.AsyncClient, signer: object
) -> None:
    await signed_in(client)
    for path in ("/", "/t/hochzeit", "/embed.js", "/healthz"):
        response = await client.get(path)
        assert "set-cookie" not in response.headers, path
        assert "cookie" not in response.request.headers, path  # Path=/admin keeps it home


async def test_unknown_admin_pages_are_html_404s(account: None, client: httpx.AsyncClient) -> None:
    await signed_in(client)
    for path in ("/admin/nope", "/admin/members/nobody", "/admin/themes/nothing/rules"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "Nicht gefunden" in response.text


async def test_english_is_chosen_with_lang_and_remembered(
    account: None, client: httpx.AsyncClient
) -> None:
    await signed_in(client)
    english = await client.get("/admin/members?lang=en")
    assert '<html lang="en">' in english.text and "Members" in english.text
    later = await client.get("/admin/themes")
    assert '<html lang="en">' in later.text and "New theme" in later.text
    german = await client.get("/admin/themes?lang=de")
    assert "Neues Thema" in german.text


async def test_the_login_page_is_german_by_default_and_accessible(
    account: None, client: httpx.AsyncClient
) -> None:
    page = await client.get("/admin/login")
    assert '<html lang="de">' in page.text
    for input_id in ("f-username", "f-password"):
        assert f'<label for="{input_id}">' in page.text
    assert re.search(r'autocomplete="current-password"', page.text)
    failed = await login(client, password="falsch-falsch")
    assert 'role="alert"' in failed.text
