"""Themes: listed and read with any key, created and changed by coordinators."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.models import THEME_KINDS, Theme
from widget_server.network.prose import MAX_INTRO
from widget_server.network.services import MAX_DESCRIPTION, MAX_NAME, add_theme, update_theme
from widget_server.web.bodies import Body, Field
from widget_server.web.endpoints.api.base import answer, parse, refresh, require
from widget_server.web.pagination import page_of, parse_page
from widget_server.web.runtime import runtime_of

SLUG_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"

_TEXTS = (
    Field("name_en", max_length=MAX_NAME, description="English name; the German one if empty."),
    Field("description_de", max_length=MAX_DESCRIPTION),
    Field("description_en", max_length=MAX_DESCRIPTION),
    Field("kind", enum=THEME_KINDS, description="topic (a subject) or local (a place)."),
    Field(
        "intro_de",
        max_length=MAX_INTRO,
        description="The theme page's introduction (/t/{slug}): plain text, never HTML;"
        " a blank line starts a paragraph.",
    ),
    Field("intro_en", max_length=MAX_INTRO, description="English introduction; German if empty."),
)
THEME_CREATE = Body(
    "ThemeCreate",
    (
        Field("slug", required=True, max_length=60, pattern=SLUG_PATTERN),
        Field("name_de", required=True, max_length=MAX_NAME),
        *_TEXTS,
    ),
)
THEME_PATCH = Body(
    "ThemePatch",
    (Field("name_de", max_length=MAX_NAME), *_TEXTS),
    "Any of the fields; those left out stay as they are.",
)


def theme_view(theme: Theme, members: int) -> dict[str, Any]:
    return {
        "slug": theme.slug,
        "name_de": theme.name_de,
        "name_en": theme.name_en,
        "description_de": theme.description_de,
        "description_en": theme.description_en,
        "kind": theme.kind,
        "intro_de": theme.intro_de,
        "intro_en": theme.intro_en,
        "members": members,
    }


async def _view(request: Request, theme: Theme) -> dict[str, Any]:
    counts = await runtime_of(request).storage.theme_member_counts()
    return theme_view(theme, counts.get(theme.id, 0))


async def list_themes(request: Request) -> Response:
    await require(request)
    storage = runtime_of(request).storage
    page = parse_page(request.query_params, "themes", str)
    themes = await storage.list_themes(after=page.after, limit=page.limit + 1)
    shown, next_cursor = page_of(themes, page, "themes", lambda t: t.slug)
    counts = await storage.theme_member_counts()
    return answer(
        {"data": [theme_view(t, counts.get(t.id, 0)) for t in shown], "next_cursor": next_cursor}
    )


async def create_theme(request: Request) -> Response:
    await require(request, coordinator=True)
    data = await parse(request, THEME_CREATE)
    theme = await add_theme(runtime_of(request).storage, **data)
    await refresh(request)
    return answer(theme_view(theme, 0), 201, headers={"Location": f"/api/v1/themes/{theme.slug}"})


async def get_theme(request: Request) -> Response:
    await require(request)
    theme = await runtime_of(request).storage.get_theme(request.path_params["slug"])
    return answer(await _view(request, theme))


async def patch_theme(request: Request) -> Response:
    await require(request, coordinator=True)
    data = await parse(request, THEME_PATCH)
    theme = await update_theme(runtime_of(request).storage, request.path_params["slug"], data)
    await refresh(request)
    return answer(await _view(request, theme))
