"""Joint offers and events as the theme page shows them, read through the storage.

The offers (``Storage.live_offers``) and events (``Storage.upcoming_events``)
are turned into the page's plain values (serving/theme_page.py).  A storage
without the accessor (an older one) gives an empty section, so the page never
depends on them being there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from widget_server.core.models import Event, Offer, Theme
from widget_server.serving.theme_page import (
    PageEvent,
    PageOffer,
    Participant,
    Place,
    web_link,
)
from widget_server.web.runtime import Runtime

MAX_SHOWN = 12  # offers or events on one page: the soonest; the feeds have them all


async def page_offers(
    runtime: Runtime, theme: Theme, moment: datetime, base: str
) -> list[PageOffer]:
    """The theme's joint offers valid on ``moment``'s day (network time zone), ending
    soonest first (at most ``MAX_SHOWN``)."""
    accessor = getattr(runtime.storage, "live_offers", None)
    if accessor is None:
        return []
    offers = await accessor(theme.id, moment.date())
    return [page_offer(runtime, o, base) for o in offers[:MAX_SHOWN]]


def offer_url(base: str, slug: str) -> str:
    return f"{base}/o/{quote(slug)}"


def page_offer(runtime: Runtime, offer: Offer, base: str) -> PageOffer:
    return PageOffer(
        title=offer.title,
        text=offer.text,
        price=offer.price_text,
        url=offer_url(base, offer.slug),
        valid_from=offer.valid_from,
        valid_until=offer.valid_until,
        participants=participants(runtime, offer.member_ids),
    )


async def page_events(runtime: Runtime, theme: Theme, moment: datetime) -> list[PageEvent]:
    """The theme's joint events not yet over at ``moment``, soonest first (at most
    ``MAX_SHOWN``); cancelled ones stay, marked, until their end, so visitors learn it."""
    accessor = getattr(runtime.storage, "upcoming_events", None)
    if accessor is None:
        return []
    events = await accessor(theme.id, moment, include_cancelled=True)
    return [page_event(runtime, e) for e in events[:MAX_SHOWN]]


def page_event(runtime: Runtime, event: Event) -> PageEvent:
    place = Place(event.place_name, event.street, event.postal_code, event.town)
    return PageEvent(
        title=event.title,
        description=event.description,
        start=event.starts_at,
        end=event.ends_at,
        place=place if event.place_name or event.town else None,
        registration=web_link(event.registration_url or ""),
        participants=participants(runtime, event.participants),
        status="cancelled" if event.status == "cancelled" else "scheduled",
        slug=event.slug,
    )


def participants(runtime: Runtime, member_ids: Iterable[int]) -> tuple[Participant, ...]:
    """The members taking part, as the snapshot knows them; removed ones are left out."""
    assert runtime.snapshots is not None
    members = runtime.snapshots.current.members
    found = []
    for member_id in member_ids:
        member = members.get(member_id)
        if member is not None and member.status != "removed":
            found.append(Participant(member.name, web_link(member.website)))
    return tuple(found)


def offer_moments(offers: Iterable[PageOffer], zone: ZoneInfo) -> list[float]:
    """When the shown offers change: the midnight after each one's last day."""
    found = []
    for offer in offers:
        if offer.valid_until is not None:
            end = datetime.combine(offer.valid_until + timedelta(days=1), time(), zone)
            found.append(end.timestamp())
    return found


def event_moments(events: Iterable[PageEvent]) -> list[float]:
    """When the shown events change: each one's end (or start, without an end)."""
    return [(e.end or e.start).timestamp() for e in events]


def next_midnight(moment: datetime) -> float:
    """The next midnight in ``moment``'s zone: new offers start on a new day."""
    day = moment.date() + timedelta(days=1)
    tz = moment.tzinfo
    return datetime.combine(day, time(), tz).timestamp()


async def offer_pages(
    runtime: Runtime, themes: Iterable[Theme], moment: datetime, base: str
) -> list[tuple[str, datetime | None]]:
    """(address, last change) of every joint offer page live on ``moment``'s day, of the
    ``themes`` listed: one query for the whole network."""
    accessor = getattr(runtime.storage, "live_offers", None)
    if accessor is None:
        return []
    listed = {t.id for t in themes}
    found = []
    for offer in await accessor(None, moment.date()):
        if offer.theme_id in listed:
            # its last change (an edit, confirmation or approval), or its creation
            stamps = [s for s in (offer.created_at, offer.approved_at, offer.updated_at) if s]
            changed = max(datetime.fromisoformat(s) for s in stamps) if stamps else None
            found.append((offer_url(base, offer.slug), changed))
    return sorted(found, key=lambda item: item[0])
