"""A network of N members in M themes beside a demo-sized one: serving, memory, start, commands.

Usage: python bench/bench_scale.py [--members 100000] [--themes 2000] [--database sqlite]
                                   [--duration 8] [--quick] [--json]

Method (the widget benchmark's, bench/README.md): the server runs through its
real entry point with uvicorn's settings, the load comes from a separate wrk
process (one thread, 64 connections), and each figure is taken in the same run
for the large network and for one of the demo's size (16 members in 2 themes,
made by the same generator), so the ratios hold on a shared machine.

* The network is made through the bulk path of the REST API: ``init``, the
  themes and a coordinator key in-process, then every member with its themes
  by the SDK's ``members.bulk_create`` against the running server (timed,
  ``--chunk`` rows per request; each request is one transaction and one
  snapshot update).  The server is then restarted to time its start.
* Throughput is per CPU-second of the server process (its utime + stime over
  the wrk run, from /proc), so wrk's and other processes' CPU do not count:
  same-token (one embed token) and distinct-token (a wrk Lua script walking all
  embed tokens in a shuffled order, the long tail of member pages).
* Start: from starting the process to the first 200 of a network's block.  RSS
  at that moment and after the distinct-token runs have served at least N
  requests.
* Command times: wall time of the CLI process (its start included).
  ``--commands-only`` stops there (and adds ``simulate`` with its defaults,
  60 days): the networks are made and the commands timed, nothing is served.
* Stalls: a probe thread asks for one block every 20 ms and records the longest
  gap between two answers, while a rule change and a member are made through
  the API and a member is paused by the CLI (another process: the time until
  the server serves the change is measured), and then for one ledger interval
  (``--ledger-interval``, the server's ``WIDGET_LEDGER_INTERVAL``) with no
  writes, so a ledger run falls into it; before it, a day of counted views is
  stored (``counted_day``: about 1,000,000 counter rows at 100,000 members), so
  that run has a day's figures to work through.
* Admin pages: a coordinator signs in and opens the dashboard, the theme list,
  the member list (its first page, then a search), the stats, the categories,
  the monthly report's preview and the theme's simulator (60 days): each
  page's wall time, and the probe's longest gap while it loads.

Exit status 0 even when a target is missed; 1 when the measurement failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stallwatch  # noqa: E402  (after the path set-up)
from bench.bench_widget import (  # noqa: E402
    PY,
    ROOT,
    BenchError,
    describe_setup,
    free_port,
    stop,
    wrk,
)
from bench.scale_network import (  # noqa: E402
    DEFAULT_PG,
    add_themes,
    cli,
    cli_cpu,
    counted_day,
    embed_tokens_shuffled,
    member_rows,
    schema,
)
from bench.scale_probe import Probe, admin_pages, changes  # noqa: E402

KINDS = ("same_token", "same_token_html", "distinct_token", "distinct_token_html")
DEMO = (16, 2)  # members, themes: the demo network's size (15 members in 2 themes)
LUA = """local tokens = {}
for line in io.lines("%s") do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i %% #tokens + 1
  return wrk.format("GET", "/w/" .. tokens[i] .. "%s")
end
"""


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise BenchError(f"no VmRSS for {pid}")


def load(url: str, pid: int, seconds: int, script: Path | None = None) -> dict[str, float]:
    """One wrk run; requests per server CPU-second added to wrk's figures."""
    cpu = proc_cpu(pid)
    # A long timeout: slow answers are what is measured here, not socket errors.
    m = wrk(url, 64, seconds, [pid], script, timeout_s=60)
    used = proc_cpu(pid) - cpu
    return {**m, "server_cpu_s": round(used, 2), "per_cpu_s": round(m["requests"] / used, 1)}


def start_server(env: dict[str, str], log: Path, args: Any) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [PY, "-m", "widget_server"]
    if args.watch:  # the server's own loop lag, recorded (bench/stallwatch.py)
        command = [PY, "-m", "bench.stallwatch", str(Path(args.watch).resolve())]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    args.procs.append(proc)
    return proc, f"http://127.0.0.1:{port}"


def bulk_create(base: str, key: str, rows: list[dict[str, Any]], chunk: int) -> float:
    """All members through ``POST /api/v1/members/bulk`` (the SDK); its wall time."""
    from partnerkreis import Client

    start = time.monotonic()
    with Client(key, base_url=base) as client:
        result = client.members.bulk_create(rows, chunk_size=chunk)
    if result.errors or len(result.created) != len(rows):
        raise BenchError(f"bulk create: {len(result.created)} created, {result.errors[:3]}")
    return round(time.monotonic() - start, 2)


