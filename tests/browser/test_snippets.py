"""Every shipped snippet and CMS integration, rendered and shown in Chromium against a live server.

Each integration is rendered through its real engine where that is installed:

- WordPress plugin: ``php`` (Debian's php-cli) runs partnerkreis.php with stand-ins for
  the WordPress functions it calls (``wordpress_harness.php``); skipped without php.
- Hugo partial and shortcode: ``hugo`` (Debian's package) builds a small site.
- Jekyll include: ``jekyll`` (Debian's package) builds a small site.
- MkDocs override: ``mkdocs build`` with the Material theme (``mkdocs-material`` from PyPI).

Without hugo or jekyll, a substitute renderer replaces each template expression, exactly as
written in the snippet, by its value; ``test_substitute_renderers_cover_every_expression``
proves no expression is left out, and, where the engine is installed,
``test_substitute_renderers_match_the_real_engines`` proves they agree with it. Without
mkdocs-material, the override is rendered by Jinja2 (MkDocs' engine) over a stand-in
``base.html`` that has only the two blocks the override fills.

The rendered page is then served by the second origin (``host_site``) and opened in
Chromium: every block must render in its shadow root with three partner links, or inside
the iframe for the iframe variants, with no page errors.
"""

from __future__ import annotations

import html
import importlib.util
import json
import mimetypes
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pytest
from playwright.sync_api import Frame, Page

from tests.browser.conftest import DemoServer, HostSite, Watched
from tests.browser.hostsite import page as host_page


