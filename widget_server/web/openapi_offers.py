"""The joint offers' part of the OpenAPI document (web/endpoints/api/offers.py).

Kept apart from ``openapi.py`` (which merges it in) so each part stays short.
"""

from __future__ import annotations

from typing import Any

from widget_server.core.models import OFFER_STATUSES
from widget_server.network.logos import MAX_BYTES
from widget_server.web.bodies import Body
from widget_server.web.endpoints.api.offer_edits import IMAGE_TYPES, OFFER_PATCH
from widget_server.web.endpoints.api.offers import OFFER_CREATE, OFFER_DECISION
from widget_server.web.openapi_operations import API, IDEMPOTENT, PAGE, ok, op, path, query, ref
from widget_server.web.openapi_schemas import INTEGER, STRING, enum, obj, page_of

STATES = ("waiting", "approval", "scheduled", "live", "ended", "declined", "removed")
BODIES: tuple[Body, ...] = (OFFER_CREATE, OFFER_DECISION, OFFER_PATCH)
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
            "revision": {
                **INTEGER,
                "description": "Counts the changes; a change or confirmation may name it.",
            },
            "updated_at": STRING,
        }
    ),
    "OfferList": page_of("Offer"),
}


def paths() -> dict[str, Any]:
    """The offers' paths, built with the pieces of ``openapi_operations.py``."""
    slug = path("slug", "An offer's slug.")
    member = query(
        "member",
        {"type": "string", "maxLength": 60},
        "The participant (a coordinator key must name it; a member key acts for its own).",
    )
    offer = ok("The offer.", ref("Offer"))
    revision = query(
        "revision",
        {"type": "string", "pattern": "^[0-9]{1,9}$"},
        "The offer's revision as read: a 409 if it changed since (left out: no condition).",
    )
    seen = query(
        "revision",
        {"type": "string", "pattern": "^[0-9]{1,9}$"},
        "The revision the member saw; a 409 if the offer was changed since.",
    )
    image = {"type": "string", "format": "binary"}
    image_body = {
        "required": True,
        "description": f"The image file itself, at most {MAX_BYTES} bytes; recognised by its"
        " content, checked and re-encoded like a member's logo.",
        "content": {t: {"schema": image} for t in (*IMAGE_TYPES, "application/octet-stream")},
    }
    put_image = op(
        "putOfferImage",
        "Upload the offer's image",
        "offers",
        {200: offer},
        (403, 404, 409, 413, 422),
        params=(slug, revision),
        description="The proposer's member key or a coordinator key; the participants'"
        " confirmations stay (an image is no material change).",
    )
    put_image["requestBody"] = image_body
    return {
        f"{API}/offers": {
            "get": op(
                "listOffers",
                "List joint offers",
                "offers",
                {200: ok("A page of offers, oldest first.", ref("OfferList"))},
                (404, 422),
                params=(
                    query("theme", {"type": "string"}, "Only this theme's offers."),
                    query("status", enum(OFFER_STATUSES), "Only offers with this status."),
                    *PAGE,
                ),
                description="A member key sees the offers its member takes part in.",
            ),
            "post": op(
                "createOffer",
                "Propose a joint offer",
                "offers",
                {201: ok("The proposed offer.", ref("Offer"))},
                (403, 409, 422),
                params=(IDEMPOTENT,),
                body="OfferCreate",
            ),
        },
        f"{API}/offers/{{slug}}": {
            "get": op(
                "getOffer", "A joint offer", "offers", {200: offer}, (403, 404), params=(slug,)
            ),
            "patch": op(
                "updateOffer",
                "Change a joint offer",
                "offers",
                {200: offer},
                (403, 404, 409, 422),
                params=(slug,),
                body="OfferPatch",
                description="The proposer's member key or a coordinator key. A new text,"
                " price, days or participants resets the other participants' confirmations"
                " (and, when the proposer changes it and the theme asks for it, the"
                " coordinators' approval); they are asked by mail to confirm again.",
            ),
        },
        f"{API}/offers/{{slug}}/image": {
            "put": put_image,
            "delete": op(
                "deleteOfferImage",
                "Remove the offer's image",
                "offers",
                {200: offer},
                (403, 404, 409, 422),
                params=(slug, revision),
            ),
        },
        f"{API}/offers/{{slug}}/confirmation": {
            "put": op(
                "confirmOffer",
                "Confirm taking part",
                "offers",
                {200: offer},
                (403, 404, 409, 422),
                params=(slug, member, seen),
            ),
            "delete": op(
                "withdrawOffer",
                "Withdraw the confirmation",
                "offers",
                {200: offer},
                (403, 404, 409, 422),
                params=(slug, member, seen),
                description="The offer is not shown until the member confirms again.",
            ),
        },
        f"{API}/offers/{{slug}}/decision": {
            "post": op(
                "decideOffer",
                "Approve, decline or remove a joint offer",
                "offers",
                {200: offer},
                (403, 404, 409, 422),
                params=(slug,),
                body="OfferDecision",
                description="Coordinator keys; the proposer's member key may only remove"
                " (end) its own offer.",
            ),
        },
    }
