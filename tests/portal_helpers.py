"""Helpers of the portal tests: links, opening a member's portal, posting its forms."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.admin_helpers import csrf_of
from widget_server.core.signing import Signer
from widget_server.network.portal_links import issue_link
from widget_server.storage import SQLiteStorage


async def link_path(
    storage: SQLiteStorage,
    signer: Signer,
    clock: Callable[[], float],
    slug: str,
    days: int = 7,
) -> str:
    """The path of a member's portal link (``/portal/{token}``), as the admin makes it."""
    member = await storage.get_member(slug)
    link = await issue_link(storage, signer, member.id, days, clock(), "http://testserver")
    return link.url.removeprefix("http://testserver")


async def open_portal(
    client: httpx.AsyncClient,
    storage: SQLiteStorage,
    signer: Signer,
    clock: Callable[[], float],
    slug: str = "blumen",
) -> str:
    """Open the member's link as a browser would; returns the session's CSRF token."""
    response = await client.get(await link_path(storage, signer, clock, slug))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/portal/"
    return await portal_token(client)


async def portal_token(client: httpx.AsyncClient, path: str = "/portal/") -> str:
    page = await client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return csrf_of(page.text)


async def portal_post(
    client: httpx.AsyncClient, path: str, data: dict[str, str], **kwargs: object
) -> httpx.Response:
    """POST a portal form with the session's CSRF token, read from the overview."""
    csrf = await portal_token(client)
    return await client.post(path, data={"csrf": csrf, **data}, **kwargs)  # type: ignore[arg-type]
