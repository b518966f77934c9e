"""Public, cross-origin endpoints that members' websites call: loader, blocks, clicks.

None of them sets a cookie or reads the database per request: they read the
in-memory snapshot (logos excepted, which are cached by browsers for a year).
"""

from __future__ import annotations

import binascii
import dataclasses
import hashlib
from collections.abc import Sequence
from typing import NamedTuple

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import BadTokenError
from widget_server.core.logs import loggable_path
from widget_server.core.models import Placement
from widget_server.counting.served import served_token
from widget_server.rotation import Rules
from widget_server.serving import fragments
from widget_server.serving import slots as joint
from widget_server.serving.blocks import (
    Display,
    Rotation,
    resolve_display,
)
from widget_server.serving.snapshot import Snapshot
from widget_server.web.problems import problem
from widget_server.web.ready import BLOCK_MAX_AGE, Ready, find, not_modified, request_key
from widget_server.web.runtime import Runtime, runtime_of

CORS = {"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"}
NOSNIFF = {"X-Content-Type-Options": "nosniff"}


def _placement(runtime: Runtime, snapshot: Snapshot, token: str) -> Placement | None:
    assert runtime.signer is not None
    try:
        placement_id = runtime.signer.read_embed_token(token)
    except BadTokenError:
        return None
    placement = snapshot.placements.get(placement_id)
    if placement is None:
        return None
    host = snapshot.members.record(placement.member_id)
    if host is None or host.status == "removed":
        return None
    return placement


def unknown_embed() -> Response:
    return problem(
        404,
        "unknown-embed",
        "Unknown embed code",
        "This embed code is not valid (mistyped, or the placement was removed).",
    )


def _cache_headers(rotation: Rotation, *, shared: bool = True) -> dict[str, str]:
    """Until the bucket ends (at most ``BLOCK_MAX_AGE``, so a removed partner leaves every
    cache within minutes); ``shared=False`` for a body only one visitor may see."""
    if not rotation.cacheable:
        return {"Cache-Control": "no-store"}
    scope = "public" if shared else "private"
    return {"Cache-Control": f"{scope}, max-age={min(BLOCK_MAX_AGE, rotation.seconds_left)}"}


def strong_etag(body: bytes) -> str:
    """A strong validator of a block's bytes: equal bodies, equal tags, in every process
    (a block depends only on the bucket, never on which request rendered it)."""
    digest = hashlib.blake2b(body, digest_size=12).digest()  # 16 characters, no padding
    return '"' + binascii.b2a_base64(digest, newline=False).translate(_URLSAFE).decode() + '"'


_URLSAFE = bytes.maketrans(b"+/", b"-_")  # base64.urlsafe_b64encode's alphabet


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


def _view_link(
    base_url: str,
    runtime: Runtime,
    placement: Placement,
    rules: Rules,
    rotation: Rotation,
    shown: Sequence[tuple[int, int, int]],
) -> str | None:
    """The block's view link (its served token), the same for every visitor; None when
    nothing is counted (no card credits anyone, or counting switched off)."""
    assert runtime.counting is not None
    counting = runtime.counting
    if not shown or not counting.enabled:
        return None
    prefix = counting.signer.view_prefix(placement.id, rotation.bucket, shown)
    # The bucket's start, not the moment of rendering: every process renders the
    # same bytes for a bucket (one ETag), and the token's age counts from there.
    start = rotation.bucket * rules.bucket_seconds if rotation.cacheable else runtime.clock()
    return f"{base_url}/v/{served_token(counting, prefix, int(start))}"


class RenderedBlock(NamedTuple):
    """A block encoded once per bucket: the same bytes for every visitor, so any cache
    may keep it.  Its ``view`` is the block's served token (``counting/served.py``);
    the one-time view token is handed out by the exchange, never in the body.
    (A named tuple: one is made per first sight and kept in the render cache.)"""

    body: bytes
    etag: str
    rotation: Rotation


def render_block(
    runtime: Runtime, snapshot: Snapshot, placement: Placement, display: Display, base_url: str
) -> RenderedBlock:
    """The block's JSON, joined from parts (serving/fragments.py): the bytes of
    ``json.dumps`` of ``joint.block_dict`` of the drawn block, with its view link;
    ``base_url``: ``runtime.base_url`` of the request."""
    assert runtime.signer is not None
    drawn = runtime.drawn(snapshot, placement, display, base_url, runtime.clock())
    rules, rotation = drawn.rules, drawn.rotation
    body = fragments.block_body(
        snapshot,
        placement,
        display,
        drawn,
        signer=runtime.signer,
        base_url=base_url,
        view=_view_link(base_url, runtime, placement, rules, rotation, drawn.shown),
    )
    return RenderedBlock(body, strong_etag(body), rotation)


class BlockRequest(NamedTuple):
    """What both block endpoints read from a request: the placement and how to show it."""

    runtime: Runtime
    snapshot: Snapshot
    placement: Placement
    display: Display


# The display of a request without a query, by the placement's fixed (lang, layout,
# scheme): resolve_display's answer depends on nothing else, so one Display serves
# them all.  Placements share a few distinct options; bounded all the same.
_PLAIN_DISPLAYS: dict[tuple[str | None, str | None, str | None], Display] = {}
_PLAIN_DISPLAYS_KEPT = 256


def _plain_display(placement: Placement) -> Display:
    """``resolve_display(placement, None, None, None)``, made once per fixed options."""
    options = placement.options
    key = (options.lang, options.layout, options.scheme)
    found = _PLAIN_DISPLAYS.get(key)
    if found is None:
        if len(_PLAIN_DISPLAYS) >= _PLAIN_DISPLAYS_KEPT:
            _PLAIN_DISPLAYS.clear()
        found = _PLAIN_DISPLAYS[key] = resolve_display(placement, None, None, None)
    return found


def _block_request(request: Request) -> BlockRequest | Response:
    """What to render, or the problem to answer (unknown embed, bad ``show``)."""
    runtime = runtime_of(request)
    assert runtime.snapshots is not None and runtime.counting is not None
    snapshot = runtime.snapshots.current
    placement = _placement(runtime, snapshot, request.path_params["token"])
    if placement is None:
        return unknown_embed()
    asked_show = None
    if request.scope["query_string"]:
        q = request.query_params
        display = resolve_display(placement, q.get("lang"), q.get("layout"), q.get("scheme"))
        asked_show = q.get("show")
    else:  # the common case; parsing an empty query string still costs
        display = _plain_display(placement)
    if asked_show is not None or placement.options.show is not None:
        try:
            show = joint.resolve_show(placement, asked_show)
        except joint.ShowError as exc:
            return _bad_show(exc.value)
        if show:
            display = dataclasses.replace(display, show=show)
    return BlockRequest(runtime, snapshot, placement, display)


def _bad_show(value: str) -> Response:
    answer = problem(
        400,
        "bad-show",
        "Unknown value of show",
        f"show may list partners, offer and event; {value!r} is none of them.",
    )
    answer.headers.update(CORS)
    return answer


def _cache_key(
    kind: str, placement_id: int, bucket: int, display: Display, base: str, runtime: Runtime
) -> tuple[object, ...]:
    """A rendered block's key (with the joint board's version when a slot is asked for).
    The display is in it as its fields: the render cache hashes a key at each of its
    steps, a tuple of strings in C, a dataclass in Python."""
    fields = (display.lang, display.layout, display.scheme, display.show)
    return joint.cache_key((kind, placement_id, bucket, *fields, base), display, runtime.joint)


def _bucket(active: Rules, now: float) -> tuple[bool, int]:
    """``rotation_at(active, now, 0)``'s cacheable and bucket, without a Rotation made."""
    if active.granularity == "request":
        return False, 0
    return True, int(now // active.bucket_seconds)


def _kept(request: Request) -> Response | None:
    """The response kept ready for this URL (web/ready.py), if it still answers now."""
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    now = runtime.clock()
    key = request_key(request.scope, _host(request))
    ready = find(runtime.snapshots.current, key, now)
    if ready is None:
        return None
    return ReadyResponse(*ready.answer(now, _if_none_match(request)))


def _keep(request: Request, asked: BlockRequest, ready: Ready) -> Response:
    """Keep ``ready`` for the next request of this URL and answer with it."""
    runtime = asked.runtime
    asked.snapshot.cache.keep_ready(request_key(request.scope, _host(request)), ready)
    answer = ready.answer(runtime.clock(), _if_none_match(request))
    return ReadyResponse(*answer)


def _host(request: Request) -> bytes | None:
    return next((v for k, v in request.scope["headers"] if k == b"host"), None)


def _if_none_match(request: Request) -> str | None:
    """``request.headers.get("if-none-match")`` without making the request's Headers."""
    for name, value in request.scope["headers"]:
        if name == b"if-none-match":
            found: str = value.decode("latin-1")
            return found
    return None


async def block_json(request: Request) -> Response:
    if (kept := _kept(request)) is not None:
        return kept
    return _block_json(request)


async def made_block_json(request: Request) -> Response:
    """``block_json`` for a request the fast path has looked up among the kept answers."""
    return _block_json(request)


def _block_json(request: Request) -> Response:
    """The block of a request with no kept answer: rendered, or found in the render cache."""
    asked = _block_request(request)
    if isinstance(asked, Response):
        return asked
    runtime, snapshot, placement, display = asked
    rules, active, cacheable, bucket, base_url = _moment(request, asked)
    key = _cache_key("json", placement.id, bucket, display, base_url, runtime)
    rendered: RenderedBlock | None = snapshot.cached(key) if cacheable else None
    if rendered is None:
        rendered = render_block(runtime, snapshot, placement, display, base_url)
        if not rendered.rotation.cacheable:
            if not_modified(_if_none_match(request), rendered.etag):
                return BlockResponse(b"", rendered, not_modified=True)
            return BlockResponse(rendered.body, rendered)
        snapshot.remember(placement.theme_id, key, rendered)
        bucket = rendered.rotation.bucket
    # Nothing is counted here: a cache in front may answer most of these requests.
    # The loader's exchange (``view`` in the body) counts the block as served.
    ready = Ready(
        rendered.body,
        rendered.etag,
        BLOCK_FIXED,
        [(b"etag", rendered.etag.encode())],
        length_at=1,
        rules=rules,
        active=active,
        bucket=bucket,
        log_path=loggable_path(request.scope["path"]),
        board=runtime.joint if display.show else None,
    )
    return _keep(request, asked, ready)


def _moment(request: Request, asked: BlockRequest) -> tuple[Rules, Rules, bool, int, str]:
    """What both block endpoints start a first sight from: the theme's rules, those in
    force now, whether the block is kept for its bucket and which bucket, and the
    base URL."""
    runtime = asked.runtime
    now = runtime.clock()
    rules = asked.snapshot.pools[asked.placement.theme_id].rules
    active = rules.at(now)
    cacheable, bucket = _bucket(active, now)
    return rules, active, cacheable, bucket, runtime.base_url(request)


def block_headers(rendered: RenderedBlock) -> list[tuple[bytes, bytes]]:
    """The block's headers but its length; the same for a 200 and a 304.

    No ``Vary``: the body depends only on the URL (the token and the query) and,
    without ``WIDGET_PUBLIC_URL``, on the Host, which every cache keys on.
    """
    cache = _cache_headers(rendered.rotation)["Cache-Control"].encode()
    return [*BLOCK_FIXED, (b"cache-control", cache), (b"etag", rendered.etag.encode())]


# A tuple: each kept answer's Ready holds this one object, not a copy of its own.
BLOCK_FIXED = (
    (b"content-type", b"application/json"),
    (b"access-control-allow-origin", b"*"),
    (b"cross-origin-resource-policy", b"cross-origin"),
    (b"x-content-type-options", b"nosniff"),
)


class BlockResponse(Response):
    """The block's JSON (or its 304) with its headers prepared once, not assembled per request."""

    def __init__(self, body: bytes, rendered: RenderedBlock, *, not_modified: bool = False) -> None:
        self.status_code = 304 if not_modified else 200
        self.background = None
        self.body = body
        headers = block_headers(rendered)
        if not not_modified:
            headers.append((b"content-length", str(len(body)).encode()))
        self.raw_headers = headers


class ReadyResponse(Response):
    """A kept response (web/ready.py): status, headers and body as they are."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        self.raw_headers = headers


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
