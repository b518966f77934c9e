"""Browser tests: Debian's Chromium driven by Playwright against real server processes.

A demo server runs as its own process (``widget-server demo``), and "someone
else's website" (the host pages) runs on a second origin, so every request
crosses origins as on a member's real site.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from starlette.applications import Starlette

from tests.browser.hostsite import make_host_app

CHROMIUM = os.environ.get("WIDGET_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Playwright's waits end hangs only: a busy machine may take many seconds for a page,
# and no browser test may fail for that (its defaults are 5 s for expect, 30 s else).
HANG_GUARD_MS = 120_000
expect.set_options(timeout=HANG_GUARD_MS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    url: str, process: subprocess.Popen[str] | None = None, timeout: float = 180.0
) -> None:
    """Until ``url`` answers 200.  A server that exits fails at once; the long deadline
    only stops a hang (a start takes seconds, more on a busy machine: never a verdict)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with status {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout} s")


@dataclass
class DemoServer:
    base: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    log: Path  # the server's combined output

    @property
    def password(self) -> str:
        """The coordinator's password, as `widget-server demo` printed it."""
        found = re.search(r"Coordinator login:\s+koordination / (\S+)", self.log.read_text())
        assert found, self.log.read_text()
        return found.group(1)

    def cli(self, *args: str) -> str:
        """Run ``widget-server`` against the demo database, as another process would."""
        done = subprocess.run(
            [sys.executable, "-m", "widget_server", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"widget-server {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def snippet(self, member: str, theme: str, *extra: str) -> dict[str, str]:
        out = self.cli("snippet", member, theme, "--base-url", self.base, "--json", *extra)
        data: dict[str, str] = json.loads(out)
        # A new placement reaches the serving process at its next poll: wait until it is
        # served, so a page loaded next (an iframe loads once) never races the poll.
        deadline = time.monotonic() + HANG_GUARD_MS / 1000
        while httpx.get(f"{self.base}/w/{data['token']}", timeout=10).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server never served the new code {data['token']}")
            time.sleep(0.1)
        return data


@contextlib.contextmanager
def running_demo(directory: Path) -> Iterator[DemoServer]:
    """``widget-server demo`` in its own process, on a database in ``directory``."""
    port = free_port()
    db = directory / "demo.db"
    env = {
        **os.environ,
        "WIDGET_DATABASE_URL": f"sqlite:///{db}",
        "WIDGET_SNAPSHOT_INTERVAL": "0.5",
        "WIDGET_LANGUAGE": "en",  # the login line is read below, whatever the machine's locale
    }
    log = directory / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "widget_server", "demo", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", process)
        yield DemoServer(base, env, process, log)
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="package")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo network most browser tests share."""
    with running_demo(tmp_path_factory.mktemp("demo")) as server:
        yield server


@dataclass
class HostSite:
    base: str
    pages: dict[str, str]  # path -> HTML body to serve (tests add pages)
    headers: dict[str, dict[str, str]]  # path -> extra response headers
    gates: dict[str, threading.Event]  # path -> sends the page's rest after hostsite.HOLD once set


@pytest.fixture(scope="package")
def host_site() -> Iterator[HostSite]:
    """A member's website on another origin; tests put pages on it."""
    port = free_port()
    site = HostSite(f"http://127.0.0.1:{port}", {}, {}, {})
    app: Starlette = make_host_app(site.pages, site.headers, site.gates)
    # A page or block that never answers (the "slow" block, a gate left shut) would hold
    # the shutdown until the join below gives up: it is cut off after a second.
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(f"{site.base}/healthz")
    yield site
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install -y"
            " chromium) or point WIDGET_TEST_CHROMIUM at it"
        )
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        chromium.new_context = _with_hang_guard(chromium.new_context)  # type: ignore[method-assign]
        yield chromium
        chromium.close()


def _with_hang_guard(new_context: Callable[..., Any]) -> Callable[..., Any]:
    def make(*args: Any, **kwargs: Any) -> Any:
        context = new_context(*args, **kwargs)
        context.set_default_timeout(HANG_GUARD_MS)
        context.set_default_navigation_timeout(HANG_GUARD_MS)
        return context

    return make


@dataclass
class Watched:
    page: Page
    errors: list[str]  # uncaught exceptions and unhandled rejections
    console: list[str]  # console messages "type: text"


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    """A fresh page (own context: no shared cache or storage) that records every error."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    console: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    # Anything that leaves this machine is a bug: answer partner sites locally.
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "data:"))
            else route.fulfill(status=200, content_type="text/html", body="<h1>Partner site</h1>")
        ),
    )
    yield Watched(page, errors, console)
    context.close()


@pytest.fixture
def screenshot() -> Callable[[Page, str], None]:
    """Save a screenshot as a test artefact (under artifacts/, not committed)."""

    def take(page: Page, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take
