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
  to answer.  Then once each: a member's edit (``PATCH``), a pause and an
  activation (``POST .../pause``, ``.../activate``) and a bulk import of
  ``--bulk`` new members (``POST /api/v1/members/bulk``: one full reload in
  the background), the prober still asking;
* **the ledger** (``--ledger-interval`` seconds, the server's
  ``WIDGET_LEDGER_INTERVAL``, 0 to skip): the prober over one interval plus
  5 s without writes, so a ledger run falls into it.

``--watch FILE`` runs the server under ``bench/stallwatch.py``: for each phase the
server's own event-loop lag (a 2 ms ticker on its loop) with what the loop
thread did meanwhile (its CPU, its time queued for a CPU, blocked on the GIL)
and the stacks a watchdog thread sampled, so a stall the client sees can be
told from the machine's load.  ``--url`` makes the network there and keeps
it; ``--url ... --reuse`` measures a network made so before (the build takes
minutes at 100,000 members).

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

from bench import stallwatch  # noqa: E402
from bench.bench_scale import proc_cpu, proc_rss_mb, wait_block  # noqa: E402  (after the path set-up)
from bench.bench_widget import PY, ROOT, BenchError, describe_setup, free_port, stop  # noqa: E402
from bench.scale_network import DEFAULT_PG, add_themes, cli, member_rows, schema  # noqa: E402


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


def make(name: str, url: str, env: dict[str, str], size: tuple[int, int], tmp: Path) -> str:
    """The network at ``url``; m0's first theme."""
    members, themes = size
    print(f"[{name}] {members} members in {themes} themes ...", file=sys.stderr)
    cli(env, "init", "--password-stdin", stdin="bench-password-42\n")
    asyncio.run(add_themes(url, themes))
    file = tmp / f"{name}.csv"
    theme = members_file(file, members, themes)
    cli(env, "member", "import", str(file), "--json")
    return theme


async def first_token(url: str) -> str:
    """The embed token of m0's first placement (its first theme), signed with the network's
    key; without signing every placement's, as ``embed_tokens`` does (a minute at 100,000
    members on a busy machine)."""
    from widget_server.core.settings import Settings
    from widget_server.core.signing import Signer
    from widget_server.network.database import ensure_secret_keys
    from widget_server.storage import storage_from_url

    storage = storage_from_url(url)
    await storage.open()
    try:
        signer = Signer(await ensure_secret_keys(storage, Settings(), create=False))
        m0 = (await storage.get_member("m0")).id
        placements = [p for p in await storage.list_placements() if p.member_id == m0]
        return signer.embed_token(min(placements, key=lambda p: p.id).id)
    finally:
        await storage.close()


def load_average() -> list[float]:
    return [round(x, 1) for x in os.getloadavg()]


def phase(args: Any, begun: float) -> dict[str, Any]:
    """The server's own view of a phase's stalls (``--watch``), and the machine's load."""
    found: dict[str, Any] = {"load_average": load_average(), "from": round(begun, 1)}
    if args.watch:
        found["loop"] = stallwatch.summary(args.watch, begun, time.time())
    return found


def more_writes(port: int, key: str, theme: str, count: int) -> dict[str, float]:
    """A member's edit, pause and activation through the API, and a bulk import of
    ``count`` new members; each answer's time in ms."""
    took: dict[str, float] = {}
    for label, method, path, body in (
        ("member_patch_ms", "PATCH", "/api/v1/members/m1", {"town": "Tönning"}),
        ("member_pause_ms", "POST", "/api/v1/members/m1/pause", None),
        ("member_activate_ms", "POST", "/api/v1/members/m1/activate", None),
    ):
        status, answer, seconds = request(port, method, path, body, key)
        if status >= 300:
            raise BenchError(f"{method} {path} answered {status}: {answer}")
        took[label] = round(seconds * 1e3)
    rows = [
        {
            "slug": f"bulk-{os.getpid()}-{n}",
            "name": f"Stapel {n}",
            "website": f"https://bulk-{os.getpid()}-{n}.example.de/",
            "themes": [theme, f"t{n % 7}"] if theme != f"t{n % 7}" else [theme],
        }
        for n in range(count)
    ]
    if count:
        status, answer, seconds = request(port, "POST", "/api/v1/members/bulk", rows, key)
        if status >= 300:
            raise BenchError(f"bulk import answered {status}: {str(answer)[:500]}")
        took["bulk_import_ms"] = round(seconds * 1e3)
    return took


