"""Loader bytes and time to partner links in Chromium, for two versions of the server.

Usage: python bench/bench_loader.py [--before REF] [--runs 15] [--json]

Method, and why:

* Two versions side by side in one run: the working tree ("after") and the server
  code of the git revision ``--before`` ("before", exported with ``git archive`` into
  a temporary directory and put first on PYTHONPATH). Each runs ``widget-server demo``
  as its own process on its own database; a second origin (a small HTTP server in
  this process) serves each version's snippet on a page of its own, so every request
  crosses origins as on a member's site.
* Bytes: ``/embed.js`` as served, raw, gzip -9 (Python's zlib) and brotli quality 11
  (Node.js's zlib; left out without ``node``), plus what the loader fetches besides
  (the block stylesheet of the new loader).
* Time to partner links: Debian's Chromium (headless, Playwright), navigation start
  until the container is marked ``data-partnerkreis-state="ready"`` (a
  MutationObserver installed before the page's scripts; the loader sets the mark
  in the same task that inserts the links, and the bench checks the links are there).
  Cold: a fresh browser context (empty cache, new connections). Warm: the same page
  loaded again in that context (the loader, its stylesheet and, within the block's
  max-age, the block come from the browser's cache). The versions take turns in
  every round, the order swapping each round, so drift on the shared machine hits
  both alike; each figure is the median of ``--runs`` rounds.
* ``--slow-tail MS``: the host page sends everything after the snippet MS ms later,
  as a long page or one held up by its own scripts does; the loader may then run
  (from the cache, or once fetched) before the page is parsed.

Exit status 0 after a measurement, 1 when it failed (a server did not start, a
block never became ready), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("WIDGET_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
]
MEMBER, THEME = "blumenhaus-am-markt", "hochzeit-heide"
# Installed before any script of the page: the time the first block is marked ready.
MARK_READY = """
new MutationObserver((changes, observer) => {
  for (const c of changes)
    if (c.target.getAttribute("data-partnerkreis-state") === "ready") {
      window.__pkReady = performance.now();
      return observer.disconnect();
    }
}).observe(document, {subtree: true, attributes: true,
                      attributeFilter: ["data-partnerkreis-state"]});
"""
# Resource timing gives a cross-origin script's responseEnd (not its phases).
LOADER_TIMES = """() => [window.__pkReady, performance.getEntriesByType('resource')
  .find(e => e.name.endsWith('/embed.js')).responseEnd]"""
LINKS = """() => document.querySelector('[data-partnerkreis]').shadowRoot
  .querySelectorAll('a.pk-link').length"""


class BenchError(Exception):
    """The measurement itself failed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: bytes = response.read()
        return body


