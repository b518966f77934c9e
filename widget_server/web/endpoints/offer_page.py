"""A joint offer's public page ``/o/{slug}`` and its image (docs/offers.md).

Only a live offer has a page: an unknown, waiting, declined, removed or past
one is a 404 problem, so nothing is shown before every participant agreed.
Offers are not in the widget's snapshot: the page reads the offer in one read
transaction (``live_offer``), and its theme and members from the snapshot; it
may be cached for five minutes.  Links to the participants'
websites are plain links: the page is the cluster's own editorial page, not
a paid placement (docs/offers.md says why).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.dates import days_text
from widget_server.core.errors import NotFoundError
from widget_server.network import offers
from widget_server.network.categories import category_label
from widget_server.web.endpoints.public import MAX_ID, PAGE_HEADERS, request_language
from widget_server.web.runtime import runtime_of


def today_of(request: Request) -> date:
    """The server clock's day (UTC), the day offers are live on."""
    return datetime.fromtimestamp(runtime_of(request).clock(), UTC).date()


async def offer_page(request: Request) -> Response:
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    offer = await runtime.storage.live_offer(request.path_params["slug"], today_of(request))
    snapshot = runtime.snapshots.current
    theme = snapshot.themes.get(offer.theme_id) if offer else None
    if offer is None or theme is None:
        raise HTTPException(404, "No such offer")
    lang = request_language(request)
    people = [snapshot.members.get(member_id) for member_id in offer.member_ids]
    if any(m is None for m in people):  # newer than this process's snapshot: read them
        people = list(await offers.members_of(runtime.storage, offer))
    members = [
        {
            "name": m.name,
            "website": m.website,
            "category_label": category_label(m.category, lang) if m.category else "",
            "town": m.town,
        }
        for m in people
        if m is not None
    ]
    context = {
        "lang": lang,
        "offer": offer,
        "paragraphs": [p for p in offer.text.split("\n\n") if p],
        "image": offers.image_path(offer),
        "days": days_text(offer.valid_from, offer.valid_until, lang),
        "members": members,
        "theme": {"slug": theme.slug, "name": theme.name(lang)},
    }
    return runtime.templates.TemplateResponse(
        request,
        "public/offer.html",
        context,
        headers={**PAGE_HEADERS, "Cache-Control": "public, max-age=300"},
    )


async def offer_image(request: Request) -> Response:
    """An offer's image as we re-encoded it; the digest in the URL makes it cacheable forever.

    Served whatever the offer's status, because the portal and the admin show
    it before the offer is live; its address needs 16 hex digits of its digest.
    """
    runtime = runtime_of(request)
    offer_id = request.path_params["offer_id"]
    if not 0 < offer_id <= MAX_ID:
        raise HTTPException(404, "No such image")
    try:
        stored, data = await runtime.storage.get_offer_image(offer_id)
    except NotFoundError:
        raise HTTPException(404, "No such image") from None
    if stored.digest[:16] != request.path_params["digest"]:
        raise HTTPException(404, "No such image")
    return Response(
        data,
        media_type=stored.content_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "Cross-Origin-Resource-Policy": "cross-origin",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
