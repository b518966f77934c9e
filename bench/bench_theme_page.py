"""Benchmark the theme page GET /t/{slug} against a bare Starlette app, per CPU-second.

Usage: python bench/bench_theme_page.py [--duration 5] [--members 40] [--rounds 2] [--json]

Method, and why:

* The servers, the load (wrk, one C thread, 64 connections) and the alternating
  rounds are bench_widget.py's: the theme page runs through ``python -m
  widget_server serve`` on a temporary SQLite network of one theme with
  ``--members`` members in eight categories, an introduction, and the baseline
  is bench/baseline_app.py's ``GET /hello``.
* The figure is requests per CPU-second of the server process (utime + stime
  from /proc), not per wall-clock second: on a machine shared with other work,
  what the process spent per answer is what the code decides; the ratio
  theme page / baseline, measured in the same run, is the one to compare.
* The page is made once per snapshot version and kept (docs/theme-page.md), so
  the loaded figure is the served-from-cache path.  What making it costs is
  measured too, in this process: the median CPU time of rendering it from the
  snapshot (cache dropped before each), over ``--renders`` renders.

Exit status 0 (a measurement, not a test); 1 when the measurement failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_widget import (  # noqa: E402  (after the path set-up)
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

INTRO = "Wir sind Betriebe aus einer Stadt.\n\nWir empfehlen einander, weil wir uns kennen."


def server_cpu(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def make_network(env: dict[str, str], members: int) -> None:
    widget_cli(env, "init --password-stdin", stdin="bench-password-42\n")
    widget_cli(env, "theme add hochzeit --name-de Hochzeit --name-en Wedding")
    widget_cli(env, "theme edit hochzeit", "--intro", INTRO)
    for i in range(members):
        widget_cli(
            env,
            f"member add member-{i} --name Mitglied-{i} --website https://m{i}.example.de"
            f" --theme hochzeit --category {CATEGORIES[i % len(CATEGORIES)]} --town Freiburg"
            " --postal-code 79098",
            *("--description", "Ein Betrieb aus dem Netzwerk."),
        )


def render_cost(database_url: str, renders: int) -> float:
    """Median CPU milliseconds to make the page anew (in this process, over ASGI)."""
    import httpx

    from widget_server.core.settings import Settings
    from widget_server.web.app import create_app

    async def measure() -> float:
        settings = Settings.from_environ({"WIDGET_DATABASE_URL": database_url})
        app = create_app(settings)
        times = []
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                for _ in range(renders):
                    app.state.runtime.snapshots.current.cache.clear()
                    start = time.process_time()
                    response = await c.get("/t/hochzeit")
                    times.append(time.process_time() - start)
                    if response.status_code != 200:
                        raise BenchError(f"/t/hochzeit answered {response.status_code}")
        return statistics.median(times) * 1000

    return asyncio.run(measure())


def bench(args: argparse.Namespace, tmp: Path, procs: list[subprocess.Popen[bytes]]) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    database_url = f"sqlite:///{tmp / 'bench.db'}"
    env |= {"WIDGET_DATABASE_URL": database_url, "WIDGET_LOG_LEVEL": "warning"}
    print(f"creating a network of {args.members} members in {tmp} ...", file=sys.stderr)
    make_network(env, args.members)
    port = {"baseline": free_port(), "theme": free_port()}
    base = {name: f"http://127.0.0.1:{p}" for name, p in port.items()}
    urls = {"baseline": f"{base['baseline']}/hello", "theme": f"{base['theme']}/t/hochzeit"}
    cmds = {
        "theme": f"-m widget_server serve --host 127.0.0.1 --port {port['theme']}",
        "baseline": f"-m uvicorn bench.baseline_app:app --host 127.0.0.1 --port {port['baseline']}"
        " --workers 1 --no-access-log --log-level warning --no-server-header --proxy-headers"
        " --forwarded-allow-ips 127.0.0.1 --loop auto --http auto",
    }
    pid = {}
    for name, ready in (("theme", "/healthz"), ("baseline", "/hello")):
        log = tmp / f"{name}.log"
        with log.open("wb") as out:
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
        wait_ready(base[name] + ready, procs[-1], log)
        pid[name] = procs[-1].pid
    page = fetch(urls["theme"], tmp / "theme.log")
    if b"application/ld+json" not in page or b"Mitglied-0" not in page:
        raise BenchError("the theme page lacks its members or its JSON-LD")
    pids = list(pid.values())
    for name in urls:
        wrk(urls[name], 64, 2, pids)
    rounds: dict[str, list[float]] = {name: [] for name in urls}
    for r in range(1, args.rounds + 1):
        for name in ("baseline", "theme"):
            before = server_cpu(pid[name])
            m = wrk(urls[name], 64, args.duration, pids)
            per_cpu = m["requests"] / max(server_cpu(pid[name]) - before, 1e-3)
            rounds[name].append(per_cpu)
            print(
                f"round {r} {name:<8} {m['rps']:9.1f} req/s  {per_cpu:9.1f} req/CPU-s"
                f"  p99 {m['p99_ms']:.2f} ms  other load {m['other_cores']:.2f} cores",
                file=sys.stderr,
            )
    med = {name: statistics.median(values) for name, values in rounds.items()}
    return {
        "date": time.strftime("%Y-%m-%d"),
        **describe_setup(),
        "members": args.members,
        "page_bytes": len(page),
        "requests_per_cpu_second": med,
        "ratio": round(med["theme"] / med["baseline"], 3),
        "render_cpu_ms": round(render_cost(database_url, args.renders), 2),
        "per_round": rounds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per round and target")
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--renders", type=int, default=50, help="cold renders to time")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench_theme_page: error: wrk is not installed", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    procs: list[subprocess.Popen[bytes]] = []
    tmp = Path(tempfile.mkdtemp(prefix="partnerkreis-bench-"))
    try:
        res = bench(args, tmp, procs)
    except BenchError as exc:
        print(f"bench_theme_page: error: {exc}", file=sys.stderr)
        return 1
    finally:
        stop(procs)
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        rate = res["requests_per_cpu_second"]
        print(f"theme page  {rate['theme']:9.1f} req/CPU-s  ({res['page_bytes']} bytes)")
        print(f"baseline    {rate['baseline']:9.1f} req/CPU-s")
        print(f"ratio       {res['ratio']:.3f}   (same run)")
        print(f"making the page anew: {res['render_cpu_ms']} ms CPU (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
