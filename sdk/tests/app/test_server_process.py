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
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from widget_server.cli import main as widget_server

from partnerkreis import APIConnectionError, APITimeoutError, BulkCreateError, Client

from ..conftest import Clock

pytestmark = pytest.mark.app
THEME = "hochzeit"
DAY = 86400.0
HANG_GUARD = 60.0  # seconds; only ever reached if the code under test hangs


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


class CountingTransport(httpx.HTTPTransport):
    """httpx's own transport, counting the requests the client sends.

    ``hold()`` keeps each outcome (answer or error) back until ``release()``, so a
    request under way stays under way for as long as a test needs it to.
    """

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._released.set()

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.sent += 1
        try:
            return super().handle_request(request)
        finally:
            self._released.wait(HANG_GUARD)


def client_for(server: LiveServer, transport: CountingTransport, **options: Any) -> Client:
    return Client(server.key, base_url=server.base_url, transport=transport, **options)


def test_a_stopped_server_leaves_the_last_good_block(server: LiveServer) -> None:
    clock = Clock()
    transport = CountingTransport()
    # The budget is a hang guard here: a refused connection is reported, not waited out.
    with client_for(server, transport, clock=clock, block_timeout=HANG_GUARD) as client:
        good = client.blocks.get(THEME, member="blumenhaus")
        assert good.source == "network"
        assert good.html.startswith('<div class="pk-root"><nav') and good.partners
        server.stop()
        clock.advance(2 * DAY)  # past max_stale too: this render asks the server inline
        block = client.blocks.get(THEME, member="blumenhaus")
        assert block.source == "fallback"
        assert block.html == good.html
        assert isinstance(block.error, APIConnectionError)
        assert not isinstance(block.error, APITimeoutError)  # the refusal, not the budget
        sent = transport.sent
        block = client.blocks.get(THEME, member="blumenhaus")
        assert block.source == "fallback"
        assert transport.sent == sent  # within the retry interval: no request at all
        cold = client.blocks.get(THEME, member="fotos")  # never fetched: an empty block
        assert (cold.source, str(cold)) == ("fallback", "")


def test_stale_while_revalidate_meets_a_stopped_server(server: LiveServer) -> None:
    clock = Clock()
    transport = CountingTransport()
    with client_for(server, transport, clock=clock, block_max_stale=7 * DAY) as client:
        good = client.blocks.get(THEME, member="blumenhaus", timeout=HANG_GUARD)
        assert good.source == "network"
        server.stop()
        clock.advance(DAY)  # expired, but within max_stale
        sent = transport.sent
        transport.hold()  # the refresh cannot end before this render is served
        try:
            stale = client.blocks.get(THEME, member="blumenhaus")
            assert (stale.source, stale.html) == ("stale", good.html)  # served at once
        finally:
            transport.release()
        client.blocks.wait()
        assert transport.sent == sent + 1  # the refresh ran in the background
        block = client.blocks.get(THEME, member="blumenhaus")
        assert (block.source, block.html) == ("fallback", good.html)
        assert transport.sent == sent + 1  # within the retry interval: no request at all


def test_a_hung_server_costs_one_budget_at_most(server: LiveServer) -> None:
    clock = Clock()
    transport = CountingTransport()
    with client_for(server, transport, clock=clock) as client:
        # The first answer and the last get a hang guard for a budget: only the
        # render against the frozen server is under test.
        good = client.blocks.get(THEME, member="blumenhaus", timeout=HANG_GUARD)
        assert good.source == "network"
        server.process.send_signal(signal.SIGSTOP)  # accepts connections, answers nothing
        transport.hold()  # and the request to it stays under way until released
        try:
            clock.advance(2 * DAY)
            block = client.blocks.get(THEME, member="blumenhaus")
            # Back while the request is still under way: the budget ended the wait.
            assert (block.source, block.html) == ("fallback", good.html)
            assert isinstance(block.error, APITimeoutError)
            sent = transport.sent
            again = client.blocks.get(THEME, member="blumenhaus")
            # The failure is remembered: no request, and no second wait on the first one
            # (held, it cannot end; a wait for it would end in a new timeout error).
            assert again.source == "fallback" and again.error is block.error
            assert transport.sent == sent
        finally:
            transport.release()
            server.process.send_signal(signal.SIGCONT)
        client.blocks.wait()  # the frozen request ends by its own timeout
        clock.advance(10)  # past the retry interval: asked again, and answered
        back = client.blocks.get(THEME, member="blumenhaus", timeout=HANG_GUARD)
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
        # A joint offer with the sync client (the async one: test_offers.py), on this server.
        today = datetime.now(UTC).date()
        offer = client.offers.create(
            theme=THEME,
            title="Hochzeitspaket",
            price_text="10 %",
            valid_from=today,
            valid_until=today,
            participants=["torten"],
            proposer="blumenhaus",
        )
        assert offer.state == "waiting"
        torten_key = client.keys.create(scope="member:torten").key
        assert torten_key
        with Client(torten_key, base_url=server.base_url) as torten:
            live = torten.offers.confirm(offer.slug)
        assert live.live and live.page_url
        assert httpx.get(f"{server.base_url}{live.page_url}", timeout=5).status_code == 200
        assert [o.slug for o in client.offers.list(theme=THEME)] == [offer.slug]
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


