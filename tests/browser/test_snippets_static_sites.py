"""The Hugo partial and shortcode and the Jekyll include, built into sites and shown.

Each integration is rendered through its real engine where that is installed
(``hugo`` and ``jekyll``, Debian's packages); without it, by its substitute
renderer (substitute_renderers.py), which
``test_substitute_renderers_cover_every_expression`` proves complete and,
where the engine is installed, ``test_substitute_renderers_match_the_real_engines``
proves equal to the engine.  The built page is served by the second origin and
opened in Chromium.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser import snippet_helpers as snippet
from tests.browser.conftest import DemoServer, HostSite, Watched
from tests.browser.snippet_helpers import demo_tokens  # noqa: F401 (the fixture ``tokens``)
from tests.browser.substitute_renderers import (
    HUGO_COMMENT,
    HUGO_PARTIAL,
    HUGO_SHORTCODE,
    HUGO_SHORTCODE_UNIT,
    JEKYLL_COMMENT,
    JEKYLL_INCLUDE,
    hugo_partial,
    hugo_partial_units,
    hugo_shortcode,
    jekyll_include,
    jekyll_include_units,
    resolve,
)

pytestmark = pytest.mark.browser

HUGO = shutil.which("hugo")
JEKYLL = shutil.which("jekyll")

# -- the substitute renderers -------------------------------------------------------------


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


def raw_calls(tokens: snippet.Tokens) -> dict[str, dict[str, str]]:
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


def hugo_site(tmp_path: Path, base: str, tokens: snippet.Tokens) -> dict[str, str]:
    """ "page": the shortcode in Markdown and the partial in the layout's footer; and each of
    raw_calls(), the partial alone (for comparing with the substitute renderer)."""
    site = {"server": f"{base}/", "theme": snippet.TOWN}
    content_call = {"token": tokens.town, "color_scheme": "dark"}
    footer_call = {
        "token": tokens.wedding,
        "theme": snippet.WEDDING,
        "lang": "en",
        "layout": "list",
    }
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
    snippet.run(
        HUGO, "--quiet", "--themesDir", str(snippet.SNIPPETS), "--theme", "hugo", "-s", str(src)
    )
    public = src / "public"
    names = ["page", *raw_calls(tokens)]
    return {name: (public / name / "index.html").read_text() for name in names}


def test_hugo_partial_and_shortcode_show_the_blocks(
    demo_server: DemoServer,
    host_site: HostSite,
    watched: Watched,
    tokens: snippet.Tokens,
    tmp_path: Path,
) -> None:
    base = demo_server.base
    built = hugo_site(tmp_path, base, tokens)
    document = built["page"]
    # The site parameter's trailing slash is gone, the site's theme is the noscript target.
    assert f'<script async src="{base}/embed.js"></script>' in document
    assert f'<div data-partnerkreis="{tokens.town}" data-color-scheme="dark"></div>' in document
    assert f'<a href="{base}/t/{snippet.TOWN}">Unsere Partner</a>' in document
    assert f'<a href="{base}/t/{snippet.WEDDING}?lang=en">Our partners</a>' in document

    page = snippet.open_page(host_site, watched, "/hugo/page/", document)
    town, wedding = snippet.blocks_in(page)
    snippet.assert_shows_partners(town, base)
    snippet.assert_shows_partners(wedding, base)
    assert "pk-scheme-dark" in town["classes"]
    assert wedding["heading"].startswith("Our partners") and "pk-list" in wedding["classes"]
    assert watched.errors == []


def test_hugo_partial_stops_the_build_without_a_token(tmp_path: Path) -> None:
    if HUGO is None:
        snippet.missing_engine("hugo is not installed (apt-get install hugo)")
    src = tmp_path / "hugo"
    (src / "layouts" / "_default").mkdir(parents=True)
    (src / "content").mkdir()
    (src / "hugo.toml").write_text('disableKinds = ["home", "section", "taxonomy", "term"]\n')
    (src / "layouts" / "_default" / "single.html").write_text(
        '{{ partial "partnerkreis.html" (dict "server" "https://p.example") }}'
    )
    (src / "content" / "page.md").write_text("---\ntitle: Seite\n---\n")
    done = subprocess.run(
        [HUGO, "--themesDir", str(snippet.SNIPPETS), "--theme", "hugo", "-s", str(src)],
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


def jekyll_site(tmp_path: Path, base: str, tokens: snippet.Tokens) -> dict[str, str]:
    """ "page": the include in Markdown and in the layout's footer; and each of raw_calls(),
    the include alone (for comparing with the substitute renderer)."""
    site = {"server": f"{base}/", "theme": snippet.TOWN}
    content_call = {"token": tokens.town, "color_scheme": "dark"}
    footer_call = {
        "token": tokens.wedding,
        "theme": snippet.WEDDING,
        "lang": "en",
        "layout": "list",
    }
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
    snippet.run(JEKYLL, "build", "--quiet", "-s", str(src), "-d", str(src / "_site"))
    names = ["page", *raw_calls(tokens)]
    return {name: (src / "_site" / f"{name}.html").read_text() for name in names}


def test_jekyll_include_shows_the_blocks(
    demo_server: DemoServer,
    host_site: HostSite,
    watched: Watched,
    tokens: snippet.Tokens,
    tmp_path: Path,
) -> None:
    base = demo_server.base
    document = jekyll_site(tmp_path, base, tokens)["page"]
    assert f'src="{base}/embed.js"></script>' in document
    assert f'<div data-partnerkreis="{tokens.town}" data-color-scheme="dark"></div>' in document
    assert f'<a href="{base}/t/{snippet.TOWN}">Unsere Partner</a>' in document
    assert f'<a href="{base}/t/{snippet.WEDDING}?lang=en">Our partners</a>' in document

    page = snippet.open_page(host_site, watched, "/jekyll/page.html", document)
    town, wedding = snippet.blocks_in(page)
    snippet.assert_shows_partners(town, base)
    snippet.assert_shows_partners(wedding, base)
    assert "pk-scheme-dark" in town["classes"]
    assert wedding["heading"].startswith("Our partners") and "pk-list" in wedding["classes"]
    assert watched.errors == []


def test_jekyll_include_without_a_token_prints_only_a_comment(tmp_path: Path) -> None:
    if JEKYLL is None:
        snippet.missing_engine("jekyll is not installed (apt-get install jekyll)")
    src = tmp_path / "jekyll"
    (src / "_includes").mkdir(parents=True)
    shutil.copy(JEKYLL_INCLUDE, src / "_includes" / "partnerkreis.html")
    (src / "_config.yml").write_text("partnerkreis:\n  server: https://p.example\n")
    (src / "raw.html").write_text("---\nlayout: null\n---\n{% include partnerkreis.html %}")
    snippet.run(JEKYLL, "build", "--quiet", "-s", str(src), "-d", str(src / "_site"))
    out = (src / "_site" / "raw.html").read_text().strip()
    assert out.startswith("<!-- Partnerkreis: no token or server") and out.endswith("-->")


# -- the substitutes agree with the engines -----------------------------------------------


def test_substitute_renderers_match_the_real_engines(tmp_path: Path) -> None:
    """Where hugo or jekyll is installed, its output equals the substitute renderer's."""
    if HUGO is None and JEKYLL is None:
        snippet.missing_engine("neither hugo nor jekyll is installed")
    tokens = snippet.Tokens(town="MQ.abc-DEF_1", wedding="Mg.xyz")
    base = "http://127.0.0.1:9"
    site = {"server": f"{base}/", "theme": snippet.TOWN}
    hugo = hugo_site(tmp_path, base, tokens) if HUGO is not None else {}
    jekyll = jekyll_site(tmp_path, base, tokens) if JEKYLL is not None else {}
    for name, call in raw_calls(tokens).items():
        if hugo:
            assert hugo[name] == hugo_partial(call, site), name
        if jekyll:
            assert jekyll[name] == jekyll_include(call, site), name