def missing_engine(reason: str) -> None:
    """Skip on a developer machine without the engine; in CI (which installs them) fail."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: scripts/test installs it, so this run is broken")
    pytest.skip(reason)


pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "snippets"
HARNESS = Path(__file__).with_name("wordpress_harness.php")
WP_PLUGIN = SNIPPETS / "wordpress" / "partnerkreis"
HUGO_PARTIAL = SNIPPETS / "hugo" / "layouts" / "partials" / "partnerkreis.html"
HUGO_SHORTCODE = SNIPPETS / "hugo" / "layouts" / "shortcodes" / "partnerkreis.html"
JEKYLL_INCLUDE = SNIPPETS / "jekyll" / "_includes" / "partnerkreis.html"
MKDOCS_OVERRIDES = SNIPPETS / "mkdocs" / "overrides"

TOWN = "heide-innenstadt"
WEDDING = "hochzeit-heide"

PHP = shutil.which("php")
HUGO = shutil.which("hugo")
JEKYLL = shutil.which("jekyll")
MKDOCS_MATERIAL = (
    importlib.util.find_spec("mkdocs") is not None
    and importlib.util.find_spec("material") is not None
)

# Every HTML-producing snippet file, and the tests that load its output in the browser.
LOADED = {
    "embed.html": "test_embed.py::test_shipped_snippets_work_when_filled_in, "
    "test_snippets_work_inside_a_site_builders_sandboxed_frame",
    "iframe.html": "test_embed.py::test_shipped_snippets_work_when_filled_in, "
    "test_snippets_work_inside_a_site_builders_sandboxed_frame",
    "wordpress/partnerkreis/partnerkreis.php": "test_wordpress_shortcode_shows_the_blocks",
    "hugo/layouts/partials/partnerkreis.html": "test_hugo_partial_and_shortcode_show_the_blocks",
    "hugo/layouts/shortcodes/partnerkreis.html": "test_hugo_partial_and_shortcode_show_the_blocks",
    "jekyll/_includes/partnerkreis.html": "test_jekyll_include_shows_the_blocks",
    "mkdocs/overrides/main.html": "test_mkdocs_override_shows_the_block_on_every_page",
    "mkdocs/overrides/partials/partnerkreis.html": (
        "test_mkdocs_override_shows_the_block_on_every_page"
    ),
}

# What every rendered block looks like to the test: state, heading and partner links.
READ_BLOCKS = """() => [...document.querySelectorAll('[data-partnerkreis]')].map(box => {
  const nav = box.shadowRoot && box.shadowRoot.querySelector('nav');
  return {
    token: box.getAttribute('data-partnerkreis'),
    state: box.getAttribute('data-partnerkreis-state'),
    heading: nav ? nav.querySelector('h2').textContent : null,
    classes: nav ? nav.className : '',
    links: nav ? [...nav.querySelectorAll('a.pk-link')].map(a => a.href) : [],
  };
})"""


@dataclass(frozen=True)
class Tokens:
    town: str  # optik-ehlers in Heide Innenstadt
    wedding: str  # blumenhaus-am-markt in the wedding cluster


@pytest.fixture(scope="module")
def tokens(demo_server: DemoServer) -> Tokens:
    return Tokens(
        town=demo_server.snippet("optik-ehlers", TOWN)["token"],
        wedding=demo_server.snippet("blumenhaus-am-markt", WEDDING)["token"],
    )


def blocks_in(target: Page | Frame) -> list[dict[str, Any]]:
    """Waits until the loader has finished with every container, then reads them."""
    target.wait_for_function(
        "() => window.Partnerkreis && window.Partnerkreis.ready", timeout=10_000
    )
    target.evaluate("() => window.Partnerkreis.ready")
    blocks: list[dict[str, Any]] = target.evaluate(READ_BLOCKS)
    return blocks


def assert_shows_partners(block: dict[str, Any], base: str) -> None:
    assert block["state"] == "ready", block
    assert len(block["links"]) == 3, block
    assert all(href.startswith(f"{base}/c/") for href in block["links"]), block


def open_page(host_site: HostSite, watched: Watched, path: str, document: str) -> Page:
    host_site.pages[path] = document
    watched.page.goto(host_site.base + path)
    return watched.page


def fill(name: str, base: str, token: str, theme: str) -> str:
    template = (SNIPPETS / name).read_text()
    return template.replace("{BASE}", base).replace("{TOKEN}", token).replace("{THEME}", theme)


def run(*command: str, cwd: Path | None = None, **env: str) -> str:
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# -- the plain snippets where site builders put them ------------------------------------


@pytest.mark.parametrize("name", ["embed.html", "iframe.html"])
def test_snippets_work_inside_a_site_builders_sandboxed_frame(
    demo_server: DemoServer, host_site: HostSite, watched: Watched, tokens: Tokens, name: str
) -> None:
    """Wix (and some other builders) show own code in a sandboxed frame of their own."""
    inner = host_page("Eigener Code", fill(name, demo_server.base, tokens.town, TOWN))
    sandbox = "allow-scripts allow-popups allow-popups-to-escape-sandbox"
    outer = host_page(
        "Baukasten",
        f'<iframe name="builder" sandbox="{sandbox} allow-top-navigation-by-user-activation"'
        f' srcdoc="{html.escape(inner)}" width="100%" height="420"></iframe>',
    )
    page = open_page(host_site, watched, f"/builder-{name}", outer)
    frame = page.wait_for_selector("iframe[name=builder]").content_frame()
    assert frame is not None
    if name == "embed.html":
        [block] = blocks_in(frame)
        assert_shows_partners(block, demo_server.base)
    else:
        links = (
            page.frame_locator("iframe[name=builder]").frame_locator("iframe").locator("a.pk-link")
        )
        links.first.wait_for()
        assert links.count() == 3
    assert watched.errors == []


# -- WordPress ----------------------------------------------------------------------------


def wordpress(
    content: str, options: dict[str, str] | None = None, sanitize: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A page view of ``content`` and a visit to Settings → General, run by php-cli."""
    if PHP is None:
        missing_engine("php-cli is not installed (apt-get install php-cli)")
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
    demo_server: DemoServer, host_site: HostSite, watched: Watched, tokens: Tokens
) -> None:
    base = demo_server.base
    content = (
        "<p>Willkommen!</p>\n"
        f'[partnerkreis token="{tokens.town}" theme="{TOWN}"]\n'
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
    assert f'<noscript><a href="{base}/t/{TOWN}">Unsere Partner</a></noscript>' in rendered
    assert (
        f'<div data-partnerkreis="{tokens.wedding}" data-lang="en" data-layout="list"'
        ' data-color-scheme="dark"></div>'
    ) in rendered
    assert f'<a href="{base}/?lang=en">Our partners</a>' in rendered

    page = open_page(host_site, watched, "/wordpress", host_page("WordPress", rendered))
    town, wedding = blocks_in(page)
    assert_shows_partners(town, base)
    assert_shows_partners(wedding, base)
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
            run(PHP, "-l", str(path))


# -- substitute renderers for Hugo and Jekyll, used where the engine is not installed ------

# Values the substitute renderers may put into URLs unescaped: the engines would leave
# them unchanged too (tokens are URL-safe, the server is http://127.0.0.1:PORT).
PLAIN = re.compile(r"[A-Za-z0-9._:/-]*")
OPTIONS = ("token", "server", "theme", "lang", "layout", "color_scheme")


def resolve(call: dict[str, str], site: dict[str, str]) -> dict[str, str]:
    """Each option from the call, else from the site's settings, else ''; no trailing slash."""
    values = {key: call.get(key) or site.get(key) or "" for key in OPTIONS}
    values["server"] = values["server"].removesuffix("/")
    assert values["token"] and values["server"], "the substitute renders only a complete call"
    for key in ("server", "theme", "token"):
        assert PLAIN.fullmatch(values[key]), f"{key}={values[key]!r} needs real escaping"
    return values


def escaper(table: dict[str, str]) -> Callable[[str], str]:
    base = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;"}
    return lambda value: "".join((base | table).get(c, c) for c in value)


# Go's html/template in a quoted attribute value, and Liquid's escape filter (CGI.escapeHTML).
go_escape = escaper({'"': "&#34;", "+": "&#43;"})
liquid_escape = escaper({'"': "&quot;"})

HUGO_COMMENT = re.compile(r"\s*\{\{- /\*.*?\*/ -\}\}\s*", re.S)


def hugo_partial_units(v: dict[str, str]) -> dict[str, str]:
    """Every expression of the Hugo partial, exactly as written, and what Hugo makes of it."""
    lang, en = v["lang"], v["lang"] == "en"
    return {
        "{{- $cfg := site.Params.partnerkreis | default dict -}}": "",
        '{{- $token := .token | default $cfg.token | default "" -}}': "",
        '{{- $server := strings.TrimSuffix "/" (.server | default $cfg.server | default "") -}}': (
            ""
        ),
        '{{- $theme := .theme | default $cfg.theme | default "" -}}': "",
        '{{- $lang := .lang | default $cfg.lang | default "" -}}': "",
        '{{- $layout := .layout | default $cfg.layout | default "" -}}': "",
        '{{- $scheme := .color_scheme | default $cfg.color_scheme | default "" -}}': "",
        '{{- if not $token }}{{ errorf "partnerkreis: no token (pass \\"token\\" or set'
        ' params.partnerkreis.token)" }}{{ end -}}': "",
        '{{- if not $server }}{{ errorf "partnerkreis: no server (pass \\"server\\" or set'
        ' params.partnerkreis.server)" }}{{ end -}}': "",
        "{{ $server }}": v["server"],
        "{{ $token }}": go_escape(v["token"]),
        '{{ with $lang }} data-lang="{{ . }}"{{ end }}': (
            f' data-lang="{go_escape(lang)}"' if lang else ""
        ),
        '{{ with $layout }} data-layout="{{ . }}"{{ end }}': (
            f' data-layout="{go_escape(v["layout"])}"' if v["layout"] else ""
        ),
        '{{ with $scheme }} data-color-scheme="{{ . }}"{{ end }}': (
            f' data-color-scheme="{go_escape(v["color_scheme"])}"' if v["color_scheme"] else ""
        ),
        "{{ with $theme }}t/{{ . }}{{ end }}": f"t/{v['theme']}" if v["theme"] else "",
        '{{ if eq $lang "en" }}?lang=en{{ end }}': "?lang=en" if en else "",
        '{{ if eq $lang "en" }}Our partners{{ else }}Unsere Partner{{ end }}': (
            "Our partners" if en else "Unsere Partner"
        ),
    }


HUGO_SHORTCODE_UNIT = (
    '{{- partial "partnerkreis.html" (dict "token" (.Get "token") "server" (.Get "server")'
    ' "theme" (.Get "theme") "lang" (.Get "lang") "layout" (.Get "layout")'
    ' "color_scheme" (.Get "color_scheme")) -}}'
)

JEKYLL_COMMENT = re.compile(r"\s*\{%- comment -%\}.*?\{%- endcomment -%\}\s*", re.S)


def jekyll_include_units(v: dict[str, str]) -> dict[str, str]:
    """Every expression of the Jekyll include, exactly as written, and what Liquid makes of it."""
    lang, en = v["lang"], v["lang"] == "en"
    return {
        "{%- assign pk_token = include.token | default: site.partnerkreis.token -%}": "",
        '{%- assign pk_server = include.server | default: site.partnerkreis.server | append: "#"'
        ' | replace: "/#", "" | remove: "#" -%}': "",
        "{%- assign pk_theme = include.theme | default: site.partnerkreis.theme -%}": "",
        "{%- assign pk_lang = include.lang | default: site.partnerkreis.lang -%}": "",
        "{%- assign pk_layout = include.layout | default: site.partnerkreis.layout -%}": "",
        "{%- assign pk_scheme = include.color_scheme | default: site.partnerkreis.color_scheme"
        " -%}": "",
        '{%- if pk_token and pk_token != "" and pk_server != "" %}': "",
        "{{ pk_server | escape }}": liquid_escape(v["server"]),
        "{{ pk_token | escape }}": liquid_escape(v["token"]),
        '{% if pk_lang %} data-lang="{{ pk_lang | escape }}"{% endif %}': (
            f' data-lang="{liquid_escape(lang)}"' if lang else ""
        ),
        '{% if pk_layout %} data-layout="{{ pk_layout | escape }}"{% endif %}': (
            f' data-layout="{liquid_escape(v["layout"])}"' if v["layout"] else ""
        ),
        '{% if pk_scheme %} data-color-scheme="{{ pk_scheme | escape }}"{% endif %}': (
            f' data-color-scheme="{liquid_escape(v["color_scheme"])}"' if v["color_scheme"] else ""
        ),
        "{% if pk_theme %}t/{{ pk_theme | escape }}{% endif %}": (
            f"t/{liquid_escape(v['theme'])}" if v["theme"] else ""
        ),
        '{% if pk_lang == "en" %}?lang=en{% endif %}': "?lang=en" if en else "",
        '{% if pk_lang == "en" %}Our partners{% else %}Unsere Partner{% endif %}': (
            "Our partners" if en else "Unsere Partner"
        ),
        "{%- else %}\n<!-- Partnerkreis: no token or server (include parameters, or"
        ' "partnerkreis:" in _config.yml) -->\n{%- endif %}': "",
    }


def substitute(template: str, comment: re.Pattern[str], units: dict[str, str]) -> str:
    """Replaces each unit by its value, honouring ``{{-``/``{%-`` and ``-}}``/``-%}`` trimming."""
    out = comment.sub("", template)
    for unit, value in units.items():
        pattern = re.escape(unit)
        if unit.startswith(("{{-", "{%-")):
            pattern = r"\s*" + pattern
        if unit.endswith(("-}}", "-%}")):
            pattern += r"\s*"
        out, count = re.subn(pattern, lambda _, value=value: value, out)
        assert count >= 1, f"not in the template: {unit}"
    assert "{{" not in out and "{%" not in out, f"expression left unrendered in:\n{out}"
    return out


def hugo_partial(call: dict[str, str], site: dict[str, str]) -> str:
    units = hugo_partial_units(resolve(call, site))
    return substitute(HUGO_PARTIAL.read_text(), HUGO_COMMENT, units)


def hugo_shortcode(call: dict[str, str], site: dict[str, str]) -> str:
    rendered = hugo_partial(call, site)
    return substitute(HUGO_SHORTCODE.read_text(), HUGO_COMMENT, {HUGO_SHORTCODE_UNIT: rendered})


def jekyll_include(call: dict[str, str], site: dict[str, str]) -> str:
    units = jekyll_include_units(resolve(call, site))
    return substitute(JEKYLL_INCLUDE.read_text(), JEKYLL_COMMENT, units)


def test_substitute_renderers_cover_every_expression() -> None:
    """Removing the known expressions and comments leaves no template syntax behind."""
    complete = {"token": "T", "server": "http://s/", "lang": "en"}
    for path, comment, units in (
        (HUGO_PARTIAL, HUGO_COMMENT, hugo_partial_units(resolve(complete, {}))),
        (HUGO_SHORTCODE, HUGO_COMMENT, {HUGO_SHORTCODE_UNIT: ""}),
        (JEKYLL_INCLUDE, JEKYLL_COMMENT, jekyll_include_units(resolve(complete, {}))),
    ):
        text = comment.sub("", path.read_text())
        for unit in units:
            assert unit in text, f"{path.name}: not in the template: {unit}"
            text = text.replace(unit, "")
        assert "{{" not in text and "{%" not in text and "}}" not in text and "%}" not in text, (
            f"{path}: expressions the substitute renderer does not know:\n{text}"
        )


def raw_calls(tokens: Tokens) -> dict[str, dict[str, str]]:
    """Calls rendered alone, to compare an engine with its substitute: every option, none."""
    return {
        "raw-en": {
            "token": tokens.town,
            "lang": "en",
            "layout": "compact",
            "color_scheme": "light",
        },
        "raw-de": {"token": tokens.wedding},
    }


# -- Hugo ---------------------------------------------------------------------------------

HUGO_PAGE = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Hugo</title>
</head><body><main>{content}</main><footer>{footer}</footer>
<p id="after">Rest der Seite</p></body></html>
"""


def hugo_site(tmp_path: Path, base: str, tokens: Tokens) -> dict[str, str]:
    """ "page": the shortcode in Markdown and the partial in the layout's footer; and each of
    raw_calls(), the partial alone (for comparing with the substitute renderer)."""
    site = {"server": f"{base}/", "theme": TOWN}
    content_call = {"token": tokens.town, "color_scheme": "dark"}
    footer_call = {"token": tokens.wedding, "theme": WEDDING, "lang": "en", "layout": "list"}
    if HUGO is None:
        page = HUGO_PAGE.format(
            content="<p>Hallo Hugo</p>\n" + hugo_shortcode(content_call, site),
            footer=hugo_partial(footer_call, site),
        )
        raw = {name: hugo_partial(c, site) for name, c in raw_calls(tokens).items()}
        return {"page": page} | raw
    src = tmp_path / "hugo"
    (src / "layouts" / "_default").mkdir(parents=True)
    (src / "content").mkdir()
    (src / "hugo.toml").write_text(
        'baseURL = "http://example.invalid/"\n'
        'disableKinds = ["home", "section", "taxonomy", "term", "RSS", "sitemap", "robotsTXT",'
        ' "404"]\n'
        "[params.partnerkreis]\n" + "".join(f'{k} = "{v}"\n' for k, v in site.items())
    )

    def call(values: dict[str, str]) -> str:
        return "(dict " + " ".join(f'"{k}" "{v}"' for k, v in values.items()) + ")"

    footer = '{{ partial "partnerkreis.html" ' + call(footer_call) + " }}"
    (src / "layouts" / "_default" / "single.html").write_text(
        HUGO_PAGE.format(content="{{ .Content }}", footer=footer)
    )
    for name, values in raw_calls(tokens).items():
        (src / "layouts" / "_default" / f"{name}.html").write_text(
            '{{ partial "partnerkreis.html" ' + call(values) + " }}"
        )
        (src / "content" / f"{name}.md").write_text(f"---\ntitle: {name}\nlayout: {name}\n---\n")
    args = " ".join(f'{k}="{v}"' for k, v in content_call.items())
    (src / "content" / "page.md").write_text(
        f"---\ntitle: Seite\n---\nHallo Hugo\n\n{{{{< partnerkreis {args} >}}}}\n"
    )
    run(HUGO, "--quiet", "--themesDir", str(SNIPPETS), "--theme", "hugo", "-s", str(src))
    public = src / "public"
    names = ["page", *raw_calls(tokens)]
    return {name: (public / name / "index.html").read_text() for name in names}


def test_hugo_partial_and_shortcode_show_the_blocks(
    demo_server: DemoServer,
    host_site: HostSite,
    watched: Watched,
    tokens: Tokens,
    tmp_path: Path,
) -> None:
    base = demo_server.base
    built = hugo_site(tmp_path, base, tokens)
    document = built["page"]
    # The site parameter's trailing slash is gone, the site's theme is the noscript target.
    assert f'<script async src="{base}/embed.js"></script>' in document
    assert f'<div data-partnerkreis="{tokens.town}" data-color-scheme="dark"></div>' in document
    assert f'<a href="{base}/t/{TOWN}">Unsere Partner</a>' in document
    assert f'<a href="{base}/t/{WEDDING}?lang=en">Our partners</a>' in document

    page = open_page(host_site, watched, "/hugo/page/", document)
    town, wedding = blocks_in(page)
    assert_shows_partners(town, base)
    assert_shows_partners(wedding, base)
    assert "pk-scheme-dark" in town["classes"]
    assert wedding["heading"].startswith("Our partners") and "pk-list" in wedding["classes"]
    assert watched.errors == []


def test_hugo_partial_stops_the_build_without_a_token(tmp_path: Path) -> None:
    if HUGO is None:
        missing_engine("hugo is not installed (apt-get install hugo)")
    src = tmp_path / "hugo"
    (src / "layouts" / "_default").mkdir(parents=True)
    (src / "content").mkdir()
    (src / "hugo.toml").write_text('disableKinds = ["home", "section", "taxonomy", "term"]\n')
    (src / "layouts" / "_default" / "single.html").write_text(
        '{{ partial "partnerkreis.html" (dict "server" "https://p.example") }}'
    )
    (src / "content" / "page.md").write_text("---\ntitle: Seite\n---\n")
    done = subprocess.run(
        [HUGO, "--themesDir", str(SNIPPETS), "--theme", "hugo", "-s", str(src)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode != 0
    assert "partnerkreis: no token" in done.stdout + done.stderr


# -- Jekyll -------------------------------------------------------------------------------

JEKYLL_LAYOUT = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Jekyll</title>
</head><body><main>{content}</main><footer>{footer}</footer>
<p id="after">Rest der Seite</p></body></html>
"""


def jekyll_site(tmp_path: Path, base: str, tokens: Tokens) -> dict[str, str]:
    """ "page": the include in Markdown and in the layout's footer; and each of raw_calls(),
    the include alone (for comparing with the substitute renderer)."""
    site = {"server": f"{base}/", "theme": TOWN}
    content_call = {"token": tokens.town, "color_scheme": "dark"}
    footer_call = {"token": tokens.wedding, "theme": WEDDING, "lang": "en", "layout": "list"}
    if JEKYLL is None:
        page = JEKYLL_LAYOUT.format(
            content="<p>Hallo Jekyll</p>\n" + jekyll_include(content_call, site),
            footer=jekyll_include(footer_call, site),
        )
        raw = {name: jekyll_include(c, site) for name, c in raw_calls(tokens).items()}
        return {"page": page} | raw
    src = tmp_path / "jekyll"
    (src / "_layouts").mkdir(parents=True)
    (src / "_includes").mkdir()
    # Jekyll reads includes only from inside the site: a copy, as a user would make.
    shutil.copy(JEKYLL_INCLUDE, src / "_includes" / "partnerkreis.html")
    (src / "_config.yml").write_text(
        "partnerkreis:\n" + "".join(f"  {k}: {v}\n" for k, v in site.items())
    )

    def include(values: dict[str, str]) -> str:
        args = " ".join(f'{k}="{v}"' for k, v in values.items())
        return "{% include partnerkreis.html " + args + " %}"

    (src / "_layouts" / "default.html").write_text(
        JEKYLL_LAYOUT.format(content="{{ content }}", footer=include(footer_call))
    )
    (src / "page.md").write_text(
        f"---\nlayout: default\n---\nHallo Jekyll\n\n{include(content_call)}\n"
    )
    for name, values in raw_calls(tokens).items():
        (src / f"{name}.html").write_text(f"---\nlayout: null\n---\n{include(values)}")
    run(JEKYLL, "build", "--quiet", "-s", str(src), "-d", str(src / "_site"))
    names = ["page", *raw_calls(tokens)]
    return {name: (src / "_site" / f"{name}.html").read_text() for name in names}


def test_jekyll_include_shows_the_blocks(
    demo_server: DemoServer,
    host_site: HostSite,
    watched: Watched,
    tokens: Tokens,
    tmp_path: Path,
) -> None:
    base = demo_server.base
    document = jekyll_site(tmp_path, base, tokens)["page"]
    assert f'src="{base}/embed.js"></script>' in document
    assert f'<div data-partnerkreis="{tokens.town}" data-color-scheme="dark"></div>' in document
    assert f'<a href="{base}/t/{TOWN}">Unsere Partner</a>' in document
    assert f'<a href="{base}/t/{WEDDING}?lang=en">Our partners</a>' in document

    page = open_page(host_site, watched, "/jekyll/page.html", document)
    town, wedding = blocks_in(page)
    assert_shows_partners(town, base)
    assert_shows_partners(wedding, base)
    assert "pk-scheme-dark" in town["classes"]
    assert wedding["heading"].startswith("Our partners") and "pk-list" in wedding["classes"]
    assert watched.errors == []


def test_jekyll_include_without_a_token_prints_only_a_comment(tmp_path: Path) -> None:
    if JEKYLL is None:
        missing_engine("jekyll is not installed (apt-get install jekyll)")
    src = tmp_path / "jekyll"
    (src / "_includes").mkdir(parents=True)
    shutil.copy(JEKYLL_INCLUDE, src / "_includes" / "partnerkreis.html")
    (src / "_config.yml").write_text("partnerkreis:\n  server: https://p.example\n")
    (src / "raw.html").write_text("---\nlayout: null\n---\n{% include partnerkreis.html %}")
    run(JEKYLL, "build", "--quiet", "-s", str(src), "-d", str(src / "_site"))
    out = (src / "_site" / "raw.html").read_text().strip()
    assert out.startswith("<!-- Partnerkreis: no token or server") and out.endswith("-->")


# -- the substitutes agree with the engines -----------------------------------------------


def test_substitute_renderers_match_the_real_engines(tmp_path: Path) -> None:
    """Where hugo or jekyll is installed, its output equals the substitute renderer's."""
    if HUGO is None and JEKYLL is None:
        missing_engine("neither hugo nor jekyll is installed")
    tokens = Tokens(town="MQ.abc-DEF_1", wedding="Mg.xyz")
    base = "http://127.0.0.1:9"
    site = {"server": f"{base}/", "theme": TOWN}
    hugo = hugo_site(tmp_path, base, tokens) if HUGO is not None else {}
    jekyll = jekyll_site(tmp_path, base, tokens) if JEKYLL is not None else {}
    for name, call in raw_calls(tokens).items():
        if hugo:
            assert hugo[name] == hugo_partial(call, site), name
        if jekyll:
            assert jekyll[name] == jekyll_include(call, site), name


# -- MkDocs (Material) --------------------------------------------------------------------

MKDOCS_BASE_STANDIN = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>MkDocs</title></head><body><article>{% block content %}{% endblock %}</article>
{% block scripts %}{% endblock %}</body></html>
"""


def mkdocs_site(
    tmp_path: Path,
    site_url: str,
    base: str,
    token: str,
    pages: dict[str, tuple[dict[str, Any], str]],
) -> dict[str, str]:
    """Builds ``pages`` (name -> (front matter, Markdown)) with ``extra.partnerkreis`` set to
    ``base`` and ``token``; returns every text file of the site by its path."""
    extra = {"partnerkreis": {"server": f"{base}/", "token": token, "theme": TOWN}}
    if not MKDOCS_MATERIAL:
        env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.FileSystemLoader(MKDOCS_OVERRIDES),
                    jinja2.DictLoader({"base.html": MKDOCS_BASE_STANDIN}),
                ]
            ),
            autoescape=False,  # as MkDocs configures it
        )
        main = env.get_template("main.html")
        return {
            f"{name}.html": main.render(config={"extra": extra}, page={"meta": meta})
            for name, (meta, _) in pages.items()
        }
    src = tmp_path / "mkdocs"
    (src / "docs").mkdir(parents=True)
    config = {
        "site_name": "Partnerkreis-Test",
        "site_url": site_url,  # Material's instant navigation needs the real one
        "use_directory_urls": False,
        "theme": {
            "name": "material",
            "custom_dir": str(MKDOCS_OVERRIDES),
            "font": False,
            "features": ["navigation.instant"],
        },
        "extra": extra,
    }
    (src / "mkdocs.yml").write_text(json.dumps(config))  # JSON is YAML
    for name, (meta, markdown) in pages.items():
        front = f"---\n{json.dumps(meta)}\n---\n" if meta else ""
        (src / "docs" / f"{name}.md").write_text(front + markdown)
    run(
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--quiet",
        "-f",
        str(src / "mkdocs.yml"),
        "-d",
        str(src / "site"),
        NO_MKDOCS_2_WARNING="1",
    )
    files = {}
    for path in (src / "site").rglob("*"):
        if path.is_file():
            try:
                files[path.relative_to(src / "site").as_posix()] = path.read_text()
            except UnicodeDecodeError:
                continue  # images, gzip: the pages work without them
    return files


def serve_site(host_site: HostSite, prefix: str, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = f"{prefix}/{name}"
        host_site.pages[path] = text
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        host_site.headers[path] = {"content-type": f"{kind}; charset=utf-8"}


def test_mkdocs_override_shows_the_block_on_every_page(
    demo_server: DemoServer,
    host_site: HostSite,
    watched: Watched,
    tokens: Tokens,
    tmp_path: Path,
) -> None:
    base = demo_server.base
    files = mkdocs_site(
        tmp_path,
        f"{host_site.base}/mk/",
        base,
        tokens.town,
        {
            "index": ({}, "# Start\n\nWeiter zu [Seite zwei](two.md).\n"),
            "two": ({"partnerkreis": {"token": tokens.wedding, "lang": "en"}}, "# Zwei\n"),
            "three": ({"partnerkreis": False}, "# Drei\n"),
        },
    )
    assert (
        f'<div class="partnerkreis" data-partnerkreis="{tokens.town}"></div>' in files["index.html"]
    )
    assert f'<a href="{base}/t/{TOWN}">Unsere Partner</a>' in files["index.html"]
    assert "data-partnerkreis=" not in files["three.html"]
    serve_site(host_site, "/mk", files)
    page = watched.page

    page.goto(f"{host_site.base}/mk/index.html")
    [block] = blocks_in(page)
    assert_shows_partners(block, base)
    assert block["heading"] == "Unsere Partner aus Heide Innenstadt"

    page.goto(f"{host_site.base}/mk/two.html")
    [block] = blocks_in(page)
    assert_shows_partners(block, base)
    assert block["token"] == tokens.wedding and block["heading"].startswith("Our partners")

    page.goto(f"{host_site.base}/mk/three.html")
    assert page.locator("[data-partnerkreis]").count() == 0
    assert watched.errors == []


def test_mkdocs_instant_navigation_shows_the_next_pages_block(
    demo_server: DemoServer,
    host_site: HostSite,
    watched: Watched,
    tokens: Tokens,
    tmp_path: Path,
) -> None:
    if not MKDOCS_MATERIAL:
        missing_engine("mkdocs-material is not installed (pip install mkdocs-material)")
    base = demo_server.base
    files = mkdocs_site(
        tmp_path,
        f"{host_site.base}/mk-instant/",
        base,
        tokens.town,
        {
            "index": ({}, "# Start\n\nWeiter zu [Seite zwei](two.md).\n"),
            "two": ({"partnerkreis": {"token": tokens.wedding}}, "# Zwei\n"),
        },
    )
    serve_site(host_site, "/mk-instant", files)
    page = watched.page
    page.goto(f"{host_site.base}/mk-instant/index.html")
    [block] = blocks_in(page)
    assert_shows_partners(block, base)
    page.evaluate("() => { window.__samePage = true; }")
    page.get_by_role("link", name="Seite zwei").click()
    page.wait_for_url("**/two.html")
    page.wait_for_function(
        "token => { const b = document.querySelector('[data-partnerkreis]');"
        " return b && b.dataset.partnerkreis === token"
        " && b.getAttribute('data-partnerkreis-state') === 'ready'; }",
        arg=tokens.wedding,
        timeout=10_000,
    )
    # Material swapped the page in place: the hook, not a page load, drew the block.
    assert page.evaluate("() => window.__samePage") is True
    [block] = blocks_in(page)
    assert_shows_partners(block, base)
    assert watched.errors == []


# -- nothing shipped goes untested --------------------------------------------------------


def test_every_html_snippet_is_loaded_in_a_browser_test() -> None:
    shipped = {p.relative_to(SNIPPETS).as_posix() for p in SNIPPETS.rglob("*.html")}
    shipped.add("wordpress/partnerkreis/partnerkreis.php")
    assert shipped == set(LOADED)
    for tests in LOADED.values():
        for test in tests.split(", "):
            module, _, name = test.rpartition("::")
            source = Path(__file__).with_name(module).read_text() if module else None
            assert name in globals() if source is None else f"def {name}(" in source, test