def test_bulk_create_sends_chunks_and_the_server_serves_them(server: LiveServer) -> None:
    members: list[dict[str, Any]] = [
        {
            "slug": f"laden-{i}",
            "name": f"Laden {i} <am Markt>",
            "website": f"https://laden-{i}.example/",
            "town": "Heide",
            "themes": ("markt-heide",),
        }
        for i in range(250)
    ]
    members[120] = {**members[120], "website": "kein-link"}
    with Client(server.key, base_url=server.base_url) as client:
        client.themes.create("markt-heide", name_de="Markt Heide", kind="local")
        result = client.members.bulk_create(
            members, chunk_size=100, skip_invalid=True, idempotency_key="import-1"
        )
        assert result.requests == 3
        assert len(result.created) == 249
        assert [(e.index, e.slug, e.field) for e in result.errors] == [
            (120, "laden-120", "website")
        ]
        assert [c.index for c in result.created][119:121] == [119, 121]
        listed = [m.slug for m in client.members.list(theme="markt-heide", limit=100)]
        assert sorted(listed) == sorted(result.slugs)
        # The same list with the same key: the first answers again, nothing created twice.
        assert (
            client.members.bulk_create(
                members, chunk_size=100, skip_invalid=True, idempotency_key="import-1"
            )
            == result
        )
        # Pending, as a single create makes them in this network; once approved, a new
        # member's block shows other new members, their names as text.
        assert client.members.get("laden-0").status == "pending"
        for slug in ("laden-0", "laden-1", "laden-2"):
            client.members.activate(slug)
        token = client.placements.create("laden-0", theme="markt-heide").token
        block = httpx.get(f"{server.base_url}/w/{token}", timeout=5).json()
        assert block["partners"] and all(
            p["name"].endswith(" <am Markt>") for p in block["partners"]
        )
        more = [
            {"slug": f"neu-{i}", "name": f"Neu {i}", "website": f"https://neu-{i}.example/"}
            for i in range(4)
        ]
        more[2]["website"] = "ftp://neu-2.example/"
        with pytest.raises(BulkCreateError) as info:
            client.members.bulk_create(more, chunk_size=2)
        refused = info.value
        assert refused.status == 422 and refused.code == "invalid-rows"
        assert [(e.index, e.field) for e in refused.errors] == [(2, "website")]
        assert refused.result.slugs == ("neu-0", "neu-1")  # the chunk before was written
        assert {m.slug for m in client.members.list(limit=100)} >= {"neu-0", "neu-1"}
        try:
            client.members.get("neu-3")
        except Exception as exc:  # the failed chunk wrote nothing
            assert getattr(exc, "status", None) == 404
        else:
            raise AssertionError("neu-3 of the refused chunk was created")


def test_events_with_the_sync_client_and_their_calendar(server: LiveServer) -> None:
    """An event made with the sync ``Client`` is in the real server's calendar feed."""
    with Client(server.key, base_url=server.base_url) as client:
        event = client.events.create(
            title="Hochzeitsmesse; Heide, 2027",
            starts_at=datetime(2027, 3, 14, 10, 0),  # naive: the network's local time
            ends_at="2027-03-14T17:00",
            place_name="Festscheune Wulfshof",
            town="Heide",
            participants=["scheune", "blumenhaus"],
            theme=THEME,
        )
        assert event.starts_at == datetime(2027, 3, 14, 9, 0, tzinfo=UTC)
        assert [e.slug for e in client.events.list(theme=THEME)] == [event.slug]
        moved = client.events.update(event.slug, sequence=0, ends_at="2027-03-14T18:00")
        assert moved.sequence == 1
    feed = httpx.get(f"{server.base_url}/t/{THEME}/events.ics", timeout=5)
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    unfolded = feed.text.replace("\r\n ", "")
    assert "SUMMARY:Hochzeitsmesse\\; Heide\\, 2027\r\n" in unfolded
    assert "DTEND:20270314T170000Z\r\n" in unfolded and "SEQUENCE:1\r\n" in unfolded


def test_offers_are_changed_with_the_sync_client(server: LiveServer) -> None:
    """The sync ``Client`` changes an offer on the real server; its page shows the change."""
    today = datetime.now(UTC).date()
    with Client(server.key, base_url=server.base_url) as client:
        offer = client.offers.create(
            theme=THEME,
            title="Paket",
            price_text="10 %",
            valid_from=today,
            valid_until=today,
            participants=["torten"],
            proposer="blumenhaus",
        )
        client.offers.confirm(offer.slug, member="torten")
        changed = client.offers.update(offer.slug, revision=0, title="Paket <b>neu</b>")
        assert (changed.revision, changed.live) == (1, True)
        picture = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 30, 90)).save(picture, format="PNG")
        with_image = client.offers.set_image(offer.slug, data=picture.getvalue(), revision=1)
        assert with_image.image_url and with_image.revision == 2
    page = httpx.get(f"{server.base_url}/o/{offer.slug}", timeout=5)
    assert "Paket &lt;b&gt;neu&lt;/b&gt;" in page.text and with_image.image_url in page.text
