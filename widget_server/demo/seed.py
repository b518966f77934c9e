"""The demo network: seeding it, and the pieces the demo pages need."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from widget_server.core.models import PlacementOptions
from widget_server.demo import data as demo_data
from widget_server.demo.offers import seed_offers
from widget_server.network import events
from widget_server.network.database import DEMO_META
from widget_server.network.services import MemberInput, add_member, add_theme, placement_for
from widget_server.storage import Storage

# The member whose portal link the demo prints: the busy bakery, a net giver, whose
# figures show what the network gives it and why it gives more than it gets.
PORTAL_MEMBER = "baeckerei-claussen"
# The member whose demo site shows the block's joint slot: the caterer, in neither the
# Hochzeitspaket nor the Hochzeitsmesse, so both are shown there in turn, crediting
# their participants (docs/rotation.md, "The joint slot").
JOINT_SLOT_SITE = ("kuestenkueche-boie", demo_data.WEDDING)
JOINT_SLOT_OPTIONS = PlacementOptions(show="partners,offer,event")


async def is_demo_database(storage: Storage) -> bool:
    return await storage.get_meta(DEMO_META) == "1"


def site_url(base_url: str, slug: str) -> str:
    """A demo member's website: its example site on this server, so partner links land there."""
    return f"{base_url.rstrip('/')}/demo/site/{slug}"


async def seed_demo(
    storage: Storage,
    base_url: str,
    *,
    joined: str | None = None,
    now: float | None = None,
    zone: str = "Europe/Berlin",
) -> None:
    """Fill an empty, migrated database with the demo network of Heide (Holstein).

    ``base_url`` is where the demo is served: each member's website is its demo
    site there.  ``joined`` (ISO time) dates the memberships, before the history.
    The joint events are placed weeks after ``now`` (unix seconds; the clock's
    now by default), in the network's time zone ``zone``.
    """
    for theme in demo_data.THEMES:
        await add_theme(
            storage,
            slug=theme["slug"],
            name_de=theme["name_de"],
            name_en=theme["name_en"],
            description_de=theme["description_de"],
            description_en=theme["description_en"],
            kind=theme["kind"],
            intro_de=theme.get("intro_de", ""),
            intro_en=theme.get("intro_en", ""),
        )
    for member in demo_data.MEMBERS:
        await add_member(
            storage,
            MemberInput(
                slug=member["slug"],
                name=member["name"],
                website=site_url(base_url, member["slug"]),
                description=member["description"],
                category=member["category"],
                town=member["town"],
                postal_code=member["postal_code"],
                domains=(),
                themes=tuple(member["themes"]),
                status="active",
            ),
            joined=joined,
        )
        for theme_slug in member["themes"]:
            shows_slot = (member["slug"], theme_slug) == JOINT_SLOT_SITE
            options = JOINT_SLOT_OPTIONS if shows_slot else None
            await placement_for(storage, member["slug"], theme_slug, options)
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    for event in demo_data.EVENTS:
        data = event_input(event, moment, zone)
        if event["registration"]:
            data = replace(data, registration_url=site_url(base_url, event["registration"]))
        await events.create_event(storage, data, zone, now=moment)
    await seed_offers(storage, datetime.fromtimestamp(storage.clock(), UTC).date())
    await storage.set_meta(DEMO_META, "1")


def event_day(today: date, weeks_ahead: int, weekday: int) -> date:
    """The given weekday of the week ``weeks_ahead`` weeks after ``today``'s."""
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=weeks_ahead, days=weekday)


def event_input(event: dict[str, Any], now: datetime, zone: str) -> events.EventInput:
    """A demo event on its day (local to ``zone``) after ``now``."""
    day = event_day(now.astimezone(ZoneInfo(zone)).date(), event["weeks_ahead"], event["weekday"])
    return events.EventInput(
        title=event["title"],
        starts_at=f"{day.isoformat()}T{event['starts']}",
        ends_at=f"{day.isoformat()}T{event['ends']}",
        place_name=event["place_name"],
        town=event["town"],
        description=event["description"],
        street=event["street"],
        postal_code=event["postal_code"],
        participants=event["participants"],
        theme=event["theme"],
    )
