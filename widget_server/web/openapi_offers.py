"""The joint offers' part of the OpenAPI document (web/endpoints/api/offers.py).

Kept apart from ``openapi.py`` (which merges it in) so each part stays short.
"""

from __future__ import annotations

from typing import Any

from widget_server.core.models import OFFER_STATUSES
from widget_server.web.bodies import Body
from widget_server.web.endpoints.api.offers import OFFER_CREATE, OFFER_DECISION
from widget_server.web.openapi_schemas import INTEGER, STRING, enum, obj, page_of

STATES = ("waiting", "approval", "scheduled", "live", "ended", "declined", "removed")
BODIES: tuple[Body, ...] = (OFFER_CREATE, OFFER_DECISION)
NULLABLE = {"type": ["string", "null"]}
DAY = {"type": "string", "format": "date"}

SCHEMAS: dict[str, Any] = {
    "Offer": obj(
        {
            "id": INTEGER,
            "slug": STRING,
            "theme": STRING,
            "proposer": STRING,
            "title": STRING,
            "text": STRING,
            "price_text": STRING,
            "valid_from": DAY,
            "valid_until": DAY,
            "status": enum(OFFER_STATUSES),
            "state": {**enum(STATES), "description": "What the offer is today; live: shown."},
            "needs_approval": {"type": "boolean"},
            "approved_at": NULLABLE,
            "participants": {
                "type": "array",
                "items": obj({"member": STRING, "confirmed": {"type": "boolean"}}),
            },
            "image_url": {**NULLABLE, "description": "Path of the image on this server."},
            "page_url": {**NULLABLE, "description": "Path of the public page while live."},
            "created_at": STRING,
        }
    ),
    "OfferList": page_of("Offer"),
}


def paths(
    api: str,
    op: Any,
    ok: Any,
    ref: Any,
    path: Any,
    query: Any,
    page: tuple[dict[str, Any], ...],
    idempotent: dict[str, Any],
) -> dict[str, Any]:
    """The offers' paths, built with ``openapi.py``'s helpers (passed in: no import cycle)."""
    slug = path("slug", "An offer's slug.")
    member = query(
        "member",
        {"type": "string", "maxLength": 60},
        "The participant (a coordinator key must name it; a member key acts for its own).",
    )
    offer = ok("The offer.", ref("Offer"))
    return {
        f"{api}/offers": {
            "get": op(
                "listOffers",
                "List joint offers",
                "offers",
                {200: ok("A page of offers, oldest first.", ref("OfferList"))},
                (404, 422),
                params=(
                    query("theme", {"type": "string"}, "Only this theme's offers."),
                    query("status", enum(OFFER_STATUSES), "Only offers with this status."),
                    *page,
                ),
                description="A member key sees the offers its member takes part in.",
            ),
            "post": op(
                "createOffer",
                "Propose a joint offer",
                "offers",
                {201: ok("The proposed offer.", ref("Offer"))},
                (403, 409, 422),
                params=(idempotent,),
                body="OfferCreate",
            ),
        },
        f"{api}/offers/{{slug}}": {
            "get": op(
                "getOffer", "A joint offer", "offers", {200: offer}, (403, 404), params=(slug,)
            ),
        },
        f"{api}/offers/{{slug}}/confirmation": {
            "put": op(
                "confirmOffer",
                "Confirm taking part",
                "offers",
                {200: offer},
                (403, 404, 409, 422),
                params=(slug, member),
            ),
            "delete": op(
                "withdrawOffer",
                "Withdraw the confirmation",
                "offers",
                {200: offer},
                (403, 404, 409, 422),
                params=(slug, member),
                description="The offer is not shown until the member confirms again.",
            ),
        },
        f"{api}/offers/{{slug}}/decision": {
            "post": op(
                "decideOffer",
                "Approve, decline or remove a joint offer (coordinator keys)",
                "offers",
                {200: offer},
                (403, 404, 409, 422),
                params=(slug,),
                body="OfferDecision",
            ),
        },
    }
