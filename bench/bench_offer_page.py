"""The joint offer's page ``/o/{slug}`` against a bare Starlette app and the theme directory.

The offer page reads storage on every request (offers are not in the widget's
snapshot) and may be cached by proxies for five minutes; this measures what it
costs when nothing caches it.  Same setup as ``bench_widget.py`` (a network made
through the CLI, ``widget-server serve`` in its default configuration, wrk),
with one live offer of three members added through the service functions.
Prints req/s per target and the ratios to the baseline measured in the same
run.  A measurement, not a test: exit status 0 unless the measurement failed.

    .venv/bin/python bench/bench_offer_page.py [--duration 10] [--rounds 2] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_widget import (  # noqa: E402
    CATEGORIES,
    PY,
    ROOT,
    BenchError,
    describe_setup,
    fetch,
    free_port,
    stop,
    wait_ready,
    widget_cli,
    wrk,
)


def make_network(env: dict[str, str], members: int) -> None:
    """One theme with ``members`` active members, made with the CLI as bench_widget does."""
    widget_cli(env, "init --password-stdin", stdin="bench-password-42\n")
    widget_cli(env, "theme add hochzeit --name-de Hochzeit --name-en Wedding")
    for i in range(members):
        widget_cli(
            env,
            f"member add member-{i} --name Mitglied-{i} --website https://m{i}.example.de"
            f" --theme hochzeit --category {CATEGORIES[i % len(CATEGORIES)]} --town Freiburg",
        )


async def add_offer(db: Path) -> str:
    from widget_server.network import offers
    from widget_server.storage import SQLiteStorage

    storage = SQLiteStorage(db)
    await storage.open()
    try:
        today = datetime.now(UTC).date()
        proposal = offers.Proposal(
            "hochzeit",
            "Hochzeitspaket",
            "Kleid, Blumen und Torte.\n\nAlles aus einer Hand.",
            "zusammen 10 % günstiger",
            today,
            today + timedelta(days=30),
            ["member-1", "member-2"],
        )
        offer = await offers.propose(storage, await storage.get_member("member-0"), proposal, today)
        for slug in ("member-1", "member-2"):
            await offers.confirm(storage, offer.id, await storage.get_member(slug), True)
        return offer.slug
    finally:
        await storage.close()


def bench(args: argparse.Namespace, tmp: Path, procs: list[subprocess.Popen[bytes]]) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    db = tmp / "bench.db"
    env |= {"WIDGET_DATABASE_URL": f"sqlite:///{db}", "WIDGET_LOG_LEVEL": "warning"}
    make_network(env, 8)
    slug = asyncio.run(add_offer(db))
    port = {"baseline": free_port(), "server": free_port()}
    base = {name: f"http://127.0.0.1:{p}" for name, p in port.items()}
    urls = {
        "baseline": f"{base['baseline']}/hello",
        "offer": f"{base['server']}/o/{slug}",
        "directory": f"{base['server']}/t/hochzeit",
    }
    cmds = {
        "server": f"-m widget_server serve --host 127.0.0.1 --port {port['server']}",
        "baseline": f"-m uvicorn bench.baseline_app:app --host 127.0.0.1 --port {port['baseline']}"
        " --workers 1 --no-access-log --log-level warning --no-server-header --proxy-headers"
        " --forwarded-allow-ips 127.0.0.1 --loop auto --http auto",
    }
    logs = {name: tmp / f"{name}.log" for name in cmds}
    for name, ready in (("server", "/healthz"), ("baseline", "/hello")):
        with logs[name].open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [PY, *cmds[name].split()],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=out,
                    start_new_session=True,
                )
            )
        wait_ready(base[name] + ready, procs[-1], logs[name])
    page = fetch(urls["offer"], logs["server"])
    if b"Hochzeitspaket" not in page:
        raise BenchError("the offer page does not show the offer")
    pids = [p.pid for p in procs]
    for url in urls.values():
        wrk(url, args.connections, 2, pids)
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
    for r in range(1, args.rounds + 1):
        for name, url in urls.items():
            rounds[name].append(m := wrk(url, args.connections, args.duration, pids))
            print(
                f"round {r} {name:<9} {m['rps']:9.1f} req/s  p99 {m['p99_ms']:.2f} ms"
                f"  other load {m['other_cores']:.2f} cores",
                file=sys.stderr,
            )
    med = {n: statistics.median(x["rps"] for x in rs) for n, rs in rounds.items()}
    return {
        "date": time.strftime("%Y-%m-%d"),
        **describe_setup(),
        "wrk": f"wrk -t1 -c{args.connections} -d{args.duration}s",
        "page_bytes": len(page),
        "median_rps": med,
        "ratio_offer_to_baseline": round(med["offer"] / med["baseline"], 3),
        "ratio_directory_to_baseline": round(med["directory"] / med["baseline"], 3),
        "per_round": rounds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per round and target")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--rounds", type=int, default=2, help="rounds (the median is reported)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            result = bench(args, Path(tmp), procs)
    except BenchError as exc:
        print(f"bench_offer_page: {exc}", file=sys.stderr)
        return 1
    finally:
        stop(procs)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        med = result["median_rps"]
        for name in ("baseline", "offer", "directory"):
            print(f"{name:<10} {med[name]:9.1f} req/s")
        print(f"offer page / baseline      {result['ratio_offer_to_baseline']}")
        print(f"directory page / baseline  {result['ratio_directory_to_baseline']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
