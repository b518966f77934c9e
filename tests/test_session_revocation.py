"""Sessions and portal links end server-side (issue 16): logout, password change, revocation.

Before, logout was remembered per process in memory: the old cookie worked again
after a restart or on another process, and portal links could not be revoked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.admin_helpers import PASSWORD, USER, make_account, post, signed_in
from tests.conftest import Clock, reopened
from tests.portal_helpers import link_path, open_portal, portal_post
from widget_server.cli import main
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.network.portal_links import DEFAULT_DAYS, MAX_DAYS
from widget_server.storage import Storage
from widget_server.web.app import create_app

pytestmark = pytest.mark.asyncio


@asynccontextmanager
async def process(
    settings: Settings, storage: Storage, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    """Another server process on the same database (its own memory), as a client."""
    app = create_app(settings, storage=reopened(storage), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_an_admin_session_ended_by_logout_stays_ended_in_another_process(
    network: dict[str, int],
    storage: Storage,
    settings: Settings,
    clock: Clock,
    client: httpx.AsyncClient,
) -> None:
    await make_account(storage)
    await signed_in(client)
    cookie = client.cookies["pk_admin"]
    assert (await post(client, "/admin/logout", {})).status_code == 303
    async with process(settings, storage, clock) as other:
        other.cookies.set("pk_admin", cookie, path="/admin")
        page = await other.get("/admin/")
        assert page.status_code == 303 and "/admin/login" in page.headers["location"]


async def test_a_password_change_ends_every_session_of_the_account(
    network: dict[str, int],
    storage: Storage,
    settings: Settings,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await make_account(storage)
    await signed_in(client)
    assert (await client.get("/admin/")).status_code == 200
    environ = {"WIDGET_DATABASE_URL": settings.database_url}
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("ein-neues-langes-passwort\n"))
    code = await asyncio.to_thread(main, ["password", USER, "--password-stdin"], environ)
    assert code == 0
    assert (await client.get("/admin/")).status_code == 303  # back to the login
    assert PASSWORD != "ein-neues-langes-passwort"


async def test_a_portal_session_ended_by_logout_stays_ended_in_another_process(
    network: dict[str, int],
    storage: Storage,
    settings: Settings,
    signer: Signer,
    clock: Clock,
    client: httpx.AsyncClient,
) -> None:
    await open_portal(client, storage, signer, clock)
    cookie = client.cookies["pk_portal"]
    assert (await portal_post(client, "/portal/logout", {})).status_code == 303
    async with process(settings, storage, clock) as other:
        other.cookies.set("pk_portal", cookie, path="/portal")
        assert (await other.get("/portal/")).status_code == 403


async def test_a_coordinator_ends_a_members_links_and_portal_sessions(
    network: dict[str, int],
    storage: Storage,
    signer: Signer,
    clock: Clock,
    client: httpx.AsyncClient,
    app: object,
) -> None:
    link = await link_path(storage, signer, clock, "blumen")
    await open_portal(client, storage, signer, clock)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as admin:
        await make_account(storage)
        await signed_in(admin)
        ended = await post(admin, "/admin/members/blumen/portal-link", {"action": "revoke"})
        assert ended.status_code == 303
    assert (await client.get("/portal/")).status_code == 403
    assert (await client.get(link)).status_code == 400


async def test_portal_links_last_a_week_by_default_and_a_month_at_most() -> None:
    assert (DEFAULT_DAYS, MAX_DAYS) == (7, 30)
