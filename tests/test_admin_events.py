"""Joint events in the admin: creating with every field, editing, a member's proposal
published or declined as shown, cancelling, deleting, hostile text escaped."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio

from tests.admin_helpers import assert_invalid, make_account, signed_in, token
from widget_server.network import events
from widget_server.network.events import EventInput
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio

HOSTILE = '<img src=x onerror=alert(1)> & "Söhne"'
FORM = {
    "title": "Hochzeitsmesse",
    "theme": "hochzeit",
    "description": "Zeile eins\r\nZeile zwei",
    "starts_at": "2027-03-14T10:00",
    "ends_at": "2027-03-14T17:00",
    "place_name": "Festscheune Wulfshof",
    "street": "Wulfshof 1",
    "postal_code": "25746",
    "town": "Heide",
    "registration_url": "https://scheune.example/messe",
}


@pytest_asyncio.fixture
async def admin(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    await make_account(storage)  # type: ignore[arg-type]
    await signed_in(client)
    yield client


async def send(
    client: httpx.AsyncClient,
    path: str,
    data: dict[str, str],
    participants: list[str] = (),  # type: ignore[assignment]
) -> httpx.Response:
    csrf = await token(client, "/admin/events")
    form = [("csrf", csrf), *data.items(), *(("participants", p) for p in participants)]
    return await client.post(
        path,
        content=httpx.QueryParams(form).__str__(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


async def test_coordinator_creates_an_event_with_every_field(
    admin: httpx.AsyncClient, storage: Storage
) -> None:
    page = await admin.get("/admin/events/new")
    assert page.status_code == 200
    assert 'name="participants" value="blumen"' in page.text
    created = await send(admin, "/admin/events/new", FORM, ["scheune", "blumen"])
    assert created.status_code == 303, created.text
    assert (
        created.headers["location"] == "/admin/events/hochzeitsmesse-2027-03-14?done=event_created"
    )
    event = await storage.get_event_by_slug("hochzeitsmesse-2027-03-14")
    assert (event.status, event.town, event.description) == (
        "published",
        "Heide",
        "Zeile eins\nZeile zwei",
    )
    assert event.starts_at == datetime(2027, 3, 14, 9, 0, tzinfo=UTC)
    scheune, blumen = [await storage.get_member(s) for s in ("scheune", "blumen")]
    assert event.participants == (scheune.id, blumen.id)
    shown = await admin.get("/admin/events/hochzeitsmesse-2027-03-14")
    assert 'value="2027-03-14T10:00"' in shown.text  # local time again
    listed = await admin.get("/admin/events")
    assert (
        "Hochzeitsmesse" in listed.text
        and "Festscheune Wulfshof, Blumenhaus am Markt" in listed.text
    )
    entries = await storage.list_audit_entries(subject="event:hochzeitsmesse-2027-03-14")
    assert [e.action for e in entries] == ["event.create"]


async def test_a_large_themes_participants_are_the_chosen_and_those_named_by_slug(
    admin: httpx.AsyncClient, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``PICK_ALL`` members a theme lists as boxes only those taking part and takes
    more by slug in a text field (10,000 boxes a theme: a form of megabytes, 4.4 s)."""
    from widget_server.web.endpoints import event_pages

    monkeypatch.setattr(event_pages, "PICK_ALL", 1)
    page = await admin.get("/admin/events/new")
    assert 'name="participants" value="blumen"' not in page.text  # no box to tick
    assert 'id="p-hochzeit-more" name="participants" value=""' in page.text
    assert "Dieses Thema hat" in page.text and "Kürzel" in page.text
    created = await send(admin, "/admin/events/new", FORM, ["scheune", " blumen , fotos ", ""])
    assert created.status_code == 303, created.text
    event = await storage.get_event_by_slug("hochzeitsmesse-2027-03-14")
    ids = [(await storage.get_member(s)).id for s in ("scheune", "blumen", "fotos")]
    assert list(event.participants) == ids
    shown = (await admin.get("/admin/events/hochzeitsmesse-2027-03-14")).text
    for slug in ("scheune", "blumen", "fotos"):  # taking part: listed to untick
        assert f'name="participants" value="{slug}" checked' in shown
    assert 'name="participants" value="catering"' not in shown
    bad = await send(admin, "/admin/events/new", {**FORM, "title": "Zweite"}, ["nobody-here"])
    assert bad.status_code == 422 and "nobody-here" in bad.text


