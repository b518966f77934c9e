"""The theme page (/t/{slug}), the sitemap and robots.txt: how a cluster gets found.

The page is rendered once per (theme, language, origin, page) and snapshot
version and kept in the snapshot's render cache with the moment it goes stale
(an offer or event starting or ending, at most ``MAX_KEEP`` on).  A visit then
costs a dictionary lookup: no query, no render.  Offers and events come from
the storage (``live_offers``, ``upcoming_events``) only when the first page is
made.  A theme's partners are listed ``MEMBERS_PER_PAGE`` a page (``?page=2``
on); their order over all pages is made once per theme and language and kept
beside the pages (in a worker thread for a large theme: sorting 10,000 names
in German order is a tenth of a second).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.dates import days_text, event_text
from widget_server.core.models import LANGUAGES, Theme
from widget_server.rotation.pool import eligible_ids
from widget_server.serving import theme_page as listing
from widget_server.serving.snapshot import Snapshot
from widget_server.serving.structured_data import script_json, theme_graph
from widget_server.serving.theme_page import (
    Category,
    PageEvent,
    PageOffer,
    RenderedPage,
    by_category,
    intro_paragraphs,
    next_change,
    page_count,
    page_of,
)
from widget_server.web.endpoints import joint
from widget_server.web.endpoints.public import PAGE_HEADERS, request_language
from widget_server.web.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

OG_LOCALES = {"de": "de_DE", "en": "en_GB"}
CACHE = "public, max-age=300"


def page_url(base: str, slug: str, lang: str, page: int = 1) -> str:
    """The theme page's canonical address in ``lang`` (German has no ``?lang``), and of
    its page ``page`` (the first has no ``?page``)."""
    url = f"{base}/t/{quote(slug)}"
    query = [f"lang={lang}"] if lang != "de" else []
    if page > 1:
        query.append(f"page={page}")
    return f"{url}?{'&'.join(query)}" if query else url


MAX_PAGE = 1_000_000  # past any theme's last page: a longer number is not read
ORDERED_IN_THREAD = 500  # partners from which their order is made in a worker thread


def _page_number(request: Request) -> int:
    """``?page=N`` (N a whole number from 1); 404 for anything else."""
    raw = request.query_params.get("page")
    if raw is None:
        return 1
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 7 or not 1 <= int(raw) <= MAX_PAGE:
        raise HTTPException(404, "No such page")
    return int(raw)


class Ordered:
    """A theme's listed partners in the page's order, all pages' worth: kept in the
    render cache beside the pages, dropped with the theme's other entries when one
    of its members or the theme changes."""

    __slots__ = ("categories", "count")

    def __init__(self, categories: Sequence[Category]) -> None:
        self.categories = categories
        self.count = sum(len(c.members) for c in categories)

    def footprint(self) -> int:
        return 1_000 + 600 * self.count  # a Listed, its strings and tuple slot


async def _ordered(snapshot: Snapshot, theme: Theme, lang: str) -> Ordered:
    key = ("theme-partners", theme.id, lang)
    found: Ordered | None = snapshot.cached(key)
    if found is None:
        pools, records = snapshot.pools, snapshot.members.records
        ids = eligible_ids(pools[theme.id].members) if theme.id in pools else []

        def ordered() -> Ordered:
            return Ordered(by_category([records[i].member() for i in ids], lang))

        # The members made and sorted from the pool's roster (the theme's sorted
        # directory would be sorted once more by category), beside the loop when many.
        found = ordered() if len(ids) < ORDERED_IN_THREAD else await asyncio.to_thread(ordered)
        snapshot.remember(theme.id, key, found)
    return found


async def theme_page(request: Request) -> Response:
    """The cluster's joint presence: introduction, members by category, offers, events."""
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    snapshot = runtime.snapshots.current
    theme = snapshot.themes_by_slug.get(request.path_params["slug"])
    if theme is None:
        raise HTTPException(404, "No such theme")
    number = _page_number(request)
    lang = request_language(request)
    base = runtime.base_url(request)
    now = runtime.clock()
    # The host too: the stylesheet's address is built from the request.
    key = ("theme-page", theme.id, lang, base, request.headers.get("host", ""), number)
    page: RenderedPage | None = snapshot.cached(key)
    if page is None or not page.fresh(snapshot.version, now):
        page = await _render(request, runtime, snapshot, theme, lang, base, now, number)
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
    number: int = 1,
) -> RenderedPage:
    ordered = await _ordered(snapshot, theme, lang)
    size = listing.MEMBERS_PER_PAGE
    pages = page_count(ordered.count, size)
    if number > pages:
        raise HTTPException(404, "No such page")
    categories = page_of(ordered.categories, number, size)
    zone = ZoneInfo(runtime.settings.time_zone)
    moment = datetime.fromtimestamp(now, UTC).astimezone(zone)
    offers: list[PageOffer] = []
    events: list[PageEvent] = []
    if number == 1:  # the cluster's news on its first page; the others list partners
        offers = await joint.page_offers(runtime, theme, moment, base)
        events = await joint.page_events(runtime, theme, moment)
    url = page_url(base, theme.slug, lang, number)
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
        "intro": intro_paragraphs(theme.intro(lang)) if number == 1 else [],
        "categories": categories,
        "count": ordered.count,
        "page": number,
        "pages": pages,
        "prev_url": page_url(base, theme.slug, lang, number - 1) if number > 1 else "",
        "next_url": page_url(base, theme.slug, lang, number + 1) if number < pages else "",
        "offers": offers,
        "events": events,
        "zone": zone,
        "canonical": url,
        "alternates": [(code, page_url(base, theme.slug, code, number)) for code in LANGUAGES],
        "default_url": page_url(base, theme.slug, "de", number),
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
