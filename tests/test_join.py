"""Joining without a shell: invitation links, the public "Mitglied werden" page, approval
(issue 11, point 2)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.admin_helpers import make_account, post, signed_in
from widget_server.core.errors import NotFoundError
from widget_server.core.models import MailContact
from widget_server.storage import SQLiteStorage

pytestmark = pytest.mark.asyncio

HOSTILE = '<img src=x onerror=alert(1)> "Söhne" & Co'
_FORM = re.compile(r'name="form" value="([^"]+)"')


@pytest_asyncio.fixture
async def admin(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    await make_account(storage)
    await signed_in(client)
    yield client


@pytest_asyncio.fixture
async def business(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Somebody else's browser: no session of ours."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def invite(admin: httpx.AsyncClient, *, single_use: bool = True) -> str:
    data = {"theme": "hochzeit", "days": "14", "note": "Konditorei Möller"}
    if single_use:
        data["single_use"] = "true"
    page = await post(admin, "/admin/applications/invitations", data)
    assert page.status_code == 200, page.text
    found = re.search(
        r'id="invitation-url" class="copy-field" type="text" readonly value="([^"]+)"', page.text
    )
    assert found
    return "/" + found.group(1).split("/", 3)[3]


def profile(**extra: str) -> dict[str, str]:
    return {
        "name": "Konditorei Möller",
        "website": "https://konditorei-moeller.example/",
        "category": "confectioner",
        "town": "Heide",
        "postal_code": "25746",
        "description": "Hochzeitstorten seit 1952",
        **extra,
    }


async def fill(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    form = await client.get(path)
    assert form.status_code == 200, form.text
    found = _FORM.search(form.text)
    assert found
    return await client.post(path, data={"form": html.unescape(found.group(1)), **data})


async def test_an_invited_business_applies_is_approved_and_gets_its_code(
    admin: httpx.AsyncClient, business: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    path = await invite(admin)
    page = await business.get(path)
    assert page.status_code == 200
    assert "set-cookie" not in page.headers
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    preview = await fill(business, path, profile(action="preview"))
    assert preview.status_code == 200
    card = re.search(r'<li class="pk-item">.*?</li>', preview.text, re.S)
    assert card and "Konditorei Möller" in card.group(0) and "Konditorei · Heide" in card.group(0)
    assert await storage.list_applications() == []  # a preview writes nothing

    sent = await fill(business, path, profile(action="apply"))
    assert sent.status_code == 303
    status_path = sent.headers["location"]
    member = await storage.get_member("konditorei-moeller")
    assert member.status == "pending"
    waiting = await business.get(status_path)
    assert "data-partnerkreis" not in waiting.text  # no code before approval
    directory = await business.get("/t/hochzeit")
    assert "Konditorei Möller" not in directory.text  # shown nowhere before approval
    again = await business.get(path)
    assert again.status_code == 410  # single use

    listed = await admin.get("/admin/applications")
    assert "Konditorei Möller" in listed.text
    decided = await post(
        admin,
        "/admin/members/konditorei-moeller/application",
        {"decision": "approved", "note": "Willkommen im Kreis!"},
    )
    assert decided.status_code == 303
    assert (await storage.get_member("konditorei-moeller")).status == "active"
    approved = await business.get(status_path.split("?")[0])
    assert "Willkommen im Kreis!" in approved.text
    snippet = html.unescape(
        re.search(r'<textarea id="code-hochzeit"[^>]*>(.*?)</textarea>', approved.text, re.S).group(
            1
        )
    )  # type: ignore[union-attr]
    token = re.search(r'data-partnerkreis="([^"]+)"', snippet)
    assert token
    # Served at once: the page makes the code's placement and refreshes the snapshot, and
    # the approval is a logged member change (no full reload to wait for).
    block = await business.get(f"/w/{token.group(1)}")
    assert block.status_code == 200 and block.json()["partners"]
    portal = await business.get(status_path.split("?")[0] + "/portal")
    assert portal.status_code == 303 and "/portal/" in portal.headers["location"]
    actors = {(e.actor, e.action) for e in await storage.list_audit_entries()}
    assert ("admin:koordination", "invitation.create") in actors
    assert ("applicant:konditorei-moeller", "application.submit") in actors
    assert ("admin:koordination", "application.approve") in actors


async def test_a_declined_business_reads_the_note_and_is_shown_nowhere(
    admin: httpx.AsyncClient, business: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    path = await invite(admin, single_use=False)
    sent = await fill(business, path, profile(action="apply"))
    await post(
        admin,
        "/admin/members/konditorei-moeller/application",
        {"decision": "declined", "note": "Nur Betriebe aus Dithmarschen."},
    )
    page = await business.get(sent.headers["location"])
    assert "Nur Betriebe aus Dithmarschen." in page.text
    assert "data-partnerkreis" not in page.text
    assert (await storage.get_member("konditorei-moeller")).status == "removed"
    assert (
        await business.get(sent.headers["location"].split("?")[0] + "/portal")
    ).status_code == 410


async def test_a_decision_is_a_status_change_like_any_other(
    admin: httpx.AsyncClient, business: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    """Logged for the snapshots (served at once, no full reload), kept in the status
    history (the replay), and a decline forgets the applicant's address and access."""
    path = await invite(admin, single_use=False)
    await fill(business, path, profile(action="apply"))
    await fill(business, path, {**profile(action="apply"), "name": "Konditorei Jansen"})
    moeller = await storage.get_member("konditorei-moeller")
    jansen = await storage.get_member("konditorei-jansen")
    await storage.put_mail_contact(MailContact(jansen.id, "jansen@example.org"))
    theme = await storage.get_theme("hochzeit")
    before = await storage.data_version()
    for slug, decision in (("konditorei-moeller", "approved"), ("konditorei-jansen", "declined")):
        sent = await post(admin, f"/admin/members/{slug}/application", {"decision": decision})
        assert sent.status_code == 303
    changes = await storage.changes_since(before)
    assert changes.complete  # each decision said what it changed: no full reload
    assert {moeller.id, jansen.id} <= changes.members
    statuses = await storage.statuses_at(theme.id, float("inf"))  # the latest of each
    assert statuses[(moeller.id, 0)] == "active"
    assert statuses[(jansen.id, 0)] == "removed"
    with pytest.raises(NotFoundError):
        await storage.get_mail_contact(jansen.id)


