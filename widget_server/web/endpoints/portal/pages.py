"""Portal pages: the overview, and pausing or leaving a theme.

"Niemand muss mitmachen, aber jeder kann": a member may pause a theme or leave
it here (``network.set_membership_status`` with ``self_service``); joining or
resuming stays the coordinators' decision, since a pause may have been theirs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.collation import sort_key
from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.core.models import Member, Theme
from widget_server.counting import stats
from widget_server.counting.events import day_of
from widget_server.network import audit, profile_changes
from widget_server.network import services as network
from widget_server.storage import Storage
from widget_server.web.endpoints.guards import form_of, form_text, redirect, refresh
from widget_server.web.endpoints.portal.base import actor, member_of, render
from widget_server.web.runtime import runtime_of

SUMMARY_DAYS = 30
SELF_SERVICE = ("paused", "left")  # what a member may do to its own memberships


async def memberships(storage: Storage, member: Member) -> list[tuple[Theme, str]]:
    """The member's themes and its status in each, by theme name."""
    themes = {t.id: t for t in await storage.list_themes()}
    found = [
        (themes[ms.theme_id], ms.status)
        for ms in await storage.list_memberships(member_id=member.id)
        if ms.theme_id in themes
    ]
    return sorted(found, key=lambda pair: sort_key(pair[0].name_de))


async def home(request: Request) -> Response:
    runtime = runtime_of(request)
    storage = runtime.storage
    member = member_of(request)
    until = day_of(runtime.clock())
    since = until - timedelta(days=SUMMARY_DAYS - 1)
    report = await stats.member_report(storage, member, since=since, until=until)
    totals = {
        key: sum(theme[key] for theme in report["themes"])
        for key in ("views_given", "views_received", "clicks_received")
    }
    return render(
        request,
        "home.html",
        {
            "section": "home",
            "totals": totals,
            "days": SUMMARY_DAYS,
            "memberships": await memberships(storage, member),
            "pending": await profile_changes.pending_change(storage, member),
            "offers_to_confirm": sum(
                1
                for offer in await storage.list_offers(member_id=member.id, status="proposed")
                if not next(p for p in offer.participants if p.member_id == member.id).confirmed
            ),
        },
    )


async def themes_page(
    request: Request, *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    storage = runtime_of(request).storage
    context: dict[str, Any] = {
        "section": "themes",
        "memberships": await memberships(storage, member_of(request)),
        "errors": errors or {},
    }
    return render(request, "themes.html", context, status=status)


async def membership_change(request: Request) -> Response:
    storage = runtime_of(request).storage
    member = member_of(request)
    form = form_of(request)
    slug, status = form_text(form, "theme"), form_text(form, "status")
    if slug not in {theme.slug for theme, _ in await memberships(storage, member)}:
        return await themes_page(request, errors={"membership": "unknown_theme"}, status=422)
    if status not in SELF_SERVICE:
        return await themes_page(request, errors={"membership": "not_allowed"}, status=422)
    if status == "left" and form_text(form, "confirm") != "yes":
        return await themes_page(request, errors={f"confirm-{slug}": "confirm_leave"}, status=422)
    try:
        await network.set_membership_status(storage, member.slug, slug, status, self_service=True)
    except (ConflictError, NotFoundError, ValidationError):
        return await themes_page(request, errors={"membership": "not_allowed"}, status=409)
    subject = f"member:{member.slug}"
    await audit.record(storage, actor(request), "member.theme", subject, f"{slug}: {status}")
    await refresh(request)
    return redirect(request, "portal_themes", done=f"theme_{status}")