def network(
    name: str, url: str, env: dict[str, str], size: tuple[int, int], tmp: Path, args: Any
) -> dict[str, Any]:
    members, themes = size
    env = env | {"WIDGET_DATABASE_URL": url, "WIDGET_NEW_MEMBERS": "active"}
    if args.ledger_interval:
        env["WIDGET_LEDGER_INTERVAL"] = str(args.ledger_interval)
    if args.reuse:
        theme = str(member_rows(members, themes)[0]["themes"][0])
    else:
        theme = make(name, url, env, size, tmp)
    created = subprocess.run(
        [PY, "-m", "widget_server", "key", "create", "--scope", "coordinator", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = json.loads(created.stdout)["key"]
    token = asyncio.run(first_token(url))
    port = free_port()
    log = tmp / f"{name}.log"
    started = time.monotonic()
    command = [PY, "-m", "widget_server"]
    if args.watch:
        command = [PY, "-m", "bench.stallwatch", str(Path(args.watch).resolve())]
    load_start = load_average()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
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
        "start_cpu_s": round(proc_cpu(proc.pid), 2),
        "load_average_at_start": load_start,
        "rss_start_mb": proc_rss_mb(proc.pid),
    }
    print(
        f"[{name}] started in {result['start_s']} s ({result['start_cpu_s']} s CPU); idle ...",
        file=sys.stderr,
    )
    prober = Prober(port, block)
    prober.start()
    begun = time.time()
    time.sleep(args.idle)
    longest, count = prober.reset()
    result["idle"] = {
        "seconds": args.idle,
        "requests": count,
        "longest_ms": round(longest * 1e3),
        **phase(args, begun),
    }
    begun = time.time()
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
                "slug": f"bench-{os.getpid()}-{n}",
                "name": f"Neu {n}",
                "website": f"https://bench-{os.getpid()}-{n}.example.de/",
                "themes": [theme],
            },
            key,
        )
        if status != 201:
            raise BenchError(f"POST member answered {status}")
        creates.append(took)
    more = more_writes(port, key, theme, args.bulk)
    time.sleep(2)  # the bulk import's reload in the background, under the prober
    longest, count = prober.reset()
    result["changes"] = {
        "rounds": args.rounds,
        "requests": count,
        "longest_stall_ms": round(longest * 1e3),
        "rules_put_ms_max": round(max(writes) * 1e3),
        "served_after_own_write_s_max": round(max(own), 2),
        "served_after_other_process_s_max": round(max(other), 2),
        "member_post_ms_max": round(max(creates) * 1e3),
        **more,
        **phase(args, begun),
    }
    if args.ledger_interval:
        print(f"[{name}] a ledger interval ...", file=sys.stderr)
        begun = time.time()
        time.sleep(args.ledger_interval + 5)
        longest, count = prober.reset()
        result["ledger"] = {
            "seconds": args.ledger_interval + 5,
            "requests": count,
            "longest_ms": round(longest * 1e3),
            **phase(args, begun),
        }
    prober.done.set()
    prober.join(timeout=130)
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
        if args.url:
            databases[db] = network(db, args.url, env, size, tmp, args)
            continue
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
    parser.add_argument("--bulk", type=int, default=1000, help="members of the bulk import")
    parser.add_argument(
        "--ledger-interval", type=int, default=60, help="WIDGET_LEDGER_INTERVAL; 0: no phase"
    )
    parser.add_argument(
        "--watch",
        metavar="FILE",
        help="record the server's own loop lag here (bench/stallwatch.py; JSON lines, appended)",
    )
    parser.add_argument("--url", help="make the network at this database URL and keep it")
    parser.add_argument(
        "--reuse", action="store_true", help="with --url: measure the network made there before"
    )
    args = parser.parse_args()
    if args.reuse and not args.url:
        parser.error("--reuse needs --url")
    if args.url and args.database == "both":
        parser.error("--url names one database: --database sqlite or postgres")
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
