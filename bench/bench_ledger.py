"""The fairness ledger job at scale: its time and stored size after 1 and after N days.

Usage: python bench/bench_ledger.py [--members 100000] [--themes 2000] [--days 10]
                                    [--partners 4] [--steady 10] [--per-minute 0.014]
                                    [--database sqlite|postgres] [--json]

The network is made through the storage's bulk path (``import_members``: each
member in 1-3 themes, about 100 per theme).  Every simulated day adds, per
membership, one ``served`` row and ``--partners`` ``viewed`` rows (the host's
partners that day, with the exposure of their positions): about 1,000,000
counter rows a day at the default size, the traffic of issue 14.

After the first and after the last day it measures, in this process:

Each time is given as wall seconds and CPU seconds of this process (its
SQLite threads included; PostgreSQL's server CPU is not), as the machine
may be shared.

* **job, first of the day**: ``compute_ledger_update`` + ``publish_ledger`` at
  noon, the first computation that day (it rolls every theme's base by one
  day; on day 1 it builds the bases from the rows, once);
* **job, again the same day**: the same a minute later, after more counts (the
  computation every ``WIDGET_LEDGER_INTERVAL``);
* **install**: a serving process polling the new version (reading the themes
  that changed, parsing them, ``Snapshot.with_ledger``);
* **from scratch**: what the job did before (every ``viewed`` row of the
  window read and decayed, one JSON document of the whole network), for the
  comparison; and the size of that document;
* **stored**: the rows and bytes of the bases and of the published versions;
* **steady traffic** (``--steady`` minutes after the last day, from 13:00):
  each minute every membership's host is viewed with probability
  ``--per-minute`` (0.014: the ~20 views a membership gets a day, spread over
  the day) and a serving process runs the ledger job and installs the result
  (``SnapshotHolder.refresh_ledger``), while a probe task on the same event
  loop records how late it wakes up (the longest stall a request would see).
  Given: the bytes stored in ``ledger_versions`` per computation (the first
  of these computations opens nothing new: the day's checkpoint was written at
  noon), CPU and wall seconds per computation, the longest stall, and a day's
  bytes at this rate (the day's checkpoint plus 1,439 computations).

Exit status 0, or 1 when the measurement failed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stallwatch  # noqa: E402
from widget_server.core.models import CounterRow, Member  # noqa: E402
from widget_server.network.services import add_theme  # noqa: E402
from widget_server.rotation.fairness import exposure  # noqa: E402
from widget_server.rotation.ledger import compute_ledger, theme_document  # noqa: E402
from widget_server.serving.holder import SnapshotHolder  # noqa: E402
from widget_server.serving.ledger import compute_ledger_update  # noqa: E402
from widget_server.serving.snapshot import load_ledger  # noqa: E402
from widget_server.storage import Storage, storage_from_url  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
FIRST_DAY = date(2027, 3, 1)
CHUNK = 50_000


def noon(day: date) -> float:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()


async def build(storage: Storage, members: int, themes: int) -> dict[int, list[int]]:
    """The network; theme id -> its member ids."""
    for t in range(themes):
        await add_theme(storage, slug=f"t{t}", name_de=f"Thema {t}")
    ids = {t.slug: t.id for t in await storage.list_themes()}
    rng = random.Random(14)
    batch = []
    for i in range(members):
        chosen = rng.sample(range(themes), min(themes, rng.choice((1, 2, 3))))
        member = Member(0, f"m{i}", f"Betrieb {i}", f"https://m{i}.example.de/", status="active")
        batch.append((member, [ids[f"t{t}"] for t in chosen]))
    await storage.import_members(batch)
    by_theme: dict[int, list[int]] = {}
    for ms in await storage.list_memberships():
        by_theme.setdefault(ms.theme_id, []).append(ms.member_id)
    return by_theme


def day_rows(
    by_theme: dict[int, list[int]], day: date, partners: int, rng: random.Random, share: float
) -> list[CounterRow]:
    """One day's counters (``share`` of a day's views: the morning, or the rest)."""
    rows = []
    for theme_id, members in by_theme.items():
        for host in members:
            views = max(1, round(rng.randint(1, 40) * share))
            rows.append(CounterRow(day, theme_id, host, 0, "served", views))
            others = [m for m in rng.sample(members, min(len(members), partners + 1)) if m != host]
            for position, partner in enumerate(others[:partners], start=1):
                rows.append(
                    CounterRow(
                        day, theme_id, host, partner, "viewed", views, views * exposure(position)
                    )
                )
    return rows


async def add(storage: Storage, rows: list[CounterRow]) -> None:
    for start in range(0, len(rows), CHUNK):
        await storage.add_counts(rows[start : start + CHUNK])


async def job(storage: Storage, now: float) -> tuple[float, float, int]:
    """One computation as the deployment runs it; (wall s, CPU s, themes published)."""
    data = await storage.load_network()
    published = 0

    async def compute() -> Any:
        nonlocal published
        update = await compute_ledger_update(storage, now, data)
        published = len(update.documents)
        return update

    start, cpu = time.perf_counter(), time.process_time()
    await storage.publish_ledger(compute, stale_before=float("inf"), now=now)
    return time.perf_counter() - start, time.process_time() - cpu, published


async def from_scratch(storage: Storage, now: float) -> tuple[float, float, int]:
    """The previous job: every row of the window, one JSON document; (wall s, CPU s, bytes)."""
    data = await storage.load_network()
    start, cpu = time.perf_counter(), time.process_time()
    inputs = await load_ledger(storage, now, data)
    today = datetime.fromtimestamp(now, UTC).date()
    ledger = compute_ledger(inputs.rows, today, {t.id: 14.0 for t in data.themes})
    document = json.dumps(
        {
            "themes": {
                str(t): {str(m): list(pair) for m, pair in members.items()}
                for t, members in ledger.items()
            },
            "last_served": [[t, h, d.isoformat()] for (t, h), d in inputs.last_served.items()],
        },
        separators=(",", ":"),
    )
    return time.perf_counter() - start, time.process_time() - cpu, len(document)


def minute_rows(
    by_theme: dict[int, list[int]], day: date, partners: int, rng: random.Random, p: float
) -> list[CounterRow]:
    """One minute of steady traffic: each membership's host viewed once with probability p."""
    rows = []
    for theme_id, members in by_theme.items():
        for host in members:
            if rng.random() >= p:
                continue
            rows.append(CounterRow(day, theme_id, host, 0, "served", 1))
            others = [m for m in rng.sample(members, min(len(members), partners + 1)) if m != host]
            for position, partner in enumerate(others[:partners], start=1):
                rows.append(
                    CounterRow(day, theme_id, host, partner, "viewed", 1, exposure(position))
                )
    return rows


