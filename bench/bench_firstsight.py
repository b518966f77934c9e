"""CPU per request of the whole widget endpoint in-process: a first sight against a kept answer.

Usage: python bench/bench_firstsight.py DIR [--members 20000] [--themes 400]
                                        [--tokens 10000] [--html] [--profile FILE]
                                        [--rules JSON]

The network (``bench_scale.py``'s generator: each member in 1-3 themes, one
placement per membership) is made once in ``DIR`` as an SQLite database
(``init`` and ``member import``, a minute at 100,000 members) and reused.  The
app is then created in this process with its lifespan, and once the warm-up
has built every pool, ASGI requests are sent to it directly (the fast path,
web/fastpath.py; no HTTP server, no sockets):

* ``--tokens`` distinct tokens in a shuffled order, untimed: the render cache
  and the kept answers fill up as on a server that has served the long tail;
* the same token ``--tokens`` times, timed: a kept answer (web/ready.py);
* the next ``--tokens`` distinct tokens, timed: each a first sight.

Printed as JSON: microseconds of this process's CPU (``time.process_time``) per
request for both, the shared plan parts made during the first sights (a theme's
part pushed out of the render cache and made again), the cyclic collector's
time, RSS and the load average.  ``--html`` asks for ``/w/{token}.html``;
``--profile FILE`` writes a cProfile of the first sights.  ``--rules JSON`` gives
every theme these rules (a copy of the database per rule document, made once:
``'{"exclusions": {"same_category": true}}'``, ``'{"strategy": "round-robin"}'``).
Run it from the tree to measure (its ``widget_server`` is imported from the
working directory).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import hashlib
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))

from bench.scale_network import add_themes, embed_tokens, member_rows  # noqa: E402


def make_database(url: str, members: int, themes: int, directory: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    env |= {"WIDGET_DATABASE_URL": url, "WIDGET_NEW_MEMBERS": "active"}
    server = [sys.executable, "-m", "widget_server"]
    subprocess.run(
        [*server, "init", "--password-stdin"],
        input="bench-password-42\n",
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )
    asyncio.run(add_themes(url, themes))
    (rows := directory / "members.json").write_text(json.dumps(member_rows(members, themes)))
    subprocess.run(
        [*server, "member", "import", str(rows)], env=env, check=True, capture_output=True
    )


async def set_rules(url: str, rules: dict[str, Any]) -> None:
    """``rules`` for every theme (a new version of each theme's rule set)."""
    from widget_server.storage import storage_from_url

    storage = storage_from_url(url)
    await storage.open()
    try:
        for theme in await storage.list_themes():
            await storage.add_rule_set(theme.id, rules, "bench_firstsight")
    finally:
        await storage.close()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def measure(url: str, tokens: list[str], n: int, html: bool, profile: str | None) -> Any:
    from widget_server.core.settings import Settings
    from widget_server.serving import blocks
    from widget_server.web.app import create_app

    logging.disable(logging.WARNING)
    settings = Settings(
        database_url=url,
        snapshot_interval=3600.0,
        ledger_interval=86_400.0,
        allowed_hosts=("testserver",),
    )
    app = create_app(settings)
    statuses: set[int] = set()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    def scope(token: str) -> dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": f"/w/{token}" + (".html" if html else ""),
            "raw_path": b"",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }

    async with app.router.lifespan_context(app):
        holder = app.state.runtime.snapshots
        await holder.warm()  # every pool and shared part, as the start's own warm-up makes them
        for token in tokens[:n]:
            await app(scope(token), receive, send)
        clock = time.process_time
        start = clock()
        for _ in range(n):
            await app(scope(tokens[0]), receive, send)
        kept_us = (clock() - start) / n * 1e6

        made = [0]
        shared_plan = blocks.shared_plan

        def counted(*args: Any) -> Any:
            made[0] += 1
            return shared_plan(*args)

        blocks.shared_plan = counted  # type: ignore[assignment]
        collected = [0.0, 0.0]

        def collector(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                collected[1] = clock()
            else:
                collected[0] += clock() - collected[1]

        gc.callbacks.append(collector)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        start = clock()
        for token in tokens[n : 2 * n]:
            await app(scope(token), receive, send)
        first_us = (clock() - start) / n * 1e6
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        gc.callbacks.remove(collector)
        blocks.shared_plan = shared_plan
        if statuses != {200}:
            raise SystemExit(f"answers other than 200: {sorted(statuses)}")
        return {
            "path": "/w/{token}.html" if html else "/w/{token}",
            "first_sights": n,
            "kept_answer_us": round(kept_us, 1),
            "first_sight_us": round(first_us, 1),
            "shared_parts_made": made[0],
            "collector_us": round(collected[0] / n * 1e6, 1),
            "rss_mb": rss_mb(),
            "load_average": [round(x, 1) for x in os.getloadavg()],
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path, help="where the database is made and kept")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--themes", type=int, default=400)
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--html", action="store_true")
    parser.add_argument("--profile")
    parser.add_argument("--rules", type=json.loads, help="rules (JSON) for every theme")
    args = parser.parse_args()
    args.directory.mkdir(parents=True, exist_ok=True)
    database = args.directory / f"firstsight-{args.members}-{args.themes}.db"
    url = f"sqlite:///{database}"
    if not database.exists():
        make_database(url, args.members, args.themes, args.directory)
    if args.rules is not None:
        text = json.dumps(args.rules, sort_keys=True)
        ruled = database.with_suffix(f".{hashlib.sha256(text.encode()).hexdigest()[:10]}.db")
        if not ruled.exists():
            shutil.copy(database, ruled)
            asyncio.run(set_rules(f"sqlite:///{ruled}", args.rules))
        database, url = ruled, f"sqlite:///{ruled}"
    tokens = asyncio.run(embed_tokens(url))
    random.Random(6).shuffle(tokens)
    n = min(args.tokens, len(tokens) // 2)
    print(json.dumps(asyncio.run(measure(url, tokens, n, args.html, args.profile))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