def network(
    name: str, url: str, env: dict[str, str], size: tuple[int, int], tmp: Path, args: Any
) -> dict[str, Any]:
    """Make one network through the API's bulk path, time its commands, serve and load it."""
    members, themes = size
    env = env | {
        "WIDGET_DATABASE_URL": url,
        "WIDGET_NEW_MEMBERS": "active",
        "WIDGET_LEDGER_INTERVAL": str(args.ledger_interval),
    }
    print(f"[{name}] {members} members in {themes} themes ...", file=sys.stderr)
    cli(env, "init", "--password-stdin", stdin="bench-password-42\n")
    key = asyncio.run(add_themes(url, themes))
    rows = member_rows(members, themes)
    theme = rows[0]["themes"][0]
    # The probe's writes pause a partner found by its name in a block (the generator's
    # names repeat, as real ones do: the members of a name, by name).
    slugs_of: dict[str, list[str]] = {}
    for row in rows:
        slugs_of.setdefault(row["name"], []).append(row["slug"])
    log = tmp / f"{name}.log"
    proc, base = start_server(env, log, args)
    wait_for(f"{base}/healthz", proc, log)
    served_cpu = proc_cpu(proc.pid)
    times = {"bulk create (API)": bulk_create(base, key, rows, args.chunk)}
    # The server's CPU for it (the database server's own is not counted).
    cpu = {"bulk create (API)": round(proc_cpu(proc.pid) - served_cpu, 2)}
    del rows
    stop([proc])
    print(f"[{name}] created in {times['bulk create (API)']} s; commands ...", file=sys.stderr)
    load_avg = [round(os.getloadavg()[0], 1)]
    if not args.serve_only:
        commands: dict[str, tuple[str, ...]] = {
            "theme list": ("theme", "list", "--json"),
            "stats --member": ("stats", "--member", "m0", "--json"),
            "stats --theme": ("stats", "--theme", theme, "--json"),
            "explain": ("explain", "m0", theme, "--json"),
            "simulate (1 day)": ("simulate", theme, "--days", "1", "--warmup", "0", "--json"),
        }
        if args.commands_only:  # the default run: 60 days of 2,000 views a day
            commands["simulate (60 days)"] = ("simulate", theme, "--json")
        for label, command in commands.items():
            times[label], cpu[label] = cli_cpu(env, *command)
        load_avg.append(round(os.getloadavg()[0], 1))
    if args.commands_only:
        return {
            "members": members,
            "themes": themes,
            "commands_s": times,
            "commands_cpu_s": cpu,
            "load_average": load_avg,
        }
    tokens = embed_tokens_shuffled(url)
    (tokens_file := tmp / f"{name}.tokens").write_text("\n".join(tokens) + "\n")
    (script := tmp / f"{name}.lua").write_text(LUA % (tokens_file, ""))
    (html_script := tmp / f"{name}.html.lua").write_text(LUA % (tokens_file, ".html"))
    load_start = [round(x, 1) for x in os.getloadavg()]
    started = time.monotonic()
    proc, base = start_server(env, log, args)
    first = f"{base}/w/{tokens[0]}"
    wait_block(first, proc, log)
    result: dict[str, Any] = {
        "members": members,
        "themes": themes,
        "placements": len(tokens),
        "start_s": round(time.monotonic() - started, 2),
        "start_cpu_s": round(proc_cpu(proc.pid), 2),
        "load_average_at_start": load_start,
        "rss_start_mb": proc_rss_mb(proc.pid),
        "commands_s": times,
        "commands_cpu_s": cpu,
        "load_average": load_avg,
    }
    print(
        f"[{name}] started in {result['start_s']} s ({result['start_cpu_s']} s CPU); settling ...",
        file=sys.stderr,
    )
    # After the first block the server builds the pools it has not built yet, between
    # requests; the throughput runs start when it is done (its CPU stays idle).
    result["warm_s"], result["warm_cpu_s"] = settle(proc.pid, started)
    result["rss_warm_mb"] = proc_rss_mb(proc.pid)
    print(f"[{name}] warm after {result['warm_s']} s; load ...", file=sys.stderr)
    load(first, proc.pid, 2)  # warm-up
    result["same_token"] = load(first, proc.pid, args.duration)
    result["same_token_html"] = load(first + ".html", proc.pid, args.duration)
    runs = [load(base + "/", proc.pid, args.duration, script)]
    result["distinct_token"] = runs[0]  # the first pass: nearly every token seen first
    result["distinct_token_html"] = load(base + "/", proc.pid, args.duration, html_script)
    served = runs[0]["requests"] + result["distinct_token_html"]["requests"]
    print(f"[{name}] writes and the ledger under a probe ...", file=sys.stderr)
    begun = time.time()
    result["writes"] = changes(base, key, env, theme, tokens, tokens[-1], slugs_of)
    # The ledger run under the probe has a day's counts to work through, not none.
    result["writes"]["counter rows of today"] = asyncio.run(counted_day(url))
    ledger_begun = time.time()
    with Probe(f"{base}/w/{tokens[-1]}") as probe:
        time.sleep(args.ledger_interval + 5)
    result["writes"]["longest stall over a ledger interval ms"] = probe.longest_ms
    result["writes"]["load average"] = [round(x, 1) for x in os.getloadavg()]
    print(f"[{name}] admin pages under a probe ...", file=sys.stderr)
    result["admin"] = admin_pages(base, theme, tokens[-1])
    if args.watch:  # the server's own view: loop lag, and the part not queued for a CPU
        for label, since, until in (
            ("writing", begun, ledger_begun),
            ("ledger", ledger_begun, time.time()),
        ):
            found = stallwatch.summary(args.watch, since, until)
            result["writes"][f"loop lag {label} ms"] = found["longest_ms"]
            result["writes"][f"loop lag {label}, not queued for a CPU ms"] = round(
                found["longest_own_ms"], 1
            )
            result["writes"][f"loop held by work {label} ms"] = found["longest_work_ms"]
    while served < members and time.monotonic() - started < args.max_fill:
        runs.append(load(base + "/", proc.pid, args.duration, script))
        served += runs[-1]["requests"]
    result["distinct_requests"] = int(served)
    result["rss_after_mb"] = proc_rss_mb(proc.pid)
    proc.terminate()
    proc.wait(timeout=30)
    return result


