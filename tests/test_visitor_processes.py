"""Three server processes behind a round-robin proxy, with no sticky routing.

Every request goes to the next process, as a round-robin load balancer does, so
a visitor's block, its view beacon and its retries all reach
different processes.  Each visitor is still credited once a day, and a used
view token never counts again: not at another process, not after a restart.
On SQLite and PostgreSQL (visitor state in the database) and, when
WIDGET_TEST_REDIS_URL is set, with the visitor state in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import httpx
import pytest

from tests.test_server_process import ORIGIN, Network, cli
from tests.test_server_processes import deployment, process, stored_block_views

__all__ = ["deployment"]  # the fixture, used by name below

REDIS_URL = os.environ.get("WIDGET_TEST_REDIS_URL")
STATES = ["database", *(["redis"] if REDIS_URL else [])]
VISITORS = 12


class RoundRobin:
    """What a round-robin proxy does: each request to the next process."""

    def __init__(self, bases: list[str]) -> None:
        self.bases = bases
        self.turn = count()

    def next(self) -> str:
        return self.bases[next(self.turn) % len(self.bases)]

    def at_next(self, url: str) -> str:
        """The same path at the next process (a beacon URL names the process that made it)."""
        path = url.split("/", 3)[3]
        return f"{self.next()}/{path}"


def visitor(n: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"198.18.7.{n + 1}", "User-Agent": f"Firefox/{n}"}


async def visit(proxy: RoundRobin, token: str, n: int, client: httpx.AsyncClient) -> list[str]:
    """A visitor reloads the page three times, and its browser sends each beacon again
    (a retry); every request reaches another process."""
    used = []
    headers = {**visitor(n), "Origin": ORIGIN}
    for _ in range(3):
        block = (await client.get(f"{proxy.next()}/w/{token}", headers=visitor(n))).json()
        # The loader's exchange, at yet another process: a one-time beacon URL.
        exchange = await client.post(proxy.at_next(block["view"]), headers=visitor(n))
        view = exchange.json()["view"]
        for _ in range(2):
            beacon = proxy.at_next(view)
            assert (await client.post(beacon, headers=headers)).status_code == 204
        used.append(beacon)
    return used


async def replay(proxy: RoundRobin, beacons: list[str], client: httpx.AsyncClient) -> None:
    """Every used view token again, from a fresh address each, at every process.

    Only once the visitors' own beacons are settled (after a stop): before that,
    a copy from elsewhere may be settled first and take the token's one use.
    """
    for i, beacon in enumerate(beacons):
        for _ in proxy.bases:
            headers = {**visitor(100 + i), "Origin": ORIGIN}
            assert (await client.post(proxy.at_next(beacon), headers=headers)).status_code == 204


@contextlib.contextmanager
def servers(net: Network, tmp: Path, n: int, settings: dict[str, str]) -> Iterator[list[str]]:
    with contextlib.ExitStack() as stack:
        started = [
            stack.enter_context(process(net, tmp / f"server-{i}.log", **settings)) for i in range(n)
        ]
        yield [base for base, _ in started]
        for _, proc in started:  # graceful stop: each writes what it has
            proc.send_signal(signal.SIGTERM)
        for _, proc in started:
            assert proc.wait(timeout=30) in (0, -signal.SIGTERM)


@pytest.mark.parametrize("state", STATES)
def test_three_processes_without_sticky_routing_count_each_visitor_once(
    deployment: Network, tmp_path: Path, state: str
) -> None:
    settings = {"WIDGET_FLUSH_INTERVAL": "0.2"}
    if state == "redis":
        assert REDIS_URL is not None
        # The key `init` generated for this network is its own, so no earlier run's
        # visitors are in Redis (a WIDGET_SECRET_KEYS without it would be refused:
        # the fixture's embed code was signed with it).
        settings |= {"WIDGET_REDIS_URL": REDIS_URL}
    beacons: list[str] = []

    async def traffic(proxy: RoundRobin, token: str) -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            for n in range(VISITORS):
                beacons.extend(await visit(proxy, token, n, client))

    # Embed codes are signed: the one for the keys these servers run with.
    snippet = cli(
        {**deployment.env, **settings},
        "snippet",
        "heide-blumen",
        "hochzeit",
        "--base-url",
        "http://127.0.0.1",
        "--json",
    )
    token = json.loads(snippet)["token"]
    with servers(deployment, tmp_path, 3, settings) as bases:
        asyncio.run(traffic(RoundRobin(bases), token))
    assert stored_block_views(deployment) == VISITORS
    # Restarted processes, everything settled: the used tokens, sent from other
    # addresses to every process, count nothing.
    with servers(deployment, tmp_path, 2, settings) as bases:

        async def again() -> None:
            async with httpx.AsyncClient(timeout=60) as client:
                await replay(RoundRobin(bases), beacons, client)

        asyncio.run(again())
    assert stored_block_views(deployment) == VISITORS
