"""Public pages of our own: the network index, logos, health (theme pages: theme_page.py)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from widget_server.core.collation import sort_key
from widget_server.core.errors import NotFoundError, StorageError
from widget_server.core.i18n import pick_language
from widget_server.rotation.pool import eligible_ids
from widget_server.serving.plugin import plugin_zip
from widget_server.serving.snapshot import Snapshot
from widget_server.web.runtime import STATIC_DIR, runtime_of

PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none';"
    " frame-ancestors 'none'; form-action 'self'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def request_language(request: Request) -> str:
    return pick_language(
        request.query_params.get("lang"), request.headers.get("accept-language", "")
    )


def listed_count(snapshot: Snapshot, theme_id: int) -> int:
    """How many members a theme's page lists: its directory's length where it is made,
    else its pool's eligible members counted (making every theme's directory, each
    sorted by the German key, held the loop 1.2 s at 100,000 members)."""
    made = snapshot.active_members.built.get(theme_id)
    if made is not None:
        return len(made)
    if theme_id not in snapshot.pools:
        return 0
    return len(eligible_ids(snapshot.pools[theme_id].members))


async def index(request: Request) -> Response:
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    snapshot = runtime.snapshots.current
    lang = request_language(request)
    themes = [
        {
            "slug": t.slug,
            "name": t.name(lang),
            "description": t.description(lang),
            "count": listed_count(snapshot, t.id),
            "url": request.url_for("directory", slug=t.slug).include_query_params(lang=lang),
        }
        for t in sorted(snapshot.themes.values(), key=lambda t: sort_key(t.name(lang)))
    ]
    return runtime.templates.TemplateResponse(
        request,
        "public/index.html",
        {"themes": themes, "lang": lang, "demo": runtime.demo},
        headers=PAGE_HEADERS,
    )


MAX_ID = 2**63 - 1  # the largest id SQLite and PostgreSQL (bigint) can hold


async def logo(request: Request) -> Response:
    """A member's logo, stored by us; the digest in the URL makes it cacheable forever."""
    runtime = runtime_of(request)
    member_id = request.path_params["member_id"]
    if not 0 < member_id <= MAX_ID:  # larger numbers overflow the database's integers
        raise HTTPException(404, "No such logo")
    try:
        stored, data = await runtime.storage.get_logo(member_id)
    except NotFoundError:
        raise HTTPException(404, "No such logo") from None
    if not stored.digest.startswith(request.path_params["digest"]):
        raise HTTPException(404, "No such logo")
    return Response(
        data,
        media_type=stored.content_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


_FAVICON = (STATIC_DIR / "favicon.svg").read_bytes()


async def favicon(request: Request) -> Response:
    """The icon browsers ask every page of ours for (SVG: one small file, sharp at any size)."""
    return Response(
        _FAVICON,
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


async def healthz(request: Request) -> Response:
    """Liveness and readiness: the database answers and a snapshot is loaded."""
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    try:
        version = await runtime.storage.data_version()
    except StorageError:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse(
        {
            "status": "ok",
            "data_version": version,
            "snapshot_version": runtime.snapshots.current.version,
        },
        headers={"Cache-Control": "no-store"},
    )


async def wordpress_plugin_latest(request: Request) -> Response:
    """The current WordPress plugin: a redirect to its versioned file."""
    target = request.url_for("wordpress_plugin", filename=plugin_zip().filename)
    return RedirectResponse(
        str(target.path), status_code=307, headers={"Cache-Control": "no-cache"}
    )


async def wordpress_plugin(request: Request) -> Response:
    """The WordPress plugin as a ZIP to upload under Plugins → Add New → Upload Plugin."""
    plugin = plugin_zip()
    if request.path_params["filename"] != plugin.filename:
        raise NotFoundError(
            f"no file {request.path_params['filename']!r}; the plugin is {plugin.filename!r}"
        )
    headers = {
        "ETag": plugin.etag,
        "Cache-Control": "public, max-age=86400",
        "Content-Disposition": f'attachment; filename="{plugin.filename}"',
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == plugin.etag:
        return Response(status_code=304, headers=headers)
    return Response(plugin.body, media_type="application/zip", headers=headers)
