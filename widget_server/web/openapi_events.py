"""The joint events' part of the OpenAPI document (paths and answer schemas).

Kept beside ``openapi.py`` so that file stays a readable table; it merges
``paths()`` and ``SCHEMAS`` into the document.  The paths are built with the
pieces of ``openapi_operations.py``.
"""

from __future__ import annotations

from typing import Any

from widget_server.core.models import EVENT_STATUSES
from widget_server.web.bodies import Body
from widget_server.web.endpoints.api.events import EVENT_CREATE, EVENT_PATCH, EVENT_STATUS
from widget_server.web.openapi_operations import CREATED, PAGE, ok, op, param, path, query, ref
from widget_server.web.openapi_schemas import INTEGER, NULLABLE_STRING, STRING, enum, obj, page_of

BODIES: tuple[Body, ...] = (EVENT_CREATE, EVENT_PATCH, EVENT_STATUS)
UTC_TIME = {"type": "string", "format": "date-time", "description": "UTC, e.g. …T09:00:00Z."}

SCHEMAS: dict[str, Any] = {
    "Event": obj(
        {
            "slug": STRING,
            "theme": {**NULLABLE_STRING, "description": "Theme slug; null: network-wide."},
            "title": STRING,
            "description": STRING,
            "starts_at": UTC_TIME,
            "ends_at": UTC_TIME,
            "place_name": STRING,
            "street": STRING,
            "postal_code": STRING,
            "town": STRING,
            "registration_url": NULLABLE_STRING,
            "status": enum(EVENT_STATUSES),
            "participants": {"type": "array", "items": STRING, "description": "Member slugs."},
            "proposed_by": {**NULLABLE_STRING, "description": "The proposing member's slug."},
            "sequence": {**INTEGER, "description": "Counts the changes (iCalendar SEQUENCE)."},
            "created_at": UTC_TIME,
            "updated_at": UTC_TIME,
        }
    ),
    "EventList": page_of("Event"),
}


def paths() -> dict[str, dict[str, Any]]:
    """The events' paths."""
    slug = (path("slug", "An event's slug."),)
    return {
        "/api/v1/events": {
            "get": op(
                "listEvents",
                "List events",
                "events",
                {200: ok("A page of events, by start.", ref("EventList"))},
                (404, 422),
                params=(
                    *PAGE,
                    query("theme", {"type": "string"}, "Only this theme's (a slug)."),
                    query("status", enum(EVENT_STATUSES), "Only events in this status."),
                    query(
                        "past", {"type": "string", "enum": ["true", "false"]}, "Include past ones."
                    ),
                ),
                description="A member key sees published and cancelled events and its own"
                " proposals.",
            ),
            "post": op(
                "createEvent",
                "Create an event, or propose one",
                "events",
                {201: ok("The new event.", ref("Event"), **CREATED)},
                (409, 422),
                params=(param("Idempotency-Key"),),
                body="EventCreate",
                description="A coordinator key publishes it; a member key proposes it"
                " (status proposed) for a coordinator to publish.",
            ),
        },
        "/api/v1/events/{slug}": {
            "get": op(
                "getEvent",
                "Read an event",
                "events",
                {200: ok("The event.", ref("Event"))},
                (404,),
                params=slug,
            ),
            "patch": op(
                "updateEvent",
                "Change an event",
                "events",
                {200: ok("The changed event.", ref("Event"))},
                (404, 409, 422),
                params=slug,
                body="EventPatch",
                description="409 when the sequence is no longer the event's (changed"
                " meanwhile); a member key changes only its waiting proposals.",
            ),
            "delete": op(
                "deleteEvent",
                "Delete an event, or withdraw a proposal",
                "events",
                {200: ok("The deleted event.", ref("Event"))},
                (403, 404, 409),
                params=slug,
                description="A published event is cancelled, not deleted (409).",
            ),
        },
        "/api/v1/events/{slug}/status": {
            "put": op(
                "setEventStatus",
                "Publish, decline, cancel or restore an event",
                "events",
                {200: ok("The event.", ref("Event"))},
                (403, 404, 409, 422),
                params=slug,
                body="EventStatusChange",
            ),
        },
    }
