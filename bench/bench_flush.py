"""Benchmark the counting flush: our dialect layer against SQLAlchemy Core, same driver.

Usage: python bench/bench_flush.py [--rows 5000] [--rounds 7] [--json]

The flush upserts one row per (day, theme, host, partner, kind) into
``daily_counters`` in one transaction, as ``Storage.add_counts`` does when
``Counting.flush`` runs.  Both sides write a SQLite file made by our migrations
through aiosqlite, with the same pragmas, and get the same rows (distinct keys):

* **ours**: ``SQLiteStorage.add_counts`` (``storage/counts.py`` on
  ``storage/dialect.py``): ``BEGIN IMMEDIATE``, one ``executemany`` of the
  ``INSERT … ON CONFLICT DO UPDATE``, ``COMMIT``.
* **sqlalchemy**: an ``AsyncEngine`` on ``sqlite+aiosqlite``, a Core ``Table``
  and ``sqlite.insert(…).on_conflict_do_update(…)`` executed with the rows as a
  list of dicts inside ``engine.begin()``.

Each round flushes the rows twice into a fresh database per side: once into an
empty table (inserts) and once more (every row a conflict: updates).  The sides
alternate which goes first.  Reported: the median time per flush and the ratio
SQLAlchemy ÷ ours (above 1: SQLAlchemy is slower).  Needs ``sqlalchemy[asyncio]``
in the environment; the server itself does not depend on it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from widget_server.core.models import CounterRow  # noqa: E402  (after the path set-up)
from widget_server.storage import SQLiteStorage  # noqa: E402

Flush = Callable[[Sequence[CounterRow]], Awaitable[None]]


def counter_rows(n: int) -> list[CounterRow]:
    """``n`` distinct keys: a week of days, three themes, hosts × partners, three kinds."""
    rows = []
    kinds = ("served", "viewed", "clicked")
    for i in range(n):
        day = date(2026, 5, 1) + timedelta(days=i % 7)
        rest = i // 7
        kind = kinds[rest % 3]
        rest //= 3
        theme, rest = rest % 3 + 1, rest // 3
        host, partner = rest % 60 + 1, rest // 60 + 1
        exposure = 0.63 if kind == "viewed" else 0.0
        rows.append(CounterRow(day, theme, host, partner, kind, 1 + i % 5, exposure))
    return rows


async def ours(path: Path) -> tuple[Flush, Callable[[], Awaitable[None]]]:
    storage = SQLiteStorage(path)
    await storage.open()
    await storage.migrate()
    return storage.add_counts, storage.close


async def sqlalchemy_core(path: Path) -> tuple[Flush, Callable[[], Awaitable[None]]]:
    import sqlalchemy as sa
    from sqlalchemy import event
    from sqlalchemy.dialects.sqlite import insert
    from sqlalchemy.ext.asyncio import create_async_engine

    # The schema comes from our migrations (as Alembic would be bypassed for a fair test).
    setup = SQLiteStorage(path)
    await setup.open()
    await setup.migrate()
    await setup.close()

    metadata = sa.MetaData()
    table = sa.Table(
        "daily_counters",
        metadata,
        sa.Column("day", sa.Text, primary_key=True),
        sa.Column("theme_id", sa.Integer, primary_key=True),
        sa.Column("host_id", sa.Integer, primary_key=True),
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("exposure", sa.Float, nullable=False),
    )
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "theme_id", "host_id", "partner_id", "kind"],
        set_={
            "count": table.c["count"] + stmt.excluded["count"],
            "exposure": table.c.exposure + stmt.excluded.exposure,
        },
    )
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")

    @event.listens_for(engine.sync_engine, "connect")
    def pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        for pragma in ("busy_timeout = 5000", "foreign_keys = ON", "synchronous = NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    async def flush(rows: Sequence[CounterRow]) -> None:
        params = [
            {
                "day": r.day.isoformat(),
                "theme_id": r.theme_id,
                "host_id": r.host_id,
                "partner_id": r.partner_id,
                "kind": r.kind,
                "count": r.count,
                "exposure": r.exposure,
            }
            for r in rows
        ]
        async with engine.begin() as conn:
            await conn.execute(stmt, params)

    return flush, engine.dispose


SIDES = {"ours": ours, "sqlalchemy": sqlalchemy_core}


async def one_round(rows: Sequence[CounterRow], order: Sequence[str]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in order:
            flush, close = await SIDES[name](Path(tmp) / f"{name}.db")
            try:
                await flush(rows[:10])  # warm up: connections, statement cache
                for _ in range(2):  # inserts, then updates of the same keys
                    start = time.perf_counter()
                    await flush(rows)
                    times.setdefault(name, []).append(time.perf_counter() - start)
            finally:
                await close()
    return times


async def measure(n: int, rounds: int) -> dict[str, Any]:
    rows = counter_rows(n)
    inserts: dict[str, list[float]] = {name: [] for name in SIDES}
    updates: dict[str, list[float]] = {name: [] for name in SIDES}
    for i in range(rounds):
        order = list(SIDES) if i % 2 == 0 else list(reversed(SIDES))
        for name, (insert_s, update_s) in (await one_round(rows, order)).items():
            inserts[name].append(insert_s)
            updates[name].append(update_s)
            print(
                f"round {i + 1} {name}: insert {insert_s * 1000:.1f} ms,"
                f" update {update_s * 1000:.1f} ms",
                file=sys.stderr,
            )
    result: dict[str, Any] = {"rows": n, "rounds": rounds}
    for phase, samples in (("insert", inserts), ("update", updates)):
        medians = {name: statistics.median(s) for name, s in samples.items()}
        result[phase] = {
            **{f"{name}_ms": round(m * 1000, 1) for name, m in medians.items()},
            "ratio_sqlalchemy_to_ours": round(medians["sqlalchemy"] / medians["ours"], 2),
        }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="distinct counter rows per flush")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()
    if args.rows < 10 or args.rounds < 1:
        parser.error("--rows must be at least 10 and --rounds at least 1")
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        print("bench_flush needs sqlalchemy[asyncio]: pip install 'sqlalchemy[asyncio]>=2'")
        return 2
    result = asyncio.run(measure(args.rows, args.rounds))
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{args.rows} counter rows per flush, median of {args.rounds} rounds (aiosqlite)")
    print("| flush | ours | SQLAlchemy Core | SQLAlchemy ÷ ours |")
    print("|---|---|---|---|")
    for phase in ("insert", "update"):
        r = result[phase]
        print(
            f"| {phase} | {r['ours_ms']} ms | {r['sqlalchemy_ms']} ms"
            f" | {r['ratio_sqlalchemy_to_ours']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
