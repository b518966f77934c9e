"""Several server processes on one database, as behind a load balancer.

Counts from every process add up exactly (SIGTERM at the end loses nothing),
a change made through one process reaches blocks served by another (within
about two snapshot intervals; the test waits generously and prints the time),
and ``serve --workers`` runs such a deployment from one command.  On each
backend: SQLite (one file) always, PostgreSQL when WIDGET_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests import postgres
from tests.browser.conftest import free_port, wait_for
from tests.test_server_process import Network, cli, credited, until_acknowledged, view_once
from widget_server.storage import storage_from_url

MEMBERS = ("heide-blumen", "fotos", "scheune", "torten")


@pytest.fixture
def deployment(backend: str, tmp_path: Path) -> Iterator[Network]:
    """A network on an empty database of the backend, made with the CLI."""
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'live.db'}"
        else:
            server_url = postgres.server_url()
            assert server_url is not None
            url = stack.enter_context(postgres.fresh_schema_sync(server_url))
        env = {"WIDGET_DATABASE_URL": url}
        cli(env, "init")
        cli(env, "theme", "add", "hochzeit", "--name-de", "Hochzeit")
        for slug in MEMBERS:
            site = f"https://{slug}.example"
            cli(env, "member", "add", slug, "--name", slug, "--website", site, "--theme=hochzeit")
        token = json.loads(
            cli(
                env,
                "snippet",
                "heide-blumen",
                "hochzeit",
                "--base-url",
                "http://127.0.0.1",
                "--json",
            )
        )["token"]
        yield Network(tmp_path / "live.db", env, token)


@contextlib.contextmanager
def process(
    net: Network, log: Path, *args: str, **settings: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``widget-server serve`` on a free port; killed if still running at the end."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "widget_server", "serve", "--port", str(port), *args],
            env={**os.environ, **net.env, **settings},
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", proc)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=15)


async def load(
    bases: list[str],
    token: str,
    acked: list[float],
    until: Callable[[], bool],
    sent: list[int] | None = None,
) -> None:
    """Visitors in parallel until ``until()``, spread over the processes round-robin."""
    n = 0
    deadline = time.monotonic() + 120  # only ends a test that would otherwise hang
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=24)) as client:
        while not until():
            assert time.monotonic() < deadline, "the load never reached its end"
            batch = [
                view_once(client, bases[i % len(bases)], token, i, sent) for i in range(n, n + 24)
            ]
            n += 24
            for ok in await asyncio.gather(*batch):
                if ok:
                    acked.append(time.monotonic())


def stored_block_views(net: Network) -> int:
    async def count() -> int:
        storage = storage_from_url(net.env["WIDGET_DATABASE_URL"])
        await storage.open()
        try:
            rows = await storage.list_counts()
        finally:
            await storage.close()
        return sum(r.count for r in rows if r.kind == "viewed" and r.partner_id == 0)

    return asyncio.run(count())


def terminate_under_load(
    bases: list[str], procs: list[subprocess.Popen[str]], token: str, count: int = 100
) -> tuple[int, int]:
    """Views until ``count`` are answered, then SIGTERM while visitors keep coming.

    Returns how many beacons were answered and how many were sent: a stopping
    server may count a beacon whose answer it could not deliver any more.
    """
    acked: list[float] = []
    sent: list[int] = []

    async def scenario() -> None:
        gone = lambda: all(proc.poll() is not None for proc in procs)  # noqa: E731
        sender = asyncio.create_task(load(bases, token, acked, until=gone, sent=sent))
        await until_acknowledged(acked, count)
        for proc in procs:
            proc.send_signal(signal.SIGTERM)  # while visitors keep coming
        await sender

    asyncio.run(scenario())
    for proc in procs:
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)
    assert len(acked) >= count
    return len(acked), len(sent)


def test_counts_from_three_processes_add_up_exactly(deployment: Network, tmp_path: Path) -> None:
    with contextlib.ExitStack() as stack:
        running = [
            stack.enter_context(
                process(deployment, tmp_path / f"server-{i}.log", WIDGET_FLUSH_INTERVAL="0.5")
            )
            for i in range(3)
        ]
        acked, sent = terminate_under_load(
            [base for base, _ in running], [proc for _, proc in running], deployment.token
        )
    stored = stored_block_views(deployment)
    owed, refused, stopped = credited(*(tmp_path / f"server-{i}.log" for i in range(3)))
    print(
        f"3 processes: {acked} beacons answered of {sent} sent,"
        f" {owed} credited, {refused} refused, {stored} stored"
    )
    assert stopped == 3
    assert stored == owed  # every credited view is in the database, exactly
    assert acked - refused <= owed <= sent  # an answered beacon was credited or refused


def test_serve_with_workers_counts_every_view_and_stops_on_sigterm(
    deployment: Network, tmp_path: Path
) -> None:
    log = tmp_path / "workers.log"
    with process(deployment, log, "--workers", "2", WIDGET_FLUSH_INTERVAL="0.5") as (base, proc):
        acked, sent = terminate_under_load([base], [proc], deployment.token)
    stored = stored_block_views(deployment)
    owed, refused, stopped = credited(log)
    print(
        f"--workers 2: {acked} beacons answered of {sent} sent,"
        f" {owed} credited, {refused} refused, {stored} stored"
    )
    assert stopped == 2  # each worker stopped gracefully and said what it credited
    assert stored == owed  # every credited view is in the database, exactly
    assert acked - refused <= owed <= sent  # an answered beacon was credited or refused
    started = [line for line in log.read_text().splitlines() if "snapshot loaded" in line]
    assert len(started) >= 2  # one per worker


def partners(client: httpx.Client, base: str, token: str) -> set[str]:
    block = client.get(f"{base}/w/{token}").json()
    return {p["name"] for p in block["partners"]}


def seconds_until(check: object, limit: float = 180.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if check():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not seen within {limit} s")


def test_changes_through_one_process_reach_blocks_of_another(
    deployment: Network, tmp_path: Path
) -> None:
    key = json.loads(cli(deployment.env, "key", "create", "--scope", "coordinator", "--json"))
    auth = {"Authorization": f"Bearer {key['key']}"}
    token = deployment.token
    # The default poll interval (WIDGET_SNAPSHOT_INTERVAL=1): what a deployment runs with.
    with (
        process(deployment, tmp_path / "a.log") as (a, _),
        process(deployment, tmp_path / "b.log") as (b, _),
        httpx.Client(timeout=60) as client,
    ):
        assert partners(client, b, token) == {"fotos", "scheune", "torten"}

        response = client.post(f"{a}/api/v1/members/fotos/pause", headers=auth)
        assert response.status_code == 200, response.text
        took = seconds_until(lambda: partners(client, b, token) == {"scheune", "torten"})
        print(f"member paused through A: gone from B's blocks after {took:.2f} s")

        rules = client.get(f"{a}/api/v1/themes/hochzeit/rules", headers=auth)
        response = client.put(
            f"{a}/api/v1/themes/hochzeit/rules",
            headers={**auth, "If-Match": rules.headers["ETag"]},
            json={"partners": {"max": 1}},
        )
        assert response.status_code == 200, response.text
        took = seconds_until(lambda: len(partners(client, b, token)) == 1)
        print(f"rules changed through A: B's blocks follow after {took:.2f} s")
