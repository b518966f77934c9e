"""What a calendar feed costs: ``GET /t/{theme}/events.ics`` against a bare Starlette app.

Usage: python bench/bench_calendar.py [--events 40] [--requests 400] [--rounds 3] [--json]

Both apps run in this process behind httpx's ASGI transport (no sockets, so
the figure is the handler's and the framework's work, not the network's), in
alternating rounds; each side's CPU seconds (``time.process_time``) are
summed over its rounds.  The figure to trust is the ratio of requests per
CPU-second, feed ÷ baseline, measured in the same run: it holds on a busy
machine where wall-clock rates do not.  Three paths are measured: the feed
in full (read, serialize, hash), the same with ``If-None-Match`` (a 304, as
calendar programs poll), and the baseline's ``/hello``.

The network: one theme with 8 members and ``--events`` published events,
each with a description, a place and three participants.  Exit status 0
(a measurement, not a test); 1 when a request did not answer as expected.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from starlette.datastructures import Secret

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline_app import app as baseline  # noqa: E402
from widget_server.core.settings import Settings  # noqa: E402
from widget_server.network.events import EventInput, create_event  # noqa: E402
from widget_server.network.services import MemberInput, add_member, add_theme  # noqa: E402
from widget_server.storage import SQLiteStorage  # noqa: E402
from widget_server.web.app import create_app  # noqa: E402

THEME = "hochzeit"
ZONE = "Europe/Berlin"


async def seed(path: Path, events: int) -> None:
    storage = SQLiteStorage(path)
    await storage.open()
    try:
        await storage.migrate()
        await add_theme(storage, slug=THEME, name_de="Hochzeit")
        slugs = [f"m{i}" for i in range(8)]
        for slug in slugs:
            await add_member(
                storage,
                MemberInput(
                    slug=slug,
                    name=f"Betrieb {slug}",
                    website=f"https://{slug}.example/",
                    themes=(THEME,),
                ),
            )
        now = datetime.now(UTC)
        for n in range(events):
            day = (now + timedelta(days=7 + n)).strftime("%Y-%m-%d")
            await create_event(
                storage,
                EventInput(
                    title=f"Veranstaltung {n}: Messe, Vortrag; Abend",
                    starts_at=f"{day}T18:00",
                    ends_at=f"{day}T22:00",
                    place_name="Festscheune Wulfshof",
                    street="Wulfshof 1",
                    postal_code="25746",
                    town="Heide",
                    description="Ein Abend mit Vorträgen.\nDanach Musik & Getränke. " * 3,
                    participants=slugs[n % 6 : n % 6 + 3],
                    theme=THEME,
                ),
                ZONE,
                now=now,
            )
    finally:
        await storage.close()


async def timed(client: httpx.AsyncClient, path: str, n: int, **headers: str) -> float:
    """CPU seconds of ``n`` requests of ``path``; each must answer 200 or 304."""
    start = time.process_time()
    for _ in range(n):
        response = await client.get(path, headers=headers)
        if response.status_code not in (200, 304):
            raise RuntimeError(f"{path} answered {response.status_code}")
    return time.process_time() - start


async def measure(events: int, requests: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        await seed(path, events)
        settings = Settings(
            database_url=f"sqlite:///{path}",
            secret_keys=(Secret("bench-calendar-secret-0123456789"),),
            allowed_hosts=("testserver",),
        )
        app = create_app(settings)
        feed_path = f"/t/{THEME}/events.ics"
        async with app.router.lifespan_context(app):
            feed = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            )
            base = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=baseline), base_url="http://testserver"
            )
            first = await feed.get(feed_path)
            etag = first.headers["etag"]
            size = len(first.content)
            await timed(feed, feed_path, 20)  # warm up both
            await timed(base, "/hello", 20)
            cpu = {"feed": 0.0, "not_modified": 0.0, "baseline": 0.0}
            for _ in range(rounds):
                cpu["baseline"] += await timed(base, "/hello", requests)
                cpu["feed"] += await timed(feed, feed_path, requests)
                cpu["not_modified"] += await timed(
                    feed, feed_path, requests, **{"If-None-Match": etag}
                )
            await feed.aclose()
            await base.aclose()
    total = requests * rounds
    rate = {k: total / v if v else float("inf") for k, v in cpu.items()}
    return {
        "events": events,
        "feed_bytes": size,
        "requests_per_cpu_second": {k: round(v) for k, v in rate.items()},
        "ratio_feed_to_baseline": round(rate["feed"] / rate["baseline"], 3),
        "ratio_304_to_baseline": round(rate["not_modified"] / rate["baseline"], 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40, help="published events in the theme")
    parser.add_argument("--requests", type=int, default=400, help="requests per side and round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        result = asyncio.run(measure(args.events, args.requests, args.rounds))
    except RuntimeError as exc:
        print(f"measurement failed: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
    else:
        rates = result["requests_per_cpu_second"]
        print(f"feed of {result['events']} events: {result['feed_bytes']} bytes")
        print(
            f"requests per CPU-second: feed {rates['feed']}, 304 {rates['not_modified']},"
            f" baseline {rates['baseline']}"
        )
        print(f"feed / baseline: {result['ratio_feed_to_baseline']}")
        print(f"304 / baseline:  {result['ratio_304_to_baseline']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