async def version_bytes(storage: Storage, computed_at: float) -> tuple[int, int]:
    """(rows, bytes) stored in ``ledger_versions`` by the computation at ``computed_at``."""
    row = await storage._fetchrow(  # noqa: SLF001  (a bench reads the table directly)
        "SELECT COUNT(*), COALESCE(SUM(LENGTH(document)), 0) FROM ledger_versions"
        " WHERE computed_at = ?",
        computed_at,
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)


class StallProbe:
    """The longest time the event loop left a 5 ms sleep waiting beyond its due time."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            self.longest = max(self.longest, time.perf_counter() - start - 0.005)

    def __enter__(self) -> StallProbe:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


async def steady(
    storage: Storage,
    holder: SnapshotHolder,
    clock_now: list[float],
    by_theme: dict[int, list[int]],
    day: date,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """``args.steady`` minutes of steady traffic, the job and an install each minute."""
    rng = random.Random(11)
    checkpoint_rows, checkpoint_bytes = await version_bytes(storage, noon(day))
    per_minute, stalls, cpu, wall, published = [], [], [], [], []
    windows: list[tuple[float, float]] = []  # when each computation and install ran
    watched = time.time()
    if args.watch:  # where the stalls come from (bench/stallwatch.py)
        stallwatch.Watch(args.watch).start(asyncio.get_running_loop())
    for minute in range(args.steady):
        now = noon(day) + 3600 + 60 * minute
        await add(storage, minute_rows(by_theme, day, args.partners, rng, args.per_minute))
        clock_now[0] = now
        with StallProbe() as probe:
            start, used, began = time.perf_counter(), time.process_time(), time.time()
            await holder.refresh_ledger()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - used)
            await asyncio.sleep(0.01)  # the probe's last turn
            windows.append((began, time.time()))
        stalls.append(probe.longest)
        rows, written = await version_bytes(storage, now)
        per_minute.append(written)
        published.append(rows)
    # The same probe with nothing running, as long as a computation took: what the shared
    # machine's scheduling alone costs.
    with StallProbe() as quiet:
        await asyncio.sleep(max(sum(wall) / len(wall), 0.5))
    mean = sum(per_minute) / len(per_minute)
    return {
        "minutes": args.steady,
        "themes published per computation (mean)": round(sum(published) / len(published), 1),
        "bytes stored per computation (mean, max)": [round(mean), max(per_minute)],
        "the day's checkpoint (themes, bytes)": [checkpoint_rows, checkpoint_bytes],
        "bytes a day at this rate (MB)": round((checkpoint_bytes + 1439 * mean) / 1e6, 1),
        "job + install CPU s per computation (mean, max)": [
            round(sum(cpu) / len(cpu), 3),
            round(max(cpu), 3),
        ],
        "job + install wall s per computation (mean, max)": [
            round(sum(wall) / len(wall), 3),
            round(max(wall), 3),
        ],
        "longest event-loop stall ms (max, median)": [
            round(max(stalls) * 1000, 1),
            round(sorted(stalls)[len(stalls) // 2] * 1000, 1),
        ],
        "longest stall with nothing running ms (baseline)": round(quiet.longest * 1000, 1),
        # Only while the job and the install ran: this process also makes each
        # minute's counts on its loop, at once, which a server's intake does not.
        **(
            {
                "loop (stallwatch)": stallwatch.summary(
                    args.watch, watched, time.time(), windows=windows
                )
            }
            if args.watch
            else {}
        ),
    }


def whole_bytes(version: Any) -> int:
    """The size of a theme version's full document (stored whole before checkpoints)."""
    document = getattr(version, "document", None)  # before: every version whole
    if document is None:
        ledger = version.read()
        document = theme_document(ledger.figures, ledger.served, ledger.day)
    return len(document)


