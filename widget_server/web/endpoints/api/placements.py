"""Placements and their embed codes: a member's block in one theme with display options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.models import LANGUAGES, LAYOUTS, SCHEMES, Placement, Theme
from widget_server.network.services import (
    MAX_PARTNERS,
    check_placement_options,
    find_or_create_placement,
)
from widget_server.serving.snippets import iframe_snippet, placement_snippet
from widget_server.web.bodies import Body, Field
from widget_server.web.endpoints.api.base import answer, parse, refresh, require_member
from widget_server.web.pagination import page_of, parse_page
from widget_server.web.runtime import runtime_of

PLACEMENT_CREATE = Body(
    "PlacementCreate",
    (
        Field("theme", required=True, max_length=60, description="A theme the member is in."),
        Field("layout", enum=LAYOUTS, nullable=True, description="null: the embed decides."),
        Field("lang", enum=LANGUAGES, nullable=True, description="null: the embed decides."),
        Field("scheme", enum=SCHEMES, nullable=True, description="null: the embed decides."),
        Field("max_partners", "integer", minimum=1, maximum=MAX_PARTNERS),
        Field(
            "show",
            nullable=True,
            max_length=40,
            pattern="^(partners|offer|event)(,(partners|offer|event))*$",
            description="What the block shows besides partners: partners,offer,event adds the"
            " theme's joint offer or event as one card. null: the embed's data-show decides.",
        ),
    ),
    "Equal options give the same placement (and embed code) again.",
)


def placement_view(
    request: Request, placement: Placement, member_slug: str, theme: Theme
) -> dict[str, Any]:
    runtime = runtime_of(request)
    assert runtime.signer is not None
    base_url = runtime.base_url(request)
    token = runtime.signer.embed_token(placement.id)
    return {
        "id": placement.id,
        "member": member_slug,
        "theme": theme.slug,
        **placement.options.as_dict(),
        "token": token,
        "snippet_html": placement_snippet(base_url, token, theme, placement.options.lang),
        "snippet_iframe": iframe_snippet(
            base_url,
            token,
            title=theme.name(placement.options.lang or "de"),
            layout=placement.options.layout,
        ),
    }


async def list_placements(request: Request) -> Response:
    _, member = await require_member(request, request.path_params["slug"])
    storage = runtime_of(request).storage
    page = parse_page(request.query_params, "placements", int)
    placements = await storage.list_placements(
        member_id=member.id, after=page.after, limit=page.limit + 1
    )
    shown, next_cursor = page_of(placements, page, "placements", lambda p: p.id)
    themes: Mapping[int, Theme] = {t.id: t for t in await storage.list_themes()}
    return answer(
        {
            "data": [placement_view(request, p, member.slug, themes[p.theme_id]) for p in shown],
            "next_cursor": next_cursor,
        }
    )


async def create_placement(request: Request) -> Response:
    """The member's placement with these options: made (201) or found again (200)."""
    _, member = await require_member(request, request.path_params["slug"])
    data = await parse(request, PLACEMENT_CREATE)
    options = check_placement_options(
        layout=data.get("layout"),
        max_partners=data.get("max_partners", 3),
        lang=data.get("lang"),
        scheme=data.get("scheme"),
        show=data.get("show"),
    )
    _, theme, placement, created = await find_or_create_placement(
        runtime_of(request).storage, member.slug, data["theme"], options
    )
    if created:
        await refresh(request)
    return answer(placement_view(request, placement, member.slug, theme), 201 if created else 200)
