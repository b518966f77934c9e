"""The theme page (/t/{slug}), the sitemap and robots.txt: how a cluster gets found.

The page is rendered once per (theme, language, origin) and snapshot version
and kept in the snapshot's render cache with the moment it goes stale (an
offer or event starting or ending, at most ``MAX_KEEP`` on).  A visit then
costs a dictionary lookup: no query, no render.  Offers and events come from
the storage (``live_offers``, ``upcoming_events``) only when the page is made.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.dates import days_text, event_text
from widget_server.core.models import LANGUAGES, Theme
from widget_server.serving.snapshot import Snapshot
from widget_server.serving.structured_data import script_json, theme_graph
from widget_server.serving.theme_page import (
    PageEvent,
    PageOffer,
    RenderedPage,
    by_category,
    intro_paragraphs,
    next_change,
)
from widget_server.web.endpoints import joint
from widget_server.web.endpoints.public import PAGE_HEADERS, request_language
from widget_server.web.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

OG_LOCALES = {"de": "de_DE", "en": "en_GB"}
CACHE = "public, max-age=300"


def page_url(base: str, slug: str, lang: str) -> str:
    """The theme page's canonical address in ``lang`` (German has no ``?lang``)."""
    url = f"{base}/t/{quote(slug)}"
    return url if lang == "de" else f"{url}?lang={lang}"


async def theme_page(request: Request) -> Response:
    """The cluster's joint presence: introduction, members by category, offers, events."""
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    snapshot = runtime.snapshots.current
    theme = snapshot.themes_by_slug.get(request.path_params["slug"])
    if theme is None:
        raise HTTPException(404, "No such theme")
    lang = request_language(request)
    base = runtime.base_url(request)
    now = runtime.clock()
    # The host too: the stylesheet's address is built from the request.
    key = ("theme-page", theme.id, lang, base, request.headers.get("host", ""))
    page: RenderedPage | None = snapshot.cached(key)
    if page is None or not page.fresh(snapshot.version, now):
        page = await _render(request, runtime, snapshot, theme, lang, base, now)
        snapshot.remember(theme.id, key, page)
    headers = {**PAGE_HEADERS, "Cache-Control": CACHE, "ETag": page.etag}
    if "lang" not in request.query_params:
        headers["Vary"] = "Accept-Language"  # the language comes from the header then
    if request.headers.get("if-none-match") == page.etag:
        return Response(status_code=304, headers=headers)
    return Response(page.body, media_type="text/html; charset=utf-8", headers=headers)


async def _render(
    request: Request,
    runtime: Runtime,
    snapshot: Snapshot,
    theme: Theme,
    lang: str,
    base: str,
    now: float,
) -> RenderedPage:
    zone = ZoneInfo(runtime.settings.time_zone)
    moment = datetime.fromtimestamp(now, UTC).astimezone(zone)
    offers: list[PageOffer] = await joint.page_offers(runtime, theme, moment, base)
    events: list[PageEvent] = await joint.page_events(runtime, theme, moment)
    categories = by_category(snapshot.active_members.get(theme.id, ()), lang)
    url = page_url(base, theme.slug, lang)
    description = theme.description(lang)
    graph = theme_graph(
        page_url=url,
        name=theme.name(lang),
        description=description,
        lang=lang,
        categories=categories,
        offers=offers,
        events=events,
    )
    context: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "theme": {"slug": theme.slug, "name": theme.name(lang), "description": description},
        "intro": intro_paragraphs(theme.intro(lang)),
        "categories": categories,
        "count": sum(len(c.members) for c in categories),
        "offers": offers,
        "events": events,
        "zone": zone,
        "canonical": url,
        "alternates": [(code, page_url(base, theme.slug, code)) for code in LANGUAGES],
        "default_url": page_url(base, theme.slug, "de"),
        "og_locale": OG_LOCALES.get(lang, lang),
        "og_alternates": [OG_LOCALES.get(c, c) for c in LANGUAGES if c != lang],
        "json_ld": script_json(graph),
        "days_text": days_text,
        "event_text": event_text,
    }
    html = runtime.templates.get_template("public/theme.html").render(context)
    moments = [*joint.offer_moments(offers, zone), *joint.event_moments(events)]
    moments.append(joint.next_midnight(moment))
    return RenderedPage(html.encode(), snapshot.version, next_change(now, moments))