async def stored(storage: Storage) -> dict[str, int]:
    conn_rows = {}
    for table in ("ledger_base", "ledger_versions", "daily_counters"):
        conn_rows[f"{table} rows"] = await storage.count_rows(table)
    latest = await storage.get_ledger()
    conn_rows["latest documents bytes"] = (
        sum(whole_bytes(v) for v in latest.themes.values()) if latest else 0
    )
    return conn_rows


async def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    storage = storage_from_url(url)
    await storage.open()
    await storage.migrate()
    results: dict[str, Any] = {}
    try:
        start = time.perf_counter()
        by_theme = await build(storage, args.members, args.themes)
        results["build seconds"] = round(time.perf_counter() - start, 1)
        clock_now = [noon(FIRST_DAY)]
        holder = SnapshotHolder(storage, 3600, 60, lambda: clock_now[0])
        holder.reload_in_background()
        await holder.reloaded()
        gc.freeze()  # as a serving process does after its warm-up (SnapshotHolder.warm)
        rng = random.Random(10)
        for n in range(args.days):
            day = FIRST_DAY + timedelta(days=n)
            start = time.perf_counter()
            await add(storage, day_rows(by_theme, day, args.partners, rng, 0.5))
            added = time.perf_counter() - start
            first, first_cpu, published_first = await job(storage, noon(day))
            await add(storage, day_rows(by_theme, day, args.partners, rng, 0.1))
            again, again_cpu, published_again = await job(storage, noon(day) + 60)
            if n in (0, args.days - 1):
                clock_now[0] = noon(day) + 60
                start, cpu = time.perf_counter(), time.process_time()
                await holder.poll_ledger()
                install = (time.perf_counter() - start, time.process_time() - cpu)
                scratch, scratch_cpu, scratch_bytes = await from_scratch(storage, noon(day) + 60)
                results[f"after {n + 1} day(s)"] = {
                    "adding a day's first counters (s)": round(added, 1),
                    "job, first of the day (wall s, CPU s)": [round(first, 2), round(first_cpu, 2)],
                    "job, again the same day (wall s, CPU s)": [
                        round(again, 2),
                        round(again_cpu, 2),
                    ],
                    "themes published (first, again)": [published_first, published_again],
                    "install in a serving process (wall s, CPU s)": [round(x, 2) for x in install],
                    "from scratch, the previous job (wall s, CPU s)": [
                        round(scratch, 2),
                        round(scratch_cpu, 2),
                    ],
                    "from scratch, its JSON document (bytes)": scratch_bytes,
                    **await stored(storage),
                }
            print(
                f"day {n + 1}: first {first:.2f} s ({first_cpu:.2f} CPU),"
                f" again {again:.2f} s ({again_cpu:.2f} CPU)",
                file=sys.stderr,
            )
        if args.steady:
            last = FIRST_DAY + timedelta(days=args.days - 1)
            results["steady traffic"] = await steady(
                storage, holder, clock_now, by_theme, last, args
            )
    finally:
        await storage.close()
    return results


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            return await measure(f"sqlite:///{tmp}/ledger.db", args)
    import asyncpg

    name = "bench_ledger"
    conn = await asyncpg.connect(args.postgres)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        await conn.execute(f"CREATE SCHEMA {name}")
    finally:
        await conn.close()
    try:
        return await measure(f"{args.postgres}?search_path={name}", args)
    finally:
        conn = await asyncpg.connect(args.postgres)
        try:
            await conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        finally:
            await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--themes", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--partners", type=int, default=4)
    parser.add_argument("--steady", type=int, default=10, help="minutes of steady traffic")
    parser.add_argument("--per-minute", type=float, default=0.014)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--watch",
        metavar="FILE",
        help="record the steady phase's stalls (bench/stallwatch.py); the summary takes"
        " those while the job and the install ran",
    )
    args = parser.parse_args()
    try:
        results = asyncio.run(run(args))
    except Exception as exc:  # noqa: BLE001  (a failed measurement is exit status 1)
        print(f"bench_ledger: {exc!r}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            if isinstance(value, dict):
                print(key)
                for k, v in value.items():
                    print(f"  {k:<42} {v}")
            else:
                print(f"{key:<44} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
