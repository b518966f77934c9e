"""How a large network's server takes changes: start, memory, stalls, time until served.

Usage: python bench/bench_snapshot.py [--members 100000] [--themes 2000]
                                      [--database sqlite|postgres|both] [--rounds 5] [--json]

The network is made like ``bench_scale.py`` makes it (``init``, the themes
in-process, one ``member import``).  Then the server runs through its real
entry point and this script measures:

* **start**: from starting the process to the first 200 of a block, and the
  process's RSS at that moment;
* **stalls**: one client asks for the same block again and again over one
  connection (a request at a time) for the whole run; its longest answer is
  the longest stall of the event loop (a block costs well under a
  millisecond).  Taken over an idle phase (no writes) and over the change
  phase;
* **changes**, ``--rounds`` times each: a rule change through the API of the
  serving process (``PUT /api/v1/themes/T/rules``, the partner count: 2), a rule
  change by another process (``widget-server rules set``, 1 partner), and a new member
  through the API (``POST /api/v1/members``).  For the rule changes, the time
  from sending the write (from the CLI's exit for the other process) until
  the block shows the new partner count; for the writes, how long the API took
  to answer.

Exit status 0 even when a target is missed; 1 when the measurement failed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_scale import (  # noqa: E402  (after the path set-up)
    DEFAULT_PG,
    add_themes,
    cli,
    embed_tokens,
    member_rows,
    proc_rss_mb,
    schema,
    wait_block,
)
from bench.bench_widget import PY, ROOT, BenchError, describe_setup, free_port, stop  # noqa: E402


def members_file(path: Path, members: int, themes: int) -> str:
    """The network of bench_scale (same generator) as a CSV for ``member import``;
    returns member m0's first theme."""
    rows = member_rows(members, themes)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["slug", "name", "website", "description", "category", "town", "themes"])
        for r in rows:
            out.writerow(
                [
                    *(r[k] for k in ("slug", "name", "website", "description")),
                    r["category"],
                    r["town"],
                    " ".join(r["themes"]),
                ]
            )
    return str(rows[0]["themes"][0])


class Prober(threading.Thread):
    """Asks for one block over and over, one request at a time; keeps the longest answer."""

    def __init__(self, port: int, path: str) -> None:
        super().__init__(daemon=True)
        self.port, self.path = port, path
        self.longest = 0.0
        self.requests = 0
        self.done = threading.Event()

    def reset(self) -> tuple[float, int]:
        longest, requests = self.longest, self.requests
        self.longest, self.requests = 0.0, 0
        return longest, requests

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        while not self.done.is_set():  # the server stops only after done is set
            start = time.perf_counter()
            conn.request("GET", self.path)
            resp = conn.getresponse()
            resp.read()
            self.longest = max(self.longest, time.perf_counter() - start)
            self.requests += 1
        conn.close()


