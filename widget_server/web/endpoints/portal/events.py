"""Portal: the events of the member's themes, and proposing its own.

A member proposes an event in one of its themes (it takes part itself);
the proposal waits for a coordinator, as profile changes that need approval
do (``network/events.py``).  While it waits the member may change or
withdraw it; a declined one it may withdraw.  The page also gives the
calendar addresses of its themes, to subscribe to in its own calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.core.models import Event, Theme
from widget_server.network import audit, events
from widget_server.network.events import EventInput
from widget_server.web.endpoints import event_pages as pages
from widget_server.web.endpoints.guards import form_of, form_text, redirect
from widget_server.web.endpoints.portal.base import actor, lang_of, member_of, render
from widget_server.web.endpoints.portal.pages import memberships
from widget_server.web.runtime import runtime_of


def _now(request: Request) -> datetime:
    return datetime.fromtimestamp(runtime_of(request).clock(), UTC)


async def _themes(request: Request) -> list[Theme]:
    """The themes the member takes part in (not left)."""
    storage = runtime_of(request).storage
    return [t for t, status in await memberships(storage, member_of(request)) if status != "left"]


async def events_page(request: Request) -> Response:
    storage = runtime_of(request).storage
    member = member_of(request)
    lang = lang_of(request)
    themes = await _themes(request)
    ids = {t.id for t in themes}
    now = _now(request)
    coming = [
        e
        for e in await storage.upcoming_events(None, now)
        if e.theme_id is None or e.theme_id in ids
    ]
    own = [
        e
        for e in await storage.list_events(proposed_by=member.id, ends_after=now)
        if e.status in ("proposed", "declined")
    ]
    return render(
        request,
        "events.html",
        {
            "section": "events",
            "coming": pages.rows(request, coming, lang),
            "own": pages.rows(request, own, lang),
            "themes": themes,
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
    lang = lang_of(request)
    themes = await _themes(request)
    values = values or pages.blank(themes[0].slug if themes else None)
    groups = await pages.groups_of(request, themes, lang, values["participants"])
    return render(
        request,
        "event_form.html",
        {
            "section": "events",
            "event": event,
            "values": values,
            "errors": errors or {},
            "themes": themes,
            "groups": groups,
            "zone": pages.zone_of(request),
        },
        status=status,
    )


async def event_new(request: Request) -> Response:
    return await _form(request)


async def event_propose(request: Request) -> Response:
    storage = runtime_of(request).storage
    member = member_of(request)
    data = pages.input_of(form_of(request))
    try:
        if data.theme is None or data.theme not in {t.slug for t in await _themes(request)}:
            raise ValidationError("theme", "choose_theme")
        event = await events.create_event(
            storage, data, pages.zone_of(request), now=_now(request), member=member
        )
    except ValidationError as exc:
        values = pages.form_values(data)
        return await _form(request, values=values, errors={exc.field: exc.reason}, status=422)
    await audit.record(storage, actor(request), "event.propose", f"event:{event.slug}", event.title)
    return redirect(request, "portal_events", done="event_proposed")


async def _own(request: Request) -> Event:
    """The member's own waiting proposal named in the path; 404 for anything else."""
    storage = runtime_of(request).storage
    event = await storage.get_event_by_slug(request.path_params["slug"])
    if event.proposed_by != member_of(request).id:
        raise NotFoundError(f"no event {event.slug!r} of this member")
    return event


async def event_page(request: Request) -> Response:
    event = await _own(request)
    snapshots = runtime_of(request).snapshots
    assert snapshots is not None
    members = snapshots.current.network.members
    slugs = {i: members[i].slug for i in event.participants if i in members}
    theme = snapshots.current.themes.get(event.theme_id or 0)
    data = EventInput.from_event(
        event, pages.zone_of(request), slugs, theme.slug if theme else None
    )
    return await _form(request, event=event, values=pages.form_values(data))


async def event_save(request: Request) -> Response:
    storage = runtime_of(request).storage
    member = member_of(request)
    before = await _own(request)
    form = form_of(request)
    data = pages.input_of(form)
    values = pages.form_values(data)
    raw = form_text(form, "sequence")
    try:
        if data.theme is None or data.theme not in {t.slug for t in await _themes(request)}:
            raise ValidationError("theme", "choose_theme")
        if not (raw.isdigit() and len(raw) < 10):
            raise ConflictError("stale_event")
        zone = pages.zone_of(request)
        after = await events.edit_event(storage, before.slug, data, zone, int(raw), member=member)
    except ValidationError as exc:
        errors = {exc.field: exc.reason}
        return await _form(request, event=before, values=values, errors=errors, status=422)
    except ConflictError:
        errors = {"event": "stale_event"}
        return await _form(request, event=before, values=values, errors=errors, status=409)
    if after.sequence != before.sequence:  # audited as the admin's edits are
        detail = events.edit_detail(before, after)
        await audit.record(storage, actor(request), "event.edit", f"event:{after.slug}", detail)
    return redirect(request, "portal_events", done="event_proposed")


async def event_withdraw(request: Request) -> Response:
    storage = runtime_of(request).storage
    event = await _own(request)
    try:
        await events.withdraw(storage, event.slug, member_of(request))
    except ConflictError:
        return redirect(request, "portal_events")  # published meanwhile: the list shows it
    await audit.record(
        storage, actor(request), "event.withdraw", f"event:{event.slug}", event.title
    )
    return redirect(request, "portal_events", done="event_withdrawn")
