"""Public, cross-origin endpoints that members' websites call: loader, blocks, clicks.

None of them sets a cookie or reads the database per request: they read the
in-memory snapshot (logos excepted, which are cached by browsers for a year).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from widget_server.core.errors import BadTokenError, NotFoundError
from widget_server.core.i18n import translator
from widget_server.core.models import Placement
from widget_server.rotation import Slot
from widget_server.serving.blocks import (
    Display,
    Rotation,
    build_block,
    directory_path,
    resolve_display,
    rotation_at,
    select_slots,
    with_utm,
)
from widget_server.serving.nav import nav_markup
from widget_server.serving.snapshot import Snapshot
from widget_server.web.problems import problem
from widget_server.web.runtime import Runtime, runtime_of

CORS = {"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"}
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
BLOCK_MAX_AGE = 300  # seconds a browser may reuse a block, at most until its bucket ends


def _placement(runtime: Runtime, snapshot: Snapshot, token: str) -> Placement | None:
    assert runtime.signer is not None
    try:
        placement_id = runtime.signer.read_embed_token(token)
    except BadTokenError:
        return None
    placement = snapshot.placements.get(placement_id)
    if placement is None:
        return None
    host = snapshot.members.get(placement.member_id)
    if host is None or host.status == "removed":
        return None
    return placement


def _unknown_embed() -> Response:
    return problem(
        404,
        "unknown-embed",
        "Unknown embed code",
        "This embed code is not valid (mistyped, or the placement was removed).",
    )


def _block(
    request: Request, runtime: Runtime, snapshot: Snapshot, placement: Placement, display: Display
) -> tuple[dict[str, object], tuple[Slot, ...], Rotation]:
    assert runtime.signer is not None
    slots, rules, rotation = select_slots(
        snapshot, placement, runtime.clock(), runtime.key, runtime.request_nonce()
    )
    block = build_block(
        snapshot,
        placement,
        display,
        slots=slots,
        rules=rules,
        rotation=rotation,
        signer=runtime.signer,
        base_url=runtime.base_url(request),
    )
    return block, slots, rotation


def _cache_headers(rotation: Rotation, *, shared: bool = True) -> dict[str, str]:
    """Until the bucket ends; ``shared=False`` for bodies with a visitor's one-time token."""
    if not rotation.cacheable:
        return {"Cache-Control": "no-store"}
    scope = "public" if shared else "private"
    return {"Cache-Control": f"{scope}, max-age={min(BLOCK_MAX_AGE, rotation.seconds_left)}"}


async def embed_js(request: Request) -> Response:
    """The loader: static and small; revalidated hourly so fixes reach every site."""
    loader = runtime_of(request).loader
    headers = {
        **CORS,
        **NOSNIFF,
        "ETag": loader.etag,
        "Cache-Control": "public, max-age=3600, stale-while-revalidate=86400",
    }
    if request.headers.get("if-none-match") == loader.etag:
        return Response(status_code=304, headers=headers)
    return Response(loader.body, media_type="text/javascript; charset=utf-8", headers=headers)


@dataclass(frozen=True)
class RenderedBlock:
    """A block encoded once per bucket; only its one-time view token differs per request."""

    head: bytes  # the JSON up to the view URL
    slots: tuple[Slot, ...]
    rotation: Rotation
    view_prefix: str  # the block part of its view tokens
    served_key: tuple[int, int, tuple[int, ...]]  # what a served count of it adds up

    def body(self, view_url: str | None) -> bytes:
        tail = b"null}" if view_url is None else b'"' + view_url.encode() + b'"}'
        return self.head + tail


def render_block(
    request: Request, runtime: Runtime, snapshot: Snapshot, placement: Placement, display: Display
) -> RenderedBlock:
    block, slots, rotation = _block(request, runtime, snapshot, placement, display)
    encoded = json.dumps(block, ensure_ascii=False, separators=(",", ":")).encode()
    assert encoded.endswith(b',"view":null}'), "the view URL must be the block's last field"
    assert runtime.counting is not None
    counting = runtime.counting
    prefix = counting.view_prefix(placement.id, rotation.bucket, slots)
    served = counting.served_key(placement.theme_id, placement.member_id, slots)
    return RenderedBlock(encoded[: -len(b"null}")], slots, rotation, prefix, served)


