"""Benchmark counting and large themes, each against the bare Starlette endpoint.

Usage: python bench/bench_counting.py [--duration 8] [--rounds 1] [--beacons 250000]
       [--redis redis://127.0.0.1:6379/15] [--json]

Three measurements, each in the same run as the baseline (bench/baseline_app.py)
with the method of bench_widget.py (separate wrk process, same uvicorn
settings, alternating rounds, medians):

* **500 members**: ``GET /w/{token}`` in a theme of 500 active members under the
  default rules (fair exchange), against the baseline.  Selection must stay
  within the widget budget (ratio >= 0.5, p99 <= 10 ms).
* **counting on/off**: the same block from a server with counting (default) and
  one with ``WIDGET_COUNTING=false``; counting may cost at most 10 %.
* **view intake**: ``POST /v/{token}`` as fast as wrk can send it, every beacon a
  distinct, valid, one-time token from a distinct visitor (X-Forwarded-For and
  user agent vary; the server trusts its loopback proxy), so every beacon takes
  the full crediting path.  Target: >= 10,000 beacons/s on one worker.  After the
  run the server is stopped with SIGTERM and the stored block views are compared
  with the beacons wrk got answers for: every one must be in the database (a
  few more may be: beacons still in flight when wrk stops are credited too).

The network is made through the Python API (500 members through the CLI would
take minutes); the view tokens are signed with the network's own key.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_widget import (  # noqa: E402  (after the path set-up)
    PY,
    ROOT,
    BenchError,
    describe_setup,
    fetch,
    free_port,
    stop,
    wait_ready,
    wrk,
)

INTAKE_TARGET = 10_000  # beacons per second on one worker
COUNTING_COST = 0.10  # counting may cost at most this share of widget throughput
ORIGIN = "https://m0.example"


async def make_network(db: Path | str, members: int) -> tuple[str, str, list[int], list[str]]:
    """A theme of ``members`` in a database (a SQLite file, or any database URL).

    Returns member 0's embed token, the signing key, the member ids and placement ids.
    """
    from widget_server.core.settings import Settings
    from widget_server.core.signing import Signer
    from widget_server.network.database import ensure_secret_keys
    from widget_server.network.services import MemberInput, add_member, add_theme, placement_for
    from widget_server.storage import storage_from_url

    storage = storage_from_url(db if isinstance(db, str) else f"sqlite:///{db}")
    await storage.open()
    try:
        await storage.migrate()
        keys = await ensure_secret_keys(storage, Settings(), create=True)
        await add_theme(storage, slug="hochzeit", name_de="Hochzeit")
        ids = []
        for i in range(members):
            member = await add_member(
                storage,
                MemberInput(
                    slug=f"m{i}",
                    name=f"Betrieb {i}",
                    website=f"https://m{i}.example/",
                    description="Ein Betrieb aus dem Netzwerk, mit einer kurzen Beschreibung.",
                    category=f"cat-{i % 40}",
                    town="Heide",
                    themes=("hochzeit",),
                    status="active",
                ),
            )
            ids.append(member.id)
        _, _, placement = await placement_for(storage, "m0", "hochzeit")
    finally:
        await storage.close()
    return Signer(keys).embed_token(placement.id), keys[-1], ids, [str(placement.id)]


def beacon_script(path: Path, key: str, placement_id: int, partners: list[int], n: int) -> None:
    """A wrk Lua script posting ``n`` distinct view tokens from distinct visitors."""
    from widget_server.core.signing import Signer

    signer = Signer([key])
    slots = [(p, pos, True) for pos, p in enumerate(partners, start=1)]
    prefix = Signer.view_prefix(placement_id, 1, slots)
    tokens = (signer.view_token(prefix, f"b{i:x}") for i in range(n))
    with path.open("w") as out:
        out.write("local tokens = {\n")
        for token in tokens:
            out.write(f'"{token}",\n')
        out.write(
            "}\nlocal i = 0\n"
            "request = function()\n"
            "  i = i + 1\n"
            "  local t = tokens[((i - 1) % #tokens) + 1]\n"
            "  local ip = '10.' .. (i % 250) .. '.' .. (math.floor(i / 250) % 250) .. '.'"
            " .. (math.floor(i / 62500) % 250 + 1)\n"
            f"  return wrk.format('POST', '/v/' .. t, {{['Origin'] = '{ORIGIN}',"
            " ['X-Forwarded-For'] = ip, ['User-Agent'] = 'Mozilla/5.0 (X11) Firefox/' .. i})\n"
            "end\n"
        )


def start(
    name: str, cmd: str, env: dict[str, str], tmp: Path, ready: str, procs: list[Any]
) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [PY, *cmd.format(port=port).split()],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    procs.append(proc)
    base = f"http://127.0.0.1:{port}"
    wait_ready(base + ready, proc, log)
    return base, proc


def stored_block_views(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(count), 0) FROM daily_counters"
            " WHERE kind = 'viewed' AND partner_id = 0"
        ).fetchone()
    return int(row[0])


def measure(args: argparse.Namespace, tmp: Path, procs: list[Any]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    env["WIDGET_LOG_LEVEL"] = "warning"
    big, small = tmp / "big.db", tmp / "small.db"
    print("creating networks of 500 and 8 members ...", file=sys.stderr)
    big_token, _, _, _ = asyncio.run(make_network(big, 500))
    token, key, ids, placements = asyncio.run(make_network(small, 8))
    serve = "-m widget_server serve --host 127.0.0.1 --port {port}"
    baseline = (
        "-m uvicorn bench.baseline_app:app --host 127.0.0.1 --port {port} --workers 1"
        " --no-access-log --log-level warning --no-server-header --proxy-headers"
        " --forwarded-allow-ips 127.0.0.1 --loop auto --http auto"
    )
    db_env = {
        "big": {**env, "WIDGET_DATABASE_URL": f"sqlite:///{big}"},
        "on": {**env, "WIDGET_DATABASE_URL": f"sqlite:///{small}"},
        "off": {**env, "WIDGET_DATABASE_URL": f"sqlite:///{small}", "WIDGET_COUNTING": "false"},
    }
    base = {"baseline": start("baseline", baseline, env, tmp, "/hello", procs)[0]}
    for name in ("big", "on", "off"):
        base[name] = start(name, serve, db_env[name], tmp, "/healthz", procs)[0]
    urls = {
        "baseline": f"{base['baseline']}/hello",
        "big": f"{base['big']}/w/{big_token}",
        "on": f"{base['on']}/w/{token}",
        "off": f"{base['off']}/w/{token}",
    }
    for name in ("big", "on", "off"):
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
                f"round {r} {name:<8} {m['rps']:9.1f} req/s p99 {m['p99_ms']:.2f} ms",
                file=sys.stderr,
            )
    med = {
        n: {k: statistics.median(x[k] for x in rs) for k in ("rps", "p99_ms")}
        for n, rs in rounds.items()
    }

    # The intake: its own server, so the stored counts are only the beacons'.
    stop(procs[2:])  # the widget servers are done; the small network's db gets the beacons
    del procs[2:]
    # The shared visitor state: the database by default, Redis with --redis.
    intake_env = {**db_env["on"], **({"WIDGET_REDIS_URL": args.redis} if args.redis else {})}
    intake_base, intake = start("intake", serve, intake_env, tmp, "/healthz", procs)
    before = stored_block_views(small)
    script = tmp / "beacons.lua"
    print(f"signing {args.beacons} view tokens ...", file=sys.stderr)
    beacon_script(script, key, int(placements[0]), ids[1:4], args.beacons)
    beacons = wrk(
        intake_base + "/v/x", args.connections, args.duration, [p.pid for p in procs], script
    )
    intake.send_signal(signal.SIGTERM)
    intake.wait(timeout=30)
    stored = stored_block_views(small) - before
    if beacons["requests"] > args.beacons:
        raise BenchError("more beacons sent than tokens made: raise --beacons")
    ratio_big = med["big"]["rps"] / med["baseline"]["rps"]
    cost = 1 - med["on"]["rps"] / med["off"]["rps"]
    return {
        "date": time.strftime("%Y-%m-%d"),
        **describe_setup(),
        "wrk": f"wrk -t1 -c{args.connections} -d{args.duration}s, {args.rounds} round(s)",
        "median": med,
        "members_500": {
            "ratio": round(ratio_big, 3),
            "p99_ms": med["big"]["p99_ms"],
            "pass": ratio_big >= 0.5 and med["big"]["p99_ms"] <= 10,
        },
        "counting_cost": {"share": round(cost, 3), "pass": cost <= COUNTING_COST},
        "intake": {
            "visitor_state": "redis" if args.redis else "database",
            "beacons_per_s": beacons["rps"],
            "p99_ms": beacons["p99_ms"],
            "answered": int(beacons["requests"]),
            "stored": stored,
            "ratio_to_baseline": round(beacons["rps"] / med["baseline"]["rps"], 3),
            # wrk counts answered beacons; those in flight when it stops are credited
            # too, so the stored count may exceed the answered one, never fall short.
            "pass": beacons["rps"] >= INTAKE_TARGET and stored >= beacons["requests"],
        },
    }


def report(res: dict[str, Any]) -> None:
    med, big, cost, intake = res["median"], res["members_500"], res["counting_cost"], res["intake"]
    mark = {True: "PASS", False: "MISS"}
    print(f"\n{res['wrk']}; {res['server']}; {res['date']}; tree {res['tree']}\n")
    print(f"{'target':<34}{'req/s':>10}{'p99 ms':>9}")
    for name, label in (
        ("baseline", "baseline GET /hello"),
        ("big", "widget, theme of 500"),
        ("on", "widget, counting on"),
        ("off", "widget, counting off"),
    ):
        print(f"{label:<34}{med[name]['rps']:>10.1f}{med[name]['p99_ms']:>9.2f}")
    print(
        f"{'view beacons POST /v/{token}':<34}{intake['beacons_per_s']:>10.1f}"
        f"{intake['p99_ms']:>9.2f}\n"
    )
    print(
        f"500 members: ratio {big['ratio']:.3f} (>= 0.5), p99 {big['p99_ms']:.2f} ms"
        f" (<= 10)  {mark[big['pass']]}"
    )
    print(
        f"counting costs {cost['share']:.1%} of widget throughput (<= 10 %)  {mark[cost['pass']]}"
    )
    print(
        f"intake {intake['beacons_per_s']:.0f} beacons/s (>= {INTAKE_TARGET}), ratio to"
        f" baseline {intake['ratio_to_baseline']:.3f}; answered {intake['answered']},"
        f" stored {intake['stored']}  {mark[intake['pass']]}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--beacons", type=int, default=250_000)
    parser.add_argument("--redis", metavar="URL", help="visitor state in Redis for the intake")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    procs: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="partnerkreis-bench-") as tmp:
        try:
            res = measure(args, Path(tmp), procs)
        except BenchError as exc:
            print(f"bench_counting: {exc}", file=sys.stderr)
            return 1
        finally:
            stop(procs)
    print(json.dumps(res, indent=2)) if args.json else report(res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
