"""The iframe variant in Chromium: no border, its height following the block.

The frame page reports its height (static/frame.js); the snippet's one-line
listener sets it.  On a host whose Content-Security-Policy forbids inline
scripts the listener cannot run: the layout's fixed height must then hold the
whole block.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import DemoServer, HostSite, Watched
from tests.browser.hostsite import page as host_page
from widget_server.serving.snippets import FRAME_HEIGHTS

pytestmark = pytest.mark.browser

WEDDING = "hochzeit-heide"


def frame_heights(page: Page) -> tuple[int, int]:
    """(the iframe's height on the host page, the height of the page inside it)."""
    frame = page.frame_locator("iframe[data-partnerkreis-frame]")
    frame.locator("nav.pk").wait_for()
    inner = frame.locator("html").evaluate("h => Math.ceil(h.getBoundingClientRect().height)")
    outer = page.locator("iframe").evaluate("f => Math.round(f.getBoundingClientRect().height)")
    return int(outer), int(inner)


@pytest.mark.parametrize("layout", ["cards", "list", "compact"])
def test_the_iframe_has_no_border_and_fits_its_block(
    demo_server: DemoServer, host_site: HostSite, watched: Watched, layout: str
) -> None:
    snippet = demo_server.snippet("konditorei-rathje", WEDDING, "--layout", layout)["iframe"]
    host_site.pages[f"/iframe-{layout}"] = host_page("Iframe", snippet)
    page = watched.page
    page.set_viewport_size({"width": 720, "height": 900})
    page.goto(f"{host_site.base}/iframe-{layout}")
    border = page.locator("iframe").evaluate("f => getComputedStyle(f).borderTopWidth")
    assert border == "0px"
    outer, inner = frame_heights(page)
    for _ in range(600):  # the listener sets the height once the frame has reported it
        if abs(outer - inner) <= 1:
            break
        page.wait_for_timeout(200)  # a hang guard of 2 minutes, not a verdict on speed
        outer, inner = frame_heights(page)
    assert abs(outer - inner) <= 1  # the frame is as high as the block, no scrollbar
    assert outer < FRAME_HEIGHTS[layout]  # shorter than the fixed height on a wide page
    assert watched.errors == []


@pytest.mark.parametrize("layout", ["cards", "list", "compact"])
def test_without_scripts_on_the_host_the_layouts_height_holds_the_whole_block(
    demo_server: DemoServer, host_site: HostSite, watched: Watched, layout: str
) -> None:
    snippet = demo_server.snippet("konditorei-rathje", WEDDING, "--layout", layout)["iframe"]
    path = f"/iframe-strict-{layout}"
    host_site.pages[path] = host_page("Iframe ohne Skripte", snippet)
    host_site.headers[path] = {
        "Content-Security-Policy": f"script-src 'none'; frame-src {demo_server.base}"
    }
    page = watched.page
    page.set_viewport_size({"width": 360, "height": 900})  # a phone: the tallest block
    page.goto(f"{host_site.base}{path}")
    outer, inner = frame_heights(page)
    assert outer == FRAME_HEIGHTS[layout]  # the listener could not run
    assert inner <= outer  # and nothing of the block is cut off


def test_the_frame_page_posts_its_view_link_once_which_counts_it_as_served(
    demo_server: DemoServer, host_site: HostSite, watched: Watched
) -> None:
    """The iframe page may come from a shared cache: frame.js posts the block's view link
    (the served exchange, allowed by the page's own CSP) so the server still counts it."""
    snippet = demo_server.snippet("konditorei-rathje", WEDDING)["iframe"]
    host_site.pages["/iframe-served"] = host_page("Iframe", snippet)
    page = watched.page
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    with page.expect_response(lambda r: "/v/" in r.url and r.request.method == "POST") as sent:
        page.goto(f"{host_site.base}/iframe-served")
    assert sent.value.status == 200  # the exchange answered (a bad link would be a 400)
    assert sent.value.url.startswith(f"{demo_server.base}/v/")
    frame_heights(page)  # the block is shown
    assert posts == [sent.value.url]  # one request, and no beacon of a view
    assert not [line for line in watched.console if "Content Security Policy" in line]
    assert watched.errors == []
