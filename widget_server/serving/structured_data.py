"""schema.org JSON-LD for the theme page, and its safe embedding in HTML.

The graph holds one ``ItemList`` of the members as ``LocalBusiness`` (with a
``PostalAddress`` as far as the member data has one), one ``Offer`` per
current joint offer and one ``Event`` per upcoming joint event.  Which
properties each type needs is in docs/theme-page.md; the tests check the
graph against a table of them.

``script_json`` makes the JSON safe inside ``<script type="application/ld+json">``:
``<``, ``>`` and ``&`` become ``\\u003c``-style escapes (so member text cannot
close the script or open a comment), and so do U+2028/U+2029.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from widget_server.serving.theme_page import Category, PageEvent, PageOffer, Participant, Place

CONTEXT = "https://schema.org"
EVENT_STATUS = {
    "scheduled": "https://schema.org/EventScheduled",
    "cancelled": "https://schema.org/EventCancelled",
    "postponed": "https://schema.org/EventPostponed",
}
_SCRIPT_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def script_json(data: Any) -> str:
    """``data`` as JSON that cannot end or disturb the ``<script>`` element it sits in."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return text.translate(_SCRIPT_SAFE)


def _address(street: str, postal_code: str, town: str) -> dict[str, str] | None:
    parts = {"streetAddress": street, "postalCode": postal_code, "addressLocality": town}
    given = {k: v for k, v in parts.items() if v}
    return {"@type": "PostalAddress", **given} if given else None


def _business(
    name: str, website: str, description: str, address: dict[str, str] | None
) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "LocalBusiness", "name": name}
    if website:
        node["url"] = website
    if description:
        node["description"] = description
    if address:
        node["address"] = address
    return node


def _organisation(p: Participant) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "Organization", "name": p.name}
    if p.website:
        node["url"] = p.website
    return node


def _place(place: Place) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "Place", "name": place.name}
    address = _address(place.street, place.postal_code, place.town)
    if address:
        node["address"] = address
    return node


def offer_node(offer: PageOffer) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "Offer", "name": offer.title, "url": offer.url}
    if offer.text:
        node["description"] = offer.text
    if offer.valid_from:
        node["validFrom"] = offer.valid_from.isoformat()
    if offer.valid_until:
        # priceValidUntil: until when the price holds; validThrough: until when it is offered.
        node["priceValidUntil"] = offer.valid_until.isoformat()
        node["validThrough"] = offer.valid_until.isoformat()
    if offer.participants:
        node["offeredBy"] = [_organisation(p) for p in offer.participants]
    return node


def event_node(event: PageEvent) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": "Event",
        "name": event.title,
        "startDate": event.start.isoformat(),
        "eventStatus": EVENT_STATUS.get(event.status, EVENT_STATUS["scheduled"]),
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
    }
    if event.end is not None:
        node["endDate"] = event.end.isoformat()
    if event.description:
        node["description"] = event.description
    if event.place is not None:
        node["location"] = _place(event.place)
    if event.registration:
        node["url"] = event.registration
    if event.participants:
        # The members taking part organise it together.
        node["organizer"] = [_organisation(p) for p in event.participants]
    return node


def theme_graph(
    *,
    page_url: str,
    name: str,
    description: str,
    lang: str,
    categories: Sequence[Category],
    offers: Sequence[PageOffer] = (),
    events: Sequence[PageEvent] = (),
) -> dict[str, Any]:
    """The JSON-LD document of one theme page."""
    members = [m for c in categories for m in c.members]
    item_list: dict[str, Any] = {
        "@type": "ItemList",
        "@id": f"{page_url}#partner",
        "name": name,
        "url": page_url,
        "inLanguage": lang,
        "numberOfItems": len(members),
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": position,
                "item": _business(
                    m.name, m.website, m.description, _address("", m.postal_code, m.town)
                ),
            }
            for position, m in enumerate(members, start=1)
        ],
    }
    if description:
        item_list["description"] = description
    graph = [item_list, *(offer_node(o) for o in offers), *(event_node(e) for e in events)]
    return {"@context": CONTEXT, "@graph": graph}
