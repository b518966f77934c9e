"""Benchmark GET /w/{token} (the referral block as JSON) against a bare Starlette app.

Usage: python bench/bench_widget.py [--duration 10] [--connections 64] [--members 8]
                                    [--rounds 2] [--json]

Method, and why:

* Two servers, same settings.  The widget server runs through its real entry
  point (``python -m widget_server serve``) on a temporary SQLite network of one
  theme with ``--members`` active members; the baseline (bench/baseline_app.py,
  ``GET /hello`` -> "hello") runs under ``python -m uvicorn`` with the settings
  serve() passes to uvicorn.run: one worker, 127.0.0.1, no access log, log level
  warning, no Server header, proxy headers from 127.0.0.1, loop and http "auto".
  The caller's WIDGET_* variables are dropped: the server runs in its default
  configuration (counting on).  Absolute figures depend on the machine, the
  ratio widget/baseline much less: the budget is stated in that ratio.
* A separate load process: wrk (C, one thread), so the client's cost does not
  land in the measured server's Python process.
* Same run, alternating rounds: after a 2 s warm-up each, the targets take turns
  (baseline, widget, baseline, widget ...), so drift on the machine hits both
  alike; each figure is the median of its rounds, which one disturbed round
  does not move.  Each run also reports the CPU that other processes used
  meanwhile (from /proc): on a shared 2-core machine that, not the code, is the
  usual cause of odd figures.
* Only 2xx counts: both URLs are checked for 200 (and a block with partners)
  first, and a socket error or non-2xx/3xx response reported by wrk aborts the
  benchmark: a benchmark of 404s is worthless.

Exit status 0 even when a target is missed (a measurement, not a test); non-zero
only when the measurement itself failed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MIN_RATIO, MAX_P99_MS, MAX_LOADER_GZIP = 0.5, 10.0, 2 * 1024  # the budget; p99 at 64 connections
BUSY_CORES = 0.2  # CPU used by other processes during a run above which it is suspect
CATEGORIES = ("flowers", "catering", "photography", "venue", "music", "bakery", "cafe", "deli")
DESCRIPTION = "Ein Betrieb aus dem Netzwerk, mit einer kurzen Beschreibung."
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


class BenchError(Exception):
    """The measurement itself failed."""


def run(cmd: list[str], env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    proc = subprocess.run(cmd, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd[1:])} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def widget_cli(env: dict[str, str], args: str, *more: str, stdin: str | None = None) -> str:
    return run([PY, "-m", "widget_server", *args.split(), *more], env, stdin)


def make_network(env: dict[str, str], members: int) -> str:
    """One theme with ``members`` active members; returns member-0's embed token."""
    widget_cli(env, "init --password-stdin", stdin="bench-password-42\n")
    widget_cli(env, "theme add hochzeit --name-de Hochzeit --name-en Wedding")
    for i in range(members):
        category = CATEGORIES[i % len(CATEGORIES)]
        widget_cli(
            env,
            f"member add member-{i} --name Mitglied-{i} --website https://m{i}.example.de"
            f" --theme hochzeit --category {category} --town Freiburg",
            *("--description", DESCRIPTION),
        )
    return str(json.loads(widget_cli(env, "snippet member-0 hochzeit --json"))["token"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def describe_setup() -> dict[str, str]:
    """The commit measured, and what uvicorn's loop/http "auto" pick in this interpreter."""
    try:
        tree = run(["git", "rev-parse", "--short", "HEAD"])
        if run(["git", "status", "--porcelain", "--", "widget_server"]):
            tree += " + uncommitted changes in widget_server/"
    except (BenchError, OSError):
        tree = "unknown (not a git checkout)"
    code = (
        "import uvicorn; from uvicorn.loops.auto import auto_loop_factory as f;"
        "from uvicorn.protocols.http.auto import AutoHTTPProtocol as P; l = f()();"
        "print(f'uvicorn {uvicorn.__version__}, loop {type(l).__module__},"
        " http {P.__module__}'); l.close()"
    )
    return {"tree": tree, "server": run([PY, "-c", code])}


def wait_ready(url: str, proc: subprocess.Popen[bytes], logfile: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited ({proc.returncode}):\n{logfile.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise BenchError(f"{url} did not answer within 30 s")


def fetch(url: str, logfile: Path) -> bytes:
    """GET ``url`` (no Accept-Encoding: gzip); anything but 200 fails, with the server's log."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            if resp.status == 200:
                return bytes(resp.read())
            status = str(resp.status)
    except urllib.error.HTTPError as exc:
        status = f"{exc.code} {exc.read()[:300]!r}"
    except OSError as exc:
        status = str(exc)
    raise BenchError(f"GET {url}: {status}, not 200\n{logfile.read_text()[-3000:]}")


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds used so far by everything on the machine except ``pids`` and wrk."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]  # user nice system idle iowait irq ...
    try:
        stats = [Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split() for p in pids]
    except FileNotFoundError:
        raise BenchError("a server process has exited") from None
    ours = sum(int(st[11]) + int(st[12]) for st in stats)  # utime + stime
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has exited
    return (sum(v) - v[3] - v[4] - ours) / os.sysconf("SC_CLK_TCK") - kids.ru_utime - kids.ru_stime


def wrk(
    url: str,
    connections: int,
    duration: int,
    pids: list[int],
    script: Path | None = None,
    timeout_s: int = 2,
) -> dict[str, float]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout_s}s"]
    cmd += ["--latency", url]
    if script is not None:  # a Lua script that makes the requests (bench_counting.py)
        cmd[1:1] = ["-s", str(script)]
    other, start = cpu_seconds(pids), time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    other = (cpu_seconds(pids) - other) / (time.monotonic() - start)
    text = out.stdout + out.stderr
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+(?:us|ms|s|m))\s*$", text, re.M))
    if out.returncode != 0 or rps is None or len(lat) != 2:
        raise BenchError(f"wrk failed ({out.returncode}):\n{text}")
    for bad in ("Socket errors", "Non-2xx or 3xx responses"):
        if bad in text:
            raise BenchError(f"wrk reports {bad.lower()} for {url}:\n{text}")
    ms = {p: float(v.rstrip("usm")) * UNIT_MS[v.lstrip("0123456789.")] for p, v in lat.items()}
    total = re.search(r"^\s+(\d+) requests in", text, re.M)
    return {
        "requests": float(total.group(1)) if total else 0.0,
        "rps": float(rps.group(1)),
        "p50_ms": ms["50"],
        "p99_ms": ms["99"],
        "other_cores": round(max(other, 0.0), 2),
    }


def bench(args: argparse.Namespace, tmp: Path, procs: list[subprocess.Popen[bytes]]) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    env |= {"WIDGET_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "WIDGET_LOG_LEVEL": "warning"}
    print(f"creating a network of {args.members} members in {tmp} ...", file=sys.stderr)
    token = make_network(env, args.members)
    port = {"baseline": free_port(), "widget": free_port()}
    base = {name: f"http://127.0.0.1:{p}" for name, p in port.items()}
    urls = {"baseline": f"{base['baseline']}/hello", "widget": f"{base['widget']}/w/{token}"}
    logs = {name: tmp / f"{name}.log" for name in urls}
    # The baseline gets the settings serve() in widget_server/cli/server.py passes to uvicorn.run.
    cmds = {
        "widget": f"-m widget_server serve --host 127.0.0.1 --port {port['widget']}",
        "baseline": f"-m uvicorn bench.baseline_app:app --host 127.0.0.1 --port {port['baseline']}"
        " --workers 1 --no-access-log --log-level warning --no-server-header --proxy-headers"
        " --forwarded-allow-ips 127.0.0.1 --loop auto --http auto",
    }
    for name, ready in (("widget", "/healthz"), ("baseline", "/hello")):
        with logs[name].open("wb") as out:  # own session: Ctrl+C reaches only us
            cmd = [PY, *cmds[name].split()]
            procs.append(
                subprocess.Popen(
                    cmd, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
                )
            )
        wait_ready(base[name] + ready, procs[-1], logs[name])
    if fetch(urls["baseline"], logs["baseline"]) != b"hello":
        raise BenchError("the baseline does not answer 'hello'")
    block = json.loads(body := fetch(urls["widget"], logs["widget"]))
    if not block.get("partners"):
        raise BenchError(f"the widget block shows no partners: {block}")
    loader = fetch(base["widget"] + "/embed.js", logs["widget"])

    pids = [p.pid for p in procs]
    for name in urls:
        print(f"warming up {name} (2 s) ...", file=sys.stderr)
        wrk(urls[name], args.connections, 2, pids)
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
    for r in range(1, args.rounds + 1):
        for name in ("baseline", "widget"):
            rounds[name].append(m := wrk(urls[name], args.connections, args.duration, pids))
            print(
                f"round {r} {name:<8} {m['rps']:9.1f} req/s  p50 {m['p50_ms']:.2f} ms  p99"
                f" {m['p99_ms']:.2f} ms  other load {m['other_cores']:.2f} cores",
                file=sys.stderr,
            )
    med = {
        n: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50_ms", "p99_ms")}
        for n, rs in rounds.items()
    }
    ratio = round(med["widget"]["rps"] / med["baseline"]["rps"], 3)
    loader_gz = len(gzip.compress(loader, 9))
    p99 = med["widget"]["p99_ms"]
    return {
        "date": time.strftime("%Y-%m-%d"),
        **describe_setup(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "wrk": f"wrk -t1 -c{args.connections} -d{args.duration}s",
        "rounds": args.rounds,
        "members": args.members,
        "partners_shown": len(block["partners"]),
        "block_bytes": len(body),
        "median": med,
        "per_round": rounds,
        "ratio": ratio,
        "embed_js": {"raw_bytes": len(loader), "gzip9_bytes": loader_gz},
        "targets": {  # pass: true, false, or null for p99 when not measured at 64 connections
            "ratio": {"min": MIN_RATIO, "pass": ratio >= MIN_RATIO},
            "p99_ms": {
                "max": MAX_P99_MS,
                "pass": p99 <= MAX_P99_MS if args.connections == 64 else None,
            },
            "loader_gzip_bytes": {"max": MAX_LOADER_GZIP, "pass": loader_gz <= MAX_LOADER_GZIP},
        },
    }


def print_table(res: Any) -> None:
    med, t, js = res["median"], res["targets"], res["embed_js"]
    print(
        f"\n{res['wrk']}, median of {res['rounds']} rounds; {res['server']};"
        f" Python {res['python']}, {res['cpus']} CPUs; {res['date']}; tree {res['tree']}\n"
    )
    print(f"{'target':<24}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for name, path in (("baseline", "GET /hello"), ("widget", "GET /w/{token}")):
        m = med[name]
        print(f"{name + ' ' + path:<24}{m['rps']:>10.1f}{m['p50_ms']:>9.2f}{m['p99_ms']:>9.2f}")
    print(
        f"\nwidget/baseline req/s: {res['ratio']:.3f}   (block: {res['partners_shown']}"
        f" partners, {res['block_bytes']} bytes)"
    )
    print(f"/embed.js: {js['raw_bytes']} bytes raw, {js['gzip9_bytes']} bytes gzip -9\n")
    rows = [
        ("req/s ratio widget/baseline", f"{res['ratio']:.3f}", ">= 0.5", t["ratio"]["pass"]),
        (
            "widget p99 at 64 connections",
            f"{med['widget']['p99_ms']:.2f} ms",
            "<= 10 ms",
            t["p99_ms"]["pass"],
        ),
        (
            "/embed.js gzipped",
            f"{js['gzip9_bytes']} B",
            f"<= {MAX_LOADER_GZIP} B",
            t["loader_gzip_bytes"]["pass"],
        ),
    ]
    print(f"{'budget':<30}{'measured':>12}{'target':>12}  result")
    for label, value, target, ok in rows:
        result = {True: "PASS", False: "MISS", None: "n/a (not at 64 connections)"}[ok]
        print(f"{label:<30}{value:>12}{target:>12}  {result}")
    loads = [r["other_cores"] for rs in res["per_round"].values() for r in rs]
    if busy := sum(x > BUSY_CORES for x in loads):
        print(
            f"\nWARNING: other processes used more than {BUSY_CORES} cores in {busy} of"
            f" {len(loads)} runs (up to {max(loads):.2f}): if that is more than one or two,"
            " the figures are disturbed; run again on a quiet machine."
        )


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not skip the cleanup
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per round and target")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--members", type=int, default=8, help="active members in the theme")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if min(args.duration, args.connections, args.rounds) < 1 or args.members < 2:
        parser.error("--duration, --connections and --rounds must be >= 1, --members >= 2")
    if shutil.which("wrk") is None:
        print("bench_widget: error: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup on kill too
    procs: list[subprocess.Popen[bytes]] = []
    tmp = Path(tempfile.mkdtemp(prefix="partnerkreis-bench-"))
    try:
        res = bench(args, tmp, procs)
    except BenchError as exc:
        print(f"bench_widget: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench_widget: interrupted", file=sys.stderr)
        return 130
    finally:
        stop(procs)
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print_table(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