def settle(
    pid: int, started: float, quiet: float = 0.05, limit: float = 120
) -> tuple[float, float]:
    """Wait until the process used under ``quiet`` CPU-seconds in one second; the wall
    time since ``started`` and the process's CPU time then (less the quiet second)."""
    deadline = time.monotonic() + limit
    before = proc_cpu(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = proc_cpu(pid)
        if now - before < quiet:
            return round(time.monotonic() - 1.0 - started, 2), round(before, 2)
        before = now
    return round(time.monotonic() - started, 2), round(proc_cpu(pid), 2)


def wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    import urllib.request

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise BenchError(f"{url} did not answer within 300 s")


def wait_block(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    import urllib.request

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200 and json.loads(resp.read()).get("partners"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise BenchError(f"{url} did not answer with a block within 300 s")


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    env["WIDGET_LOG_LEVEL"] = "warning"
    # The start is measured as an installed server starts, from compiled modules (pip
    # compiles a package as it installs it); where PYTHONDONTWRITEBYTECODE is set, an
    # editable tree would compile every module at each start (0.4-0.5 s here).
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "widget_server")], check=True)
    databases: dict[str, Any] = {}
    for db in ("sqlite", "postgres") if args.database == "both" else (args.database,):
        figures = {}
        for name, size in (("demo", DEMO), ("scale", (args.members, args.themes))):
            label = f"{db}-{name}"
            if db == "sqlite":
                url = f"sqlite:///{tmp / label}.db"
                figures[name] = network(label, url, env, size, tmp, args)
                continue
            schema_name = f"bench_scale_{os.getpid()}_{name}"
            asyncio.run(schema(args.postgres, schema_name, drop=False))
            try:
                url = f"{args.postgres}?search_path={schema_name}"
                figures[name] = network(label, url, env, size, tmp, args)
            finally:
                asyncio.run(schema(args.postgres, schema_name, drop=True))
        demo, scale = figures["demo"], figures["scale"]
        if args.commands_only:
            databases[db] = figures
            continue
        figures["ratios"] = {
            kind: round(scale[kind]["per_cpu_s"] / demo[kind]["per_cpu_s"], 3) for kind in KINDS
        }
        databases[db] = figures
    return {"date": time.strftime("%Y-%m-%d %H:%M"), **describe_setup(), "databases": databases}