def request(
    port: int, method: str, path: str, body: Any = None, key: str = ""
) -> tuple[int, Any, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    start = time.perf_counter()
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    took = time.perf_counter() - start
    conn.close()
    return resp.status, json.loads(raw) if raw else None, took


def until_partners(port: int, path: str, count: int, since: float, limit: float = 120) -> float:
    """Seconds from ``since`` until the block at ``path`` shows ``count`` partners."""
    while time.perf_counter() - since < limit:
        status, block, _ = request(port, "GET", path)
        if status == 200 and len(block.get("partners", ())) == count:
            return time.perf_counter() - since
        time.sleep(0.02)
    raise BenchError(f"{path} did not show {count} partners within {limit} s")


def network(
    name: str, url: str, env: dict[str, str], size: tuple[int, int], tmp: Path, args: Any
) -> dict[str, Any]:
    members, themes = size
    env = env | {"WIDGET_DATABASE_URL": url}
    print(f"[{name}] {members} members in {themes} themes ...", file=sys.stderr)
    cli(env, "init", "--password-stdin", stdin="bench-password-42\n")
    asyncio.run(add_themes(url, themes))
    file = tmp / f"{name}.csv"
    theme = members_file(file, members, themes)
    cli(env, "member", "import", str(file), "--json")
    created = subprocess.run(
        [PY, "-m", "widget_server", "key", "create", "--scope", "coordinator", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = json.loads(created.stdout)["key"]
    token = asyncio.run(embed_tokens(url))[0]  # m0 in its first theme
    port = free_port()
    log = tmp / f"{name}.log"
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [PY, "-m", "widget_server", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    args.procs.append(proc)
    block = f"/w/{token}"
    wait_block(f"http://127.0.0.1:{port}{block}", proc, log)
    result: dict[str, Any] = {
        "members": members,
        "themes": themes,
        "start_s": round(time.monotonic() - started, 2),
        "rss_start_mb": proc_rss_mb(proc.pid),
    }
    print(f"[{name}] started in {result['start_s']} s; idle ...", file=sys.stderr)
    prober = Prober(port, block)
    prober.start()
    time.sleep(args.idle)
    longest, count = prober.reset()
    result["idle"] = {"seconds": args.idle, "requests": count, "longest_ms": round(longest * 1e3)}
    print(f"[{name}] changes ...", file=sys.stderr)
    rules_path = f"/api/v1/themes/{theme}/rules"
    own, other, writes, creates = [], [], [], []
    rules_file = tmp / f"{name}.rules.json"
    for n in range(args.rounds):
        since = time.perf_counter()
        status, _, took = request(port, "PUT", rules_path, {"partners": {"max": 2}}, key)
        if status != 200:
            raise BenchError(f"PUT rules answered {status}")
        writes.append(took)
        own.append(until_partners(port, block, 2, since))
        rules_file.write_text(json.dumps({"partners": {"max": 1, "min": 1}}))
        cli(env, "rules", "set", theme, str(rules_file))
        other.append(until_partners(port, block, 1, time.perf_counter()))
        status, _, took = request(
            port,
            "POST",
            "/api/v1/members",
            {
                "slug": f"bench-{n}",
                "name": f"Neu {n}",
                "website": f"https://bench-{n}.example.de/",
                "themes": [theme],
            },
            key,
        )
        if status != 201:
            raise BenchError(f"POST member answered {status}")
        creates.append(took)
    longest, count = prober.reset()
    prober.done.set()
    prober.join(timeout=130)
    result["changes"] = {
        "rounds": args.rounds,
        "requests": count,
        "longest_stall_ms": round(longest * 1e3),
        "rules_put_ms_max": round(max(writes) * 1e3),
        "served_after_own_write_s_max": round(max(own), 2),
        "served_after_other_process_s_max": round(max(other), 2),
        "member_post_ms_max": round(max(creates) * 1e3),
    }
    result["rss_end_mb"] = proc_rss_mb(proc.pid)
    proc.terminate()
    proc.wait(timeout=30)
    return result


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    env["WIDGET_LOG_LEVEL"] = "warning"
    size = (args.members, args.themes)
    databases: dict[str, Any] = {}
    for db in ("sqlite", "postgres") if args.database == "both" else (args.database,):
        if db == "sqlite":
            databases[db] = network(db, f"sqlite:///{tmp / db}.db", env, size, tmp, args)
            continue
        schema_name = f"bench_snapshot_{os.getpid()}"
        asyncio.run(schema(args.postgres, schema_name, drop=False))
        try:
            url = f"{args.postgres}?search_path={schema_name}"
            databases[db] = network(db, url, env, size, tmp, args)
        finally:
            asyncio.run(schema(args.postgres, schema_name, drop=True))
    return {"date": time.strftime("%Y-%m-%d %H:%M"), **describe_setup(), "databases": databases}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--themes", type=int, default=2_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres", default=os.environ.get("WIDGET_BENCH_POSTGRES", DEFAULT_PG))
    parser.add_argument("--rounds", type=int, default=5, help="changes of each kind")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds without writes")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.members < 10 or not 1 <= args.themes <= args.members // 5:
        parser.error("--members must be >= 10, --themes between 1 and members / 5")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.procs = []
    tmp = Path(tempfile.mkdtemp(prefix="partnerkreis-snapshot-"))
    try:
        res = measure(args, tmp)
    except BenchError as exc:
        print(f"bench_snapshot: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        stop(args.procs)
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
