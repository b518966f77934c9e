"""The demo network's example member websites (only on a database made by ``demo``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from widget_server.demo import data as demo_data
from widget_server.demo.data import TOWN_CENTRE
from widget_server.demo.seed import PORTAL_MEMBER
from widget_server.network.categories import category_label
from widget_server.network.database import DEMO_DAYS_META
from widget_server.network.portal_links import issue_link
from widget_server.serving.snippets import placement_snippet
from widget_server.web.endpoints.event_pages import when
from widget_server.web.endpoints.offer_page import today_of
from widget_server.web.endpoints.public import PAGE_HEADERS, request_language
from widget_server.web.runtime import Runtime, runtime_of

_SITES = {m["slug"]: m for m in demo_data.MEMBERS}
TOUR_START = "blumenhaus-am-markt"  # in both themes: its block shows the most variety
_DEFAULT_SITE = {
    "look": "modern",
    "accent": "teal",
    "tagline": "",
    "intro": "",
    "services": [],
    "opening_hours": [],
}


def _demo_runtime(request: Request) -> Runtime:
    runtime = runtime_of(request)
    if not runtime.demo:
        raise HTTPException(404, "The demo is not enabled on this server")
    return runtime


async def demo_index(request: Request) -> Response:
    runtime = _demo_runtime(request)
    assert runtime.snapshots is not None
    snapshot = runtime.snapshots.current
    lang = request_language(request)
    themes = []
    now = datetime.fromtimestamp(runtime.clock(), UTC)
    live = await runtime.storage.live_offers(None, today_of(request))
    for theme in sorted(snapshot.themes.values(), key=lambda t: t.id):
        members = [
            {
                "slug": m.slug,
                "name": m.name,
                "category_label": category_label(m.category, lang),
                "site_url": request.url_for("demo_site", slug=m.slug),
            }
            for m in snapshot.active_members.get(theme.id, ())
        ]
        coming = await runtime.storage.upcoming_events(theme.id, now)
        # A member site whose block shows the joint slot (its placement asks for it).
        slot_host = next(
            (
                snapshot.members[p.member_id]
                for p in sorted(snapshot.placements.values(), key=lambda p: p.id)
                if p.theme_id == theme.id and p.options.show and p.member_id in snapshot.members
            ),
            None,
        )
        themes.append(
            {
                "slug": theme.slug,
                "name": theme.name(lang),
                "description": theme.description(lang),
                "directory_url": request.url_for("directory", slug=theme.slug),
                "members": members,
                "events": [
                    {"title": e.title, "when": when(e, runtime.settings.time_zone, lang)}
                    for e in coming
                ],
                "calendar_url": request.url_for("theme_events_ics", slug=theme.slug),
                "slot_site": None
                if slot_host is None
                else {
                    "name": slot_host.name,
                    "url": request.url_for("demo_site", slug=slot_host.slug),
                },
                "offers": [
                    {"title": o.title, "url": request.url_for("offer_page", slug=o.slug)}
                    for o in live
                    if o.theme_id == theme.id
                ],
            }
        )
    giver = snapshot.members.with_slug(PORTAL_MEMBER)
    start = snapshot.members.with_slug(TOUR_START)
    tour = {
        "start_url": request.url_for("demo_site", slug=TOUR_START),
        "start_name": start.name if start else TOUR_START,
        "admin_url": request.url_for("admin_home"),
        "stats_url": str(request.url_for("admin_stats")) + f"?theme={TOWN_CENTRE}",
        "rules_url": request.url_for("admin_rules", slug=TOWN_CENTRE),
        "portal_url": request.url_for("demo_portal", slug=PORTAL_MEMBER),
        "portal_name": giver.name if giver else PORTAL_MEMBER,
        "giver_name": giver.name if giver else PORTAL_MEMBER,
        "days": int(await runtime.storage.get_meta(DEMO_DAYS_META) or 0),
    }
    return runtime.templates.TemplateResponse(
        request,
        "demo/index.html",
        {"themes": themes, "tour": tour, "lang": lang},
        headers=PAGE_HEADERS,
    )


async def demo_portal(request: Request) -> Response:
    """The tour's last step: a fresh portal link of a demo member, followed at once.

    Only on a demo database (fictional members); a real network hands out
    portal links through the admin or ``widget-server portal-link``.
    """
    runtime = _demo_runtime(request)
    assert runtime.snapshots is not None and runtime.signer is not None
    slug = request.path_params["slug"]
    member = runtime.snapshots.current.members.with_slug(slug)
    if member is None or member.status == "removed":
        raise HTTPException(404, "No such demo member")
    link = await issue_link(
        runtime.storage, runtime.signer, member.id, 1, runtime.clock(), runtime.base_url(request)
    )
    return RedirectResponse(link.url, status_code=303, headers={"Cache-Control": "no-store"})


async def demo_site(request: Request) -> Response:
    runtime = _demo_runtime(request)
    assert runtime.snapshots is not None and runtime.signer is not None
    snapshot = runtime.snapshots.current
    slug = request.path_params["slug"]
    member = snapshot.members.with_slug(slug)
    if member is None or member.status == "removed":
        raise HTTPException(404, "No such demo member")
    data: dict[str, Any] = dict(_SITES.get(slug, {}))
    data.setdefault("site", _DEFAULT_SITE)
    data.update(
        slug=member.slug,
        name=member.name,
        description=member.description,
        town=member.town,
        postal_code=member.postal_code,
        website=member.website,
        category_label=category_label(member.category, "de"),
    )
    base_url = runtime.base_url(request)
    seen: set[int] = set()
    snippets = []
    for placement in sorted(snapshot.placements.values(), key=lambda p: p.id):
        if placement.member_id == member.id and placement.theme_id not in seen:
            seen.add(placement.theme_id)
            theme = snapshot.themes[placement.theme_id]
            token = runtime.signer.embed_token(placement.id)
            snippets.append(placement_snippet(base_url, token, theme, placement.options.lang))
    return runtime.templates.TemplateResponse(
        request,
        "demo/site.html",
        {
            "member": data,
            "snippets": snippets,
            "demo_index_url": request.url_for("demo_index"),
            "lang": request_language(request),
        },
        headers=PAGE_HEADERS,
    )