async def test_bad_input_keeps_the_form_and_marks_the_field(
    admin: httpx.AsyncClient, storage: Storage
) -> None:
    response = await send(
        admin, "/admin/events/new", {**FORM, "ends_at": "2027-03-14T09:00"}, ["blumen"]
    )
    assert response.status_code == 422
    assert_invalid(response.text, "f-ends-at")
    assert 'value="Festscheune Wulfshof"' in response.text
    assert 'value="blumen" checked' in response.text
    assert await storage.list_events() == []


async def test_edit_on_a_stale_page_is_refused(admin: httpx.AsyncClient, storage: Storage) -> None:
    await send(admin, "/admin/events/new", FORM)
    path = "/admin/events/hochzeitsmesse-2027-03-14"
    saved = await send(admin, path, {**FORM, "title": "Messe", "sequence": "0"})
    assert saved.status_code == 303
    stale = await send(admin, path, {**FORM, "title": "Alt", "sequence": "0"})
    assert stale.status_code == 409
    assert (await storage.get_event_by_slug("hochzeitsmesse-2027-03-14")).title == "Messe"


async def test_member_proposal_is_published_or_declined_as_shown(
    admin: httpx.AsyncClient, storage: Storage
) -> None:
    blumen = await storage.get_member("blumen")
    data = EventInput(**{k: v for k, v in FORM.items() if k != "theme"}, theme="hochzeit")
    now = datetime(2027, 1, 15, tzinfo=UTC)
    proposal = await events.create_event(storage, data, "Europe/Berlin", now=now, member=blumen)
    listed = await admin.get("/admin/events")
    assert (
        "Proposed by Blumenhaus am Markt" in listed.text
        or "Vorgeschlagen von Blumenhaus am Markt" in listed.text
    )
    status = f"/admin/events/{proposal.slug}/status"
    # The member changes it after the page was shown: publishing the old one is refused.
    await events.edit_event(storage, proposal.slug, data, "Europe/Berlin", 0, member=blumen)
    changed = await events.edit_event(
        storage,
        proposal.slug,
        EventInput(**{**data.__dict__, "title": "Neu"}),
        "Europe/Berlin",
        0,
        member=blumen,
    )
    stale = await send(admin, status, {"action": "publish", "sequence": "0", "back": "list"})
    assert stale.status_code == 409
    ok = await send(
        admin, status, {"action": "publish", "sequence": str(changed.sequence), "back": "list"}
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/admin/events?done=event_publish"
    assert (await storage.get_event_by_slug(proposal.slug)).status == "published"


async def test_cancel_then_delete(admin: httpx.AsyncClient, storage: Storage) -> None:
    await send(admin, "/admin/events/new", FORM)
    slug = "hochzeitsmesse-2027-03-14"
    refused = await send(admin, f"/admin/events/{slug}/delete", {})
    assert refused.status_code == 409
    cancelled = await send(
        admin, f"/admin/events/{slug}/status", {"action": "cancel", "sequence": "0"}
    )
    assert cancelled.status_code == 303
    assert (await storage.get_event_by_slug(slug)).status == "cancelled"
    deleted = await send(admin, f"/admin/events/{slug}/delete", {})
    assert deleted.headers["location"] == "/admin/events?done=event_deleted"
    assert await storage.list_events() == []


async def test_hostile_text_is_escaped_on_every_page(
    admin: httpx.AsyncClient, storage: Storage
) -> None:
    data = {
        **FORM,
        "title": HOSTILE,
        "description": HOSTILE,
        "place_name": HOSTILE,
        "town": HOSTILE,
    }
    created = await send(admin, "/admin/events/new", data)
    assert created.status_code == 303
    slug = created.headers["location"].split("/")[-1].split("?")[0]
    for path in ("/admin/events", f"/admin/events/{slug}"):
        page = await admin.get(path)
        assert "<img src=x" not in page.text
        assert html.escape(HOSTILE, quote=False) in page.text or "&lt;img src=x" in page.text
