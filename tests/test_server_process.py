"""Counting against a real server process: shutdown loses nothing, nothing identifies visitors."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import free_port, wait_for
from widget_server.cli import main

ORIGIN = "https://heide-blumen.example"
PROBE_IP = "203.0.113.77"  # documentation range, as a visitor behind our proxy
PROBE_AGENT = "Mozilla/5.0 (X11; Linux x86_64; PrivacyProbe-7f3a) Firefox/131.0"


@dataclass
class Network:
    db: Path
    env: dict[str, str]
    token: str


def cli(env: dict[str, str], *args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args), environ=env) == 0, args
    return out.getvalue()


@pytest.fixture
def network(tmp_path: Path) -> Network:
    db = tmp_path / "live.db"
    env = {"WIDGET_DATABASE_URL": f"sqlite:///{db}"}
    cli(env, "init")
    cli(env, "theme", "add", "hochzeit", "--name-de", "Hochzeit")
    for slug in ("heide-blumen", "fotos", "scheune", "torten"):
        cli(
            env,
            "member",
            "add",
            slug,
            "--name",
            slug,
            "--website",
            f"https://{slug}.example",
            "--theme",
            "hochzeit",
        )
    token = json.loads(
        cli(env, "snippet", "heide-blumen", "hochzeit", "--base-url", "http://127.0.0.1", "--json")
    )["token"]
    return Network(db, env, token)


@contextlib.contextmanager
def server(net: Network, log: Path, **settings: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {**os.environ, **net.env, **settings}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "widget_server", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", process)
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=15)


async def view_once(
    client: httpx.AsyncClient, base: str, token: str, n: int, sent: list[int] | None = None
) -> bool:
    """One visitor (own address and browser) loads the block and reports its view.

    ``sent`` gets ``n`` when the beacon goes out: a server stopping may count a
    beacon whose answer never arrives, so what is stored lies between what was
    answered and what was sent.
    """
    visitor = {"X-Forwarded-For": f"198.18.{n // 250}.{n % 250 + 1}", "User-Agent": f"Firefox/{n}"}
    try:
        block = (await client.get(f"{base}/w/{token}", headers=visitor)).json()
        # The loader's exchange: the block counted as served, a one-time beacon URL back.
        view = (await client.post(block["view"], headers=visitor)).json()["view"]
        if sent is not None:
            sent.append(n)
        beacon = await client.post(view, headers={**visitor, "Origin": ORIGIN})
    except httpx.HTTPError:
        return False  # refused because the server is going down: not sent
    return beacon.status_code == 204


async def load(
    base: str,
    token: str,
    acked: list[float],
    until: Callable[[], bool],
    limit: float = 120.0,
    first: int = 0,
    sent: list[int] | None = None,
) -> None:
    """Visitors in parallel until ``until()``; ``acked`` gets the time of each answered view.

    Visitors are numbered from ``first`` (each one counts once a day). ``limit`` only
    ends a test that would otherwise hang; nothing depends on speed.
    """
    n = first
    deadline = time.monotonic() + limit
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        while not until():
            assert time.monotonic() < deadline, "the load never reached its end"
            batch = [view_once(client, base, token, n + i, sent) for i in range(16)]
            n += 16
            for ok in await asyncio.gather(*batch):
                if ok:
                    acked.append(time.monotonic())


def eventually(check: Callable[[], bool], what: str, limit: float = 180.0) -> None:
    """Wait for ``check()``, with a deadline generous enough for a busy machine."""
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, f"{what}: not reached within {limit} s"
        time.sleep(0.05)


async def until_acknowledged(acked: list[float], count: int, limit: float = 180.0) -> None:
    """Until ``count`` beacons are answered; ``limit`` only ends a hang (never a verdict)."""
    deadline = time.monotonic() + limit
    while len(acked) < count:
        assert time.monotonic() < deadline, f"hang guard: {count} answers not seen in {limit} s"
        await asyncio.sleep(0.02)


def credited(*logs: Path) -> tuple[int, int, int]:
    """(views credited, beacons refused, processes that said so) from their "counting
    stopped" lines.

    A 204 to a beacon is no acknowledgement of a count (refused beacons get the same
    answer, so the rules cannot be probed); what a process credited is what it owes
    the database, and each one says so when it stops.
    """
    views = refused = lines = 0
    for log in logs:
        for line in log.read_text().splitlines():
            if line.startswith("{") and json.loads(line).get("message") == "counting stopped":
                entry = json.loads(line)
                assert entry["rows_unwritten"] == 0, entry
                views += entry["views_credited"]
                refused += sum(entry["rejected"].values())
                lines += 1
    return views, refused, lines


def stored_block_views(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(count), 0) FROM daily_counters"
            " WHERE kind = 'viewed' AND partner_id = 0"
        ).fetchone()
    return int(row[0])


def test_graceful_shutdown_under_load_loses_no_count(network: Network, tmp_path: Path) -> None:
    # A long flush interval: everything counted must be written by the shutdown itself.
    with server(network, tmp_path / "server.log", WIDGET_FLUSH_INTERVAL="60") as (base, proc):
        acked: list[float] = []
        sent: list[int] = []

        async def scenario() -> None:
            # Visitors keep coming until the server has gone away.
            sender = asyncio.create_task(
                load(base, network.token, acked, until=lambda: proc.poll() is not None, sent=sent)
            )
            await until_acknowledged(acked, 50)
            proc.send_signal(signal.SIGTERM)  # while visitors keep coming
            await sender

        asyncio.run(scenario())
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)
    assert len(acked) >= 50
    owed, refused, stopped = credited(tmp_path / "server.log")
    assert stopped == 1
    assert stored_block_views(network.db) == owed  # every credited view is stored
    assert len(acked) - refused <= owed <= len(sent)


def test_a_hard_kill_loses_at_most_one_flush_interval(network: Network, tmp_path: Path) -> None:
    with server(network, tmp_path / "server.log", WIDGET_FLUSH_INTERVAL="0.5") as (base, proc):
        acked: list[float] = []
        asyncio.run(load(base, network.token, acked, until=lambda: len(acked) >= 50))
        # The flusher writes within one interval; nothing is lost once it has.
        eventually(lambda: stored_block_views(network.db) == len(acked), "all views stored")
        proc.kill()
        proc.wait(timeout=10)
    assert stored_block_views(network.db) == len(acked)


def test_no_address_or_user_agent_is_written_anywhere(network: Network, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    visitor = {"X-Forwarded-For": PROBE_IP, "User-Agent": PROBE_AGENT}
    # Debug level: even the per-request log lines must not carry them.
    with server(network, log, WIDGET_LOG_LEVEL="debug", WIDGET_FLUSH_INTERVAL="0.2") as (
        base,
        proc,
    ):
        with httpx.Client(timeout=60, headers=visitor) as client:
            block = client.get(f"{base}/w/{network.token}").json()
            view = client.post(block["view"], headers={"Origin": ORIGIN}).json()["view"]
            assert client.post(view, headers={"Origin": ORIGIN}).status_code == 204
            click = client.get(block["partners"][0]["url"], follow_redirects=False)
            assert click.status_code == 302
            assert "set-cookie" not in click.headers
            client.get(f"{base}/w/{network.token}.html")
            client.get(f"{base}/c/not-a-token")
            client.post(f"{base}/v/not-a-token", headers={"Origin": ORIGIN})
        eventually(lambda: stored_block_views(network.db) == 1, "the view flushed")
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
    assert stored_block_views(network.db) == 1  # the traffic was really counted
    with sqlite3.connect(network.db) as conn:
        clicks = conn.execute("SELECT SUM(count) FROM daily_counters WHERE kind = 'clicked'")
        assert clicks.fetchone()[0] == 1
    files = [network.db, *network.db.parent.glob(f"{network.db.name}-*"), log]
    for path in files:
        data = path.read_bytes()
        for secret in (PROBE_IP, PROBE_AGENT, "PrivacyProbe"):
            assert secret.encode() not in data, f"{secret!r} found in {path.name}"
    assert "request" in log.read_text()  # the log was written, at debug level


def test_sigterm_while_a_flush_waits_for_the_database_loses_no_count(
    network: Network, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    with server(network, log, WIDGET_FLUSH_INTERVAL="0.1") as (base, proc):
        acked: list[float] = []
        asyncio.run(load(base, network.token, acked, until=lambda: len(acked) >= 32))
        eventually(lambda: stored_block_views(network.db) == len(acked), "first views stored")
        # Another process takes the write lock: every flush now waits for the database.
        holder = sqlite3.connect(network.db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            more = load(base, network.token, acked, until=lambda: len(acked) >= 64, first=1000)
            asyncio.run(more)
            # One flush waited out SQLite's busy timeout; the next one is waiting now.
            eventually(lambda: "flush failed" in log.read_text(), "a flush waiting")
            proc.send_signal(signal.SIGTERM)
            eventually(lambda: "application shutdown" in log.read_text(), "the stop begun")
        finally:
            holder.execute("COMMIT")
            holder.close()
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)
    assert stored_block_views(network.db) == len(acked)
    assert "counts not written" not in log.read_text()