async def test_the_public_page_works_only_for_the_themes_opened(
    admin: httpx.AsyncClient, business: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    assert (await business.get("/join")).status_code == 404
    await post(admin, "/admin/applications/open", {"themes": "hochzeit"})
    page = await business.get("/join")
    assert page.status_code == 200 and "Hochzeit" in page.text
    sent = await fill(business, "/join", profile(theme="hochzeit", action="apply"))
    assert sent.status_code == 303
    dashboard = await admin.get("/admin/")
    assert "1 Bewerbung wartet auf Ihre Entscheidung." in dashboard.text
    assert (
        await storage.get_application((await storage.get_member("konditorei-moeller")).id)
    ).invitation_id is None


async def test_a_filled_honeypot_is_thanked_and_dropped(
    admin: httpx.AsyncClient, business: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await post(admin, "/admin/applications/open", {"themes": "hochzeit"})
    sent = await fill(
        business, "/join", profile(theme="hochzeit", action="apply", fax="+49 481 123")
    )
    assert sent.status_code == 200
    assert await storage.list_applications() == []


async def test_applications_are_limited_per_address(
    admin: httpx.AsyncClient, business: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await post(admin, "/admin/applications/open", {"themes": "hochzeit"})
    codes = []
    for n in range(6):
        sent = await fill(
            business, "/join", profile(theme="hochzeit", action="apply", name=f"Betrieb {n}")
        )
        codes.append(sent.status_code)
    assert codes == [303] * 5 + [429]
    assert len(await storage.list_applications()) == 5


async def test_a_form_without_a_genuine_form_token_is_refused(
    admin: httpx.AsyncClient, business: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await post(admin, "/admin/applications/open", {"themes": "hochzeit"})
    forged = await business.post(
        "/join", data={"form": "forged", **profile(theme="hochzeit", action="apply")}
    )
    assert forged.status_code == 403
    assert await storage.list_applications() == []


async def test_hostile_input_in_every_field_is_inert(
    admin: httpx.AsyncClient, business: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    path = await invite(admin, single_use=False)
    hostile = profile(name=HOSTILE, town=HOSTILE, description=HOSTILE, postal_code="25746")
    preview = await fill(business, path, {**hostile, "action": "preview"})
    assert preview.status_code == 200
    assert "<img src=x" not in preview.text
    bad = await fill(
        business, path, {**hostile, "website": HOSTILE, "category": HOSTILE, "action": "apply"}
    )
    assert bad.status_code == 422 and "<img src=x" not in bad.text
    sent = await fill(business, path, {**hostile, "action": "apply"})
    assert sent.status_code == 303
    status = await business.get(sent.headers["location"])
    assert "<img src=x" not in status.text
    for page in ("/admin/applications", "/admin/members", "/admin/audit", "/admin/"):
        response = await admin.get(page)
        assert response.status_code == 200 and "<img src=x" not in response.text, page
    note = await post(
        admin,
        "/admin/applications/invitations",
        {"theme": "hochzeit", "days": "3", "note": HOSTILE},
    )
    assert note.status_code == 200 and "<img src=x" not in note.text
    listed = await admin.get("/admin/applications")
    slug = re.search(r"/admin/members/([a-z0-9-]+)/application", listed.text).group(1)  # type: ignore[union-attr]
    await post(
        admin, f"/admin/members/{slug}/application", {"decision": "declined", "note": HOSTILE}
    )
    declined = await business.get(sent.headers["location"])
    assert "<img src=x" not in declined.text and "&lt;img src=x" in declined.text


async def test_an_ended_or_expired_invitation_is_refused(
    admin: httpx.AsyncClient, business: httpx.AsyncClient, storage: SQLiteStorage, clock: object
) -> None:
    path = await invite(admin, single_use=False)
    [invitation] = await storage.list_invitations()
    await post(admin, f"/admin/applications/invitations/{invitation.id}/revoke", {})
    assert (await business.get(path)).status_code == 410
    bad_days = await post(
        admin, "/admin/applications/invitations", {"theme": "hochzeit", "days": "999"}
    )
    assert bad_days.status_code == 422