class BlockRequest(NamedTuple):
    """What both block endpoints read from a request: the placement and how to show it."""

    runtime: Runtime
    snapshot: Snapshot
    placement: Placement
    display: Display


def _block_request(request: Request) -> BlockRequest | None:
    runtime = runtime_of(request)
    assert runtime.snapshots is not None and runtime.counting is not None
    snapshot = runtime.snapshots.current
    placement = _placement(runtime, snapshot, request.path_params["token"])
    if placement is None:
        return None
    if request.scope["query_string"]:
        q = request.query_params
        display = resolve_display(placement, q.get("lang"), q.get("layout"), q.get("scheme"))
    else:  # the common case; parsing an empty query string still costs
        display = resolve_display(placement, None, None, None)
    return BlockRequest(runtime, snapshot, placement, display)


async def block_json(request: Request) -> Response:
    asked = _block_request(request)
    if asked is None:
        return _unknown_embed()
    runtime, snapshot, placement, display = asked
    assert runtime.counting is not None
    now = runtime.clock()
    rotation = rotation_at(snapshot.pools[placement.theme_id].rules.at(now), now, 0)
    base_url = runtime.base_url(request)
    key = ("json", placement.id, rotation.bucket, display, base_url)
    rendered: RenderedBlock | None = snapshot.cached(key) if rotation.cacheable else None
    if rendered is None:
        rendered = render_block(request, runtime, snapshot, placement, display)
        if rendered.rotation.cacheable:
            snapshot.remember(placement.theme_id, key, rendered)
    counting = runtime.counting
    view_url = None
    if rendered.slots and counting.enabled:
        counting.count_served(rendered.served_key, request.headers.get("user-agent", ""))
        view_url = f"{base_url}/v/{counting.view_token(rendered.view_prefix)}"
    return BlockResponse(rendered.body(view_url), rendered.rotation, shared=view_url is None)


class BlockResponse(Response):
    """The block's JSON with its headers prepared once, not assembled per request."""

    _fixed = [
        (b"content-type", b"application/json"),
        (b"access-control-allow-origin", b"*"),
        (b"cross-origin-resource-policy", b"cross-origin"),
        (b"x-content-type-options", b"nosniff"),
    ]

    def __init__(self, body: bytes, rotation: Rotation, *, shared: bool) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        # A body with a view token is one visitor's: browsers may keep it, CDNs not.
        cache = _cache_headers(rotation, shared=shared)["Cache-Control"].encode()
        self.raw_headers = [
            *self._fixed,
            (b"cache-control", cache),
            (b"content-length", str(len(body)).encode()),
        ]


async def view(request: Request) -> Response:
    """The view beacon: answered the same way whether it was counted or not."""
    runtime = runtime_of(request)
    assert runtime.snapshots is not None and runtime.counting is not None
    await runtime.counting.view(
        request.path_params["token"],
        runtime.snapshots.current,
        address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
        origin=request.headers.get("origin") or request.headers.get("referer"),
    )
    return Response(status_code=204, headers={**CORS, "Cache-Control": "no-store"})


def frame_csp(base_url: str) -> str:
    return (
        f"default-src 'none'; style-src {base_url}/static/; img-src {base_url}/logos/;"
        f" script-src {base_url}/static/frame.js;"
        " base-uri 'none'; form-action 'none'"
    )


@dataclass(frozen=True)
class RenderedPage:
    """The iframe page of one block, rendered once per bucket (it has no one-time part)."""

    body: bytes
    served_key: tuple[int, int, tuple[int, ...]]  # what a served count of it adds up


