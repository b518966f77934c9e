"""Joint events in the member portal: proposing with other members, changing and
withdrawing a waiting proposal, never touching another member's, the theme's events."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.conftest import Clock
from tests.portal_helpers import open_portal, portal_token
from widget_server.core.signing import Signer
from widget_server.network import events
from widget_server.network.events import EventInput
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio

FORM = {
    "title": "Brautstrauß-Workshop",
    "theme": "hochzeit",
    "description": "Binden Sie Ihren Strauß selbst.",
    "starts_at": "2027-04-10T14:00",
    "ends_at": "2027-04-10T17:00",
    "place_name": "Blumenhaus am Markt",
    "street": "Markt 3",
    "postal_code": "25746",
    "town": "Heide",
    "registration_url": "",
}


async def send(
    client: httpx.AsyncClient, path: str, data: dict[str, str], participants: tuple[str, ...] = ()
) -> httpx.Response:
    csrf = await portal_token(client)
    form = [("csrf", csrf), *data.items(), *(("participants", p) for p in participants)]
    return await client.post(
        path,
        content=str(httpx.QueryParams(form)),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


async def test_member_proposes_and_the_proposal_waits(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    await open_portal(client, storage, signer, clock)  # type: ignore[arg-type]
    page = await client.get("/portal/events/new")
    assert page.status_code == 200
    assert 'value="fotos"' in page.text  # members of its theme to tick
    sent = await send(client, "/portal/events/new", FORM, ("scheune",))
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == "/portal/events?done=event_proposed"
    (event,) = await storage.list_events()
    blumen = await storage.get_member("blumen")
    scheune = await storage.get_member("scheune")
    assert (event.status, event.proposed_by) == ("proposed", blumen.id)
    assert event.participants == (blumen.id, scheune.id)
    assert event.registration_url is None
    assert event.starts_at == datetime(2027, 4, 10, 12, 0, tzinfo=UTC)  # summer time
    listing = await client.get("/portal/events")
    assert "Brautstrauß-Workshop" in listing.text
    assert "/t/hochzeit/events.ics" in listing.text
    # Changed while it waits, then withdrawn.
    changed = await send(
        client, f"/portal/events/{event.slug}", {**FORM, "title": "Workshop", "sequence": "0"}
    )
    assert changed.status_code == 303
    assert (await storage.get_event(event.id)).title == "Workshop"
    gone = await send(client, f"/portal/events/{event.slug}/withdraw", {})
    assert gone.headers["location"] == "/portal/events?done=event_withdrawn"
    assert await storage.list_events() == []
    # Each step is in the audit log, the change too (as the admin's changes are).
    entries = await storage.list_audit_entries(subject=f"event:{event.slug}")
    assert [(e.actor, e.action, e.detail) for e in reversed(entries)] == [
        ("member:blumen", "event.propose", "Brautstrauß-Workshop"),
        ("member:blumen", "event.edit", "Brautstrauß-Workshop → Workshop"),
        ("member:blumen", "event.withdraw", "Workshop"),
    ]


async def test_a_theme_the_member_is_not_in_is_refused(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    await open_portal(client, storage, signer, clock)  # type: ignore[arg-type]
    for theme in ("", "innenstadt"):
        refused = await send(client, "/portal/events/new", {**FORM, "theme": theme})
        assert refused.status_code == 422
        assert 'aria-invalid="true"' in refused.text
    assert await storage.list_events() == []


async def test_another_members_proposal_is_not_found(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    fotos = await storage.get_member("fotos")
    data = EventInput(**{k: v for k, v in FORM.items() if k != "theme"}, theme="hochzeit")
    now = datetime(2027, 1, 15, tzinfo=UTC)
    theirs = await events.create_event(storage, data, "Europe/Berlin", now=now, member=fotos)
    await open_portal(client, storage, signer, clock)  # type: ignore[arg-type]
    assert (await client.get(f"/portal/events/{theirs.slug}")).status_code == 404
    withdraw = await send(client, f"/portal/events/{theirs.slug}/withdraw", {})
    assert withdraw.status_code == 404
    assert "Brautstrauß-Workshop" not in (await client.get("/portal/events")).text
    assert await storage.get_event(theirs.id) == theirs


async def test_published_events_of_its_themes_are_listed(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    data = EventInput(
        **{k: v for k, v in FORM.items() if k != "theme"},
        theme="hochzeit",
        participants=("scheune",),
    )
    now = datetime(2027, 1, 15, tzinfo=UTC)
    await events.create_event(storage, data, "Europe/Berlin", now=now)
    await open_portal(client, storage, signer, clock)  # type: ignore[arg-type]
    listing = await client.get("/portal/events")
    assert "Brautstrauß-Workshop" in listing.text and "Festscheune Wulfshof" in listing.text