class Version:
    """One server version: ``widget-server demo`` from ``source`` on a database in ``tmp``."""

    def __init__(self, name: str, source: Path, tmp: Path) -> None:
        self.name, self.tmp = name, tmp
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
        self.env = {
            **env,
            "PYTHONPATH": str(source),
            "WIDGET_DATABASE_URL": f"sqlite:///{tmp / 'demo.db'}",
            "WIDGET_LOG_LEVEL": "warning",
        }
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "server.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "widget_server", "demo", "--port", str(self.port)],
                env=self.env,
                cwd=tmp,  # `python -m` puts the working directory before PYTHONPATH
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.snippet = ""

    def start(self) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name}: server exited\n{self.log.read_text()[-2000:]}")
            try:
                get(self.base + "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise BenchError(f"{self.name}: server did not come up")
        out = subprocess.run(
            [sys.executable, "-m", "widget_server", "snippet", MEMBER, THEME]
            + ["--base-url", self.base, "--json"],
            env=self.env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        snippet = json.loads(out)
        while time.monotonic() < deadline:  # served from the next snapshot poll
            try:
                get(f"{self.base}/w/{snippet['token']}")
                break
            except OSError:
                time.sleep(0.2)
        self.snippet = snippet["html"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def brotli_size(body: bytes) -> int | None:
    node = shutil.which("node")
    if node is None:
        return None
    script = (
        "const z=require('zlib');let b=[];process.stdin.on('data',d=>b.push(d)).on('end',()=>"
        "console.log(z.brotliCompressSync(Buffer.concat(b),{params:"
        "{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length))"
    )
    done = subprocess.run([node, "-e", script], input=body, capture_output=True, check=True)
    return int(done.stdout)


def sizes(body: bytes) -> dict[str, int | None]:
    return {"raw": len(body), "gzip9": len(gzip.compress(body, 9)), "brotli11": brotli_size(body)}


def loader_bytes(version: Version) -> dict[str, Any]:
    loader = get(version.base + "/embed.js")
    found = {"embed.js": sizes(loader)}
    sheet = re.search(rb'"(static/blocks-[0-9a-f]+\.css)"', loader)
    if sheet:  # fetched by the loader on first use, then from the browser's cache
        found["stylesheet"] = sizes(get(f"{version.base}/{sheet.group(1).decode()}"))
    return found


# In a host page: what follows is sent ``--slow-tail`` ms after what precedes it.
TAIL = "<!--tail-->"


def host_site(pages: dict[str, str], tail_ms: int = 0) -> tuple[ThreadingHTTPServer, str]:
    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()  # HTTP/1.0 without a length: the body may come in parts
            head, _, tail = body.partition(TAIL.encode())
            self.wfile.write(head)
            if tail_ms:
                self.wfile.flush()
                time.sleep(tail_ms / 1000)
            self.wfile.write(tail)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def time_to_links(page: Any, url: str) -> tuple[float, float]:
    """ms from navigation start to the links, and from the loader's arrival to them."""
    page.goto(url)
    page.wait_for_function("() => window.__pkReady", timeout=120_000)
    if page.evaluate(LINKS) < 1:
        raise BenchError(f"{url}: ready without partner links")
    ready, loaded = page.evaluate(LOADER_TIMES)
    return float(ready), float(ready) - float(loaded)


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    before_src = tmp / "before"
    before_src.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", args.before, "widget_server"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(before_src)], input=archive, check=True)
    for sub in ("a", "b"):
        (tmp / sub).mkdir()
    versions = [Version("before", before_src, tmp / "b"), Version("after", ROOT, tmp / "a")]
    site = None
    try:
        for v in versions:
            v.start()
        pages = {f"/{v.name}": page_html(v) for v in versions}
        site, host = host_site(pages, args.slow_tail)
        from playwright.sync_api import sync_playwright

        times: dict[str, dict[str, list[float]]] = {
            v.name: {"cold": [], "warm": [], "cold_after_js": [], "warm_after_js": []}
            for v in versions
        }
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for v in versions:  # a first load each: imports, snapshots and files warmed up
                context = browser.new_context()
                context.add_init_script(MARK_READY)
                time_to_links(context.new_page(), f"{host}/{v.name}")
                context.close()
            for i in range(args.runs):
                for v in versions if i % 2 == 0 else versions[::-1]:
                    context = browser.new_context()
                    context.add_init_script(MARK_READY)
                    page = context.new_page()
                    for run in ("cold", "warm"):
                        total, after_js = time_to_links(page, f"{host}/{v.name}")
                        times[v.name][run].append(total)
                        times[v.name][f"{run}_after_js"].append(after_js)
                    context.close()
                print(f"round {i + 1}/{args.runs}", file=sys.stderr)
            browser.close()
        return {
            "before": args.before,
            "runs": args.runs,
            "slow_tail_ms": args.slow_tail,
            "bytes": {v.name: loader_bytes(v) for v in versions},
            "ms": {
                name: {k: statistics.median(xs) for k, xs in t.items()} for name, t in times.items()
            },
            "ms_all": times,
        }
    finally:
        if site is not None:
            site.shutdown()
        for v in versions:
            v.stop()


def page_html(version: Version) -> str:
    return (
        '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Host</title></head>'
        f"<body><h1>Ein Mitglied</h1>{version.snippet}{TAIL}<p>Rest der Seite</p></body></html>"
    )


def print_table(res: dict[str, Any]) -> None:
    print(f"Loader bytes (before = {res['before']}):")
    print(f"{'':<12}{'file':<12}{'raw':>8}{'gzip -9':>10}{'brotli 11':>11}")
    for name, files in res["bytes"].items():
        for file, s in files.items():
            br = "n/a" if s["brotli11"] is None else str(s["brotli11"])
            print(f"{name:<12}{file:<12}{s['raw']:>8}{s['gzip9']:>10}{br:>11}")
    print(f"\nTime to partner links in ms (median of {res['runs']}), from navigation start")
    print("and from the arrival of /embed.js:")
    if res["slow_tail_ms"]:
        print(f"(the host page's rest after the snippet sent {res['slow_tail_ms']} ms later)")
    cols = ("cold", "warm", "cold_after_js", "warm_after_js")
    print(f"{'':<12}" + "".join(f"{c:>15}" for c in cols))
    for name, ms in res["ms"].items():
        print(f"{name:<12}" + "".join(f"{ms[c]:>15.0f}" for c in cols))
    b, a = res["ms"]["before"], res["ms"]["after"]
    print(f"{'after/before':<12}" + "".join(f"{a[c] / b[c]:>15.2f}" for c in cols))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default="a134c91", help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=15, help="rounds (each: cold + warm)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument(
        "--slow-tail", type=int, default=0, metavar="MS", help="send the page's rest MS ms later"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.slow_tail < 0:
        parser.error("--slow-tail must not be negative")
    if not Path(CHROMIUM).exists():
        parser.error(f"Chromium not found at {CHROMIUM} (set WIDGET_TEST_CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="bench-loader-") as tmp:
        try:
            res = measure(args, Path(tmp))
        except (BenchError, subprocess.CalledProcessError, OSError) as e:
            print(f"bench_loader: {e}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print_table(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
