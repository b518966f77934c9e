"""``/sitemap.xml`` and ``/robots.txt``: what search engines may read, and where it is.

The sitemap lists the network's public pages: the front page, every theme
page (with its English alternate) and the pages of the joint offers running
today, each with the time its content last changed.  It is made once per
snapshot version and day and kept like the theme pages (a theme id of 0 in
the render cache: no theme has it).  robots.txt allows the public pages
and keeps crawlers out of everything that is per member, per visitor or
behind a login.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.models import LANGUAGES
from widget_server.serving.theme_page import RenderedPage, next_change
from widget_server.web.endpoints import joint
from widget_server.web.endpoints.theme_page import page_url
from widget_server.web.runtime import Runtime, runtime_of

NETWORK = 0  # the render-cache entry's theme: the sitemap belongs to none
CACHE = "public, max-age=3600"
# Paths no crawler needs: logins, per-member codes, visitors' beacons and clicks,
# one-person links (applications, unsubscribing), the demo's made-up sites.
DISALLOWED = (
    "/admin",
    "/portal",
    "/api/",
    "/w/",
    "/v/",
    "/c/",
    "/join/i/",
    "/join/status/",
    "/mail/",
    "/demo/",
)


async def robots(request: Request) -> Response:
    base = runtime_of(request).base_url(request)
    lines = ["User-agent: *", "Allow: /", *(f"Disallow: {p}" for p in DISALLOWED)]
    lines += ["", f"Sitemap: {base}/sitemap.xml", ""]
    return Response(
        "\n".join(lines),
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": CACHE, "X-Content-Type-Options": "nosniff"},
    )


def _url(loc: str, lastmod: datetime | None, alternates: list[tuple[str, str]]) -> str:
    parts = [f"<url><loc>{escape(loc)}</loc>"]
    if lastmod is not None:
        parts.append(f"<lastmod>{lastmod.astimezone(UTC).isoformat(timespec='seconds')}</lastmod>")
    for lang, href in alternates:
        parts.append(f'<xhtml:link rel="alternate" hreflang="{lang}" href={quoteattr(href)}/>')
    parts.append("</url>")
    return "".join(parts)


async def _build(runtime: Runtime, base: str, now: float, version: int) -> RenderedPage:
    assert runtime.snapshots is not None
    snapshot = runtime.snapshots.current
    modified = await runtime.storage.themes_modified()
    zone = ZoneInfo(runtime.settings.time_zone)
    moment = datetime.fromtimestamp(now, UTC).astimezone(zone)
    newest = max(modified.values(), default=None)
    urls = [_url(f"{base}/", newest, [])]
    moments = [joint.next_midnight(moment)]
    themes = sorted(snapshot.themes.values(), key=lambda t: t.slug)
    for theme in themes:
        alternates = [(code, page_url(base, theme.slug, code)) for code in LANGUAGES]
        urls.append(_url(page_url(base, theme.slug, "de"), modified.get(theme.id), alternates))
    for loc, lastmod in await joint.offer_pages(runtime, themes, moment, base):
        urls.append(_url(loc, lastmod, []))
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:xhtml="http://www.w3.org/1999/xhtml">\n' + "\n".join(urls) + "\n</urlset>\n"
    )
    return RenderedPage(body.encode(), version, next_change(now, moments))


async def sitemap(request: Request) -> Response:
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    snapshot = runtime.snapshots.current
    base = runtime.base_url(request)
    now = runtime.clock()
    key: tuple[Any, ...] = ("sitemap", base)
    page: RenderedPage | None = snapshot.cached(key)
    if page is None or not page.fresh(snapshot.version, now):
        page = await _build(runtime, base, now, snapshot.version)
        snapshot.remember(NETWORK, key, page)
    return Response(
        page.body,
        media_type="application/xml",
        headers={"Cache-Control": CACHE, "ETag": page.etag, "X-Content-Type-Options": "nosniff"},
    )
