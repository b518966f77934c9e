"""Origin requests with and without a shared cache in front (issue 19, point 2).

Runs the server through its real entry point, then the same simulated visits
twice: straight to the server, and through a real nginx with
docs/nginx-cache.conf (tests/nginx.py starts it).  A visit is what the loader
does: ``GET /w/{token}``, the served exchange ``POST /v/{link}``, the view
beacon ``POST /v/{token}``.  Reported per run: requests that reached the server,
by path (its own request log), the server's CPU seconds (its /proc counters),
and what it stored (served and viewed blocks), which must equal what was sent
in both runs.

    .venv/bin/python bench/bench_cdn.py                 # 20 placements x 50 visitors
    .venv/bin/python bench/bench_cdn.py --placements 5 --visitors 20 --json
    .venv/bin/python bench/bench_cdn.py --tree ../before   # the server of another checkout

Each run gets a fresh database and server, so the two start alike.  Exit
status 0 with figures, 1 when the measurement failed (a count differs, a
server did not start).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import nginx  # noqa: E402  (the harness the test uses)

PY = sys.executable


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PY, "-m", "widget_server", *args],
        env=env,
        cwd=env.get("PYTHONPATH", ROOT),  # ``-m`` looks in the working directory first
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"widget-server {' '.join(args)}: {done.stderr}")
    return done.stdout


def network(env: dict[str, str], placements: int, base: str) -> list[str]:
    """One theme, ``placements`` hosts plus three more members; the hosts' embed tokens."""
    cli(env, "init")
    cli(env, "theme", "add", "hochzeit", "--name-de", "Hochzeit")
    slugs = [f"m{i}" for i in range(placements + 3)]
    for slug in slugs:
        site = f"https://{slug}.example"
        cli(env, "member", "add", slug, "--name", slug, "--website", site, "--theme", "hochzeit")
    return [
        json.loads(cli(env, "snippet", s, "hochzeit", "--base-url", base, "--json"))["token"]
        for s in slugs[:placements]
    ]


def cpu(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def requests_by_path(log: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("message") == "request":
                counts[entry["path"]] = counts.get(entry["path"], 0) + 1
    return counts


def stored(db: Path, kind: str) -> int:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(count), 0) FROM daily_counters WHERE kind = ? AND partner_id = 0",
            (kind,),
        ).fetchone()
    return int(row[0])


async def visits(base: str, tokens: list[str], visitors: int, parallel: int) -> int:
    """Every visitor loads every block (own address and browser); returns visits made."""
    limit = asyncio.Semaphore(parallel)

    async def visit(client: httpx.AsyncClient, p: int, n: int) -> None:
        me = {
            "X-Forwarded-For": f"10.{p}.{n // 250}.{n % 250 + 1}",
            "User-Agent": f"Firefox/{n}",
            "Origin": f"https://m{p}.example",  # a browser sends it with every cross-origin POST
        }
        async with limit:
            block = await client.get(f"{base}/w/{tokens[p]}", headers=me)
            block.raise_for_status()
            link = await client.post(block.json()["view"], headers=me)
            link.raise_for_status()
            if link.status_code == 204:  # a server before issue 19: that was the beacon
                return
            beacon = await client.post(link.json()["view"], headers=me)
            beacon.raise_for_status()

    # A new connection per request: a kept one that the server closes (uvicorn after 5 idle
    # seconds, easily reached on a busy machine) as it is reused would fail a POST.
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=60, limits=fresh) as client:
        for p in range(len(tokens)):  # each block's first visitor alone, as in any real start
            await visit(client, p, 0)
        jobs = [visit(client, p, n) for n in range(1, visitors) for p in range(len(tokens))]
        await asyncio.gather(*jobs)
    return len(tokens) * visitors


def measure(cached: bool, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    work = tmp / ("cached" if cached else "direct")
    work.mkdir()
    db = work / "bench.db"
    origin_port, edge_port = nginx.free_port(), nginx.free_port()
    base = f"http://127.0.0.1:{edge_port if cached else origin_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    if args.tree:  # another checkout's server, e.g. the commit before (--tree DIR)
        env["PYTHONPATH"] = str(Path(args.tree).resolve())
    env |= {
        "WIDGET_DATABASE_URL": f"sqlite:///{db}",
        "WIDGET_PUBLIC_URL": base,
        "WIDGET_LOG_LEVEL": "debug",  # the request log: what reached the server (both runs)
        "WIDGET_FLUSH_INTERVAL": "0.5",
    }
    tokens = network(env, args.placements, base)
    log = work / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [PY, "-m", "widget_server", "serve", "--port", str(origin_port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=env.get("PYTHONPATH", ROOT),
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{origin_port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        if cached:
            with nginx.nginx(origin_port, edge_port, work / "nginx"):
                before = cpu(server.pid)
                made = asyncio.run(visits(base, tokens, args.visitors, args.parallel))
                used = cpu(server.pid) - before
        else:
            before = cpu(server.pid)
            made = asyncio.run(visits(base, tokens, args.visitors, args.parallel))
            used = cpu(server.pid) - before
        server.send_signal(signal.SIGTERM)  # writes every count before it exits
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    by_path = requests_by_path(log)
    result = {
        "visits": made,
        "origin_block_requests": by_path.get("/w/{token}", 0),
        "origin_exchange_and_beacon_requests": by_path.get("/v/{token}", 0),
        "origin_cpu_seconds": round(used, 2),
        "stored_served": stored(db, "served"),
        "stored_viewed": stored(db, "viewed"),
    }
    if result["stored_served"] != made or result["stored_viewed"] != made:
        print(json.dumps(result), file=sys.stderr)
        raise SystemExit(1)  # every visitor is a distinct browser: each counts once
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--placements", type=int, default=20)
    parser.add_argument("--visitors", type=int, default=50, help="per placement")
    parser.add_argument("--parallel", type=int, default=32, help="visits at once")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--tree", help="run the server from this checkout (e.g. `git worktree add` of main)"
    )
    args = parser.parse_args()
    if not nginx.available():
        print("nginx is needed: apt-get install nginx-light", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        runs = {name: measure(name == "cached", args, Path(tmp)) for name in ("direct", "cached")}
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    print("| | direct | through nginx proxy_cache |")
    print("|---|---|---|")
    for key in runs["direct"]:
        print(f"| {key.replace('_', ' ')} | {runs['direct'][key]} | {runs['cached'][key]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
