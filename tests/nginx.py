"""A real nginx (Debian's nginx-light) with docs/nginx-cache.conf, as a child process.

Shared by tests/test_nginx_cache.py and bench/bench_cdn.py.  The documented
file is used as it is; only its port, cache directory and origin are replaced
(each must be found, so the file and this harness cannot drift apart).  The
harness adds what a test needs and a deployment must not have: the visitor's
address taken from ``X-Forwarded-For`` (many visitors from one test client).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

CONF = Path(__file__).resolve().parents[1] / "docs" / "nginx-cache.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

HARNESS = """\
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    # Test only: the visitors' addresses come from the test client's header.
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    include {dir}/partnerkreis.conf;
}}
"""


def available() -> bool:
    return Path(NGINX).exists()


def site_conf(origin_port: int, port: int, cache_dir: Path) -> str:
    """docs/nginx-cache.conf for this run."""
    text = CONF.read_text(encoding="utf-8")
    for documented, here in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{origin_port};"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("/var/cache/nginx/partnerkreis", str(cache_dir)),
    ):
        assert documented in text, f"{CONF.name} no longer has {documented!r}"
        text = text.replace(documented, here)
    return text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def nginx(origin_port: int, port: int, workdir: Path, timeout: float = 60.0) -> Iterator[str]:
    """nginx on ``port`` in front of ``origin_port``; yields its base URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "partnerkreis.conf").write_text(site_conf(origin_port, port, workdir / "cache"))
    main = workdir / "nginx.conf"
    main.write_text(HARNESS.format(dir=workdir))
    process = subprocess.Popen(
        [NGINX, "-p", str(workdir), "-e", str(workdir / "error.log"), "-c", str(main)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout  # a hang guard, never a verdict
        while True:
            if process.poll() is not None:
                log = (workdir / "error.log").read_text(errors="replace")
                raise RuntimeError(f"nginx exited with {process.returncode}: {log}")
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
