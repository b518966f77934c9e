"""The demo network's example member websites (only on a database made by ``demo``)."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from widget_server.demo import data as demo_data
from widget_server.network.categories import category_label
from widget_server.serving.snippets import placement_snippet
from widget_server.web.endpoints.public import PAGE_HEADERS
from widget_server.web.runtime import Runtime, runtime_of

_SITES = {m["slug"]: m for m in demo_data.MEMBERS}
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
    themes = []
    for theme in sorted(snapshot.themes.values(), key=lambda t: t.id):
        members = [
            {
                "slug": m.slug,
                "name": m.name,
                "category_label": category_label(m.category, "de"),
                "site_url": request.url_for("demo_site", slug=m.slug),
            }
            for m in snapshot.active_members.get(theme.id, ())
        ]
        themes.append(
            {
                "slug": theme.slug,
                "name": theme.name("de"),
                "description": theme.description("de"),
                "directory_url": request.url_for("directory", slug=theme.slug),
                "members": members,
            }
        )
    return runtime.templates.TemplateResponse(
        request,
        "demo/index.html",
        {"themes": themes, "admin_hint": None},
        headers=PAGE_HEADERS,
    )


async def demo_site(request: Request) -> Response:
    runtime = _demo_runtime(request)
    assert runtime.snapshots is not None and runtime.signer is not None
    snapshot = runtime.snapshots.current
    slug = request.path_params["slug"]
    member = next((m for m in snapshot.members.values() if m.slug == slug), None)
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
            snippets.append(placement_snippet(base_url, token, theme))
    return runtime.templates.TemplateResponse(
        request,
        "demo/site.html",
        {
            "member": data,
            "snippets": snippets,
            "demo_index_url": request.url_for("demo_index"),
        },
        headers=PAGE_HEADERS,
    )
