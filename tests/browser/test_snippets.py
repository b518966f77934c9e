"""The plain snippets where site builders put them, and every shipped snippet tested.

Each CMS integration is rendered through its real engine where that is
installed and shown in Chromium against a live server:
test_snippets_wordpress.py (the WordPress plugin under php-cli),
test_snippets_static_sites.py (the Hugo partial and shortcode, the Jekyll
include, and the substitute renderers used where those engines are missing),
test_snippets_mkdocs.py (the MkDocs override).  Every block must render in its
shadow root with three partner links, or inside the iframe for the iframe
variants, with no page errors; ``LOADED`` names, for every shipped snippet,
the test that loads its output in the browser.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from tests.browser import snippet_helpers as snippet
from tests.browser.conftest import DemoServer, HostSite, Watched
from tests.browser.hostsite import page as host_page
from tests.browser.snippet_helpers import demo_tokens  # noqa: F401 (the fixture ``tokens``)

pytestmark = pytest.mark.browser

# Every HTML-producing snippet file, and the tests that load its output in the browser.
LOADED = {
    "embed.html": "test_embed.py::test_shipped_snippets_work_when_filled_in, "
    "test_snippets_work_inside_a_site_builders_sandboxed_frame",
    "iframe.html": "test_embed.py::test_shipped_snippets_work_when_filled_in, "
    "test_snippets_work_inside_a_site_builders_sandboxed_frame",
    "wordpress/partnerkreis/partnerkreis.php": (
        "test_snippets_wordpress.py::test_wordpress_shortcode_shows_the_blocks"
    ),
    "hugo/layouts/partials/partnerkreis.html": (
        "test_snippets_static_sites.py::test_hugo_partial_and_shortcode_show_the_blocks"
    ),
    "hugo/layouts/shortcodes/partnerkreis.html": (
        "test_snippets_static_sites.py::test_hugo_partial_and_shortcode_show_the_blocks"
    ),
    "jekyll/_includes/partnerkreis.html": (
        "test_snippets_static_sites.py::test_jekyll_include_shows_the_blocks"
    ),
    "mkdocs/overrides/main.html": (
        "test_snippets_mkdocs.py::test_mkdocs_override_shows_the_block_on_every_page"
    ),
    "mkdocs/overrides/partials/partnerkreis.html": (
        "test_snippets_mkdocs.py::test_mkdocs_override_shows_the_block_on_every_page"
    ),
}


# -- the plain snippets where site builders put them ------------------------------------


@pytest.mark.parametrize("name", ["embed.html", "iframe.html"])
def test_snippets_work_inside_a_site_builders_sandboxed_frame(
    demo_server: DemoServer,
    host_site: HostSite,
    watched: Watched,
    tokens: snippet.Tokens,
    name: str,
) -> None:
    """Wix (and some other builders) show own code in a sandboxed frame of their own."""
    inner = host_page(
        "Eigener Code", snippet.fill(name, demo_server.base, tokens.town, snippet.TOWN)
    )
    sandbox = "allow-scripts allow-popups allow-popups-to-escape-sandbox"
    outer = host_page(
        "Baukasten",
        f'<iframe name="builder" sandbox="{sandbox} allow-top-navigation-by-user-activation"'
        f' srcdoc="{html.escape(inner)}" width="100%" height="420"></iframe>',
    )
    page = snippet.open_page(host_site, watched, f"/builder-{name}", outer)
    frame = page.wait_for_selector("iframe[name=builder]").content_frame()
    assert frame is not None
    if name == "embed.html":
        [block] = snippet.blocks_in(frame)
        snippet.assert_shows_partners(block, demo_server.base)
    else:
        links = (
            page.frame_locator("iframe[name=builder]").frame_locator("iframe").locator("a.pk-link")
        )
        links.first.wait_for()
        assert links.count() == 3
    assert watched.errors == []


# -- nothing shipped goes untested --------------------------------------------------------


def test_every_html_snippet_is_loaded_in_a_browser_test() -> None:
    shipped = {p.relative_to(snippet.SNIPPETS).as_posix() for p in snippet.SNIPPETS.rglob("*.html")}
    shipped.add("wordpress/partnerkreis/partnerkreis.php")
    assert shipped == set(LOADED)
    for tests in LOADED.values():
        for test in tests.split(", "):
            module, _, name = test.rpartition("::")
            source = Path(__file__).with_name(module).read_text() if module else None
            assert name in globals() if source is None else f"def {name}(" in source, test
