"""Widget throughput with several worker processes on PostgreSQL, and its database independence.

Usage: python bench/bench_workers.py [--duration 8] [--rounds 2] [--postgres URL]

Same method as bench_widget.py (separate wrk, same uvicorn settings, alternating
rounds, medians).  One network of 8 members is made once on PostgreSQL (in a
schema of its own, dropped afterwards) and once on SQLite; then
``GET /w/{token}`` is measured on

* PostgreSQL with ``serve --workers 1`` and ``--workers 2``: their ratio is what a
  second process buys on this machine (2 cores, shared with wrk);
* SQLite with one worker: the hot path reads an in-memory snapshot, so its
  latency must not depend on the database: PostgreSQL (a network round trip
  away) and SQLite (a file) must give the same latency within noise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_counting import make_network, start  # noqa: E402
from bench.bench_widget import BenchError, describe_setup, fetch, stop, wrk  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


async def schema(url: str, name: str, *, drop: bool) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        verb = f"DROP SCHEMA IF EXISTS {name} CASCADE" if drop else f"CREATE SCHEMA {name}"
        await conn.execute(verb)
    finally:
        await conn.close()


def measure(args: argparse.Namespace, tmp: Path, procs: list[Any], pg_url: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    env["WIDGET_LOG_LEVEL"] = "warning"
    sqlite_url = f"sqlite:///{tmp / 'bench.db'}"
    tokens = {
        "sqlite": asyncio.run(make_network(sqlite_url, 8))[0],
        "pg": asyncio.run(make_network(pg_url, 8))[0],
    }
    serve = "-m widget_server serve --host 127.0.0.1 --port {port}"
    targets = {
        "sqlite-1": (sqlite_url, serve, tokens["sqlite"]),
        "pg-1": (pg_url, serve, tokens["pg"]),
        "pg-2": (pg_url, serve + " --workers 2", tokens["pg"]),
    }
    urls = {}
    for name, (db, cmd, token) in targets.items():
        base, _ = start(name, cmd, {**env, "WIDGET_DATABASE_URL": db}, tmp, "/healthz", procs)
        urls[name] = f"{base}/w/{token}"
        if not json.loads(fetch(urls[name], tmp / f"{name}.log"))["partners"]:
            raise BenchError(f"{name}: the block shows no partners")
    pids = [p.pid for p in procs]
    for url in urls.values():
        wrk(url, args.connections, 2, pids)  # warm-up
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
    for r in range(1, args.rounds + 1):
        for name, url in urls.items():
            rounds[name].append(m := wrk(url, args.connections, args.duration, pids))
            print(
                f"round {r} {name:<9} {m['rps']:9.1f} req/s p50 {m['p50_ms']:.2f}"
                f" p99 {m['p99_ms']:.2f} ms",
                file=sys.stderr,
            )
    med = {
        n: {k: statistics.median(x[k] for x in rs) for k in ("rps", "p50_ms", "p99_ms")}
        for n, rs in rounds.items()
    }
    return {
        **describe_setup(),
        "wrk": f"wrk -t1 -c{args.connections} -d{args.duration}s, {args.rounds} round(s)",
        "median": med,
        "workers_ratio": round(med["pg-2"]["rps"] / med["pg-1"]["rps"], 3),
        "pg_vs_sqlite_p50": round(med["pg-1"]["p50_ms"] / med["sqlite-1"]["p50_ms"], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", default=os.environ.get("WIDGET_BENCH_POSTGRES", DEFAULT_PG))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    name = f"bench_{secrets.token_hex(4)}"
    pg_url = f"{args.postgres}?search_path={name}"
    procs: list[Any] = []
    asyncio.run(schema(args.postgres, name, drop=False))
    with tempfile.TemporaryDirectory(prefix="partnerkreis-bench-") as tmp:
        try:
            res = measure(args, Path(tmp), procs, pg_url)
        except BenchError as exc:
            print(f"bench_workers: {exc}", file=sys.stderr)
            return 1
        finally:
            stop(procs)
            asyncio.run(schema(args.postgres, name, drop=True))
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    print(f"\n{res['wrk']}; {res['server']}; tree {res['tree']}\n")
    print(f"{'target':<30}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for key, label in (
        ("sqlite-1", "SQLite, 1 worker"),
        ("pg-1", "PostgreSQL, 1 worker"),
        ("pg-2", "PostgreSQL, 2 workers"),
    ):
        m = res["median"][key]
        print(f"{label:<30}{m['rps']:>10.1f}{m['p50_ms']:>9.2f}{m['p99_ms']:>9.2f}")
    print(f"\n2 workers / 1 worker on PostgreSQL: {res['workers_ratio']:.2f}x")
    print(f"p50 latency PostgreSQL / SQLite (1 worker): {res['pg_vs_sqlite_p50']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
