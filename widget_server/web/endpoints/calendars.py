"""The events' iCalendar feeds: ``/events.ics`` (the network) and ``/t/{slug}/events.ics``.

Members subscribe to them in their own calendars (docs/events.md).  A feed
carries published and cancelled events that are not long over: calendars
that synchronise drop what a feed no longer holds, so an event stays for
``HISTORY`` after its end, and a cancelled one is there to say so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.i18n import translator
from widget_server.core.models import Event
from widget_server.serving.calendar import FeedLabels, calendar
from widget_server.web.endpoints.api.blocks import etag_matches, etag_of
from widget_server.web.endpoints.public import request_language
from widget_server.web.runtime import runtime_of

HISTORY = timedelta(days=30)
MAX_AGE = 900  # seconds: calendars poll hourly or less, a change shows within 15 minutes
MEDIA = "text/calendar; charset=utf-8"


def _feed(request: Request, events: list[Event], name: str, filename: str) -> Response:
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    members = runtime.snapshots.current.members
    names = {i: members[i].name for e in events for i in e.participants if i in members}
    _ = translator(request_language(request)).gettext
    body = calendar(
        events,
        name=name,
        host=urlsplit(runtime.base_url(request)).hostname or "localhost",
        names=names,
        labels=FeedLabels(participants=_("With"), registration=_("Registration")),
    ).encode()
    etag = etag_of(body)
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={MAX_AGE}",
        "Content-Disposition": f'inline; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Language",
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA, headers=headers)


def _since(request: Request) -> datetime:
    return datetime.fromtimestamp(runtime_of(request).clock(), UTC) - HISTORY


async def network_feed(request: Request) -> Response:
    """Every theme's events and the network-wide ones."""
    runtime = runtime_of(request)
    events = await runtime.storage.upcoming_events(None, _since(request), include_cancelled=True)
    _ = translator(request_language(request)).gettext
    return _feed(request, events, _("Partnerkreis events"), "events.ics")


async def theme_feed(request: Request) -> Response:
    """A theme's events."""
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    theme = runtime.snapshots.current.themes_by_slug.get(request.path_params["slug"])
    if theme is None:
        raise HTTPException(404, "No such theme")
    events = await runtime.storage.upcoming_events(
        theme.id, _since(request), include_cancelled=True
    )
    lang = request_language(request)
    _ = translator(lang).gettext
    return _feed(
        request, events, _("Events: %(theme)s", theme=theme.name(lang)), f"{theme.slug}.ics"
    )
