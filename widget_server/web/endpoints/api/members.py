"""Members and their memberships: coordinators manage all, a member key itself.

Registration makes a member ``pending`` or ``active`` as ``WIDGET_NEW_MEMBERS``
says; a pending member is approved with ``activate``.  Removing keeps the
record and its figures; its blocks stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import NotFoundError, ValidationError
from widget_server.core.mailconfig import MAX_ADDRESS
from widget_server.core.models import (
    LANGUAGES,
    MEMBER_STATUSES,
    Member,
    Membership,
    MemberStatus,
    ProfileChange,
)
from widget_server.mail import contacts, notices
from widget_server.network import audit, profile_changes
from widget_server.network.categories import category_label
from widget_server.network.services import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MemberInput,
    add_member,
    change_member_status,
    check_member_input,
    set_membership_status,
    update_member,
)
from widget_server.serving.blocks import logo_path
from widget_server.storage import Storage
from widget_server.web.bodies import Body, Field
from widget_server.web.endpoints.api.base import (
    Denied,
    answer,
    parse,
    query_choice,
    refresh,
    require,
    require_member,
)
from widget_server.web.endpoints.api.themes import SLUG_PATTERN
from widget_server.web.pagination import page_of, parse_page
from widget_server.web.runtime import mailer_of, runtime_of

_PROFILE = (
    Field("website", max_length=300, pattern="^https?://", description="http(s) URL."),
    Field("description", max_length=MAX_DESCRIPTION),
    Field("category", max_length=40, description="A category slug, e.g. bridal-wear."),
    Field("town", max_length=MAX_NAME),
    Field("postal_code", max_length=10),
    Field(
        "domains",
        "array",
        max_length=20,
        item_max_length=253,
        description="Extra domains the widget may be shown on (the website's own always is).",
    ),
)
MEMBER_CREATE = Body(
    "MemberCreate",
    (
        Field("slug", required=True, max_length=60, pattern=SLUG_PATTERN),
        Field("name", required=True, max_length=MAX_NAME),
        *(replace(f, required=f.name == "website") for f in _PROFILE),
        Field("themes", "array", max_length=50, item_max_length=60, description="Theme slugs."),
        Field(
            "email",
            max_length=MAX_ADDRESS,
            description="Where the member's mails go (GET/PUT .../mail changes it later).",
        ),
        Field("language", enum=LANGUAGES, description="The language of its mails."),
    ),
)
MEMBER_PATCH = Body(
    "MemberPatch",
    (Field("name", max_length=MAX_NAME), *_PROFILE),
    "Any of the fields; those left out stay as they are.",
)
MEMBERSHIP_PUT = Body(
    "MembershipUpdate",
    (Field("status", required=True, enum=("active", "paused", "left")),),
    "A member key may only set paused or left.",
)


async def member_views(
    request: Request, members: Sequence[Member], memberships: Sequence[Membership] | None = None
) -> list[dict[str, Any]]:
    """Members as the API shows them, with their themes and an absolute logo URL."""
    runtime = runtime_of(request)
    storage = runtime.storage
    slugs = {t.id: t.slug for t in await storage.list_themes()}
    if memberships is None:  # the page's, by id: not all 200,000 of a large network
        found = await storage.memberships_of([m.id for m in members])
        memberships = sorted(found, key=lambda ms: (ms.theme_id, ms.member_id))
    by_member: dict[int, list[dict[str, str]]] = {}
    for ms in memberships:
        by_member.setdefault(ms.member_id, []).append(
            {"theme": slugs[ms.theme_id], "status": ms.status}
        )
    base_url = runtime.base_url(request)
    views = []
    for m in members:
        logo = logo_path(m)
        views.append(
            {
                "slug": m.slug,
                "name": m.name,
                "website": m.website,
                "domains": list(m.domains),
                "description": m.description,
                "category": m.category,
                "category_label": category_label(m.category),
                "town": m.town,
                "postal_code": m.postal_code,
                "status": m.status,
                "logo_url": f"{base_url}{logo}" if logo else None,
                "themes": sorted(by_member.get(m.id, []), key=lambda t: t["theme"]),
            }
        )
    return views


async def member_view(request: Request, member: Member) -> dict[str, Any]:
    storage = runtime_of(request).storage
    memberships = await storage.list_memberships(member_id=member.id)
    return (await member_views(request, [member], memberships))[0]


async def _theme_id(storage: Storage, slug: str | None) -> int | None:
    if slug is None:
        return None
    try:
        return (await storage.get_theme(slug)).id
    except NotFoundError:
        raise ValidationError("theme", f"there is no theme {slug[:60]!r}") from None


async def _own_member(
    storage: Storage, member_id: int, status: str | None, theme_id: int | None, after: str | None
) -> list[Member]:
    """A member key's list: itself, if it passes the filters and the cursor."""
    member = await storage.get_member_by_id(member_id)
    if status is not None and member.status != status:
        return []
    if after is not None and member.slug <= after:
        return []
    if theme_id is not None and not any(
        ms.status != "left"
        for ms in await storage.list_memberships(member_id=member_id, theme_id=theme_id)
    ):
        return []
    return [member]


