"""What the browser tests of the shipped snippets share.

The demo's tokens (the fixture ``tokens``: a test module imports
``demo_tokens`` to use it), a page on the second origin, the rendered blocks
read once the loader is done, a snippet filled in, and an engine run.  The
tests are in test_snippets.py (the plain snippets, and that nothing shipped
goes untested), test_snippets_wordpress.py, test_snippets_static_sites.py
(Hugo, Jekyll) and test_snippets_mkdocs.py.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Frame, Page

from tests.browser.conftest import DemoServer, HostSite, Watched


def missing_engine(reason: str) -> None:
    """Skip on a developer machine without the engine; in CI (which installs them) fail."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: scripts/test installs it, so this run is broken")
    pytest.skip(reason)


ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "snippets"

TOWN = "heide-innenstadt"
WEDDING = "hochzeit-heide"

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


@pytest.fixture(scope="module", name="tokens")
def demo_tokens(demo_server: DemoServer) -> Tokens:
    """Two placements of the demo: imported by the test modules that use ``tokens``."""
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
