"""The portal's door: links, sessions, CSRF, cookies, headers, and one member's data only."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from tests.admin_helpers import make_account, signed_in
from tests.conftest import Clock
from tests.portal_helpers import link_path, open_portal, portal_post, portal_token
from widget_server.core.signing import SALT_PORTAL, Signer
from widget_server.network.services import MemberInput, add_member, add_theme, set_member_status
from widget_server.storage import SQLiteStorage
from widget_server.web.sessions import IDLE_SECONDS

pytestmark = pytest.mark.asyncio


def portal_routes(app: Starlette) -> list[Route]:
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/portal")
    return [r for r in mount.routes if isinstance(r, Route)]


def concrete(path: str) -> str:
    return "/portal" + path.replace("{theme}", "hochzeit")


async def other_theme(storage: SQLiteStorage) -> None:
    """A theme blumen is not in, with a member of its own."""
    await add_theme(storage, slug="innenstadt", name_de="Innenstadt", kind="local")
    await add_member(
        storage,
        MemberInput(
            slug="buecher",
            name="Heider Bücherstube",
            website="https://buecher.example/",
            themes=("innenstadt",),
        ),
    )


async def test_a_link_opens_a_session_and_leaves_the_address_bar(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    path = await link_path(storage, signer, clock, "blumen")
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/"  # the token is gone from the address
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("pk_portal=")
    for flag in ("HttpOnly", "SameSite=Lax", "Path=/portal", f"Max-Age={IDLE_SECONDS}"):
        assert flag in cookie
    assert "Secure" not in cookie  # plain http in this test
    assert path.split("/")[-1] not in cookie
    page = await client.get("/portal/")
    assert page.status_code == 200
    assert "Willkommen, Blumenhaus am Markt" in page.text
    assert 'lang="de"' in page.text


async def test_over_https_the_portal_cookie_is_secure(
    network: dict[str, int], storage: SQLiteStorage, app: Starlette, signer: Signer, clock: Clock
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as secure:
        response = await secure.get(await link_path(storage, signer, clock, "blumen"))
        assert "Secure" in response.headers["set-cookie"]


async def test_an_expired_link_gives_a_page_that_asks_for_a_new_one(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    path = await link_path(storage, signer, clock, "blumen", days=7)
    clock.advance(7 * 86_400 + 1)
    response = await client.get(path)
    assert response.status_code == 410
    assert response.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in response.headers
    assert "<h1>Dieser Link ist abgelaufen</h1>" in response.text
    assert "fragen Sie die Koordination Ihres Netzwerks nach einem neuen Link" in response.text
    assert 'lang="de"' in response.text
    english = await client.get(path + "?lang=en")
    assert "ask your network&#39;s coordinators for a new link" in english.text


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-3] + ("abc" if not token.endswith("abc") else "xyz"),
        lambda token: token.split(".")[0] + ".AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAA",
        lambda token: "nothing.like.a.token",
        lambda token: token.replace(".", "", 1),
    ],
)
async def test_a_tampered_link_gives_a_clear_page_not_an_error(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
    tamper: object,
) -> None:
    token = (await link_path(storage, signer, clock, "blumen")).removeprefix("/portal/")
    response = await client.get("/portal/" + tamper(token))  # type: ignore[operator]
    assert response.status_code in (400, 403), response.status_code
    assert response.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in response.headers
    assert "Koordination" in response.text and "neuen Link" in response.text


async def test_tokens_signed_for_other_purposes_open_nothing(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient, signer: Signer
) -> None:
    embed = signer.embed_token(network["blumen"])
    session_like = signer.dumps("partnerkreis.session.v1", {"m": 3, "e": 2_000_000_000})
    for token in (embed, session_like):
        response = await client.get(f"/portal/{token}")
        assert response.status_code == 400, token
        assert "Dieser Link funktioniert nicht" in response.text
    unknown = signer.dumps(SALT_PORTAL, {"m": 999, "e": 2_000_000_000})
    assert (await client.get(f"/portal/{unknown}")).status_code == 400


async def test_a_removed_member_is_let_in_no_more(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    path = await link_path(storage, signer, clock, "blumen")
    await open_portal(client, storage, signer, clock)
    await set_member_status(storage, "blumen", "removed")
    page = await client.get("/portal/")
    assert page.status_code == 403
    assert "Kein Zugang mehr" in page.text
    assert page.headers["set-cookie"].startswith("pk_portal=;")  # the session is deleted
    again = await client.get(path)
    assert again.status_code == 403 and "Kein Zugang mehr" in again.text


async def test_the_session_never_outlives_its_link(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    member = await storage.get_member("blumen")
    await storage.add_portal_link("one-hour", member.id, clock() + 3600)
    token = signer.dumps(SALT_PORTAL, {"m": member.id, "e": int(clock() + 3600), "k": "one-hour"})
    assert (await client.get(f"/portal/{token}")).status_code == 303
    clock.advance(3590)
    assert (await client.get("/portal/")).status_code == 200
    clock.advance(11)
    page = await client.get("/portal/")
    assert page.status_code == 403
    assert "Bitte öffnen Sie Ihren persönlichen Link" in page.text


async def test_a_session_expires_when_idle(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    await open_portal(client, storage, signer, clock)
    clock.advance(IDLE_SECONDS - 60)
    assert (await client.get("/portal/")).status_code == 200  # renews the cookie
    clock.advance(IDLE_SECONDS + 1)
    assert (await client.get("/portal/")).status_code == 403


async def test_every_portal_page_but_the_link_needs_a_session(
    network: dict[str, int], app: Starlette, client: httpx.AsyncClient
) -> None:
    checked = 0
    for route in portal_routes(app):
        if "GET" not in (route.methods or ()) or route.path == "/{token}":
            continue
        response = await client.get(concrete(route.path))
        assert response.status_code == 403, route.path
        assert "Bitte öffnen Sie Ihren persönlichen Link" in response.text
        assert "set-cookie" not in response.headers  # no cookie for strangers
        checked += 1
    assert checked >= 6


async def test_every_post_without_or_with_a_wrong_csrf_token_is_refused(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    await open_portal(client, storage, signer, clock)
    before = await storage.get_member("blumen")
    posts = [r for r in portal_routes(app) if "POST" in (r.methods or ())]
    assert len(posts) >= 5
    for route in posts:
        path = concrete(route.path)
        for data in (
            {"theme": "hochzeit", "status": "left", "confirm": "yes", "name": "Gekapert"},
            {"csrf": "forged", "theme": "hochzeit", "status": "paused", "name": "Gekapert"},
        ):
            response = await client.post(path, data=data)
            assert response.status_code == 403, (path, data)
            assert "Anfrage abgelehnt" in response.text
    assert await storage.get_member("blumen") == before
    assert {m.status for m in await storage.list_memberships(member_id=before.id)} == {"active"}
    assert await storage.list_audit_entries() == []
    assert await storage.list_profile_changes() == []
    assert (await client.get("/portal/")).status_code == 200  # still signed in


async def test_a_csrf_token_of_another_members_session_is_refused(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    await open_portal(client, storage, signer, clock, "blumen")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        foreign = await open_portal(other, storage, signer, clock, "catering")
    response = await client.post(
        "/portal/profile",
        data={"csrf": foreign, "name": "Gekapert", "website": "https://x.example"},
    )
    assert response.status_code == 403
    assert (await storage.get_member("blumen")).name == "Blumenhaus am Markt"


async def test_a_portal_session_does_not_open_the_admin(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    await make_account(storage)
    await open_portal(client, storage, signer, clock)
    response = await client.get("/admin/")
    assert response.status_code == 303  # Path=/portal: the admin never sees the cookie
    assert response.headers["location"].startswith("/admin/login")
    value = client.cookies.get("pk_portal") or ""
    client.cookies.set("pk_admin", value, domain="testserver.local", path="/admin")
    response = await client.get("/admin/members")
    assert response.status_code == 303  # signed with another salt: not an admin session
    assert response.headers["location"].startswith("/admin/login")


async def test_an_admin_session_does_not_open_a_portal(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    await make_account(storage)
    await signed_in(client)
    assert (await client.get("/portal/")).status_code == 403
    value = client.cookies.get("pk_admin") or ""
    client.cookies.set("pk_portal", value, domain="testserver.local", path="/portal")
    assert (await client.get("/portal/")).status_code == 403


async def test_a_member_only_ever_sees_and_changes_its_own_data(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    await other_theme(storage)
    await open_portal(client, storage, signer, clock, "blumen")
    catering = await storage.get_member("catering")
    for path in (
        f"/portal/?member=catering&id={catering.id}&slug=catering",
        "/portal/profile?member=catering&slug=catering",
        "/portal/figures?member=catering",
        "/portal/code?member=catering&theme=innenstadt",
    ):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert "Blumenhaus am Markt" in page.text
        assert "Küstenküche Boie" not in page.text and "Bücherstube" not in page.text, path
    # the preview of a theme it is not in does not exist for it
    assert (await client.get("/portal/preview/innenstadt")).status_code == 404
    assert (await client.get("/portal/preview/hochzeit")).status_code == 200
    # forms naming someone else change the member's own data, or nothing
    response = await portal_post(
        client,
        "/portal/profile",
        {
            "member": "catering",
            "slug": "catering",
            "id": str(catering.id),
            "name": "Blumenhaus am Markt",
            "website": "https://blumen.example/",
            "description": "Neu gebunden",
        },
    )
    assert response.status_code == 303
    assert (await storage.get_member("blumen")).description == "Neu gebunden"
    assert (await storage.get_member("catering")) == catering
    for theme in ("innenstadt", "nirgendwo"):
        response = await portal_post(
            client, "/portal/themes", {"theme": theme, "status": "left", "confirm": "yes"}
        )
        assert response.status_code == 422
        assert "Dieses Thema gibt es in Ihrem Mitgliederbereich nicht" in response.text
    buecher = await storage.get_member("buecher")
    assert {m.status for m in await storage.list_memberships(member_id=buecher.id)} == {"active"}


async def test_logout_ends_the_session_even_for_a_copied_cookie(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    csrf = await open_portal(client, storage, signer, clock)
    copied = client.cookies.get("pk_portal") or ""
    out = await client.post("/portal/logout", data={"csrf": csrf})
    assert out.status_code == 303
    assert out.headers["location"] == "/portal/?done=logged_out"
    bye = await client.get(out.headers["location"])
    assert bye.status_code == 200 and "Sie sind abgemeldet" in bye.text
    assert (await client.get("/portal/figures")).status_code == 403
    client.cookies.clear()
    client.cookies.set("pk_portal", copied, domain="testserver.local", path="/portal")
    assert (await client.get("/portal/")).status_code == 403


async def test_another_members_link_replaces_the_session(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    first = await open_portal(client, storage, signer, clock, "blumen")
    second = await open_portal(client, storage, signer, clock, "catering")
    assert first != second
    page = await client.get("/portal/")
    assert "Willkommen, Küstenküche Boie" in page.text
    response = await client.post("/portal/profile", data={"csrf": first, "name": "X"})
    assert response.status_code == 403


async def test_portal_pages_are_uncached_with_a_strict_csp_and_send_no_referrer(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    await open_portal(client, storage, signer, clock)
    for path in ("/portal/", "/portal/code", "/portal/figures", "/portal/profile", "/portal/nope"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "<script>" not in response.text and " style=" not in response.text
    preview = await client.get("/portal/preview/hochzeit")
    assert "frame-ancestors 'self'" in preview.headers["content-security-policy"]
    assert "default-src 'none'" in preview.headers["content-security-policy"]


async def test_public_endpoints_stay_cookie_free_after_opening_a_portal(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    await open_portal(client, storage, signer, clock)
    token = signer.embed_token(network["blumen"])
    for path in ("/", "/t/hochzeit", "/embed.js", f"/w/{token}", "/healthz", "/admin/login"):
        response = await client.get(path)
        assert "cookie" not in response.request.headers, path  # Path=/portal keeps it home


async def test_unknown_portal_pages_are_html_404s(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    await open_portal(client, storage, signer, clock)
    for path in ("/portal/nope/deeper", "/portal/preview/nothing"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "<h1>Nicht gefunden</h1>" in response.text


async def test_english_is_chosen_with_lang_and_remembered(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    await open_portal(client, storage, signer, clock)
    assert "Willkommen" in (await client.get("/portal/")).text
    english = await client.get("/portal/?lang=en")
    assert 'lang="en"' in english.text and "Welcome, Blumenhaus am Markt" in english.text
    assert "Your figures" in (await client.get("/portal/figures")).text
    csrf = await portal_token(client)
    out = await client.post("/portal/logout", data={"csrf": csrf})
    assert out.headers["location"] == "/portal/?done=logged_out&lang=en"
    assert "You are signed out" in (await client.get(out.headers["location"])).text


async def test_the_link_pages_are_accessible(
    network: dict[str, int], client: httpx.AsyncClient
) -> None:
    page = await client.get("/portal/not.a.link")
    assert re.search(r'<html lang="de">', page.text)
    assert page.text.count("<h1>") == 1
    assert '<main id="inhalt"' in page.text and "Zum Inhalt springen" in page.text