async def list_members(request: Request) -> Response:
    """All members for coordinators; a member key sees only itself."""
    principal = await require(request)
    storage = runtime_of(request).storage
    page = parse_page(request.query_params, "members", str)
    status: Any = query_choice(request, "status", MEMBER_STATUSES)
    theme_id = await _theme_id(storage, request.query_params.get("theme"))
    if principal.member_id is not None:
        members = await _own_member(storage, principal.member_id, status, theme_id, page.after)
    else:
        members = await storage.list_members(
            status=status, theme_id=theme_id, after=page.after, limit=page.limit + 1
        )
    shown, next_cursor = page_of(members, page, "members", lambda m: m.slug)
    return answer({"data": await member_views(request, shown), "next_cursor": next_cursor})


async def create_member(request: Request) -> Response:
    await require(request, coordinator=True)
    runtime = runtime_of(request)
    data = await parse(request, MEMBER_CREATE)
    status: MemberStatus = "active" if runtime.settings.new_members == "active" else "pending"
    for name in ("domains", "themes"):
        if name in data:
            data[name] = tuple(data[name])
    email, language = data.pop("email", ""), data.pop("language", "de")
    if email:  # checked before anything is written
        contacts.check_contact(check_member_input(MemberInput(**data)), email, language, ())
    member = await add_member(runtime.storage, MemberInput(**data, status=status))
    if email:
        await contacts.set_contact(runtime.storage, member, email=email, language=language)
        if member.status == "pending":
            await notices.application_received(mailer_of(request), member)
    await refresh(request)
    return answer(
        await member_view(request, member),
        201,
        headers={"Location": f"/api/v1/members/{member.slug}"},
    )


async def get_member(request: Request) -> Response:
    _, member = await require_member(request, request.path_params["slug"])
    return answer(await member_view(request, member))


async def patch_member(request: Request) -> Response:
    """A coordinator changes a member at once; a member key proposes (docs/api.md).

    A member key's change waits for a coordinator, exactly as the member's
    portal changes do (``profile_changes``): always for website, domains,
    category, town and postal code, and for the rest when a theme asks.
    Answers 202 with the member as visitors see it and the waiting change.
    """
    principal, member = await require_member(request, request.path_params["slug"])
    storage = runtime_of(request).storage
    data = await parse(request, MEMBER_PATCH)
    if principal.is_coordinator:
        changed = await update_member(storage, member.slug, data)
        await refresh(request)
        return answer(await member_view(request, changed))
    fields = {k: " ".join(v) if k == "domains" else v for k, v in data.items()}
    approval = await profile_changes.approval_required(storage, member)
    outcome = await profile_changes.submit_profile(
        storage, member, fields, approval=approval, allowed=profile_changes.PROPOSABLE
    )
    subject, actor = f"member:{member.slug}", f"member:{member.slug}"
    if outcome.applied:
        detail = audit.member_changes(member, outcome.member)
        await audit.record(storage, actor, "member.edit", subject, detail)
        await refresh(request)
    view = await member_view(request, outcome.member)
    if outcome.pending is None or not outcome.pending.changes:
        return answer(view)
    if outcome.submitted:
        detail = profile_changes.describe(member, outcome.pending)
        await audit.record(storage, actor, "profile.submit", subject, detail)
    return answer({"member": view, "pending_change": pending_view(outcome.pending)}, 202)


def pending_view(change: ProfileChange) -> dict[str, Any]:
    changes: dict[str, Any] = dict(change.changes)
    if "domains" in changes:
        changes["domains"] = changes["domains"].split()
    return {
        "revision": change.revision,
        "submitted_at": change.submitted_at,
        "changes": changes,
    }


async def _set_status(request: Request, status: MemberStatus) -> Response:
    storage = runtime_of(request).storage
    before = await storage.get_member(request.path_params["slug"])
    declined = before.status == "pending" and status == "removed"
    if declined:  # queued before the removal forgets the member's address
        await notices.application_decided(mailer_of(request), before, False, "")
    member = await change_member_status(storage, before.slug, status)
    if before.status == "pending" and status == "active":
        await notices.application_decided(mailer_of(request), member, True, "")
    await refresh(request)
    return answer(await member_view(request, member))


async def pause_member(request: Request) -> Response:
    await require_member(request, request.path_params["slug"])
    return await _set_status(request, "paused")


async def activate_member(request: Request) -> Response:
    await require(request, coordinator=True)
    return await _set_status(request, "active")


async def remove_member(request: Request) -> Response:
    await require(request, coordinator=True)
    return await _set_status(request, "removed")


async def list_memberships(request: Request) -> Response:
    _, member = await require_member(request, request.path_params["slug"])
    view = await member_view(request, member)
    return answer({"data": view["themes"], "next_cursor": None})


async def put_membership(request: Request) -> Response:
    principal, member = await require_member(request, request.path_params["slug"])
    data = await parse(request, MEMBERSHIP_PUT)
    if not principal.is_coordinator and data["status"] not in ("paused", "left"):
        raise Denied(403, "a member key can only pause or leave a theme")
    _, theme, membership = await set_membership_status(
        runtime_of(request).storage,
        member.slug,
        request.path_params["theme"],
        data["status"],
        self_service=not principal.is_coordinator,
    )
    await refresh(request)
    return answer({"theme": theme.slug, "status": membership.status})
