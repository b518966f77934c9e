"""The demo network: its sites, its history through the real code, and `widget-server demo`.

The history is played by simulated visitors through the selection, the
intake and the flush of a server; these tests check what that left in the
database.  The command runs as a real process: the banner comes after the
port is bound, and the temporary folder goes away however the demo ends.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from starlette.datastructures import Secret

from tests.browser.conftest import free_port
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.counting.events import is_bot, is_bot_in_demo
from widget_server.counting.intake import Counting
from widget_server.demo import data as demo_data
from widget_server.demo.history import VISITORS_PER_DAY, play_history
from widget_server.demo.seed import seed_demo
from widget_server.network.database import rotation_key
from widget_server.storage import SQLiteStorage
from widget_server.web.app import create_app

BASE = "http://127.0.0.1:8123"
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " HeadlessChrome/131.0.0.0 Safari/537.36"
)


@pytest_asyncio.fixture
async def demo_storage(tmp_path: Path) -> AsyncIterator[SQLiteStorage]:
    storage = SQLiteStorage(tmp_path / "demo.db")
    await storage.open()
    await storage.migrate()
    await seed_demo(storage, BASE, joined="2026-01-01T00:00:00+00:00")
    yield storage
    await storage.close()


# -- the sites ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_every_demo_member_website_is_its_demo_page(demo_storage: SQLiteStorage) -> None:
    members = {m.slug: m for m in (await demo_storage.load_network()).members}
    assert set(members) == {m["slug"] for m in demo_data.MEMBERS}
    for slug, member in members.items():
        assert member.website == f"{BASE}/demo/site/{slug}"
        assert "127.0.0.1" in member.domains  # its view beacons come from there


@pytest.mark.asyncio
async def test_the_wedding_cluster_has_a_live_hochzeitspaket(demo_storage: SQLiteStorage) -> None:
    today = datetime.fromtimestamp(demo_storage.clock(), UTC).date()
    theme = await demo_storage.get_theme(demo_data.WEDDING)
    (offer,) = await demo_storage.live_offers(theme.id, today)
    assert (offer.slug, offer.title) == ("hochzeitspaket", "Hochzeitspaket")
    members = [(await demo_storage.get_member_by_id(i)).category for i in offer.member_ids]
    assert sorted(members) == ["bridal-wear", "confectioner", "flowers", "wedding-car"]
    assert offer.confirmed_by_all


@pytest.mark.asyncio
async def test_the_caterers_site_shows_the_joint_slot(
    demo_storage: SQLiteStorage, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'demo.db'}",
        secret_keys=(Secret("demo-slot-test-key-0123456789"),),
        allowed_hosts=("testserver",),
    )
    app = create_app(settings, storage=SQLiteStorage(demo_storage.path))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            index = (await c.get("/demo/")).text
            assert "/demo/site/kuestenkueche-boie" in index
            assert "als eigene Karte" in index  # the newcomer is pointed at it
            site = (await c.get("/demo/site/kuestenkueche-boie")).text
            token = re.search(r'data-partnerkreis="([^"]+)"', site)
            assert token
            shown = set()
            for bucket in range(4):  # offer and fair take turns, bucket by bucket
                app.state.runtime.clock = lambda b=bucket: 1_800_000_000.0 + 300 * b
                data = (await c.get(f"/w/{token.group(1)}")).json()
                assert len(data["partners"]) == 3
                shown.add((data["partners"][-1]["kind"], data["partners"][-1]["name"]))
    assert {kind for kind, _ in shown} == {"offer", "event"}
    assert ("offer", "Hochzeitspaket") in shown


# -- the history --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_history_is_counted_by_the_intake_and_shows_a_net_giver(
    demo_storage: SQLiteStorage,
) -> None:
    keys = ["a-demo-key-of-some-length-0123456789"]
    days: list[int] = []
    history = await play_history(
        demo_storage, keys, rotation_key(keys), days=20, progress=lambda d, n: days.append(d)
    )
    assert days == list(range(1, 21))
    rows = await demo_storage.list_counts()
    assert {r.day for r in rows} and len({r.day for r in rows}) >= 20
    # Every beacon of a distinct visitor passed the intake and was written by its flush.
    block_views = sum(r.count for r in rows if r.kind == "viewed" and r.partner_id == 0)
    assert block_views == history.views > 0
    clicks = sum(r.count for r in rows if r.kind == "clicked")
    assert 0 < clicks <= history.clicks
    assert any(r.kind == "served" for r in rows)

    slugs = {m.id: m.slug for m in (await demo_storage.load_network()).members}
    given: dict[str, float] = {}
    received: dict[str, float] = {}
    for r in rows:
        if r.kind == "viewed" and r.partner_id:
            given[slugs[r.host_id]] = given.get(slugs[r.host_id], 0.0) + r.exposure
            received[slugs[r.partner_id]] = received.get(slugs[r.partner_id], 0.0) + r.exposure
    assert set(given) == set(received) == set(slugs.values())  # everyone gave and received
    busiest = max(VISITORS_PER_DAY, key=VISITORS_PER_DAY.__getitem__)
    # The busiest shop gives far more than the smaller sites can give back.
    assert given[busiest] > 1.5 * received[busiest]
    quiet = min(VISITORS_PER_DAY, key=VISITORS_PER_DAY.__getitem__)
    assert received[quiet] > given[quiet]


# -- headless browsers --------------------------------------------------------------------------


def test_a_headless_chromium_is_a_visitor_in_the_demo_only() -> None:
    assert is_bot(HEADLESS)  # a real deployment filters it, as before
    assert not is_bot_in_demo(HEADLESS)
    for bot in (
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        HEADLESS + " Googlebot",
        "python-httpx/0.28",
        "",
    ):
        assert is_bot_in_demo(bot), bot
    signer = Signer(["k" * 32])
    assert Counting(signer).is_bot(HEADLESS)
    assert not Counting(signer, demo=True).is_bot(HEADLESS)


# -- the command --------------------------------------------------------------------------------


@contextlib.contextmanager
def demo_process(tmp: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """`widget-server demo` with its temporary folder inside ``tmp``; output in a file."""
    log = tmp / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    env.update(TMPDIR=str(tmp), WIDGET_LANGUAGE="en")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "widget_server", "demo", "--log-format", "json", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        yield proc, log
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def wait_for_text(log: Path, proc: subprocess.Popen[str], text: str) -> str:
    deadline = time.monotonic() + 180  # only ends a hang; nothing depends on speed
    while time.monotonic() < deadline:
        found = log.read_text()
        if text in found:
            return found
        assert proc.poll() is None, found
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never printed: {log.read_text()}")


def demo_folders(tmp: Path) -> list[Path]:
    return list(tmp.glob("partnerkreis-demo-*"))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_demo_banner_comes_after_binding_and_the_folder_goes_with_the_demo(
    tmp_path: Path, stop: signal.Signals
) -> None:
    port = free_port()
    with demo_process(tmp_path, "--port", str(port), "--days", "3") as (proc, log):
        text = wait_for_text(log, proc, "Press Ctrl+C to stop.")
        # The port is listening when the banner is there.
        with socket.create_connection(("127.0.0.1", port), timeout=30):
            pass
        assert f"Start here (a guided tour):  http://127.0.0.1:{port}/demo/" in text
        assert re.search(r"Coordinator login:\s+koordination / \S+", text)
        portal = re.search(r"A member's portal:\s+(\S+)", text)
        url = re.search(r"export WIDGET_DATABASE_URL=(sqlite:///\S+)", text)
        public = re.search(r"WIDGET_PUBLIC_URL=(\S+)", text)
        assert portal and url and public
        assert public.group(1) == f"http://127.0.0.1:{port}"
        (folder,) = demo_folders(tmp_path)
        assert url.group(1) == f"sqlite:///{folder / 'demo.db'}"
        # The printed database URL is what the command line needs.
        env = {**os.environ, "WIDGET_DATABASE_URL": url.group(1), "WIDGET_LANGUAGE": "en"}
        stats = subprocess.run(
            [sys.executable, "-m", "widget_server", "stats", "--member", "baeckerei-claussen"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert stats.returncode == 0, stats.stderr
        assert "heide-innenstadt" in stats.stdout
        # ... and with the printed public URL, a portal link for this demo server.
        env["WIDGET_PUBLIC_URL"] = public.group(1)
        link = subprocess.run(
            [sys.executable, "-m", "widget_server", "portal-link", "baeckerei-claussen"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert link.returncode == 0, link.stderr
        assert link.stdout.startswith(f"http://127.0.0.1:{port}/portal/")
        # The printed portal link opens the member's portal.
        with httpx.Client(timeout=30) as client:
            tour = client.get(f"http://127.0.0.1:{port}/demo/?lang=en")
            assert "The demo comes with 3 days of history" in tour.text  # as played
            opened = client.get(portal.group(1), follow_redirects=True)
        assert opened.status_code == 200
        assert "/portal/" in str(opened.url)
        proc.send_signal(stop)
        proc.wait(timeout=60)
    assert demo_folders(tmp_path) == []


def test_demo_on_a_taken_port_says_so_before_any_banner_and_leaves_no_folder(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with demo_process(tmp_path, "--port", str(port)) as (proc, log):
            assert proc.wait(timeout=120) == 2
    out = log.read_text()
    assert f"cannot listen on 127.0.0.1:{port}" in out
    assert "--port" in out
    assert "Coordinator login" not in out
    assert "Playing" not in out  # nothing prepared for a server that cannot start
    assert demo_folders(tmp_path) == []


def test_demo_stopped_while_it_plays_its_history_leaves_no_folder(tmp_path: Path) -> None:
    with demo_process(tmp_path, "--port", str(free_port())) as (proc, log):
        deadline = time.monotonic() + 180
        while not demo_folders(tmp_path) and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.01)
        assert demo_folders(tmp_path)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert "Coordinator login" not in log.read_text()
    assert demo_folders(tmp_path) == []