def render_page(
    request: Request, runtime: Runtime, snapshot: Snapshot, placement: Placement, display: Display
) -> tuple[RenderedPage, Rotation]:
    block, slots, rotation = _block(request, runtime, snapshot, placement, display)
    assert runtime.counting is not None
    theme = snapshot.themes[placement.theme_id]
    context = {
        "request": request,
        "block": block,
        "lang": display.lang,
        "title": translator(display.lang).gettext(
            "Partners in the %(theme)s network", theme=theme.name(display.lang)
        ),
        "css_url": runtime.base_url(request) + runtime.block_css.path,
        "script_url": f"{runtime.base_url(request)}/static/frame.js",
        # The <nav> in Python: the template's macro costs as much as the selection.
        "prerendered": Markup(nav_markup(block, display.lang)),  # noqa: S704  (escaped by nav.py)
    }
    body = runtime.templates.get_template("widget/frame.html").render(context).encode()
    served = runtime.counting.served_key(placement.theme_id, placement.member_id, slots)
    return RenderedPage(body, served), rotation


async def block_html(request: Request) -> Response:
    """The same block as a page for an ``<iframe>`` (no JavaScript needed).

    Kept per bucket like the JSON; the headers are made per request, so the
    Cache-Control still counts down to the end of the bucket.
    """
    asked = _block_request(request)
    if asked is None:
        return _unknown_embed()
    runtime, snapshot, placement, display = asked
    assert runtime.counting is not None
    now = runtime.clock()
    rotation = rotation_at(snapshot.pools[placement.theme_id].rules.at(now), now, 0)
    base_url = runtime.base_url(request)
    key = ("html", placement.id, rotation.bucket, display, base_url)
    page: RenderedPage | None = snapshot.cached(key) if rotation.cacheable else None
    if page is None:
        page, rotation = render_page(request, runtime, snapshot, placement, display)
        if rotation.cacheable:
            snapshot.remember(placement.theme_id, key, page)
    runtime.counting.count_served(page.served_key, request.headers.get("user-agent", ""))
    return PageResponse(page.body, rotation, base_url)


class PageResponse(Response):
    """The iframe page with the headers a template response gave it, in the same order."""

    def __init__(self, body: bytes, rotation: Rotation, base_url: str) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        self.raw_headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"cache-control", _cache_headers(rotation)["Cache-Control"].encode()),
            (b"content-security-policy", frame_csp(base_url).encode("latin-1")),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"text/html; charset=utf-8"),
        ]


async def click(request: Request) -> Response:
    """Follow a partner link: the destination comes from our data, never from the URL."""
    runtime = runtime_of(request)
    assert runtime.signer is not None and runtime.snapshots is not None
    try:
        claim = runtime.signer.read_click_token(
            request.path_params["token"], runtime.settings.click_token_max_age
        )
    except BadTokenError:
        return problem(400, "bad-token", "Invalid link", "This partner link is not valid.")
    snapshot = runtime.snapshots.current
    assert runtime.counting is not None
    await runtime.counting.click(
        claim,
        snapshot,
        address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )
    partner = snapshot.members.get(claim.partner_id)
    if partner is None:
        # Created after this snapshot?  Ask the database before giving up.
        try:
            partner = await runtime.storage.get_member_by_id(claim.partner_id)
        except NotFoundError:
            partner = None
    base_url = runtime.base_url(request)
    placement = snapshot.placements.get(claim.placement_id)
    theme = snapshot.themes.get(placement.theme_id) if placement else None
    if partner is not None and partner.status != "removed":
        target = partner.website
        host = snapshot.members.get(placement.member_id) if placement else None
        if theme is not None and host is not None:
            utm = dict(snapshot.pools[theme.id].rules.links.utm)
            target = with_utm(target, utm, theme=theme.slug, host=host.slug)
    else:
        target = base_url + (directory_path(theme.slug, "de") if theme else "/")
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})


async def block_stylesheet(request: Request) -> Response:
    """The stylesheet of server-side blocks; its URL names its content, so it is cached
    for a year.  An older digest (a page rendered before an update) gets the current
    styles, cached briefly."""
    sheet = runtime_of(request).block_css
    current = request.path_params["digest"] == sheet.digest
    headers = {
        **CORS,
        **NOSNIFF,
        "Cache-Control": "public, max-age=31536000, immutable"
        if current
        else "public, max-age=300",
    }
    return Response(sheet.css, media_type="text/css; charset=utf-8", headers=headers)
