"""A real nginx with docs/nginx-cache.conf in front of a real server process (issue 19).

Many visitors, each from its own address, load two members' blocks through the
cache: the server sees about one block request per placement and bucket, yet
every exchange and every view reaches it, and what is stored is exactly what
the visitors sent (compared after the server has stopped and written all).
"""

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
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests import nginx
from tests.browser.conftest import wait_for
from widget_server.cli import main

HOSTS = ("heide-blumen", "fotos")
BUCKET = 300  # the default rotation bucket of a new theme
VISITORS = 20  # per placement


def cli(env: dict[str, str], *args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args), environ=env) == 0, args
    return out.getvalue()


@contextlib.contextmanager
def origin(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[str]]:
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "widget_server", "serve", "--port", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=15)


def origin_requests(log: Path, path: str) -> int:
    """Requests the server answered for ``path`` (its request log, tokens hidden)."""
    lines = (json.loads(line) for line in log.read_text().splitlines() if line.startswith("{"))
    return sum(1 for line in lines if line.get("message") == "request" and line["path"] == path)


def stored(db: Path, kind: str) -> dict[str, int]:
    """Blocks counted per host member (partner 0: the block itself)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT m.slug, SUM(c.count) FROM daily_counters c JOIN members m"
            " ON m.id = c.host_id WHERE c.kind = ? AND c.partner_id = 0 GROUP BY m.slug",
            (kind,),
        ).fetchall()
    return {slug: int(n) for slug, n in rows}


def test_behind_nginx_the_server_renders_once_per_bucket_and_counts_stay_exact(
    tmp_path: Path,
) -> None:
    assert nginx.available(), "nginx is needed: apt-get install nginx-light (scripts/test does)"
    db = tmp_path / "live.db"
    edge_port, origin_port = nginx.free_port(), nginx.free_port()
    edge = f"http://127.0.0.1:{edge_port}"
    env = {
        "WIDGET_DATABASE_URL": f"sqlite:///{db}",
        "WIDGET_PUBLIC_URL": edge,  # links and beacons go through the cache, as deployed
        "WIDGET_LOG_LEVEL": "debug",  # the request log: what reached the server
        "WIDGET_FLUSH_INTERVAL": "0.2",
    }
    cli(env, "init")
    cli(env, "theme", "add", "hochzeit", "--name-de", "Hochzeit")
    for slug in (*HOSTS, "scheune", "torten"):
        website = f"https://{slug}.example"
        cli(env, "member", "add", slug, "--name", slug, "--website", website, "--theme", "hochzeit")
    tokens = {
        host: json.loads(cli(env, "snippet", host, "hochzeit", "--base-url", edge, "--json"))[
            "token"
        ]
        for host in HOSTS
    }
    log = tmp_path / "server.log"
    checked: dict[str, object] = {}
    sent = {"exchanged": dict.fromkeys(HOSTS, 0), "viewers": dict.fromkeys(HOSTS, 0)}

    async def visit(client: httpx.AsyncClient, host: str, n: int) -> None:
        visitor = {
            "X-Forwarded-For": f"198.18.{HOSTS.index(host)}.{n + 1}",
            "User-Agent": f"Firefox/{n}",
        }
        response = await client.get(f"{edge}/w/{tokens[host]}", headers=visitor)
        assert response.status_code == 200
        exchange = await client.post(response.json()["view"], headers=visitor)
        assert exchange.status_code == 200
        assert exchange.headers["cache-control"] == "no-store"
        sent["exchanged"][host] += 1
        beacon = exchange.json()["view"]
        for _ in range(2):  # the beacon, and the same again: counts once
            sent_beacon = await client.post(
                beacon, headers={**visitor, "Origin": f"https://{host}.example"}
            )
            assert sent_beacon.status_code == 204
        sent["viewers"][host] += 1

    async def traffic() -> tuple[float, float]:
        async with httpx.AsyncClient(timeout=60) as client:
            start = time.time()
            for host in HOSTS:  # the first visitor of each block alone: it fills the cache
                await visit(client, host, 0)
            await asyncio.gather(
                *(visit(client, host, n) for host in HOSTS for n in range(1, VISITORS))
            )
            cached = await client.get(f"{edge}/w/{tokens[HOSTS[0]]}")
            again = await client.get(
                f"{edge}/w/{tokens[HOSTS[0]]}", headers={"If-None-Match": cached.headers["etag"]}
            )
            checked.update(
                cache=cached.headers.get("x-cache-status"), revalidated=again.status_code
            )
            return start, time.time()

    with (
        origin(env, origin_port, log) as server,
        nginx.nginx(origin_port, edge_port, tmp_path / "nginx"),
    ):
        start, end = asyncio.run(traffic())
        server.send_signal(signal.SIGTERM)  # a graceful stop writes every count
        assert server.wait(timeout=60) in (0, -signal.SIGTERM)

    buckets = int(end // BUCKET) - int(start // BUCKET) + 1  # the test may cross a bucket's end
    blocks = origin_requests(log, "/w/{token}")
    assert len(HOSTS) <= blocks <= len(HOSTS) * buckets, blocks
    # Answered by nginx alone (unless that request met the end of the bucket).
    assert checked["revalidated"] == 304
    assert checked["cache"] == "HIT" or buckets > 1, checked
    # Every exchange and beacon reached the server (2 + 1 per visitor and block).
    visits = len(HOSTS) * VISITORS
    assert origin_requests(log, "/v/{token}") == 3 * visits
    assert stored(db, "served") == sent["exchanged"] == dict.fromkeys(HOSTS, VISITORS)
    assert stored(db, "viewed") == sent["viewers"] == dict.fromkeys(HOSTS, VISITORS)
