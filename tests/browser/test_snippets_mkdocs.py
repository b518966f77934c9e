"""The MkDocs override (snippets/mkdocs/overrides), built into a site and shown.

``mkdocs build`` with the Material theme (``mkdocs-material`` from PyPI) builds
a small site; without mkdocs-material, the override is rendered by Jinja2
(MkDocs' engine) over a stand-in ``base.html`` that has only the two blocks the
override fills.  The pages are served by the second origin and opened in
Chromium, with Material's instant navigation where it is installed.
"""

from __future__ import annotations

import importlib.util
import json
import mimetypes
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest

from tests.browser import snippet_helpers as snippet
from tests.browser.conftest import DemoServer, HostSite, Watched
from tests.browser.snippet_helpers import demo_tokens  # noqa: F401 (the fixture ``tokens``)

pytestmark = pytest.mark.browser

MKDOCS_OVERRIDES = snippet.SNIPPETS / "mkdocs" / "overrides"
MKDOCS_MATERIAL = (
    importlib.util.find_spec("mkdocs") is not None
    and importlib.util.find_spec("material") is not None
)

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
    extra = {"partnerkreis": {"server": f"{base}/", "token": token, "theme": snippet.TOWN}}
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
    snippet.run(
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
    tokens: snippet.Tokens,
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
    assert f'<a href="{base}/t/{snippet.TOWN}">Unsere Partner</a>' in files["index.html"]
    assert "data-partnerkreis=" not in files["three.html"]
    serve_site(host_site, "/mk", files)
    page = watched.page

    page.goto(f"{host_site.base}/mk/index.html")
    [block] = snippet.blocks_in(page)
    snippet.assert_shows_partners(block, base)
    assert block["heading"] == "Unsere Partner aus Heide Innenstadt"

    page.goto(f"{host_site.base}/mk/two.html")
    [block] = snippet.blocks_in(page)
    snippet.assert_shows_partners(block, base)
    assert block["token"] == tokens.wedding and block["heading"].startswith("Our partners")

    page.goto(f"{host_site.base}/mk/three.html")
    assert page.locator("[data-partnerkreis]").count() == 0
    assert watched.errors == []


def test_mkdocs_instant_navigation_shows_the_next_pages_block(
    demo_server: DemoServer,
    host_site: HostSite,
    watched: Watched,
    tokens: snippet.Tokens,
    tmp_path: Path,
) -> None:
    if not MKDOCS_MATERIAL:
        snippet.missing_engine("mkdocs-material is not installed (pip install mkdocs-material)")
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
    [block] = snippet.blocks_in(page)
    snippet.assert_shows_partners(block, base)
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
    [block] = snippet.blocks_in(page)
    snippet.assert_shows_partners(block, base)
    assert watched.errors == []
