"""A block rendered on the server with the SDK looks like the script-tag block.

Both go onto one page of a member's site, side by side in columns of the same width:
the SDK's block (``str(block)``: the block stylesheet's ``<link>`` and the server's HTML)
and the loader's block in its shadow root. Corresponding parts must have the same
boxes (sizes and offsets inside their card), and every text must be readable (WCAG AA
contrast against the block's background) in the light and the dark colour scheme.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from partnerkreis import Client
from playwright.sync_api import Page

from tests.browser.conftest import DemoServer, HostSite, Watched
from tests.browser.hostsite import page as host_page
from tests.browser.snippet_helpers import TOWN, blocks_in

pytestmark = pytest.mark.browser

# Boxes of the parts of each block, relative to their card (a.pk-link) or to the <nav>;
# and the contrast of each text part against the block's background.
MEASURE = """(root) => {
  const nav = root.querySelector('nav.pk'), n = nav.getBoundingClientRect();
  const box = (e, o) => { const r = e.getBoundingClientRect();
    return [r.x - o.x, r.y - o.y, r.width, r.height].map(Math.round); };
  const rgb = (c) => { const x = document.createElement('canvas').getContext('2d');
    x.fillStyle = c; x.fillRect(0, 0, 1, 1); return [...x.getImageData(0, 0, 1, 1).data]; };
  const lum = (c) => { const v = rgb(c).slice(0, 3).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const bg = getComputedStyle(nav).backgroundColor;
  const contrast = (e) => { const a = lum(getComputedStyle(e).color), b = lum(bg);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const cards = [...nav.querySelectorAll('a.pk-link')].map(a => {
    const l = a.getBoundingClientRect();
    return {
      card: [Math.round(l.x - n.x), Math.round(l.width)],
      picture: box(a.querySelector('.pk-mono, .pk-logo'), l),
      name: box(a.querySelector('.pk-name'), l).slice(0, 2),
    };
  });
  const texts = ['.pk-heading', '.pk-name', '.pk-meta', '.pk-desc', '.pk-more', '.pk-mono']
    .flatMap(s => [...nav.querySelectorAll(s)].map(e => [s, contrast(e)]));
  return {
    nav: [Math.round(n.width)],
    heading: box(nav.querySelector('.pk-heading'), n),
    cards, texts, background: bg,
    font: getComputedStyle(nav.querySelector('.pk-name')).font,
  };
}"""


def measure(page: Page, in_shadow: bool) -> dict[str, Any]:
    root = (
        "document.querySelector('#script [data-partnerkreis]').shadowRoot"
        if in_shadow
        else "document.querySelector('#server')"
    )
    result: dict[str, Any] = page.evaluate(f"() => ({MEASURE})({root})")
    return result


@pytest.fixture(scope="module")
def member_key(demo_server: DemoServer) -> str:
    out = demo_server.cli("key", "create", "--scope", "member:optik-ehlers", "--json")
    key: str = json.loads(out)["key"]
    return key


def test_server_side_block_looks_like_the_script_tag_block(
    demo_server: DemoServer, host_site: HostSite, watched: Watched, member_key: str
) -> None:
    with Client(api_key=member_key, base_url=demo_server.base, block_timeout=30) as client:
        block = client.blocks.get(TOWN, member="optik-ehlers")
    assert block.source == "network" and block.stylesheet, block
    assert str(block).startswith(f'<link rel="stylesheet" href="{block.stylesheet}">')
    snippet = demo_server.snippet("optik-ehlers", TOWN)["html"]
    host_site.pages["/side-by-side"] = host_page(
        "Server und Skript",
        '<div style="display:flex;gap:40px;align-items:flex-start">'
        f'<div id="server" style="width:520px">{block}</div>'
        f'<div id="script" style="width:520px">{snippet}</div></div>',
    )
    page = watched.page
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto(f"{host_site.base}/side-by-side")
        [loaded] = blocks_in(page)
        assert loaded["state"] == "ready"
        page.wait_for_function(
            "() => [...document.styleSheets].some(s => s.href && s.href.includes('/blocks-'))"
        )
        server, script = measure(page, in_shadow=False), measure(page, in_shadow=True)
        # The same layout: widths, heading, and each card's picture and name boxes.
        assert server["nav"] == script["nav"]
        assert server["heading"][:3] == script["heading"][:3]
        assert len(server["cards"]) == len(script["cards"]) == 3
        for ours, theirs in zip(server["cards"], script["cards"], strict=True):
            assert ours == theirs
        assert server["font"] == script["font"]
        assert server["background"] == script["background"]
        # Readable: every text at least 4.5:1 against the block's background.
        for selector, ratio in server["texts"] + script["texts"]:
            assert ratio >= 4.5, (scheme, selector, ratio)
        assert {s for s, _ in server["texts"]} >= {".pk-heading", ".pk-name", ".pk-meta"}
    assert watched.errors == []
