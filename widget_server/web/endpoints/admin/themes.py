"""Admin pages for themes (clusters): the list, creating and editing one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.collation import sort_key
from widget_server.core.errors import ConflictError, ValidationError
from widget_server.core.models import THEME_KINDS, Theme
from widget_server.network import audit
from widget_server.network import services as network
from widget_server.web.endpoints.admin.base import (
    actor,
    lang_of,
    page_count,
    page_number,
    render,
    render_long,
)
from widget_server.web.endpoints.guards import form_of, form_text, redirect, refresh
from widget_server.web.runtime import runtime_of

FIELDS = ("name_de", "name_en", "description_de", "description_en", "kind", "intro_de", "intro_en")


PAGE = 60  # themes a page of the list shows (a network of a chamber: 2,000)
MAX_QUERY = 100  # characters of a search


def arrange_themes(
    themes: Sequence[Theme], lang: str, query: str, number: int
) -> tuple[list[Theme], int, int]:
    """One page of the theme list: the themes whose name (in ``lang``) or slug holds
    ``query`` (case and accents aside), in German order of their names.  Returns the
    page's themes, how many match and the page's number (at most the last)."""
    needle = sort_key(query)[0] if query else ""
    keyed = ((sort_key(theme.name(lang)), theme.slug, theme) for theme in themes)
    shown = sorted(row for row in keyed if not needle or needle in row[0][0] or needle in row[1])
    number = min(number, page_count(len(shown), PAGE))
    return [row[2] for row in shown[(number - 1) * PAGE : number * PAGE]], len(shown), number


async def theme_list(request: Request) -> Response:
    storage = runtime_of(request).storage
    lang = lang_of(request)
    query = request.query_params.get("q", "").strip()[:MAX_QUERY]
    everything = await storage.list_themes()
    # A page of cards: at 2,000 themes the whole list was a page of 2,000 cards, made
    # in about a second.  The counts are grouped in the database: a query per theme's
    # rules and every membership read whole took 3-5 s there.
    themes, matching, number = arrange_themes(everything, lang, query, page_number(request))
    counts = await storage.theme_membership_counts()
    stored = await storage.rule_versions()
    versions = {theme.id: stored.get(theme.id, 0) for theme in themes}
    return await render_long(
        request,
        "themes.html",
        {
            "section": "themes",
            "themes": themes,
            "counts": counts,
            "versions": versions,
            "query": query,
            "total": len(everything),
            "matching": matching,
            "page": number,
            "pages": page_count(matching, PAGE),
        },
    )


def _form(
    request: Request,
    *,
    theme: Any = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    initial = {f: getattr(theme, f) for f in FIELDS} if theme else {"kind": "topic"}
    return render(
        request,
        "theme_form.html",
        {
            "section": "themes",
            "theme": theme,
            "values": {**initial, **(values or {})},
            "errors": errors or {},
            "kinds": THEME_KINDS,
        },
        status=status,
    )


async def theme_new(request: Request) -> Response:
    return _form(request)


async def theme_create(request: Request) -> Response:
    storage = runtime_of(request).storage
    form = form_of(request)
    values = {f: form_text(form, f) for f in ("slug", *FIELDS)}
    values["slug"] = values["slug"].strip()
    try:
        theme = await network.add_theme(storage, **values)
    except ValidationError as exc:
        return _form(request, values=values, errors={exc.field: exc.reason}, status=422)
    except ConflictError:
        return _form(request, values=values, errors={"slug": "slug_taken"}, status=409)
    detail = f"{theme.name_de} ({theme.kind})"
    await audit.record(storage, actor(request), "theme.create", f"theme:{theme.slug}", detail)
    await refresh(request)
    return redirect(request, "admin_theme", slug=theme.slug, done="theme_created")


async def theme_edit(request: Request) -> Response:
    storage = runtime_of(request).storage
    theme = await storage.get_theme(request.path_params["slug"])
    return _form(request, theme=theme)


async def theme_save(request: Request) -> Response:
    storage = runtime_of(request).storage
    form = form_of(request)
    before = await storage.get_theme(request.path_params["slug"])
    values = {f: form_text(form, f) for f in FIELDS}
    try:
        after = await network.update_theme(storage, before.slug, values)
    except ValidationError as exc:
        return _form(
            request, theme=before, values=values, errors={exc.field: exc.reason}, status=422
        )
    detail = audit.theme_changes(before, after)
    if detail:
        await audit.record(storage, actor(request), "theme.edit", f"theme:{after.slug}", detail)
        await refresh(request)
    return redirect(request, "admin_theme", slug=after.slug, done="saved")
