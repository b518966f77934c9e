"""A joint offer's public page ``/o/{slug}`` and its image (docs/offers.md).

Only a live offer has a page: an unknown, waiting, declined, removed or past
one is a 404 problem, so nothing is shown before every participant agreed.
Offers are not in the widget's snapshot; the page reads storage (a few small
queries) and may be cached for five minutes.  Links to the participants'
websites are plain links: the page is the cluster's own editorial page, not
a paid placement (docs/offers.md says why).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import NotFoundError
from widget_server.core.models import Offer
from widget_server.network import offers
from widget_server.network.categories import category_label
from widget_server.web.endpoints.public import MAX_ID, PAGE_HEADERS, request_language
from widget_server.web.runtime import runtime_of


def today_of(request: Request) -> date:
    """The server clock's day (UTC), the day offers are live on."""
    return datetime.fromtimestamp(runtime_of(request).clock(), UTC).date()


def day_text(day: date, lang: str) -> str:
    return day.strftime("%d.%m.%Y") if lang == "de" else day.isoformat()


async def live_offer(request: Request, slug: str) -> Offer:
    offer = await runtime_of(request).storage.offer_by_slug(slug)
    if offer is None:
        raise HTTPException(404, "No such offer")
    live = await runtime_of(request).storage.live_offers(offer.theme_id, today_of(request))
    if not any(o.id == offer.id for o in live):
        raise HTTPException(404, "No such offer")
    return offer


async def offer_page(request: Request) -> Response:
    runtime = runtime_of(request)
    offer = await live_offer(request, request.path_params["slug"])
    lang = request_language(request)
    theme = next(t for t in await runtime.storage.list_themes() if t.id == offer.theme_id)
    members = [
        {
            "name": m.name,
            "website": m.website,
            "category_label": category_label(m.category, lang) if m.category else "",
            "town": m.town,
        }
        for m in await offers.members_of(runtime.storage, offer)
    ]
    context = {
        "lang": lang,
        "offer": offer,
        "paragraphs": [p for p in offer.text.split("\n\n") if p],
        "image": offers.image_path(offer),
        "valid_from": day_text(offer.valid_from, lang),
        "valid_until": day_text(offer.valid_until, lang),
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
