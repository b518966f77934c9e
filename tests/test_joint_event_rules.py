"""Joint events' validation (tables of good and bad input) and the proposal flow."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.network import events
from widget_server.network.events import EventInput
from widget_server.network.services import MemberInput, add_member, add_theme
from widget_server.storage import Storage

ZONE = "Europe/Berlin"
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


def form(**kw: object) -> EventInput:
    fields: dict[str, object] = {
        "title": "Hochzeitsmesse",
        "starts_at": "2027-03-14T10:00",
        "ends_at": "2027-03-14T17:00",
        "place_name": "Festscheune Wulfshof",
        "town": "Heide",
        "street": "Wulfshof 1",
        "postal_code": "25746",
        "theme": "hochzeit",
        "participants": ("blumen", "scheune"),
    }
    fields.update(kw)
    return EventInput(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "utc"),
    [
        ("2027-03-14T10:00", datetime(2027, 3, 14, 9, 0, tzinfo=UTC)),  # CET, +1
        ("2027-07-01T10:00", datetime(2027, 7, 1, 8, 0, tzinfo=UTC)),  # CEST, +2
        ("2027-07-01 10:00:30", datetime(2027, 7, 1, 8, 0, 30, tzinfo=UTC)),
        ("2027-07-01T10:00+00:00", datetime(2027, 7, 1, 10, 0, tzinfo=UTC)),
        ("2027-07-01T10:00Z", datetime(2027, 7, 1, 10, 0, tzinfo=UTC)),
        # Autumn: 02:30 happens twice; the first (still summer time, +2) is meant.
        ("2027-10-31T02:30", datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
    ],
)
def test_local_times_become_utc(value: str, utc: datetime) -> None:
    moment = events.parse_moment("starts_at", value, ZONE)
    assert moment == utc and moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value",
    ["", "morgen", "2027-13-01T10:00", "2027-03-14", "14.03.2027 10:00", "2027-03-28T02:30"],
)
def test_bad_times_are_refused_naming_the_field(value: str) -> None:
    with pytest.raises(ValidationError) as err:
        events.parse_moment("starts_at", value, ZONE)
    assert err.value.field == "starts_at"


def test_a_time_is_read_in_the_networks_zone() -> None:
    assert events.parse_moment("s", "2027-07-01T10:00", "America/New_York") == datetime(
        2027, 7, 1, 14, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"title": "Messe\x00"}, "title"),
        ({"description": "a\x1bb"}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"ends_at": "2027-03-14T10:00"}, "ends_at"),
        ({"ends_at": "2027-03-14T09:00"}, "ends_at"),
        ({"ends_at": "2027-05-14T09:00"}, "ends_at"),
        ({"place_name": ""}, "place_name"),
        ({"town": ""}, "town"),
        ({"postal_code": "<b>"}, "postal_code"),
        ({"registration_url": "javascript:alert(1)"}, "registration_url"),
        ({"registration_url": "data:text/html,<script>"}, "registration_url"),
        ({"registration_url": "/relative/path"}, "registration_url"),
        ({"registration_url": "https://user:pw@example.org/"}, "registration_url"),
        ({"registration_url": "https://exa mple.org/"}, "registration_url"),
        ({"registration_url": "https://example.org/" + "a" * 500}, "registration_url"),
        ({"registration_url": "ftp://example.org/"}, "registration_url"),
        ({"participants": tuple(f"m{i}" for i in range(31))}, "participants"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        events.check_fields(form(**changes), ZONE)
    assert err.value.field == field


def test_text_is_cleaned_and_paragraphs_kept() -> None:
    draft = events.check_fields(
        form(
            title="  Hoch\u202ezeits   messe ",
            description="Erste Zeile\r\n\r\n\r\n\r\nZweite  Zeile\u2066",
            registration_url=" https://scheune.example/anmeldung ",
            postal_code="",
        ),
        ZONE,
    )
    assert draft.title == "Hochzeits messe"
    assert draft.description == "Erste Zeile\n\nZweite Zeile"
    assert draft.registration_url == "https://scheune.example/anmeldung"
    assert draft.postal_code == ""
    assert events.check_fields(form(registration_url=""), ZONE).registration_url is None


@pytest.mark.asyncio
async def test_participants_and_theme_must_exist_and_belong(
    storage: Storage, network: dict[str, int]
) -> None:
    await add_theme(storage, slug="innenstadt", name_de="Innenstadt", kind="local")
    await add_member(
        storage,
        MemberInput(
            slug="mode", name="Mode Ahrens", website="https://mode.example/", themes=("innenstadt",)
        ),
    )
    for bad, field in [
        (form(theme="nope"), "theme"),
        (form(participants=("blumen", "nobody")), "participants"),
        (form(participants=("mode",)), "participants"),
    ]:
        with pytest.raises(ValidationError) as err:
            await events.create_event(storage, bad, ZONE, now=NOW)
        assert err.value.field == field
    # Network-wide: members of any theme.
    wide = await events.create_event(
        storage, form(theme=None, participants=("mode", "blumen", "mode")), ZONE, now=NOW
    )
    assert wide.theme_id is None
    assert wide.participants == (
        (await storage.get_member("mode")).id,
        (await storage.get_member("blumen")).id,
    )


@pytest.mark.asyncio
async def test_slug_from_title_and_day_numbered_when_taken(
    storage: Storage, network: dict[str, int]
) -> None:
    first = await events.create_event(storage, form(title="Hochzeits-Messe!"), ZONE, now=NOW)
    second = await events.create_event(storage, form(title="Hochzeits Messe"), ZONE, now=NOW)
    assert first.slug == "hochzeits-messe-2027-03-14"
    assert second.slug == "hochzeits-messe-2027-03-14-2"
    assert first.status == "published" and first.proposed_by is None


@pytest.mark.asyncio
async def test_past_events_cannot_be_created(storage: Storage, network: dict[str, int]) -> None:
    with pytest.raises(ValidationError) as err:
        await events.create_event(storage, form(), ZONE, now=datetime(2027, 4, 1, tzinfo=UTC))
    assert err.value.field == "ends_at"


@pytest.mark.asyncio
async def test_member_proposal_waits_and_is_published_as_seen(
    storage: Storage, network: dict[str, int]
) -> None:
    blumen = await storage.get_member("blumen")
    proposal = await events.create_event(
        storage, form(participants=("scheune",)), ZONE, now=NOW, member=blumen
    )
    assert (proposal.status, proposal.proposed_by) == ("proposed", blumen.id)
    assert proposal.participants[0] == blumen.id  # the proposer takes part
    assert await storage.upcoming_events(None, NOW) == []
    edited = await events.edit_event(
        storage, proposal.slug, form(title="Neu"), ZONE, proposal.sequence, member=blumen
    )
    assert edited.sequence == proposal.sequence + 1 and edited.status == "proposed"
    # The coordinator saw the first version: publishing it now is refused.
    with pytest.raises(ConflictError):
        await events.set_status(storage, proposal.slug, "published", proposal.sequence)
    published = await events.set_status(storage, proposal.slug, "published", edited.sequence)
    assert [e.title for e in await storage.upcoming_events(None, NOW)] == ["Neu"]
    # Published: no longer the member's to change or withdraw.
    with pytest.raises(ConflictError):
        await events.edit_event(
            storage, proposal.slug, form(), ZONE, published.sequence, member=blumen
        )
    with pytest.raises(ConflictError):
        await events.withdraw(storage, proposal.slug, blumen)


@pytest.mark.asyncio
async def test_members_touch_only_their_own_proposals(
    storage: Storage, network: dict[str, int]
) -> None:
    blumen = await storage.get_member("blumen")
    scheune = await storage.get_member("scheune")
    proposal = await events.create_event(storage, form(), ZONE, now=NOW, member=blumen)
    with pytest.raises(NotFoundError):
        await events.edit_event(storage, proposal.slug, form(), ZONE, 0, member=scheune)
    with pytest.raises(NotFoundError):
        await events.withdraw(storage, proposal.slug, scheune)
    # Its own proposal, but moved to a theme the member is not in: refused.
    await add_theme(storage, slug="innenstadt", name_de="Innenstadt", kind="local")
    with pytest.raises(ValidationError) as err:
        await events.edit_event(
            storage,
            proposal.slug,
            form(theme="innenstadt", participants=()),
            ZONE,
            0,
            member=blumen,
        )
    assert err.value.field == "theme"
    declined = await events.set_status(storage, proposal.slug, "declined", 0)
    assert declined.status == "declined"
    await events.withdraw(storage, proposal.slug, blumen)
    assert await storage.list_events() == []


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        (["cancelled", "published"], "declined"),
        (["cancelled"], "proposed"),
    ],
)
@pytest.mark.asyncio
async def test_status_changes_follow_the_table(
    storage: Storage, network: dict[str, int], path: list[str], refused: str
) -> None:
    event = await events.create_event(storage, form(), ZONE, now=NOW)
    for status in path:
        event = await events.set_status(storage, event.slug, status, event.sequence)  # type: ignore[arg-type]
        assert event.status == status
    with pytest.raises(ConflictError):
        await events.set_status(storage, event.slug, refused, event.sequence)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_edit_without_change_keeps_the_sequence(
    storage: Storage, network: dict[str, int]
) -> None:
    event = await events.create_event(storage, form(), ZONE, now=NOW)
    same = await events.edit_event(storage, event.slug, form(), ZONE, event.sequence)
    assert same == event
    moved = await events.edit_event(
        storage, event.slug, form(starts_at="2027-03-14T11:00"), ZONE, event.sequence
    )
    assert moved.sequence == 1 and moved.slug == event.slug
    assert moved.starts_at == datetime(2027, 3, 14, 10, 0, tzinfo=UTC)


@pytest.mark.asyncio
async def test_published_events_are_cancelled_not_deleted(
    storage: Storage, network: dict[str, int]
) -> None:
    event = await events.create_event(storage, form(), ZONE, now=NOW)
    with pytest.raises(ConflictError):
        await events.delete_event(storage, event.slug)
    cancelled = await events.set_status(storage, event.slug, "cancelled", 0)
    await events.delete_event(storage, cancelled.slug)
    assert await storage.list_events() == []


def test_form_round_trip_shows_local_times() -> None:
    draft = replace(events.check_fields(form(), ZONE), participants=(3, 9))
    shown = EventInput.from_event(draft, ZONE, {3: "blumen"}, "hochzeit")
    assert (shown.starts_at, shown.ends_at) == ("2027-03-14T10:00", "2027-03-14T17:00")
    assert list(shown.participants) == ["blumen"]