def print_table(res: dict[str, Any]) -> None:
    print(f"\n{res['date']}; tree {res['tree']}; {res['server']}")
    for db, f in res["databases"].items():
        demo, scale = f["demo"], f["scale"]
        print(f"\n{db}: {scale['members']} members / {scale['themes']} themes vs the demo size")
        if "ratios" not in f:  # --commands-only
            print(f"{'':<34}{'demo':>12}{'scale':>12}{'demo CPU':>12}{'scale CPU':>12}")
            for cmd, took in scale["commands_s"].items():
                print(
                    f"{cmd + ' s':<34}{demo['commands_s'][cmd]:>12}{took:>12}"
                    f"{demo['commands_cpu_s'].get(cmd, '-'):>12}"
                    f"{scale['commands_cpu_s'].get(cmd, '-'):>12}"
                )
            print(f"{'load average (1 min)':<34}{demo['load_average']!s:>12}", end="")
            print(f"{scale['load_average']!s:>24}")
            continue
        print(f"{'':<34}{'demo':>12}{'scale':>12}{'ratio':>8}")
        for kind in KINDS:
            d, s = demo[kind], scale[kind]
            print(
                f"{kind + ' req per CPU-s':<34}{d['per_cpu_s']:>12.0f}{s['per_cpu_s']:>12.0f}"
                f"{f['ratios'][kind]:>8.3f}"
            )
            print(f"{kind + ' req/s':<34}{d['rps']:>12.0f}{s['rps']:>12.0f}")
            print(f"{kind + ' p99 ms':<34}{d['p99_ms']:>12.2f}{s['p99_ms']:>12.2f}")
        for key, label in (
            ("start_s", "start s"),
            ("start_cpu_s", "start CPU s"),
            ("load_average_at_start", "load average at start"),
            ("warm_s", "pools built ahead after s"),
            ("warm_cpu_s", "CPU s by then"),
            ("rss_warm_mb", "RSS when warm MB"),
            ("rss_start_mb", "RSS at start MB"),
            ("rss_after_mb", "RSS after distinct requests MB"),
            ("distinct_requests", "distinct-token requests"),
        ):
            print(f"{label:<34}{demo[key]!s:>12}{scale[key]!s:>12}")
        for cmd in scale["commands_s"]:
            print(f"{cmd + ' s':<34}{demo['commands_s'][cmd]:>12}{scale['commands_s'][cmd]:>12}")
        for what in scale["writes"]:
            print(f"{what:<34}{demo['writes'][what]!s:>12}{scale['writes'][what]!s:>12}")
        pages = zip(demo["admin"], demo["admin"].values(), scale["admin"].values(), strict=True)
        for page, d, s in pages:
            label = page.split("?run")[0].replace("/admin", "admin")[:28]
            print(f"{label + ' s':<34}{d['s']!s:>12}{s['s']!s:>12}")
            gap = "longest probe gap ms"
            print(f"{'  probe gap meanwhile ms':<34}{d[gap]!s:>12}{s[gap]!s:>12}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--themes", type=int, default=2_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres", default=os.environ.get("WIDGET_BENCH_POSTGRES", DEFAULT_PG))
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument(
        "--max-fill", type=int, default=600, help="seconds at most for N distinct requests"
    )
    parser.add_argument(
        "--chunk", type=int, default=50_000, help="rows per bulk request (the server's maximum)"
    )
    parser.add_argument(
        "--ledger-interval", type=int, default=60, help="the server's WIDGET_LEDGER_INTERVAL"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 2,000 members in 40 themes, 3 s runs, a 10 s ledger interval",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--watch",
        metavar="FILE",
        help="record the servers' own loop lag here (bench/stallwatch.py; JSON lines) and"
        " report it beside the probe's stalls",
    )
    parser.add_argument(
        "--serve-only", action="store_true", help="skip the command timings (creation still runs)"
    )
    parser.add_argument(
        "--commands-only",
        action="store_true",
        help="create the networks and time the commands (the default simulate too); no serving",
    )
    args = parser.parse_args()
    if args.quick:
        args.members, args.themes, args.duration = 2_000, 40, 3
        args.ledger_interval, args.max_fill = 10, 60
    if args.members < 2 * DEMO[0] or not 1 <= args.themes <= args.members:
        parser.error(f"--members must be >= {2 * DEMO[0]}, --themes between 1 and --members")
    if shutil.which("wrk") is None:
        print("bench_scale: error: wrk is not installed", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.procs = []
    tmp = Path(tempfile.mkdtemp(prefix="partnerkreis-scale-"))
    try:
        res = measure(args, tmp)
    except BenchError as exc:
        print(f"bench_scale: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        stop(args.procs)
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(res, indent=2) if args.json else "", end="\n" if args.json else "")
    if not args.json:
        print_table(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
