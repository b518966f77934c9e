"""Resilience against a real server process on loopback: stopped, hung, and back.

``python -m widget_server serve`` runs on a network set up with the server's
own CLI; the SDK's sync ``Client`` fetches a block, then the server goes away
(terminated, or frozen with SIGSTOP) and the page render must still get the
last good block, within its budget, without an exception.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from widget_server.cli import main as widget_server

from partnerkreis import APIConnectionError, APITimeoutError, Block, Client

from ..conftest import Clock

pytestmark = pytest.mark.app
THEME = "hochzeit"
DAY = 86400.0


@dataclass
class LiveServer:
    base_url: str
    key: str  # a coordinator key
    env: dict[str, str]
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # in case a test froze it
            self.process.terminate()
        self.process.wait(timeout=15)


def cli(env: dict[str, str], *args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert widget_server(list(args), environ=env) == 0, args
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 180.0) -> None:  # a hang guard, not a verdict
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up within {timeout} s")


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str]:
    """A network made with ``widget-server`` commands, as an operator would; env and key."""
    db = tmp_path_factory.mktemp("live") / "live.db"
    env = {"WIDGET_DATABASE_URL": f"sqlite:///{db}"}
    cli(env, "init")
    cli(env, "theme", "add", THEME, "--name-de", "Hochzeit")
    for slug in ("blumenhaus", "fotos", "scheune", "torten"):
        website = f"https://{slug}.example"
        cli(
            env,
            "member",
            "add",
            slug,
            "--name",
            slug.title(),
            "--website",
            website,
            "--theme",
            THEME,
        )
    key = json.loads(cli(env, "key", "create", "--scope", "coordinator", "--json"))["key"]
    return env, key


@pytest.fixture
def server(network: tuple[dict[str, str], str], tmp_path: Path) -> Iterator[LiveServer]:
    env, key = network
    port = free_port()
    full_env = {**os.environ, **env}
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "widget_server", "serve", "--port", str(port)],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    live = LiveServer(f"http://127.0.0.1:{port}", key, full_env, process)
    try:
        wait_for(f"{live.base_url}/healthz")
        yield live
    finally:
        live.stop()


def timed(client: Client, member: str = "blumenhaus") -> tuple[float, Block]:
    started = time.monotonic()
    block = client.blocks.get(THEME, member=member)
    return time.monotonic() - started, block


def test_a_stopped_server_leaves_the_last_good_block(server: LiveServer) -> None:
    clock = Clock()
    with Client(server.key, base_url=server.base_url, clock=clock) as client:
        good = client.blocks.get(THEME, member="blumenhaus")
        assert good.source == "network"
        assert good.html.startswith("<nav") and good.partners
        server.stop()
        clock.advance(2 * DAY)  # past max_stale too: this render asks the server inline
        elapsed, block = timed(client)
        assert block.source == "fallback"
        assert block.html == good.html
        assert isinstance(block.error, APIConnectionError)
        assert elapsed < client.blocks.timeout
        elapsed, block = timed(client)  # within the retry interval: no request at all
        assert block.source == "fallback" and elapsed < 0.25
        elapsed, cold = timed(client, "fotos")  # never fetched: an empty block
        assert (cold.source, str(cold)) == ("fallback", "")


def test_stale_while_revalidate_meets_a_stopped_server(server: LiveServer) -> None:
    clock = Clock()
    with Client(
        server.key, base_url=server.base_url, clock=clock, block_max_stale=7 * DAY
    ) as client:
        good = client.blocks.get(THEME, member="blumenhaus")
        server.stop()
        clock.advance(DAY)  # expired, but within max_stale
        elapsed, stale = timed(client)
        assert (stale.source, stale.html) == ("stale", good.html)
        assert elapsed < 0.25  # served at once; the refresh runs in the background
        client.blocks.wait()
        elapsed, block = timed(client)
        assert (block.source, block.html) == ("fallback", good.html)
        assert elapsed < 0.25


def test_a_hung_server_costs_one_budget_at_most(server: LiveServer) -> None:
    clock = Clock()
    with Client(server.key, base_url=server.base_url, clock=clock) as client:
        good = client.blocks.get(THEME, member="blumenhaus")
        server.process.send_signal(signal.SIGSTOP)  # accepts connections, answers nothing
        try:
            clock.advance(2 * DAY)
            elapsed, block = timed(client)
            assert 0.9 < elapsed < 1.5
            assert (block.source, block.html) == ("fallback", good.html)
            assert isinstance(block.error, APITimeoutError)
            elapsed, again = timed(client)  # the failure is remembered: no second wait
            assert again.source == "fallback" and elapsed < 0.25
        finally:
            server.process.send_signal(signal.SIGCONT)
        client.blocks.wait()  # the frozen request ends by its own timeout
        clock.advance(10)  # past the retry interval: asked again, and answered
        back = client.blocks.get(THEME, member="blumenhaus")
        assert back.source == "network" and back.error is None


def test_management_calls_and_the_snippet_command(server: LiveServer) -> None:
    with Client(server.key, base_url=server.base_url) as client:
        assert [m.slug for m in client.members.list(limit=2)] == [
            "blumenhaus",
            "fotos",
            "scheune",
            "torten",
        ]
        assert client.rules.get(THEME).etag == '"rules-0"'
    done = subprocess.run(
        [sys.executable, "-m", "partnerkreis", "snippet", "blumenhaus", THEME, "--json"],
        env={
            **server.env,
            "PARTNERKREIS_API_KEY": server.key,
            "PARTNERKREIS_BASE_URL": server.base_url,
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    placement = json.loads(done.stdout)
    assert placement["token"] in placement["snippet_html"]
    widget = httpx.get(f"{server.base_url}/w/{placement['token']}", timeout=5)
    assert widget.status_code == 200 and widget.json()["partners"]
