"""Joint offers in storage, on SQLite and PostgreSQL: round trips, status, live offers."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date

import pytest

from widget_server.core.errors import ConflictError, NotFoundError
from widget_server.core.models import Member, Offer, OfferImage, OfferParticipant, Theme
from widget_server.storage import Storage, load_migrations

pytestmark = pytest.mark.asyncio

DAY = date(2027, 5, 1)


async def cluster(storage: Storage, count: int = 4) -> tuple[Theme, list[Member]]:
    theme = await storage.create_theme(Theme(0, "hochzeit", "Hochzeit", "Wedding"))
    members = []
    for i in range(count):
        slug = f"m{i}"
        members.append(
            await storage.create_member(
                Member(0, slug, f"Mitglied {i}", f"https://{slug}.example/", status="active"),
                (theme.id,),
            )
        )
    return theme, members


def draft(theme: Theme, members: list[Member], **kw: object) -> Offer:
    fields: dict[str, object] = {
        "id": 0,
        "slug": "hochzeitspaket",
        "theme_id": theme.id,
        "proposer_id": members[0].id,
        "title": "Hochzeitspaket <b>„Alles aus einer Hand“</b>",
        "text": "Kleid, Blumen & Torte\nzusammen",
        "price_text": "10 % günstiger",
        "valid_from": date(2027, 4, 1),
        "valid_until": date(2027, 6, 30),
        "participants": tuple(
            OfferParticipant(m.id, confirmed=(i == 0)) for i, m in enumerate(members)
        ),
    }
    fields.update(kw)
    return Offer(**fields)  # type: ignore[arg-type]


async def test_migration_is_found_by_name() -> None:
    for dialect in ("sqlite", "postgres"):
        names = [m.name for m in load_migrations(dialect)]
        assert "offers" in names


async def test_offer_round_trips(storage: Storage) -> None:
    theme, members = await cluster(storage)
    sent = draft(theme, members)
    stored = await storage.create_offer(sent)
    assert stored.id > 0 and stored.created_at
    assert replace(stored, id=0, created_at="", updated_at="") == sent  # as sent, status proposed
    assert stored.status == "proposed"
    assert await storage.get_offer(stored.id) == stored
    assert await storage.offer_by_slug("hochzeitspaket") == stored
    assert await storage.offer_by_slug("nothing") is None
    with pytest.raises(NotFoundError):
        await storage.get_offer(stored.id + 100)


async def test_image_is_stored_with_its_bytes(storage: Storage) -> None:
    theme, members = await cluster(storage, 2)
    image = OfferImage("ab" * 32, "image/png", 64, 48)
    stored = await storage.create_offer(draft(theme, members, image=image), b"\x89PNG-bytes")
    assert stored.image == image
    assert await storage.get_offer_image(stored.id) == (image, b"\x89PNG-bytes")
    other = await storage.create_offer(draft(theme, members, slug="ohne-bild"))
    with pytest.raises(NotFoundError):
        await storage.get_offer_image(other.id)


async def test_taken_slug_is_a_conflict_and_slugs_are_listed(storage: Storage) -> None:
    theme, members = await cluster(storage, 2)
    await storage.create_offer(draft(theme, members))
    await storage.create_offer(draft(theme, members, slug="hochzeitspaket-2"))
    await storage.create_offer(draft(theme, members, slug="hochzeitspaketx"))
    with pytest.raises(ConflictError):
        await storage.create_offer(draft(theme, members))
    assert await storage.offer_slugs("hochzeitspaket") == {"hochzeitspaket", "hochzeitspaket-2"}


async def test_active_once_everyone_confirmed_and_back_on_withdrawal(storage: Storage) -> None:
    theme, members = await cluster(storage, 3)
    offer = await storage.create_offer(draft(theme, members))
    offer = await storage.confirm_offer(offer.id, members[1].id, True)
    assert offer.status == "proposed"
    assert [p.confirmed for p in offer.participants] == [True, True, False]
    offer = await storage.confirm_offer(offer.id, members[2].id, True)
    assert offer.status == "active" and offer.confirmed_by_all
    offer = await storage.confirm_offer(offer.id, members[1].id, False)
    assert offer.status == "proposed"
    assert [p.confirmed for p in offer.participants] == [True, False, True]
    with pytest.raises(NotFoundError):
        await storage.confirm_offer(offer.id, 999_999, True)


async def test_confirmations_at_the_same_moment_make_it_active(storage: Storage) -> None:
    theme, members = await cluster(storage, 4)
    offer = await storage.create_offer(draft(theme, members))
    await asyncio.gather(*(storage.confirm_offer(offer.id, m.id, True) for m in members[1:]))
    assert (await storage.get_offer(offer.id)).status == "active"


async def test_approval_is_needed_where_the_theme_wanted_it(storage: Storage) -> None:
    theme, members = await cluster(storage, 2)
    everyone = tuple(OfferParticipant(m.id, True) for m in members)
    offer = await storage.create_offer(
        draft(theme, members, needs_approval=True, participants=everyone)
    )
    assert offer.status == "proposed" and offer.approved_at is None
    offer = await storage.approve_offer(offer.id, "admin:anna")
    assert offer.status == "active"
    assert offer.approved_by == "admin:anna" and offer.approved_at
    plain = await storage.create_offer(draft(theme, members, slug="ohne", participants=everyone))
    assert plain.status == "active"


async def test_declined_and_removed_offers_stay_closed(storage: Storage) -> None:
    theme, members = await cluster(storage, 2)
    offer = await storage.create_offer(draft(theme, members))
    declined = await storage.close_offer(offer.id, "declined")
    assert declined.status == "declined"
    with pytest.raises(ConflictError):
        await storage.confirm_offer(offer.id, members[1].id, True)
    with pytest.raises(ConflictError):
        await storage.approve_offer(offer.id, "admin:anna")
    with pytest.raises(ConflictError):
        await storage.close_offer(offer.id, "removed")
    assert (await storage.get_offer(offer.id)).status == "declined"


async def test_live_offers_by_day_theme_and_participants(storage: Storage) -> None:
    theme, members = await cluster(storage, 3)
    other = await storage.create_theme(Theme(0, "heide", "Heide", "Heide"))
    for m in members:
        await storage.set_membership(m.id, other.id, "active")
    everyone = tuple(OfferParticipant(m.id, True) for m in members)
    live = await storage.create_offer(draft(theme, members, participants=everyone))
    elsewhere = await storage.create_offer(
        draft(theme, members, slug="heide-abend", theme_id=other.id, participants=everyone)
    )
    await storage.create_offer(draft(theme, members, slug="offen"))  # not confirmed by all
    await storage.create_offer(
        draft(
            theme,
            members,
            slug="vorbei",
            participants=everyone,
            valid_from=date(2027, 1, 1),
            valid_until=date(2027, 4, 30),
        )
    )
    assert [o.slug for o in await storage.live_offers(theme.id, DAY)] == [live.slug]
    assert {o.slug for o in await storage.live_offers(None, DAY)} == {live.slug, elsewhere.slug}
    # The first and the last day count; the day after it is gone by itself.
    assert await storage.live_offers(theme.id, date(2027, 4, 1)) != []
    assert [o.slug for o in await storage.live_offers(theme.id, date(2027, 6, 30))] == [
        "hochzeitspaket"
    ]
    assert await storage.live_offers(theme.id, date(2027, 7, 1)) == []
    assert [o.slug for o in await storage.live_offers(theme.id, date(2027, 4, 15))] == [
        "vorbei",
        "hochzeitspaket",
    ]
    assert await storage.live_offer(live.slug, DAY) == live
    assert await storage.live_offer("offen", DAY) is None  # not confirmed by all
    assert await storage.live_offer(live.slug, date(2027, 7, 1)) is None
    assert await storage.live_offer("nothing", DAY) is None
    # A participant that leaves the theme, or is paused, takes the offer down.
    await storage.set_membership(members[2].id, theme.id, "left")
    assert await storage.live_offers(theme.id, DAY) == []
    assert await storage.live_offer(live.slug, DAY) is None
    assert [o.slug for o in await storage.live_offers(other.id, DAY)] == [elsewhere.slug]
    await storage.set_member_status(members[1].id, "paused")
    assert await storage.live_offers(None, DAY) == []


async def test_offers_listed_by_theme_member_and_status(storage: Storage) -> None:
    theme, members = await cluster(storage, 4)
    first = await storage.create_offer(draft(theme, members[:2], slug="a"))
    second = await storage.create_offer(
        draft(theme, members[2:], slug="b", proposer_id=members[2].id)
    )
    await storage.close_offer(second.id, "removed")
    assert {o.slug for o in await storage.list_offers()} == {"a", "b"}
    assert [o.slug for o in await storage.list_offers(member_id=members[1].id)] == ["a"]
    assert [o.slug for o in await storage.list_offers(member_id=members[3].id)] == ["b"]
    assert [o.slug for o in await storage.list_offers(status="removed")] == ["b"]
    assert [o.slug for o in await storage.list_offers(theme_id=theme.id, status="proposed")] == [
        first.slug
    ]


async def test_offers_write_no_data_version(storage: Storage) -> None:
    theme, members = await cluster(storage, 2)
    before = await storage.data_version()
    offer = await storage.create_offer(draft(theme, members))
    await storage.confirm_offer(offer.id, members[1].id, True)
    assert await storage.data_version() == before
