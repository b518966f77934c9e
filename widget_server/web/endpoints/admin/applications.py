"""Invitations and applications in the admin (``network/invitations.py``).

``/admin/applications``: the applications waiting for a decision (approve or
decline, each with a note the applicant reads on its status page), the
invitation links (make one for a theme, valid for some days, optionally
single-use; end one), and which themes the public "Mitglied werden" page
offers.  A new invitation link is shown once.  Everything is written to the
audit log under the acting coordinator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.core.models import Member
from widget_server.mail import notices
from widget_server.network import audit, categories, invitations
from widget_server.network.services import check_text
from widget_server.web.endpoints.admin.base import actor, lang_of, render, themes_by_name
from widget_server.web.endpoints.guards import form_of, form_text, redirect, refresh
from widget_server.web.runtime import mailer_of, runtime_of


async def applications_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    link: invitations.InvitationLink | None = None,
    status: int = 200,
) -> Response:
    runtime = runtime_of(request)
    storage = runtime.storage
    lang = lang_of(request)
    themes = await themes_by_name(storage, lang)
    by_id = {t.id: t for t in themes}
    waiting = []
    for application in await storage.list_applications(open_only=True):
        try:
            member = await storage.get_member_by_id(application.member_id)
        except NotFoundError:
            continue
        waiting.append(
            {
                "application": application,
                "member": member,
                "theme": by_id.get(application.theme_id),
                "category": categories.category_label(member.category, lang),
            }
        )
    now = runtime.clock()
    links = [
        {"invitation": inv, "theme": by_id.get(inv.theme_id), "usable": inv.usable(now)}
        for inv in await storage.list_invitations()
    ]
    return render(
        request,
        "applications.html",
        {
            "section": "applications",
            "waiting": waiting,
            "links": links,
            "themes": themes,
            "theme_options": [(t.slug, t.name(lang)) for t in themes],
            "expiry": lambda ts: datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "open": set(await invitations.open_themes(storage)),
            "join_url": runtime.base_url(request).rstrip("/") + "/join",
            "link": link,
            "errors": errors or {},
            "values": {"days": invitations.DEFAULT_DAYS, **(values or {})},
            "max_days": invitations.MAX_DAYS,
        },
        status=status,
    )


async def invitation_create(request: Request) -> Response:
    runtime = runtime_of(request)
    assert runtime.signer is not None
    form = form_of(request)
    values: dict[str, Any] = {
        "theme": form_text(form, "theme"),
        "days": form_text(form, "days").strip(),
        "single_use": form_text(form, "single_use") == "true",
        "note": form_text(form, "note"),
    }
    try:
        days = invitations.check_days(values["days"])
        link = await invitations.create(
            runtime.storage,
            runtime.signer,
            values["theme"],
            days=days,
            single_use=bool(values["single_use"]),
            note=str(values["note"]),
            actor=actor(request),
            now=runtime.clock(),
            base_url=runtime.base_url(request),
        )
    except ValidationError as exc:
        return await applications_page(
            request, errors={exc.field: exc.reason}, values=values, status=422
        )
    except NotFoundError:
        return await applications_page(
            request, errors={"theme": "unknown_theme_admin"}, values=values, status=422
        )
    detail = (
        f"theme {values['theme']}, {days} days"
        + (", single use" if values["single_use"] else "")
        + (f", for {link.invitation.note}" if link.invitation.note else "")
    )
    await audit.record(
        runtime.storage,
        actor(request),
        "invitation.create",
        f"invitation:{link.invitation.id}",
        detail,
    )
    return await applications_page(request, link=link)


async def invitation_revoke(request: Request) -> Response:
    storage = runtime_of(request).storage
    invitation_id = request.path_params["invitation"]
    await storage.revoke_invitation(invitation_id)  # 404 for an unknown one
    await audit.record(storage, actor(request), "invitation.revoke", f"invitation:{invitation_id}")
    return redirect(request, "admin_applications", done="invitation_revoked")


async def open_themes_save(request: Request) -> Response:
    storage = runtime_of(request).storage
    chosen = [t for t in form_of(request).getlist("themes") if isinstance(t, str)]
    try:
        saved = await invitations.set_open_themes(storage, chosen)
    except ValidationError as exc:
        return await applications_page(request, errors={"open": exc.reason}, status=422)
    await audit.record(storage, actor(request), "join.open", "join", ", ".join(saved) or "closed")
    return redirect(request, "admin_applications", done="join_saved")


async def decide(request: Request) -> Response:
    """Approve or decline an application with a note (back to where the form was)."""
    storage = runtime_of(request).storage
    form = form_of(request)
    slug = request.path_params["slug"]
    decision, note = form_text(form, "decision"), form_text(form, "note")
    before = await storage.get_member(slug)
    try:
        note = check_text("note", note, limit=invitations.MAX_NOTE)
    except ValidationError as exc:
        return await applications_page(request, errors={f"note-{slug}": exc.reason}, status=422)

    async def write() -> Member:
        member, _ = await invitations.decide(storage, slug, decision, note, actor(request))
        return member

    approved = {"approved": True, "declined": False}.get(decision)
    try:
        member = await notices.decide_application(mailer_of(request), before, approved, note, write)
    except ValidationError as exc:
        return await applications_page(request, errors={f"note-{slug}": exc.reason}, status=422)
    except ConflictError:
        return await applications_page(request, errors={"decided": "decided_already"}, status=409)
    await audit.record(
        storage,
        actor(request),
        f"application.{'approve' if decision == 'approved' else 'decline'}",
        f"member:{member.slug}",
        note,
    )
    await refresh(request)
    done = "application_approved" if decision == "approved" else "application_declined"
    if form_text(form, "back") == "member":
        return redirect(request, "admin_member", slug=slug, done=done)
    return redirect(request, "admin_applications", done=done)
