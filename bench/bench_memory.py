"""Where a large network's server memory goes: start, warm, after many distinct blocks.

Usage: python bench/bench_memory.py --url sqlite:///PATH/scale.db [--make]
                                    [--members 100000] [--themes 2000]
                                    [--requests 100000] [--trace] [--json]

The app runs in this process (``create_app`` with its lifespan, the real
runtime: snapshot holder, warm-up, counting) over the network at ``--url``;
``--make`` first makes it there as ``bench_snapshot.py`` does (``init``, the
themes, one ``member import`` of ``bench_scale.py``'s members).  Then:

* **start**: from creating the app to the first block answered (the snapshot
  loaded, the stored ledger installed): this process's CPU and wall time, RSS;
* **warm**: once every theme's pool, shared plan part and orders of the day are
  built (the server's warm-up, ``SnapshotHolder.warm``): RSS and CPU;
* **served**: after ``--requests`` requests for ``/w/{token}``, every placement's
  token in a shuffled order (the long tail of ``bench_scale.py``'s
  distinct-token runs), made by calling the ASGI app directly: RSS, and what
  the render cache holds.

``--trace`` runs it under ``tracemalloc`` (several times slower, and its own
bookkeeping inflates the RSS: take RSS and CPU from a run without it) and
prints, per stage, what was allocated by which source line.  The same script
run from another tree's root measures that tree (``sys.path`` starts at the
script's own parent directory).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_snapshot import members_file  # noqa: E402
from bench.scale_network import add_themes, cli, embed_tokens  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def make(url: str, members: int, themes: int, env: dict[str, str]) -> None:
    cli(env, "init", "--password-stdin", stdin="bench-password-42\n")
    asyncio.run(add_themes(url, themes))
    file = Path(url.removeprefix("sqlite:///") + ".csv")
    members_file(file, members, themes)
    cli(env, "member", "import", str(file), "--json")
    file.unlink()


async def get(app: Any, path: str) -> int:
    """One GET through the ASGI app, as uvicorn would call it; the status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench_memory")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def top(before: tracemalloc.Snapshot | None, after: tracemalloc.Snapshot, n: int) -> list[str]:
    stats = after.compare_to(before, "lineno") if before else after.statistics("lineno")
    rows = []
    for s in stats[:n]:
        frame = s.traceback[0]
        name = frame.filename.split("/widget_server/")[-1].split("/site-packages/")[-1]
        size = getattr(s, "size_diff", s.size)
        count = getattr(s, "count_diff", s.count)
        rows.append(f"{size / 2**20:8.2f} MB {count:9d} blocks  {name}:{frame.lineno}")
    return rows


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from widget_server.core.settings import Settings
    from widget_server.web.app import create_app

    tokens = await embed_tokens(args.url)
    random.Random(6).shuffle(tokens)
    settings = Settings.from_environ(
        {"WIDGET_DATABASE_URL": args.url, "WIDGET_LOG_LEVEL": "warning"}
    )
    gc.collect()
    if args.trace:
        tracemalloc.start()
    result: dict[str, Any] = {"rss_before_mb": rss_mb()}
    traces: dict[str, tracemalloc.Snapshot] = {}
    cpu0, wall0 = time.process_time(), time.monotonic()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        status = await get(app, f"/w/{tokens[0]}")
        assert status == 200, status
        result["start"] = {
            "cpu_s": round(time.process_time() - cpu0, 2),
            "wall_s": round(time.monotonic() - wall0, 2),
            "rss_mb": rss_mb(),
        }
        if args.trace:
            traces["start"] = tracemalloc.take_snapshot()
        holder = app.state.runtime.snapshots
        await holder.warm()  # what the server's own warm-up task does meanwhile
        await asyncio.sleep(0.5)
        result["warm"] = {
            "cpu_s": round(time.process_time() - cpu0, 2),
            "wall_s": round(time.monotonic() - wall0, 2),
            "rss_mb": rss_mb(),
        }
        if args.trace:
            traces["warm"] = tracemalloc.take_snapshot()
        cpu1 = time.process_time()
        for n in range(args.requests):
            status = await get(app, f"/w/{tokens[n % len(tokens)]}")
            assert status == 200, status
            if n % 1000 == 999:
                await asyncio.sleep(0)  # the background tasks' turn
        cache = holder.current.cache
        result["served"] = {
            "requests": args.requests,
            "cpu_us_per_request": round(
                (time.process_time() - cpu1) / max(args.requests, 1) * 1e6, 1
            ),
            "rss_mb": rss_mb(),
            "cache_entries": len(cache),
            "cache_ready": len(cache.ready),
            "cache_estimated_mb": round(
                (getattr(cache, "entry_bytes", 0) + getattr(cache, "ready_bytes", 0)) / 2**20, 1
            ),
        }
        if args.trace:
            traces["served"] = tracemalloc.take_snapshot()
    if args.trace:
        before = None
        for stage, snap in traces.items():
            total = sum(s.size for s in snap.statistics("filename")) / 2**20
            result[stage]["traced_mb"] = round(total, 1)
            result[stage]["top"] = top(before, snap, args.top)
            before = snap
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="sqlite:///PATH or postgresql://...")
    parser.add_argument("--make", action="store_true", help="make the network there first")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--themes", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--trace", action="store_true", help="tracemalloc, per source line")
    parser.add_argument("--top", type=int, default=25, help="lines shown per stage (--trace)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.make:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
        env |= {"WIDGET_DATABASE_URL": args.url, "WIDGET_NEW_MEMBERS": "active"}
        env["WIDGET_LOG_LEVEL"] = "warning"
        make(args.url, args.members, args.themes, env)
    result = asyncio.run(run(args))
    result["load_average"] = [round(x, 1) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for stage in ("start", "warm", "served"):
        figures = {k: v for k, v in result[stage].items() if k != "top"}
        print(f"{stage}: {figures}")
        for line in result[stage].get("top", ()):
            print("   ", line)
    print(f"load average {result['load_average']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
