"""The widget as a visitor sees it: real Chromium, real server, another origin."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DemoServer, HostSite, Watched, free_port
from tests.browser.hostsite import HOLD
from tests.browser.hostsite import page as host_page
from widget_server.demo import data as demo_data

pytestmark = pytest.mark.browser

MEMBERS = {m["slug"]: m for m in demo_data.MEMBERS}
WEDDING = "hochzeit-heide"
TOWN = "heide-innenstadt"

# Reads every rendered block: its container state and what its shadow root shows.
READ_BLOCKS = """() => [...document.querySelectorAll('[data-partnerkreis]')].map(box => {
  const root = box.shadowRoot;
  const nav = root && root.querySelector('nav');
  return {
    state: box.getAttribute('data-partnerkreis-state'),
    lightChildren: box.children.length,
    heading: nav ? nav.querySelector('h2').textContent : null,
    label: nav ? nav.getAttribute('aria-label') : null,
    links: nav ? [...nav.querySelectorAll('a.pk-link')].map(a => ({
      name: a.querySelector('.pk-name').textContent,
      desc: (a.querySelector('.pk-desc') || {}).textContent || '',
      href: a.href, rel: a.rel})) : [],
    more: nav && nav.querySelector('a.pk-more') ? nav.querySelector('a.pk-more').href : null,
    imgs: root ? [...root.querySelectorAll('img')].map(i => i.getAttribute('src')) : [],
    styleElements: root ? root.querySelectorAll('style,[style]').length : 0,
  };
})"""


# Installed before the page's scripts: every request the page makes with fetch(), with
# what the page was at that moment (still being parsed? each container's state).
LOG_FETCHES = """
window.__fetches = [];
const pageFetch = window.fetch;
window.fetch = function (url, opts) {
  window.__fetches.push({url: String(url), method: (opts && opts.method) || 'GET',
    parsing: document.readyState === 'loading',
    states: [...document.querySelectorAll('[data-partnerkreis]')]
      .map(box => box.getAttribute('data-partnerkreis-state'))});
  return pageFetch.apply(this, arguments);
};
"""


def wait_ready(page: Page, timeout: float = 120_000) -> list[dict[str, Any]]:
    """The blocks once the loader is done; ``timeout`` (ms) only ends a hang."""
    ready = "() => window.Partnerkreis && window.Partnerkreis.ready"
    page.wait_for_function(ready, timeout=timeout)
    page.evaluate("() => window.Partnerkreis.ready")
    blocks: list[dict[str, Any]] = page.evaluate(READ_BLOCKS)
    return blocks


def members_of(theme: str) -> set[str]:
    return {m["name"] for m in demo_data.MEMBERS if theme in m["themes"]}


def test_demo_site_shows_partners_in_a_shadow_root_without_the_host(
    demo_server: DemoServer, watched: Watched, screenshot: Callable[[Page, str], None]
) -> None:
    host = next(m for m in demo_data.MEMBERS if WEDDING in m["themes"] and TOWN in m["themes"])
    page = watched.page
    page.goto(f"{demo_server.base}/demo/site/{host['slug']}")
    blocks = wait_ready(page)
    screenshot(page, "demo-site")

    assert [b["state"] for b in blocks] == ["ready", "ready"]
    headings = {b["heading"] for b in blocks}
    assert headings == {"Unsere Partner zum Thema Hochzeit", "Unsere Partner aus Heide Innenstadt"}
    for b in blocks:
        theme = WEDDING if "Hochzeit" in b["heading"] else TOWN
        names = [link["name"] for link in b["links"]]
        assert len(names) == 3 == len(set(names))
        assert host["name"] not in names
        assert set(names) <= members_of(theme) - {host["name"]}
        for link in b["links"]:
            assert link["href"].startswith(f"{demo_server.base}/c/")
            assert link["rel"] == "sponsored nofollow noopener"
        assert b["more"].startswith(f"{demo_server.base}/t/{theme}")
        assert b["lightChildren"] == 0  # nothing written into the host's own DOM
        assert b["styleElements"] == 0
    assert watched.errors == []

    # Following a partner link lands on that partner's website.
    first = blocks[0]["links"][0]
    slug = next(m["slug"] for m in demo_data.MEMBERS if m["name"] == first["name"])
    expected = f"{demo_server.base}/demo/site/{slug}"  # the partner's demo site
    with page.expect_request(lambda r: r.url.rstrip("/") == expected.rstrip("/")) as request:
        page.locator("[data-partnerkreis]").first.locator("a.pk-link").first.click()
    redirected_from = request.value.redirected_from
    assert redirected_from is not None
    assert redirected_from.url == first["href"]


def test_demo_index_links_every_member_site(demo_server: DemoServer, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{demo_server.base}/demo/")
    hrefs = page.eval_on_selector_all("a[href*='/demo/site/']", "as => as.map(a => a.href)")
    slugs = {h.rsplit("/", 1)[1] for h in hrefs}
    assert slugs == set(MEMBERS)


def test_strict_csp_host_still_renders_without_violations(
    demo_server: DemoServer,
    host_site: HostSite,
    watched: Watched,
    screenshot: Callable[[Page, str], None],
) -> None:
    base = demo_server.base
    snippet = demo_server.snippet("blumenhaus-am-markt", WEDDING)["html"]
    host_site.pages["/csp"] = host_page("Strenge CSP", snippet)
    host_site.headers["/csp"] = {
        "Content-Security-Policy": (
            f"default-src 'self'; script-src {base}; connect-src {base}; img-src {base}"
        )
    }
    page = watched.page
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(f"{host_site.base}/csp")
    blocks = wait_ready(page)
    screenshot(page, "csp-host")
    assert blocks[0]["state"] == "ready"
    assert len(blocks[0]["links"]) == 3
    assert page.evaluate("() => window.__violations") == []
    assert not [c for c in watched.console if "Content Security Policy" in c]
    assert watched.errors == []


def test_several_blocks_languages_and_reload_on_one_page(
    demo_server: DemoServer, host_site: HostSite, watched: Watched
) -> None:
    wedding = demo_server.snippet("konditorei-rathje", WEDDING)
    town = demo_server.snippet("konditorei-rathje", TOWN)
    body = (
        wedding["html"]
        + town["html"].replace("<div data-partnerkreis=", '<div data-lang="en" data-partnerkreis=')
        + '<div id="spa"></div>'
    )
    host_site.pages["/multi"] = host_page("Mehrere Blöcke", body)
    page = watched.page
    sheets: list[str] = []
    page.on("request", lambda r: "/static/blocks-" in r.url and sheets.append(r.url))
    page.goto(f"{host_site.base}/multi")
    blocks = wait_ready(page)
    assert [b["heading"] for b in blocks] == [
        "Unsere Partner zum Thema Hochzeit",
        "Our partners from Heide town centre",
    ]
    # A single-page app adds a container later and calls reload().
    page.evaluate(
        "token => { const d = document.createElement('div');"
        " d.dataset.partnerkreis = token; document.getElementById('spa').append(d); }",
        wedding["token"],
    )
    page.evaluate("() => window.Partnerkreis.reload()")
    blocks = page.evaluate(READ_BLOCKS)
    assert [b["state"] for b in blocks] == ["ready", "ready", "ready"]
    # The loader fetched the block stylesheet once, from the widget server, for all three
    # blocks, which share one constructable sheet.
    assert len(sheets) == 1 and sheets[0].startswith(f"{demo_server.base}/static/blocks-")
    shared = page.evaluate(
        "() => { const s = [...document.querySelectorAll('[data-partnerkreis]')]"
        ".map(b => b.shadowRoot.adoptedStyleSheets);"
        " return s.every(x => x.length == 1 && x[0] === s[0][0] && x[0].cssRules.length > 20); }"
    )
    assert shared
    assert watched.errors == []


def test_stylesheet_travels_with_the_block_and_the_exchange_waits_for_the_links(
    demo_server: DemoServer, host_site: HostSite, watched: Watched
) -> None:
    """Nothing the loader adds to a block delays its links: the block stylesheet is on
    its way before the block's answer is in (the two travel at once), and the view
    exchange is posted only once the links are shown."""
    snippet = demo_server.snippet("blumenhaus-am-markt", WEDDING)["html"]
    host_site.pages["/order"] = host_page("Reihenfolge", snippet)
    page = watched.page
    page.add_init_script(LOG_FETCHES)
    seen: list[tuple[str, str]] = []
    page.on("request", lambda r: seen.append(("request", r.url)))
    page.on("response", lambda r: seen.append(("response", r.url)))
    page.goto(f"{host_site.base}/order")
    assert [b["state"] for b in wait_ready(page)] == ["ready"]

    def first(event: str, part: str) -> int:
        return next(i for i, (e, url) in enumerate(seen) if e == event and part in url)

    assert first("request", "/static/blocks-") < first("response", "/w/")
    # The exchange is posted in the task that shows the links, before ready resolves.
    fetches = page.evaluate("() => window.__fetches")
    assert [(f["method"], f["states"]) for f in fetches if "/v/" in f["url"]] == [
        ("POST", ["ready"])
    ]
    assert watched.errors == []


def test_blocks_show_while_the_rest_of_the_page_is_still_arriving(
    demo_server: DemoServer, host_site: HostSite, watched: Watched
) -> None:
    """The loader (async) may run long before the page is parsed, e.g. from the cache on
    a long page: the containers parsed so far load at once, not after DOMContentLoaded;
    those further down load once the parser has passed them, and broken code's
    <noscript> link is read only then."""
    first = demo_server.snippet("blumenhaus-am-markt", WEDDING)
    cut = demo_server.snippet("optik-ehlers", TOWN)
    cut_html = cut["html"].replace(cut["token"], cut["token"][:-6])
    later = demo_server.snippet("konditorei-rathje", TOWN)["html"]
    body = first["html"] + cut_html.replace("<noscript>", HOLD + "<noscript>") + later
    host_site.pages["/arriving"] = host_page("Lange Seite", body)
    gate = host_site.gates["/arriving"] = threading.Event()
    page = watched.page
    page.add_init_script(LOG_FETCHES)
    try:
        page.goto(f"{host_site.base}/arriving", wait_until="commit")
        # The loader has run while the server still holds the rest of the page back.
        page.wait_for_function("() => window.Partnerkreis", polling=100)
        asked = page.evaluate("() => window.__fetches.filter(f => f.url.includes('/w/'))")
        assert asked and all(f["parsing"] for f in asked)
        wait = "() => document.querySelector('[data-partnerkreis]')"
        page.wait_for_function(
            f"{wait}.getAttribute('data-partnerkreis-state') === 'ready'", polling=100
        )
        assert page.evaluate("() => document.readyState") == "loading"
    finally:
        gate.set()
    shown = wait_ready(page)
    assert [b["state"] for b in shown] == ["ready", "error", "ready"]
    assert [len(b["links"]) for b in shown] == [3, 0, 3]
    fallback = page.evaluate(
        "() => [...document.querySelectorAll('[data-partnerkreis]')[1].shadowRoot"
        ".querySelectorAll('a')].map(a => a.href)"
    )
    assert fallback == [f"{demo_server.base}/t/{TOWN}"]
    assert watched.errors == []


def test_page_loads_completely_when_the_widget_server_is_down(
    demo_server: DemoServer, host_site: HostSite, watched: Watched
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    token = demo_server.snippet("blumenhaus-am-markt", WEDDING)["token"]
    host_site.pages["/down"] = host_page(
        "Server weg",
        f'<script async src="{dead}/embed.js"></script><div data-partnerkreis="{token}"></div>',
    )
    page = watched.page
    page.goto(f"{host_site.base}/down", wait_until="load")
    assert page.locator("#after").text_content() == "Rest der Seite"
    assert page.evaluate("() => typeof window.Partnerkreis") == "undefined"
    assert page.evaluate("() => document.querySelector('[data-partnerkreis]').innerHTML") == ""
    assert watched.errors == []


@pytest.mark.parametrize("kind", ["error", "html", "shape", "truncated", "slow", "nocss"])
def test_broken_or_slow_server_leaves_the_container_empty(
    host_site: HostSite, watched: Watched, kind: str
) -> None:
    base = f"{host_site.base}/broken/{kind}"
    host_site.pages[f"/broken-{kind}"] = host_page(
        f"Kaputt: {kind}",
        f'<script async src="{base}/embed.js"></script><div data-partnerkreis="abc"></div>',
    )
    page = watched.page
    finished: list[str] = []
    page.on("requestfinished", lambda r: finished.append(r.url))
    page.goto(f"{host_site.base}/broken-{kind}")
    blocks = wait_ready(page, timeout=120_000)  # a hang guard, not a verdict on speed
    assert blocks[0]["state"] == "error"
    assert blocks[0]["links"] == []
    assert page.locator("#after").is_visible()
    assert watched.errors == []
    assert any(c.startswith("warning: Partnerkreis:") for c in watched.console)
    if kind == "nocss":  # never shown unstyled, in the host's fonts and colours
        assert "warning: Partnerkreis: no stylesheet JSHandle@node" in watched.console
    if kind == "slow":
        # Gave up on its own (the loader's 3 s), while the server still had not answered.
        assert not any("/w/abc" in url for url in finished)


def test_hostile_member_text_is_shown_as_plain_text(
    demo_server: DemoServer, host_site: HostSite, watched: Watched
) -> None:
    name = '<img src=x onerror="window.__pwned=1">Evil & Co'
    description = "<script>window.__pwned=2</script><b>fett</b>"
    # The demo server is shared by the module's tests: its rules and members are put back.
    before = json.loads(demo_server.cli("rules", "show", WEDDING, "--json"))["rules"]
    try:
        _show_hostile_member(demo_server, host_site, watched, name, description)
    finally:
        rules = demo_server.log.parent / "rules-before.json"
        rules.write_text(json.dumps(before))
        demo_server.cli("rules", "set", WEDDING, str(rules))
        demo_server.cli("member", "remove", "evil-co", "--yes")


def _show_hostile_member(
    demo_server: DemoServer, host_site: HostSite, watched: Watched, name: str, description: str
) -> None:
    demo_server.cli(
        "member",
        "add",
        "evil-co",
        "--name",
        name,
        "--website",
        "https://evil.example",
        "--description",
        description,
        "--theme",
        WEDDING,
    )
    # Show every partner, so the new member is certainly in the block.
    rules = demo_server.log.parent / "all-partners.json"
    rules.write_text('{"partners": {"max": 12}}')
    demo_server.cli("rules", "set", WEDDING, str(rules))
    snippet = demo_server.snippet("fotografie-brandt", WEDDING, "--max-partners", "12")["html"]
    host_site.pages["/hostile"] = host_page("Feindliche Daten", snippet)
    page = watched.page
    page.on("dialog", lambda d: (_ for _ in ()).throw(AssertionError("dialog opened")))
    deadline = time.monotonic() + 120  # a hang guard: the server picks the member up at a poll
    names: list[str] = []
    while time.monotonic() < deadline:
        page.goto(f"{host_site.base}/hostile")
        blocks = wait_ready(page)
        names = [link["name"] for link in blocks[0]["links"]]
        if name in names:
            break
        time.sleep(0.3)
    assert name in names
    link = next(link for link in blocks[0]["links"] if link["name"] == name)
    assert link["desc"] == description
    assert all(src is None or src.startswith(demo_server.base) for src in blocks[0]["imgs"])
    assert page.evaluate("() => window.__pwned") is None
    assert watched.errors == []


def test_dark_colour_scheme_follows_the_visitor(
    demo_server: DemoServer, watched: Watched, screenshot: Callable[[Page, str], None]
) -> None:
    page = watched.page
    page.emulate_media(color_scheme="dark")
    page.goto(f"{demo_server.base}/demo/site/blumenhaus-am-markt")
    wait_ready(page)
    screenshot(page, "demo-site-dark")
    background = page.evaluate(
        "() => getComputedStyle(document.querySelector('[data-partnerkreis]')"
        ".shadowRoot.querySelector('nav')).backgroundColor"
    )
    page.emulate_media(color_scheme="light")
    light = page.evaluate(
        "() => getComputedStyle(document.querySelector('[data-partnerkreis]')"
        ".shadowRoot.querySelector('nav')).backgroundColor"
    )
    assert background != light


def test_keyboard_users_see_where_focus_is(demo_server: DemoServer, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{demo_server.base}/demo/site/blumenhaus-am-markt")
    wait_ready(page)
    page.locator("[data-partnerkreis]").first.locator("a.pk-link").first.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    outline = page.evaluate(
        "() => { const a = document.querySelector('[data-partnerkreis]').shadowRoot"
        ".activeElement; return a ? getComputedStyle(a).outlineStyle : null; }"
    )
    assert outline not in (None, "none")


@pytest.mark.parametrize("name", ["embed.html", "iframe.html"])
def test_shipped_snippets_work_when_filled_in(
    demo_server: DemoServer, host_site: HostSite, watched: Watched, name: str
) -> None:
    token = demo_server.snippet("optik-ehlers", TOWN)["token"]
    template = (Path(__file__).resolve().parents[2] / "snippets" / name).read_text()
    filled = (
        template.replace("{BASE}", demo_server.base)
        .replace("{TOKEN}", token)
        .replace("{THEME}", TOWN)
    )
    host_site.pages[f"/snippet-{name}"] = host_page("Snippet", filled)
    page = watched.page
    page.goto(f"{host_site.base}/snippet-{name}")
    if name == "embed.html":
        blocks = wait_ready(page)
        assert blocks[0]["state"] == "ready"
        assert len(blocks[0]["links"]) == 3
    else:
        frame = page.frame_locator("iframe")
        links = frame.locator("a.pk-link")
        links.first.wait_for()
        assert links.count() == 3
        rels = links.evaluate_all("as => as.map(a => a.rel)")
        assert set(rels) == {"sponsored nofollow noopener"}
    assert watched.errors == []


def test_broken_pasted_code_shows_the_noscript_link_instead_of_nothing(
    demo_server: DemoServer, host_site: HostSite, watched: Watched
) -> None:
    """A token cut off while copying (or empty) makes the server say 404: the block shows
    the snippet's own <noscript> link; a server error or a bare container stays empty."""
    snippet = demo_server.snippet("blumenhaus-am-markt", WEDDING)
    token = snippet["token"]
    cut = snippet["html"].replace(token, token[:-6])
    empty = snippet["html"].replace(token, "")
    bare = f'<div data-partnerkreis="{token[:-6]}"></div>'
    host_site.pages["/cut"] = host_page("Abgeschnitten", cut + empty + bare)
    page = watched.page
    page.goto(f"{host_site.base}/cut")
    wait_ready(page)
    shown = page.evaluate(
        """() => [...document.querySelectorAll('[data-partnerkreis]')].map(box => [
             box.getAttribute('data-partnerkreis-state'),
             box.shadowRoot ? [...box.shadowRoot.querySelectorAll('a')]
               .map(a => [a.href, a.textContent]) : null])"""
    )
    link = [f"{demo_server.base}/t/{WEDDING}", "Unsere Partner zum Thema Hochzeit"]
    assert shown == [["error", [link]], ["error", [link]], ["error", None]]
    # A visitor sees the link and can follow it.
    fallback = page.locator("[data-partnerkreis]").first.get_by_role("link")
    expect(fallback).to_be_visible()
    with page.expect_navigation():
        fallback.click()
    assert page.url == link[0]
    assert watched.errors == []
