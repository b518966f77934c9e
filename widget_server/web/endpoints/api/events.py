"""Joint events (docs/events.md): coordinators manage all; a member key proposes.

A coordinator key's event is published at once; a member key's is a
proposal of its member, waiting for a coordinator (``PUT .../status``).
Every change names the ``sequence`` it was made on, so a change made on an
old copy is refused (409) instead of overwriting another's.  A member key
sees the published and cancelled events and its own proposals.  Every write
is in the audit log with the same actions as in the admin and the portal
(``key:<key id>`` or ``member:<slug>`` as the actor).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import NotFoundError
from widget_server.core.models import EVENT_STATUSES, Event, Member
from widget_server.network import audit, events
from widget_server.network.events import EventInput
from widget_server.web.bodies import Body, Field
from widget_server.web.endpoints.api.base import Denied, answer, parse, query_choice, require
from widget_server.web.pagination import page_of, parse_page
from widget_server.web.runtime import runtime_of

PUBLIC = ("published", "cancelled")
_TIME = "Local time of the network (2027-03-14T10:00) or with an offset (…+01:00, …Z)."
_FIELDS = (
    Field("title", max_length=events.MAX_TITLE),
    Field("description", max_length=events.MAX_DESCRIPTION, description="Line breaks kept."),
    Field("starts_at", max_length=40, description=_TIME),
    Field("ends_at", max_length=40, description=_TIME + " After the start."),
    Field("place_name", max_length=events.MAX_PLACE),
    Field("street", max_length=events.MAX_PLACE),
    Field("postal_code", max_length=12),
    Field("town", max_length=80),
    Field(
        "registration_url",
        nullable=True,
        max_length=events.MAX_URL,
        pattern="^https?://",
        description="Absolute http(s) URL, or null.",
    ),
    Field(
        "participants",
        "array",
        max_length=events.MAX_PARTICIPANTS,
        item_max_length=60,
        description="Member slugs; a proposing member always takes part.",
    ),
    Field("theme", nullable=True, max_length=60, description="Theme slug; null: network-wide."),
)
_REQUIRED = ("title", "starts_at", "ends_at", "place_name", "town")
EVENT_CREATE = Body(
    "EventCreate",
    tuple(replace(f, required=f.name in _REQUIRED) for f in _FIELDS),
)
SEQUENCE = Field(
    "sequence", "integer", required=True, minimum=0, description="The sequence the change is on."
)
EVENT_PATCH = Body(
    "EventPatch",
    (*_FIELDS, SEQUENCE),
    "Any of the fields, and the sequence of the event as read; those left out stay.",
)
EVENT_STATUS = Body(
    "EventStatusChange",
    (Field("status", required=True, enum=EVENT_STATUSES), SEQUENCE),
    "proposed → published or declined; published → cancelled; cancelled → published.",
)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _slugs(request: Request, ids: tuple[int, ...]) -> list[str]:
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    members = runtime.snapshots.current.members
    found = []
    for member_id in ids:
        member = members.get(member_id)
        if member is None:
            member = await runtime.storage.get_member_by_id(member_id)
        found.append(member.slug)
    return found


def _theme_slug(request: Request, theme_id: int | None) -> str | None:
    snapshots = runtime_of(request).snapshots
    assert snapshots is not None
    theme = snapshots.current.themes.get(theme_id) if theme_id is not None else None
    return theme.slug if theme is not None else None


async def event_view(request: Request, event: Event) -> dict[str, Any]:
    proposer = await _slugs(request, (event.proposed_by,)) if event.proposed_by else [None]
    return {
        "slug": event.slug,
        "theme": _theme_slug(request, event.theme_id),
        "title": event.title,
        "description": event.description,
        "starts_at": _utc(event.starts_at),
        "ends_at": _utc(event.ends_at),
        "place_name": event.place_name,
        "street": event.street,
        "postal_code": event.postal_code,
        "town": event.town,
        "registration_url": event.registration_url,
        "status": event.status,
        "participants": await _slugs(request, event.participants),
        "proposed_by": proposer[0],
        "sequence": event.sequence,
        "created_at": _utc(event.created_at),
        "updated_at": _utc(event.updated_at),
    }


def _visible(event: Event, member: Member | None) -> bool:
    return member is None or event.status in PUBLIC or event.proposed_by == member.id


async def _caller(request: Request) -> Member | None:
    """The member a member key acts for; None for a coordinator key."""
    principal = await require(request)
    return None if principal.is_coordinator else request.state.member


async def _event(request: Request, member: Member | None) -> Event:
    event = await runtime_of(request).storage.get_event_by_slug(request.path_params["slug"])
    if not _visible(event, member):
        raise NotFoundError(f"no event {event.slug!r}")  # a member cannot probe proposals
    return event


def _now(request: Request) -> datetime:
    return datetime.fromtimestamp(runtime_of(request).clock(), UTC)


async def list_events(request: Request) -> Response:
    """Events by start; ``past=true`` includes those over, ``theme`` and ``status`` narrow."""
    member = await _caller(request)
    storage = runtime_of(request).storage
    status = query_choice(request, "status", EVENT_STATUSES)
    past = query_choice(request, "past", ("true", "false")) == "true"
    theme_slug = request.query_params.get("theme")
    theme_id = (await storage.get_theme(theme_slug)).id if theme_slug else None
    page = parse_page(request.query_params, "events", str)
    found = await storage.list_events(
        theme_id=theme_id,
        status=status,  # type: ignore[arg-type]
        ends_after=None if past else _now(request),
    )
    keyed = [(f"{_utc(e.starts_at)}|{e.id:012d}", e) for e in found if _visible(e, member)]
    rest = [pair for pair in keyed if page.after is None or pair[0] > page.after]
    shown, next_cursor = page_of(rest[: page.limit + 1], page, "events", lambda pair: pair[0])
    return answer(
        {"data": [await event_view(request, e) for _, e in shown], "next_cursor": next_cursor}
    )


async def create_event(request: Request) -> Response:
    member = await _caller(request)
    data = await parse(request, EVENT_CREATE)
    runtime = runtime_of(request)
    event = await events.create_event(
        runtime.storage,
        EventInput(**{**data, "registration_url": data.get("registration_url") or ""}),
        runtime.settings.time_zone,
        now=_now(request),
        member=member,
    )
    action = "event.create" if member is None else "event.propose"
    await _audit(request, member, action, event, event.title)
    location = {"Location": f"/api/v1/events/{event.slug}"}
    return answer(await event_view(request, event), 201, headers=location)


async def get_event(request: Request) -> Response:
    member = await _caller(request)
    return answer(await event_view(request, await _event(request, member)))


async def patch_event(request: Request) -> Response:
    member = await _caller(request)
    data = await parse(request, EVENT_PATCH)
    before = await _event(request, member)
    runtime = runtime_of(request)
    zone = runtime.settings.time_zone
    slugs = await _slugs(request, before.participants)
    current = EventInput.from_event(
        before,
        zone,
        dict(zip(before.participants, slugs, strict=True)),
        _theme_slug(request, before.theme_id),
    )
    sequence = data.pop("sequence")
    if data.get("registration_url", "") is None:
        data["registration_url"] = ""
    changed = EventInput(**{**asdict(current), **data})
    event = await events.edit_event(
        runtime.storage, before.slug, changed, zone, sequence, member=member
    )
    if event.sequence != before.sequence:
        await _audit(request, member, "event.edit", event, events.edit_detail(before, event))
    return answer(await event_view(request, event))


async def put_status(request: Request) -> Response:
    await require(request, coordinator=True)
    data = await parse(request, EVENT_STATUS)
    storage = runtime_of(request).storage
    before = await storage.get_event_by_slug(request.path_params["slug"])
    event = await events.set_status(storage, before.slug, data["status"], data["sequence"])
    action = events.STATUS_ACTIONS[(before.status, event.status)]
    await _audit(request, None, action, event, event.title)
    return answer(await event_view(request, event))


async def delete_event(request: Request) -> Response:
    """A coordinator deletes an event that is not published; a member withdraws its proposal."""
    member = await _caller(request)
    storage = runtime_of(request).storage
    slug = request.path_params["slug"]
    if member is None:
        event = await events.delete_event(storage, slug)
    else:
        await _event(request, member)
        if (await storage.get_event_by_slug(slug)).proposed_by != member.id:
            raise Denied(403, "a member key can only withdraw its own proposals")
        event = await events.withdraw(storage, slug, member)
    action = "event.delete" if member is None else "event.withdraw"
    await _audit(request, member, action, event, event.title)
    return answer(await event_view(request, event))


async def _audit(
    request: Request, member: Member | None, action: str, event: Event, detail: str
) -> None:
    """The audit entry of an API write, as the admin and the portal write theirs."""
    key_id = request.state.principal.key_id
    actor = f"key:{key_id}" if member is None else f"member:{member.slug}"
    await audit.record(runtime_of(request).storage, actor, action, f"event:{event.slug}", detail)
