"""Joint events over the REST API and in the iCalendar feeds."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import icalendar
import pytest

from tests.api_auth import make_keys
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio

FAIR = {
    "title": "Hochzeitsmesse",
    "description": "Alles für den Tag;\nmit Modenschau, Torten & Musik",
    "starts_at": "2027-03-14T10:00",
    "ends_at": "2027-03-14T17:00",
    "place_name": "Festscheune Wulfshof",
    "street": "Wulfshof 1",
    "postal_code": "25746",
    "town": "Heide",
    "registration_url": "https://scheune.example/messe",
    "participants": ["scheune", "blumen"],
    "theme": "hochzeit",
}


async def test_coordinator_publishes_and_everyone_reads(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    created = await client.post("/api/v1/events", headers=keys.coordinator, json=FAIR)
    assert created.status_code == 201, created.text
    event = created.json()
    assert created.headers["location"] == f"/api/v1/events/{event['slug']}"
    assert event["slug"] == "hochzeitsmesse-2027-03-14"
    assert (event["starts_at"], event["ends_at"]) == (
        "2027-03-14T09:00:00Z",
        "2027-03-14T16:00:00Z",
    )
    assert (event["status"], event["sequence"], event["proposed_by"]) == ("published", 0, None)
    assert event["participants"] == ["scheune", "blumen"]
    assert event["description"] == FAIR["description"]
    for auth in (keys.blumen, keys.fotos):
        listed = await client.get("/api/v1/events", headers=auth)
        assert listed.json() == {"data": [event], "next_cursor": None}
        assert (await client.get(f"/api/v1/events/{event['slug']}", headers=auth)).json() == event
    stored = await storage.get_event_by_slug(event["slug"])
    assert stored.starts_at == datetime(2027, 3, 14, 9, 0, tzinfo=UTC)


async def test_member_proposal_is_its_own_until_published(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    body = {**FAIR, "participants": ["scheune"]}
    proposed = (await client.post("/api/v1/events", headers=keys.blumen, json=body)).json()
    slug = proposed["slug"]
    assert (proposed["status"], proposed["proposed_by"]) == ("proposed", "blumen")
    assert proposed["participants"] == ["blumen", "scheune"]
    # Another member neither lists nor reads it; the coordinator does.
    assert (await client.get("/api/v1/events", headers=keys.fotos)).json()["data"] == []
    assert (await client.get(f"/api/v1/events/{slug}", headers=keys.fotos)).status_code == 404
    waiting = await client.get("/api/v1/events?status=proposed", headers=keys.coordinator)
    assert [e["slug"] for e in waiting.json()["data"]] == [slug]
    # The member changes it; the coordinator's approval of the old sequence is refused.
    changed = await client.patch(
        f"/api/v1/events/{slug}", headers=keys.blumen, json={"title": "Messe", "sequence": 0}
    )
    assert changed.json()["sequence"] == 1 and changed.json()["title"] == "Messe"
    stale = await client.put(
        f"/api/v1/events/{slug}/status",
        headers=keys.coordinator,
        json={"status": "published", "sequence": 0},
    )
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "application/problem+json"
    assert (
        await client.put(
            f"/api/v1/events/{slug}/status",
            headers=keys.blumen,
            json={"status": "published", "sequence": 1},
        )
    ).status_code == 403
    published = await client.put(
        f"/api/v1/events/{slug}/status",
        headers=keys.coordinator,
        json={"status": "published", "sequence": 1},
    )
    assert published.json()["status"] == "published"
    assert [
        e["slug"] for e in (await client.get("/api/v1/events", headers=keys.fotos)).json()["data"]
    ] == [slug]
    # Published: the member can no longer change or withdraw it.
    late = await client.patch(
        f"/api/v1/events/{slug}", headers=keys.blumen, json={"title": "X", "sequence": 2}
    )
    assert late.status_code == 409
    assert (await client.delete(f"/api/v1/events/{slug}", headers=keys.blumen)).status_code == 409


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "2027-03-14T09:00"}, "ends_at"),
        ({"starts_at": "bald"}, "starts_at"),
        ({"registration_url": "javascript:alert(1)"}, "registration_url"),
        ({"participants": ["nobody"]}, "participants"),
        ({"theme": "nope"}, "theme"),
        ({"title": ""}, "title"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_input_is_a_problem_naming_the_field(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    changes: dict[str, object],
    field: str,
) -> None:
    keys = await make_keys(storage)
    response = await client.post(
        "/api/v1/events", headers=keys.coordinator, json={**FAIR, **changes}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field
    assert await storage.list_events() == []


async def test_published_events_are_cancelled_then_deleted(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    slug = (await client.post("/api/v1/events", headers=keys.coordinator, json=FAIR)).json()["slug"]
    assert (
        await client.delete(f"/api/v1/events/{slug}", headers=keys.coordinator)
    ).status_code == 409
    cancelled = await client.put(
        f"/api/v1/events/{slug}/status",
        headers=keys.coordinator,
        json={"status": "cancelled", "sequence": 0},
    )
    assert cancelled.json()["status"] == "cancelled"
    assert (
        await client.delete(f"/api/v1/events/{slug}", headers=keys.coordinator)
    ).status_code == 200
    assert (await client.get(f"/api/v1/events/{slug}", headers=keys.coordinator)).status_code == 404


async def test_list_pages_by_start_and_hides_past_events(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    for day in ("20", "18", "19"):
        body = {**FAIR, "starts_at": f"2027-03-{day}T10:00", "ends_at": f"2027-03-{day}T12:00"}
        assert (
            await client.post("/api/v1/events", headers=keys.coordinator, json=body)
        ).status_code == 201
    first = (await client.get("/api/v1/events?limit=2", headers=keys.fotos)).json()
    assert [e["starts_at"][:10] for e in first["data"]] == ["2027-03-18", "2027-03-19"]
    rest = await client.get(
        f"/api/v1/events?limit=2&cursor={first['next_cursor']}", headers=keys.fotos
    )
    assert [e["starts_at"][:10] for e in rest.json()["data"]] == ["2027-03-20"]
    assert rest.json()["next_cursor"] is None
    bad = await client.get("/api/v1/events?cursor=abc", headers=keys.fotos)
    assert bad.status_code == 422


async def test_no_key_no_events(network: dict[str, int], client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/events")).status_code == 401


# -- the iCalendar feeds ----------------------------------------------------------------------


async def test_feeds_are_calendars_the_library_reads(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    hostile = '<img src=x onerror=alert(1)>; "Messe", \\ END:VEVENT\nBEGIN:VEVENT'
    await client.post(
        "/api/v1/events", headers=keys.coordinator, json={**FAIR, "description": hostile}
    )
    town = {**FAIR, "title": "Lange Einkaufsnacht", "theme": None, "participants": ["fotos"]}
    town_slug = (await client.post("/api/v1/events", headers=keys.coordinator, json=town)).json()[
        "slug"
    ]
    await client.post("/api/v1/events", headers=keys.blumen, json={**FAIR, "title": "Vorschlag"})
    theme_feed = await client.get("/t/hochzeit/events.ics")
    assert theme_feed.status_code == 200
    assert theme_feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert theme_feed.headers["cache-control"] == "public, max-age=900"
    assert "\r\n" in theme_feed.text
    (fair,) = icalendar.Calendar.from_ical(theme_feed.content).walk("VEVENT")
    assert str(fair["SUMMARY"]) == "Hochzeitsmesse"
    assert str(fair["DESCRIPTION"]).startswith(hostile)
    assert "Festscheune Wulfshof, Fotografie" not in str(fair["DESCRIPTION"])
    assert "Mit: Festscheune Wulfshof, Blumenhaus am Markt" in str(fair["DESCRIPTION"])
    assert fair["DTSTART"].dt == datetime(2027, 3, 14, 9, 0, tzinfo=UTC)
    assert str(fair["UID"]) == "event-1@testserver"
    # The network's feed holds the town's evening too, not the waiting proposal.
    network_feed = await client.get("/events.ics?lang=en")
    summaries = [
        str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(network_feed.content).walk("VEVENT")
    ]
    assert sorted(summaries) == ["Hochzeitsmesse", "Lange Einkaufsnacht"]
    assert "With: Fotografie Brandt" in network_feed.text.replace("\r\n ", "")
    # Cancelled: still there, marked, with a higher sequence.
    await client.put(
        f"/api/v1/events/{town_slug}/status",
        headers=keys.coordinator,
        json={"status": "cancelled", "sequence": 0},
    )
    again = await client.get("/events.ics")
    evening = next(
        e
        for e in icalendar.Calendar.from_ical(again.content).walk("VEVENT")
        if str(e["SUMMARY"]) == "Lange Einkaufsnacht"
    )
    assert (str(evening["STATUS"]), int(evening["SEQUENCE"])) == ("CANCELLED", 1)


async def test_feed_answers_304_to_its_etag_and_404_for_unknown_themes(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    feed = await client.get("/t/hochzeit/events.ics")
    assert feed.status_code == 200
    same = await client.get(
        "/t/hochzeit/events.ics", headers={"If-None-Match": feed.headers["etag"]}
    )
    assert same.status_code == 304 and same.content == b""
    assert (await client.get("/t/nope/events.ics")).status_code == 404


async def test_every_event_endpoint_with_every_kind_of_key(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    """No key or a bogus one: 401 everywhere.  A member key: its own proposals only;
    another member's proposal is 404 (it must not learn that it exists), and deciding
    is the coordinators' (403)."""
    from tests.api_auth import api_endpoints

    keys = await make_keys(storage)
    proposal = (await client.post("/api/v1/events", headers=keys.blumen, json=FAIR)).json()
    slug = proposal["slug"]
    endpoints = [e for e in api_endpoints() if e[1].startswith("/api/v1/events")]
    assert len(endpoints) == 6
    bogus = {"Authorization": "Bearer pkr_0000abcd." + "x" * 43}
    for method, path in endpoints:
        url = path.replace("{slug}", slug)
        for headers in ({}, bogus):
            assert (await client.request(method, url, headers=headers)).status_code == 401
    other = keys.fotos
    base = f"/api/v1/events/{slug}"
    assert (await client.get(base, headers=other)).status_code == 404
    patch = {"title": "X", "sequence": 0}
    assert (await client.patch(base, headers=other, json=patch)).status_code == 404
    assert (await client.delete(base, headers=other)).status_code == 404
    status = {"status": "published", "sequence": 0}
    assert (await client.put(f"{base}/status", headers=other, json=status)).status_code == 403
    assert (await client.put(f"{base}/status", headers=keys.blumen, json=status)).status_code == 403
    assert (await client.get(base, headers=keys.blumen)).status_code == 200
    assert (
        await client.put(f"{base}/status", headers=keys.coordinator, json=status)
    ).status_code == 200
    assert (await storage.get_event_by_slug(slug)).title == FAIR["title"]
