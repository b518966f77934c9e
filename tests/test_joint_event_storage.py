"""Joint events in each storage: round trips, order, filters, sequence checks, cascades."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from widget_server.core.errors import ConflictError, NotFoundError
from widget_server.core.models import Event
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


async def ids(storage: Storage) -> tuple[int, list[int]]:
    theme = await storage.get_theme("hochzeit")
    members = [await storage.get_member(s) for s in ("blumen", "catering", "scheune")]
    return theme.id, [m.id for m in members]


def draft(slug: str, theme_id: int | None, start: datetime, **kw: object) -> Event:
    fields: dict[str, object] = {
        "id": 0,
        "slug": slug,
        "theme_id": theme_id,
        "title": f"Title {slug}",
        "description": "Beschreibung <b>& mehr</b>",
        "starts_at": start,
        "ends_at": start + timedelta(hours=3),
        "place_name": "Festscheune",
        "street": "Wulfshof 1",
        "postal_code": "25746",
        "town": "Heide",
    }
    fields.update(kw)
    return Event(**fields)  # type: ignore[arg-type]


async def test_event_round_trips_with_participants_in_order(
    storage: Storage, network: dict[str, int]
) -> None:
    theme_id, members = await ids(storage)
    start = NOW + timedelta(days=20)
    stored = await storage.create_event(
        draft(
            "messe",
            theme_id,
            start,
            participants=(members[2], members[0]),
            registration_url="https://scheune.example/anmeldung",
        )
    )
    assert stored.id > 0
    assert stored.participants == (members[2], members[0])
    assert stored.starts_at == start and stored.starts_at.tzinfo is not None
    assert stored.ends_at == start + timedelta(hours=3)
    assert stored.status == "published" and stored.sequence == 0
    assert stored.created_at == stored.updated_at
    again = await storage.get_event_by_slug("messe")
    assert again == stored == await storage.get_event(stored.id)
    assert again.description == "Beschreibung <b>& mehr</b>"


async def test_times_in_other_zones_are_stored_as_the_same_moment(
    storage: Storage, network: dict[str, int]
) -> None:
    theme_id, _ = await ids(storage)
    berlin = timezone_plus_one()
    start = datetime(2027, 2, 1, 19, 0, tzinfo=berlin)
    stored = await storage.create_event(draft("abend", theme_id, start))
    assert stored.starts_at == datetime(2027, 2, 1, 18, 0, tzinfo=UTC)
    assert stored.starts_at.utcoffset() == timedelta(0)


def timezone_plus_one() -> object:
    from datetime import timezone

    return timezone(timedelta(hours=1))


async def test_upcoming_events_drop_past_ones_and_keep_order_and_theme(
    storage: Storage, network: dict[str, int]
) -> None:
    theme_id, _ = await ids(storage)
    await storage.create_event(draft("later", theme_id, NOW + timedelta(days=9)))
    await storage.create_event(draft("sooner", None, NOW + timedelta(days=2)))
    await storage.create_event(draft("past", theme_id, NOW - timedelta(days=2)))
    # Started an hour ago, ends in two: still upcoming (it is on now).
    await storage.create_event(draft("running", theme_id, NOW - timedelta(hours=1)))
    await storage.create_event(
        draft("proposal", theme_id, NOW + timedelta(days=1), status="proposed")
    )
    cancelled = await storage.create_event(
        draft("off", theme_id, NOW + timedelta(days=3), status="cancelled")
    )
    every = await storage.upcoming_events(None, NOW)
    assert [e.slug for e in every] == ["running", "sooner", "later"]
    assert [e.slug for e in await storage.upcoming_events(theme_id, NOW)] == ["running", "later"]
    with_cancelled = await storage.upcoming_events(theme_id, NOW, include_cancelled=True)
    assert [e.slug for e in with_cancelled] == ["running", "off", "later"]
    assert with_cancelled[1] == cancelled
    # Time moves on: the running one ends, and drops out by itself.
    assert [e.slug for e in await storage.upcoming_events(None, NOW + timedelta(hours=2))] == [
        "sooner",
        "later",
    ]


async def test_update_checks_the_sequence_and_counts_it_up(
    storage: Storage, network: dict[str, int]
) -> None:
    theme_id, members = await ids(storage)
    stored = await storage.create_event(draft("messe", theme_id, NOW, participants=(members[0],)))
    edited = await storage.update_event(
        replace(stored, title="Hochzeitsmesse", participants=(members[1], members[2])), 0
    )
    assert (edited.title, edited.sequence, edited.participants) == (
        "Hochzeitsmesse",
        1,
        (members[1], members[2]),
    )
    with pytest.raises(ConflictError):
        await storage.update_event(replace(stored, title="Stale"), 0)
    assert (await storage.get_event(stored.id)).title == "Hochzeitsmesse"
    cancelled = await storage.set_event_status(stored.id, "cancelled", 1)
    assert (cancelled.status, cancelled.sequence) == ("cancelled", 2)
    with pytest.raises(ConflictError):
        await storage.set_event_status(stored.id, "published", 1)
    with pytest.raises(NotFoundError):
        await storage.update_event(replace(stored, id=stored.id + 100), 0)


async def test_slug_is_unique(storage: Storage, network: dict[str, int]) -> None:
    theme_id, _ = await ids(storage)
    await storage.create_event(draft("messe", theme_id, NOW))
    with pytest.raises(ConflictError):
        await storage.create_event(draft("messe", None, NOW))


async def test_end_before_start_is_refused_by_the_database(
    storage: Storage, network: dict[str, int]
) -> None:
    theme_id, _ = await ids(storage)
    with pytest.raises(ConflictError):
        await storage.create_event(draft("bad", theme_id, NOW, ends_at=NOW))


async def test_list_filters_by_member_status_and_theme(
    storage: Storage, network: dict[str, int]
) -> None:
    theme_id, members = await ids(storage)
    await storage.create_event(draft("a", theme_id, NOW, participants=(members[0],)))
    await storage.create_event(
        draft("b", None, NOW + timedelta(days=1), status="proposed", proposed_by=members[1])
    )
    await storage.create_event(draft("c", theme_id, NOW - timedelta(days=5)))
    assert [e.slug for e in await storage.list_events()] == ["c", "a", "b"]
    assert [e.slug for e in await storage.list_events(theme_id=theme_id)] == ["c", "a"]
    assert [e.slug for e in await storage.list_events(status="proposed")] == ["b"]
    assert [e.slug for e in await storage.list_events(member_id=members[0])] == ["a"]
    assert [e.slug for e in await storage.list_events(member_id=members[1])] == ["b"]
    assert [e.slug for e in await storage.list_events(ends_after=NOW)] == ["a", "b"]


async def test_removed_member_leaves_events_and_deleting_theme_deletes_them(
    storage: Storage, network: dict[str, int]
) -> None:
    theme_id, members = await ids(storage)
    stored = await storage.create_event(
        draft("messe", theme_id, NOW, participants=tuple(members), proposed_by=members[0])
    )
    await storage.create_event(draft("town", None, NOW))
    assert await storage.delete_event(stored.id)
    assert not await storage.delete_event(stored.id)
    with pytest.raises(NotFoundError):
        await storage.get_event(stored.id)
    again = await storage.create_event(draft("messe", theme_id, NOW, participants=(members[1],)))
    await storage.delete_theme(theme_id)
    with pytest.raises(NotFoundError):
        await storage.get_event(again.id)
    assert [e.slug for e in await storage.list_events()] == ["town"]
