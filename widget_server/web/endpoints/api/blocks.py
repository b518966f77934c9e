"""Server-side blocks: a member's block as JSON or as the ``<nav>`` HTML fragment.

For sites that render on the server (a CMS plugin, a static site build).  The
block is the same as ``GET /w/{token}`` shows, from the in-memory snapshot,
for the member's default placement in the theme.  The body is fixed for the
rotation bucket, so it carries a strong ``ETag`` and may be cached until the
bucket ends.  There is no view beacon: a server cannot tell whether a
visitor saw the block.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import NotFoundError, ValidationError
from widget_server.core.models import LANGUAGES, LAYOUTS, Placement, PlacementOptions
from widget_server.network.services import find_or_create_placement
from widget_server.rotation import Slot
from widget_server.serving import slots as joint
from widget_server.serving.blocks import (
    Display,
    Rotation,
    resolve_display,
    rotation_at,
)
from widget_server.serving.nav import nav_markup
from widget_server.serving.snapshot import Snapshot
from widget_server.web.endpoints.api.base import query_choice, require_member
from widget_server.web.runtime import Runtime, runtime_of

FORMATS = ("json", "html")


def wants_html(request: Request) -> bool:
    """``?format=`` decides; else ``Accept: text/html`` unless JSON is named before it."""
    chosen = query_choice(request, "format", FORMATS)
    if chosen is not None:
        return chosen == "html"
    for part in request.headers.get("accept", "").split(","):
        media = part.split(";")[0].strip().lower()
        if media == "text/html":
            return True
        if media == "application/json":
            return False
    return False


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    """``If-None-Match`` (weak comparison, as RFC 9110 asks for this header)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(part.strip().removeprefix("W/") == etag for part in header.split(","))


async def _placement(request: Request, theme_slug: str, member_slug: str) -> Placement:
    """The member's default placement in the theme, made on first use."""
    runtime = runtime_of(request)
    try:
        _, _, placement, _ = await find_or_create_placement(
            runtime.storage, member_slug, theme_slug, PlacementOptions()
        )
    except ValidationError as exc:  # an unknown theme, or one the member is not in
        raise NotFoundError(exc.reason) from None
    assert runtime.snapshots is not None
    if placement.id not in runtime.snapshots.current.placements:
        await runtime.snapshots.refresh()  # made just now, here or by another process
    return placement


@dataclass(frozen=True)
class Built:
    block: dict[str, Any]
    slots: tuple[Slot, ...]
    rotation: Rotation  # as of this request: seconds_left is current
    expires: float  # unix seconds when the bucket ends
    credited: tuple[int, ...]  # the members its serving counts for (partners, slot receivers)


def _build(
    request: Request, runtime: Runtime, snapshot: Snapshot, placement: Placement, display: Display
) -> Built:
    """The block of this bucket, memoised in the snapshot so that its click links (and
    with them the ETag) stay the same for the whole bucket."""
    assert runtime.signer is not None
    now = runtime.clock()
    base_url = runtime.base_url(request)
    rules = snapshot.pools[placement.theme_id].rules.at(now)
    current = rotation_at(rules, now, 0)
    key = joint.cache_key(
        ("api-block", placement.id, current.bucket, display, base_url), display, runtime.joint
    )
    if current.cacheable:
        found: Built | None = snapshot.cached(key)
        if found is not None:
            expires = (current.bucket + 1) * rules.bucket_seconds
            return replace(found, rotation=current, expires=expires)
    # the joint slot (serving/slots.py), as in the /w/ blocks
    drawn = runtime.drawn(snapshot, placement, display, base_url, now)
    block = joint.block_dict(
        snapshot, placement, display, drawn, signer=runtime.signer, base_url=base_url
    )
    slots, rules, rotation = drawn.partners, drawn.rules, drawn.rotation
    credited = tuple(member_id for member_id, _, _ in drawn.shown)
    if not rotation.cacheable:
        return Built(block, slots, rotation, now, credited)
    built = Built(block, slots, rotation, (rotation.bucket + 1) * rules.bucket_seconds, credited)
    snapshot.remember(placement.theme_id, key, built)
    return built


def render_nav(runtime: Runtime, block: dict[str, Any], lang: str) -> str:
    """The ``<nav>`` fragment the iframe page shows too (``serving/nav.py``, the
    ``widget/_nav.html`` macro's markup), in the ``pk-root`` element the block
    stylesheet (``stylesheet`` of the answer) styles."""
    nav = nav_markup(block, lang)
    return f'<div class="pk-root">{nav}</div>' if nav else ""


async def get_block(request: Request) -> Response:
    theme_slug, member_slug = request.path_params["theme"], request.path_params["member"]
    _, member = await require_member(request, member_slug)
    lang = query_choice(request, "lang", LANGUAGES)
    layout = query_choice(request, "layout", LAYOUTS)
    html = wants_html(request)
    if member.status == "removed":
        raise NotFoundError(f"member {member.slug!r} is removed; its blocks stop")
    runtime = runtime_of(request)
    placement = await _placement(request, theme_slug, member.slug)
    assert runtime.snapshots is not None and runtime.counting is not None
    snapshot = runtime.snapshots.current
    display = resolve_display(placement, lang, layout, None)
    try:
        show = joint.resolve_show(placement, request.query_params.get("show"))
    except joint.ShowError as exc:
        raise ValidationError(
            "show", f"{exc.value!r} is not one of partners, offer, event"
        ) from None
    display = replace(display, show=show)
    built = _build(request, runtime, snapshot, placement, display)
    fragment = render_nav(runtime, built.block, display.lang)
    if html:
        body = fragment.encode()
        media_type = "text/html; charset=utf-8"
    else:
        data = {
            "theme": theme_slug,
            "member": member.slug,
            "bucket": built.rotation.bucket,
            "expires_at": datetime.fromtimestamp(built.expires, UTC).isoformat(timespec="seconds"),
            "block": built.block,
            "html": fragment,
            "stylesheet": runtime.base_url(request) + runtime.block_css.path,
        }
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        media_type = "application/json"
    etag = etag_of(body)
    headers = {
        "ETag": etag,
        "Cache-Control": f"private, max-age={built.rotation.seconds_left}",
        "Vary": "Accept, Authorization",
        "X-Content-Type-Options": "nosniff",
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    runtime.counting.count_served((placement.theme_id, placement.member_id, built.credited), None)
    return Response(body, media_type=media_type, headers=headers)
