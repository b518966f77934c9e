"""``AsyncClient.events`` against the real app: create, propose, publish, conflicts, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from partnerkreis import (
    AsyncClient,
    ConflictError,
    Event,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

from .conftest import THEME

pytestmark = [pytest.mark.asyncio, pytest.mark.app]

START = datetime(2027, 3, 14, 10, 0, tzinfo=timezone(timedelta(hours=1)))


async def fair(client: AsyncClient, **changes: object) -> Event:
    fields: dict[str, object] = {
        "title": "Hochzeitsmesse",
        "starts_at": START,
        "ends_at": START + timedelta(hours=7),
        "place_name": "Festscheune Wulfshof",
        "town": "Heide",
        "street": "Wulfshof 1",
        "postal_code": "25746",
        "description": "Alles für den Tag\nmit Modenschau",
        "registration_url": "https://scheune.example/messe",
        "participants": ["scheune", "catering"],
        "theme": THEME,
    }
    fields.update(changes)
    return await client.events.create(**fields)  # type: ignore[arg-type]


async def test_coordinator_creates_and_lists_events(
    coordinator: AsyncClient, member: AsyncClient
) -> None:
    event = await fair(coordinator)
    assert event.slug == "hochzeitsmesse-2027-03-14"
    assert event.starts_at == datetime(2027, 3, 14, 9, 0, tzinfo=UTC)
    assert (event.status, event.theme, event.proposed_by) == ("published", THEME, None)
    assert event.participants == ("scheune", "catering")
    assert event.description == "Alles für den Tag\nmit Modenschau"
    assert await member.events.get(event.slug) == event
    assert [e.slug async for e in member.events.list()] == [event.slug]
    town = await fair(coordinator, title="Lange Einkaufsnacht", theme=None, participants=None)
    assert town.theme is None
    assert [e.slug async for e in coordinator.events.list(theme=THEME)] == [event.slug]


async def test_member_proposes_and_the_coordinator_publishes_what_it_read(
    coordinator: AsyncClient, member: AsyncClient
) -> None:
    proposal = await fair(member, participants=["scheune"])
    assert (proposal.status, proposal.proposed_by) == ("proposed", "blumenhaus")
    assert proposal.participants == ("blumenhaus", "scheune")
    changed = await member.events.update(proposal.slug, sequence=0, title="Messe")
    with pytest.raises(ConflictError):
        await coordinator.events.set_status(proposal.slug, status="published", sequence=0)
    with pytest.raises(PermissionDeniedError):
        await member.events.set_status(proposal.slug, status="published", sequence=1)
    published = await coordinator.events.set_status(
        proposal.slug, status="published", sequence=changed.sequence
    )
    assert (published.status, published.title) == ("published", "Messe")
    with pytest.raises(ConflictError):
        await member.events.delete(proposal.slug)  # no longer a proposal


async def test_bad_input_and_unknown_events_raise(coordinator: AsyncClient) -> None:
    with pytest.raises(ValidationError) as err:
        await fair(coordinator, ends_at=START - timedelta(hours=1))
    assert err.value.field == "ends_at"
    with pytest.raises(ValidationError) as err:
        await fair(coordinator, registration_url="javascript:alert(1)")
    assert err.value.field == "registration_url"
    with pytest.raises(NotFoundError):
        await coordinator.events.get("nope")
    event = await fair(coordinator)
    cancelled = await coordinator.events.set_status(event.slug, status="cancelled", sequence=0)
    assert cancelled.status == "cancelled" and cancelled.sequence == 1
    assert (await coordinator.events.delete(event.slug)).slug == event.slug
