"""The WordPress plugin (snippets/wordpress/partnerkreis), rendered by php-cli.

``php`` (Debian's php-cli) runs partnerkreis.php with stand-ins for the
WordPress functions it calls (``wordpress_harness.php``); the page it renders
is served by the second origin and opened in Chromium.  Without php these
tests are skipped on a developer machine and fail in CI.  The plugin in a
real WordPress is tests/browser/test_wordpress.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.browser import snippet_helpers as snippet
from tests.browser.conftest import DemoServer, HostSite, Watched
from tests.browser.hostsite import page as host_page
from tests.browser.snippet_helpers import demo_tokens  # noqa: F401 (the fixture ``tokens``)

pytestmark = pytest.mark.browser

HARNESS = Path(__file__).with_name("wordpress_harness.php")
WP_PLUGIN = snippet.SNIPPETS / "wordpress" / "partnerkreis"
PHP = shutil.which("php")


def wordpress(
    content: str, options: dict[str, str] | None = None, sanitize: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A page view of ``content`` and a visit to Settings → General, run by php-cli."""
    if PHP is None:
        snippet.missing_engine("php-cli is not installed (apt-get install php-cli)")
    done = subprocess.run(
        [PHP, "-d", "display_errors=stderr", "-d", "error_reporting=-1", str(HARNESS)],
        input=json.dumps({"content": content, "options": options or {}, "sanitize": sanitize}),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr + done.stdout
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_wordpress_shortcode_shows_the_blocks(
    demo_server: DemoServer, host_site: HostSite, watched: Watched, tokens: snippet.Tokens
) -> None:
    base = demo_server.base
    content = (
        "<p>Willkommen!</p>\n"
        f'[partnerkreis token="{tokens.town}" theme="{snippet.TOWN}"]\n'
        f"<p>Noch ein Block:</p>\n[partnerkreis token='{tokens.wedding}' server=\"{base}\""
        ' LANG="en" layout="list" color_scheme="dark"]'
    )
    out = wordpress(content, {"partnerkreis_server": f"{base}/"})
    rendered = out["html"]
    # The loader is enqueued once, async, without a version query.
    assert re.findall(r"<script[^>]*>", rendered) == [
        f'<script src="{base}/embed.js" id="partnerkreis-js" async data-wp-strategy="async">'
    ]
    assert out["scripts"]["partnerkreis"][1] == {"strategy": "async", "in_footer": True}
    assert f'<div data-partnerkreis="{tokens.town}"></div>' in rendered
    assert f'<noscript><a href="{base}/t/{snippet.TOWN}">Unsere Partner</a></noscript>' in rendered
    assert (
        f'<div data-partnerkreis="{tokens.wedding}" data-lang="en" data-layout="list"'
        ' data-color-scheme="dark"></div>'
    ) in rendered
    assert f'<a href="{base}/?lang=en">Our partners</a>' in rendered

    page = snippet.open_page(host_site, watched, "/wordpress", host_page("WordPress", rendered))
    town, wedding = snippet.blocks_in(page)
    snippet.assert_shows_partners(town, base)
    snippet.assert_shows_partners(wedding, base)
    assert town["heading"] == "Unsere Partner aus Heide Innenstadt"
    assert wedding["heading"].startswith("Our partners")
    assert "pk-list" in wedding["classes"] and "pk-scheme-dark" in wedding["classes"]
    assert watched.errors == []


def test_wordpress_shortcode_escapes_and_validates_its_input() -> None:
    nothing = "<!-- Partnerkreis: token or server missing or invalid -->"
    # Without a usable token but with a server, the link visitors without JavaScript get.
    link = '<p class="partnerkreis-fallback"><a href="https://p.example/">Unsere Partner</a></p>'
    hostile = {
        '[partnerkreis token="abc" server="javascript:alert(1)"]': nothing,
        '[partnerkreis token=\'x" onmouseover="alert(1)\' server="https://p.example"]': link,
        '[partnerkreis token="" server="https://p.example"]': link,
        '[partnerkreis token="ab c" server="https://p.example"]': link,
        '[partnerkreis token="abc"]': nothing,  # no server attribute and no setting
    }
    for shortcode, shown in hostile.items():
        out = wordpress(shortcode)
        assert out["html"].strip() == shown, shortcode
        assert out["scripts"] == []  # nothing enqueued for a block that is not shown

    out = wordpress(
        '[partnerkreis token="abc" theme="../x" lang="<b>" layout="LIST" color_scheme="neon"]',
        {"partnerkreis_server": 'https://p.example/"><script>alert(1)</script>'},
        sanitize=(
            " https://p.example/pk/ ",
            "p.example:8080",
            "javascript:alert(1)",
            "ftp://p.example",
            "https://p.example/?a=1",
        ),
    )
    # The setting is unusable as a URL, so no block; the settings field escapes it.
    assert out["html"].strip() == nothing
    assert "<script>" not in out["field"]
    assert 'value="https://p.example/&quot;&gt;&lt;script&gt;' in out["field"]
    assert out["settings"] == [
        {
            "group": "partnerkreis",
            "name": "partnerkreis_server",
            "type": "string",
            "sanitize": "partnerkreis_sanitize_server",
        }
    ]
    assert out["sanitized"] == ["https://p.example/pk", "https://p.example:8080", "", "", ""]

    out = wordpress(
        '[partnerkreis token="abc" theme="../x" lang="<b>" layout="LIST" color_scheme="neon"]',
        {"partnerkreis_server": "https://p.example"},
    )
    assert out["html"].startswith(
        '<div data-partnerkreis="abc" data-layout="list"></div>'
        '<noscript><a href="https://p.example/">Unsere Partner</a></noscript>'
    )


def test_wordpress_shortcode_passes_on_the_joint_slot() -> None:
    """``show`` (or a pasted code's data-show) reaches the container as data-show, with only
    the values the server knows; nothing asked for leaves no attribute."""
    server = {"partnerkreis_server": "https://p.example"}
    cases = {
        '[partnerkreis token="abc" show="Offer, partners ,<b>"]': ' data-show="partners,offer"',
        '[partnerkreis token="abc" show="event,offer"]': ' data-show="offer,event"',
        '[partnerkreis token="abc" show="partners"]': "",
        '[partnerkreis token="abc" show="" onclick="x"]': "",
    }
    for shortcode, attribute in cases.items():
        html = wordpress(shortcode, server)["html"]
        assert html.startswith(f'<div data-partnerkreis="abc"{attribute}></div>'), shortcode
    pasted = '<div data-partnerkreis="MQ.abc" data-show="partners,offer"></div>'
    html = wordpress(f"[partnerkreis code='{pasted}']", server)["html"]
    assert html.startswith('<div data-partnerkreis="MQ.abc" data-show="partners,offer"></div>')


def test_wordpress_shortcode_reads_pasted_code_and_distrusts_it() -> None:
    """The whole embed code where the token belongs: token, server and theme come from it;
    markup smuggled into it never reaches the page."""
    pasted = (
        '<script async src="https://p.example/embed.js"></script>'
        ' <div data-partnerkreis="MQ.abc-_9" data-layout="list"></div>'
        ' <noscript><a href="https://p.example/t/hochzeit-heide">Unsere Partner</a></noscript>'
    )
    out = wordpress(f"[partnerkreis code='{pasted}']")
    assert out["html"].startswith(
        '<div data-partnerkreis="MQ.abc-_9" data-layout="list"></div>'
        '<noscript><a href="https://p.example/t/hochzeit-heide">Unsere Partner</a></noscript>'
    )
    assert out["scripts"]["partnerkreis"][0] == "https://p.example/embed.js"
    hostile = (
        '<script src="javascript:alert(1)//embed.js"></script>'
        '<div data-partnerkreis="x onmouseover=alert(1)"></div>'
        '<noscript><a href="https://p.example/t/../../x">x</a></noscript>'
    )
    out = wordpress(
        f"[partnerkreis code='{hostile}']", {"partnerkreis_server": "https://p.example"}
    )
    # No usable token: the plain link to the server's start page, nothing of the input.
    assert out["html"].strip() == (
        '<p class="partnerkreis-fallback"><a href="https://p.example/">Unsere Partner</a></p>'
    )
    assert out["scripts"] == []


def test_wordpress_plugin_is_a_well_formed_plugin() -> None:
    source = (WP_PLUGIN / "partnerkreis.php").read_text()
    header = dict(re.findall(r"^ \* ([A-Z][\w ]+?):\s+(.+)$", source, re.M))
    assert header["Plugin Name"] == "Partnerkreis"
    assert header["License"] == "GPL-2.0-or-later"
    # Debian's wordpress package, which test_wordpress.py installs the plugin into.
    assert header["Requires at least"] == "6.1"
    readme = (WP_PLUGIN / "readme.txt").read_text()
    assert f"Requires at least: {header['Requires at least']}\n" in readme
    assert "defined( 'ABSPATH' ) || exit;" in source
    assert "defined( 'WP_UNINSTALL_PLUGIN' ) || exit;" in (WP_PLUGIN / "uninstall.php").read_text()
    assert readme.startswith("=== Partnerkreis ===\n")
    assert f"Stable tag: {header['Version']}\n" in readme
    assert "License: GPLv2 or later" in readme
    for section in ("Description", "Installation", "Frequently Asked Questions", "Changelog"):
        assert f"== {section} ==" in readme
    block = json.loads((WP_PLUGIN / "block.json").read_text())
    assert block["name"] == "partnerkreis/partners" and block["version"] == header["Version"]
    assert block["editorScript"] == "file:./editor.js" and (WP_PLUGIN / "editor.asset.php").exists()
    if PHP is not None:
        for path in sorted(WP_PLUGIN.rglob("*.php")):
            snippet.run(PHP, "-l", str(path))
