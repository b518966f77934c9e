"""Admin: approving or rejecting the profile changes members made in their portal.

Themes whose rules say ``portal.approve_profile_changes: true`` keep a
member's changes waiting (``network/profile_changes.py``); ``review.py``
lists them.  "approve" applies exactly the revision shown, "reject" drops it.
Both are written to the audit log.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.mail import notices
from widget_server.network import audit, profile_changes
from widget_server.web.endpoints.admin import members as admin_members
from widget_server.web.endpoints.admin.base import actor
from widget_server.web.endpoints.guards import form_of, form_text, redirect, refresh
from widget_server.web.runtime import mailer_of, runtime_of


async def decide(request: Request) -> Response:
    storage = runtime_of(request).storage
    form = form_of(request)
    slug = request.path_params["slug"]
    action = form_text(form, "action")
    raw = form_text(form, "revision")
    if action not in ("approve", "reject") or not raw.isdigit():
        return await admin_members.member_page(request, errors={"change": "no_change"}, status=422)
    try:
        if action == "approve":
            before, _, change = await profile_changes.approve(storage, slug, int(raw))
        else:
            before, change = await profile_changes.reject(storage, slug, int(raw))
    except (ConflictError, NotFoundError) as exc:
        await storage.get_member(slug)  # an unknown member is a 404 page
        reason = str(exc) if str(exc) in ("stale_change", "no_change") else "no_change"
        return await admin_members.member_page(request, errors={"change": reason}, status=409)
    except ValidationError as exc:
        return await admin_members.member_page(request, errors={"change": exc.reason}, status=422)
    note = form_text(form, "note").strip()[: admin_members.MAX_NOTE]
    await notices.profile_decided(
        mailer_of(request), before, action == "approve", change.revision, note
    )
    detail = profile_changes.describe(before, change)
    await audit.record(storage, actor(request), f"profile.{action}", f"member:{slug}", detail)
    if action == "approve":
        await refresh(request)
    done = "change_approved" if action == "approve" else "change_rejected"
    if form_text(form, "back") == "home":
        return redirect(request, "admin_home", done=done)
    return redirect(request, "admin_member", slug=slug, done=done)


async def change_logo(request: Request) -> Response:
    """A proposed logo, for the coordinator to look at before approving it."""
    storage = runtime_of(request).storage
    member = await storage.get_member(request.path_params["slug"])
    logo, data = await profile_changes.pending_logo(storage, member)
    return Response(
        data,
        media_type=logo.content_type,
        headers={
            "Content-Security-Policy": "default-src 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )
