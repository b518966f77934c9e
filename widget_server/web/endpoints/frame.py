"""The iframe page of a block: ``GET /w/{token}.html``, the same block as the JSON of
``widget.py`` for members' sites without JavaScript.

It is made from the same drawn block (``Runtime.drawn``) and kept like the JSON
(the render cache per bucket, then a kept answer per URL); only its markup
(serving/page.py) and headers (a Content-Security-Policy of its own) differ.
It shares the block endpoint's request reading and caching steps with
``widget.py``, its sibling module.
"""

from __future__ import annotations

from typing import NamedTuple

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.logs import loggable_path
from widget_server.core.models import Placement
from widget_server.serving import page
from widget_server.serving.blocks import Display, Rotation
from widget_server.serving.snapshot import Snapshot
from widget_server.web.endpoints import widget
from widget_server.web.ready import Ready, not_modified
from widget_server.web.runtime import Runtime


def frame_csp(base_url: str) -> str:
    return (
        f"default-src 'none'; style-src {base_url}/static/; img-src {base_url}/logos/;"
        f" script-src {base_url}/static/frame.js; connect-src {base_url}/v/;"
        " base-uri 'none'; form-action 'none'"
    )


class RenderedPage(NamedTuple):
    """The iframe page of one block, rendered once per bucket (it has no one-time part)."""

    body: bytes
    etag: str


def render_page(
    runtime: Runtime, snapshot: Snapshot, placement: Placement, display: Display, base_url: str
) -> tuple[RenderedPage, Rotation]:
    """The iframe page: ``widget/frame.html``'s characters with the ``<nav>`` of the block
    ``joint.block_dict`` makes, both made in Python from parts kept per theme
    (serving/page.py; the template and its macro cost as much as the selection);
    ``base_url``: ``runtime.base_url`` of the request."""
    assert runtime.signer is not None
    drawn = runtime.drawn(snapshot, placement, display, base_url, runtime.clock())
    rules, rotation = drawn.rules, drawn.rotation
    head = page.theme_page_head(
        snapshot,
        placement.theme_id,
        display.lang,
        base_url + runtime.block_css.path,
        f"{base_url}/static/frame.js",
    )
    nav = page.block_nav(
        snapshot, placement, display, drawn, signer=runtime.signer, base_url=base_url
    )
    # frame.js posts the view link, as the loader does: counted as served where shown.
    view_link = widget._view_link(base_url, runtime, placement, rules, rotation, drawn.shown)
    body = page.page(head, view_link, nav).encode()
    return RenderedPage(body, widget.strong_etag(body)), rotation


async def block_html(request: Request) -> Response:
    """The same block as a page for an ``<iframe>`` (no JavaScript needed).

    Kept per bucket like the JSON; the headers are made per request, so the
    Cache-Control still counts down to the end of the bucket.
    """
    if (kept := widget._kept(request)) is not None:
        return kept
    return _block_html(request)


async def made_block_html(request: Request) -> Response:
    """``block_html`` for a request the fast path has looked up among the kept answers."""
    return _block_html(request)


def _block_html(request: Request) -> Response:
    """The page of a request with no kept answer: rendered, or found in the render cache."""
    asked = widget._block_request(request)
    if isinstance(asked, Response):
        return asked
    runtime, snapshot, placement, display = asked
    assert runtime.counting is not None
    rules, active, cacheable, bucket, base_url = widget._moment(request, asked)
    key = widget._cache_key("html", placement.id, bucket, display, base_url, runtime)
    page: RenderedPage | None = snapshot.cached(key) if cacheable else None
    if page is None:
        page, rotation = render_page(runtime, snapshot, placement, display, base_url)
        if not rotation.cacheable:
            if not_modified(widget._if_none_match(request), page.etag):
                return PageResponse(b"", rotation, base_url, page.etag, not_modified=True)
            return PageResponse(page.body, rotation, base_url, page.etag)
        snapshot.remember(placement.theme_id, key, page)
        bucket = rotation.bucket
    # Nothing is counted here (a cache may answer): frame.js exchanges the view link.
    after = page_after(page.etag, base_url)  # PageResponse's headers
    ready = Ready(
        page.body,
        page.etag,
        PAGE_BEFORE,
        after,
        length_at=len(after) - 1,  # before the Content-Type
        rules=rules,
        active=active,
        bucket=bucket,
        log_path=loggable_path(request.scope["path"]),
        board=runtime.joint if display.show else None,
    )
    return widget._keep(request, asked, ready)


class PageResponse(Response):
    """The iframe page with the headers a template response gave it, in the same order."""

    def __init__(
        self,
        body: bytes,
        rotation: Rotation,
        base_url: str,
        etag: str,
        *,
        not_modified: bool = False,
    ) -> None:
        self.status_code = 304 if not_modified else 200
        self.background = None
        self.body = body
        cache = (b"cache-control", widget._cache_headers(rotation)["Cache-Control"].encode())
        self.raw_headers = [*PAGE_BEFORE, cache, *page_after(etag, base_url)]
        if not not_modified:  # a 304's length would have to be the page's
            self.raw_headers.insert(-1, (b"content-length", str(len(body)).encode()))


# The page's headers around its Cache-Control, in a template response's order; a 200
# has its Content-Length before the Content-Type (the last).
PAGE_BEFORE = ((b"x-content-type-options", b"nosniff"),)


def page_after(etag: str, base_url: str) -> list[tuple[bytes, bytes]]:
    """The page's headers after its Cache-Control but the Content-Length."""
    return [
        (b"etag", etag.encode()),
        (b"content-security-policy", frame_csp(base_url).encode("latin-1")),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"content-type", b"text/html; charset=utf-8"),
    ]
