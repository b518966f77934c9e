"""A small checker of schema.org JSON-LD: what each type we emit must and may carry.

Hand-written, because no installable library checks the vocabulary offline
(the validators of PyPI fetch the vocabulary or Google's tool over the
network).  ``REQUIRED`` is what Google's structured-data documentation
requires for a rich result (Event: name, startDate, location; LocalBusiness:
name, address; ItemList's ListItem: position and item or url) plus what our
pages promise (an Offer's name and url); ``ALLOWED`` is, per type, the
schema.org properties (the type's own and inherited ones) that we use: a
property outside it is a typo or a property of another type.  ``ENUMS`` are
the values schema.org defines for enumerated properties.  docs/theme-page.md
names the sources.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

THING = {"@type", "@id", "name", "description", "url", "image", "sameAs"}
REQUIRED: dict[str, set[str]] = {
    "ItemList": {"itemListElement"},
    "ListItem": {"position", "item"},
    "LocalBusiness": {"name"},  # address: required by Google, given where the member has one
    "PostalAddress": set(),
    "Offer": {"name", "url"},
    "Event": {"name", "startDate", "location"},
    "Place": {"name", "address"},
    "Organization": {"name"},
}
ALLOWED: dict[str, set[str]] = {
    "ItemList": THING | {"itemListElement", "numberOfItems", "itemListOrder", "inLanguage"},
    "ListItem": THING | {"position", "item"},
    "LocalBusiness": THING | {"address", "telephone", "geo", "logo", "areaServed"},
    "PostalAddress": {
        "@type",
        "streetAddress",
        "postalCode",
        "addressLocality",
        "addressRegion",
        "addressCountry",
    },
    "Offer": THING
    | {
        "validFrom",
        "validThrough",
        "priceValidUntil",
        "offeredBy",
        "seller",
        "price",
        "priceCurrency",
        "availability",
        "category",
    },
    "Event": THING
    | {
        "startDate",
        "endDate",
        "location",
        "eventStatus",
        "eventAttendanceMode",
        "organizer",
        "performer",
        "offers",
        "inLanguage",
    },
    "Place": THING | {"address", "geo"},
    "Organization": THING | {"address", "logo"},
}
RANGES: dict[str, set[str]] = {  # property -> the types its object may have
    "item": {"LocalBusiness"},
    "itemListElement": {"ListItem"},
    "address": {"PostalAddress"},
    "location": {"Place"},
    "offeredBy": {"Organization", "LocalBusiness"},
    "seller": {"Organization", "LocalBusiness"},
    "organizer": {"Organization", "LocalBusiness"},
    "performer": {"Organization", "LocalBusiness"},
}
ENUMS = {
    "eventStatus": {
        "https://schema.org/EventScheduled",
        "https://schema.org/EventCancelled",
        "https://schema.org/EventPostponed",
        "https://schema.org/EventRescheduled",
        "https://schema.org/EventMovedOnline",
    },
    "eventAttendanceMode": {
        "https://schema.org/OfflineEventAttendanceMode",
        "https://schema.org/OnlineEventAttendanceMode",
        "https://schema.org/MixedEventAttendanceMode",
    },
}
DATES = {"validFrom", "validThrough", "priceValidUntil"}
DATETIMES = {"startDate", "endDate"}
URLS = {"url", "@id"}


def problems(document: dict[str, Any]) -> list[str]:
    """Everything wrong with a JSON-LD document of ours (empty: valid)."""
    found: list[str] = []
    if document.get("@context") != "https://schema.org":
        found.append(f"@context is {document.get('@context')!r}")
    nodes = document.get("@graph", [document])
    for node in nodes:
        _check(node, "@graph", found)
    return found


def _check(node: Any, where: str, found: list[str]) -> None:
    if not isinstance(node, dict):
        found.append(f"{where}: not an object")
        return
    kind = node.get("@type")
    if kind not in ALLOWED:
        found.append(f"{where}: unknown @type {kind!r}")
        return
    where = f"{where}/{kind}"
    for name in sorted(REQUIRED[kind] - set(node)):
        found.append(f"{where}: {name} missing")
    for name, value in node.items():
        if name not in ALLOWED[kind]:
            found.append(f"{where}: {name} is not a property of {kind}")
            continue
        for item in value if isinstance(value, list) else [value]:
            _value(name, item, f"{where}.{name}", found)


def _value(name: str, value: Any, where: str, found: list[str]) -> None:
    if name in RANGES:
        if not isinstance(value, dict) or value.get("@type") not in RANGES[name]:
            found.append(f"{where}: expected one of {sorted(RANGES[name])}")
            return
        _check(value, where, found)
    elif name in ENUMS and value not in ENUMS[name]:
        found.append(f"{where}: {value!r} is not an enumeration member")
    elif name in DATES:
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            found.append(f"{where}: {value!r} is not an ISO 8601 date")
    elif name in DATETIMES:
        try:
            if datetime.fromisoformat(value).tzinfo is None:
                found.append(f"{where}: {value!r} has no time zone")
        except (TypeError, ValueError):
            found.append(f"{where}: {value!r} is not an ISO 8601 date-time")
    elif name in URLS and not (
        isinstance(value, str) and value.startswith(("https://", "http://"))
    ):
        found.append(f"{where}: {value!r} is not an absolute URL")
    elif name in ("position", "numberOfItems") and not isinstance(value, int):
        found.append(f"{where}: {value!r} is not an integer")
    elif name not in RANGES and name != "@type" and isinstance(value, dict):
        found.append(f"{where}: unexpected object")
