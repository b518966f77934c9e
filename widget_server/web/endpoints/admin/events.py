"""Admin: joint events. The list (proposals waiting, upcoming, past), creating,
editing, publishing or declining a member's proposal, cancelling, deleting.

Every decision and edit names the ``sequence`` the page showed; a change made
meanwhile (by a member editing its proposal, or another coordinator) makes
it a 409 with the page shown anew, as profile changes do.  All of it is
written to the audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import ConflictError, ValidationError
from widget_server.core.models import Event
from widget_server.network import audit, events
from widget_server.network.events import EventInput
from widget_server.web.endpoints import event_pages as pages
from widget_server.web.endpoints.admin.base import actor, lang_of, render
from widget_server.web.endpoints.guards import form_of, form_text, redirect
from widget_server.web.runtime import runtime_of

# The buttons of the event page and the status each sets.
ACTIONS = {
    "publish": "published",
    "decline": "declined",
    "cancel": "cancelled",
    "restore": "published",
}


def _now(request: Request) -> datetime:
    return datetime.fromtimestamp(runtime_of(request).clock(), UTC)


async def event_list(request: Request) -> Response:
    storage = runtime_of(request).storage
    lang = lang_of(request)
    every = await storage.list_events()
    now = _now(request)
    waiting = [e for e in every if e.status == "proposed" and e.ends_at > now]
    coming = [e for e in every if e.status in ("published", "cancelled") and e.ends_at > now]
    past = [e for e in every if e.status in ("published", "cancelled") and e.ends_at <= now]
    return render(
        request,
        "events.html",
        {
            "section": "events",
            "waiting": pages.rows(request, waiting, lang),
            "coming": pages.rows(request, coming, lang),
            "past": pages.rows(request, list(reversed(past))[:20], lang),
        },
    )


async def _form(
    request: Request,
    *,
    event: Event | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    runtime = runtime_of(request)
    lang = lang_of(request)
    themes = await runtime.storage.list_themes()
    if values is None and event is not None:
        values = pages.form_values(await _as_input(request, event))
    values = values or pages.blank()
    groups = await pages.groups_of(request, themes, lang, values["participants"])
    return render(
        request,
        "event_form.html",
        {
            "section": "events",
            "event": event,
            "row": pages.rows(request, [event], lang)[0] if event else None,
            "values": values,
            "errors": errors or {},
            "themes": themes,
            "groups": groups,
            "zone": pages.zone_of(request),
        },
        status=status,
    )


async def _as_input(request: Request, event: Event) -> EventInput:
    snapshots = runtime_of(request).snapshots
    assert snapshots is not None
    members = snapshots.current.network.members
    slugs = {i: members[i].slug for i in event.participants if i in members}
    theme = snapshots.current.themes.get(event.theme_id or 0)
    return EventInput.from_event(
        event, pages.zone_of(request), slugs, theme.slug if theme else None
    )


async def event_new(request: Request) -> Response:
    return await _form(request, values=pages.blank(request.query_params.get("theme")))


async def event_create(request: Request) -> Response:
    storage = runtime_of(request).storage
    data = pages.input_of(form_of(request))
    try:
        event = await events.create_event(storage, data, pages.zone_of(request), now=_now(request))
    except ValidationError as exc:
        values = pages.form_values(data)
        return await _form(request, values=values, errors={exc.field: exc.reason}, status=422)
    await audit.record(storage, actor(request), "event.create", f"event:{event.slug}", event.title)
    return redirect(request, "admin_event", slug=event.slug, done="event_created")


async def event_page(request: Request) -> Response:
    event = await runtime_of(request).storage.get_event_by_slug(request.path_params["slug"])
    return await _form(request, event=event)


def _sequence(form: Any) -> int | None:
    raw = form_text(form, "sequence")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


async def event_save(request: Request) -> Response:
    storage = runtime_of(request).storage
    form = form_of(request)
    before = await storage.get_event_by_slug(request.path_params["slug"])
    data = pages.input_of(form)
    values = pages.form_values(data)
    sequence = _sequence(form)
    try:
        if sequence is None:
            raise ConflictError("stale_event")
        after = await events.edit_event(
            storage, before.slug, data, pages.zone_of(request), sequence
        )
    except ValidationError as exc:
        errors = {exc.field: exc.reason}
        return await _form(request, event=before, values=values, errors=errors, status=422)
    except ConflictError:
        errors = {"event": "stale_event"}
        return await _form(request, event=before, values=values, errors=errors, status=409)
    if after.sequence != before.sequence:
        detail = events.edit_detail(before, after)
        await audit.record(storage, actor(request), "event.edit", f"event:{after.slug}", detail)
    return redirect(request, "admin_event", slug=after.slug, done="saved")


async def event_status(request: Request) -> Response:
    """Publish or decline a proposal, cancel a published event, restore a cancelled one."""
    storage = runtime_of(request).storage
    form = form_of(request)
    slug = request.path_params["slug"]
    action = form_text(form, "action")
    sequence = _sequence(form)
    event = await storage.get_event_by_slug(slug)
    if action not in ACTIONS or sequence is None:
        return await _form(request, event=event, errors={"event": "stale_event"}, status=422)
    try:
        after = await events.set_status(storage, slug, ACTIONS[action], sequence)  # type: ignore[arg-type]
    except ConflictError:
        fresh = await storage.get_event_by_slug(slug)
        return await _form(request, event=fresh, errors={"event": "stale_event"}, status=409)
    await audit.record(storage, actor(request), f"event.{action}", f"event:{slug}", after.title)
    if form_text(form, "back") == "list":
        return redirect(request, "admin_events", done=f"event_{action}")
    return redirect(request, "admin_event", slug=slug, done=f"event_{action}")


async def event_delete(request: Request) -> Response:
    storage = runtime_of(request).storage
    slug = request.path_params["slug"]
    try:
        event = await events.delete_event(storage, slug)
    except ConflictError:
        fresh = await storage.get_event_by_slug(slug)
        return await _form(request, event=fresh, errors={"event": "event_published"}, status=409)
    await audit.record(storage, actor(request), "event.delete", f"event:{slug}", event.title)
    return redirect(request, "admin_events", done="event_deleted")
