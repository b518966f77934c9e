"""Moving a network from one database to another (``widget-server migrate-db``).

Every table is copied row by row with its ids, so embed codes (signed
placement ids), API keys, accounts and the stored secret keys keep working;
the copy is one transaction on the target, and its result is checked by
counting every table on both sides.  The target must be empty: a fresh
database, or one on which only the schema was created.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass

from widget_server.core.errors import ConflictError, StorageError
from widget_server.core.settings import Settings
from widget_server.storage import Storage, storage_from_url
from widget_server.web.runtime import check_schema

# Every table, parents before the tables that refer to them.
TABLES = (
    "meta",
    "themes",
    "members",
    "member_domains",
    "logos",
    "memberships",
    "placements",
    "rule_sets",
    "profile_changes",
    "daily_counters",
    "accounts",
    "api_keys",
    "idempotency_keys",
    "audit_log",
)
# What a freshly migrated database holds: the data version in meta, nothing else.
EMPTY_ROWS = {"meta": 1}


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def matches(self) -> bool:
        return self.source == self.target


async def check_empty(target: Storage) -> None:
    """Raise ``ConflictError`` unless ``target`` holds no network (only a fresh schema)."""
    if await target.schema_version() == 0:
        return
    present = set(await target.table_names())
    for table in TABLES:
        if table not in present:
            continue
        rows = await target.count_rows(table)
        if rows > EMPTY_ROWS.get(table, 0):
            raise ConflictError(
                f"the target already holds a network ({rows} rows in {table});"
                " migrate-db copies into an empty database only"
            )


async def transfer(source: Storage, target: Storage) -> list[TableCount]:
    """Copy every table of ``source`` into the empty ``target``; the counts of both sides.

    Both storages must be open.  The source must be at the latest schema
    version; the target is migrated to it first.
    """
    await check_schema(source)
    tables = await source.table_names()
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise StorageError(f"migrate-db does not know the table(s) {', '.join(unknown)}")
    await check_empty(target)
    await target.migrate()
    await check_empty(target)  # another process may have been quicker
    copied = [t for t in TABLES if t in tables]
    plan = []
    for table in copied:
        columns = await source.table_columns(table)
        plan.append((table, columns, source.export_rows(table, columns)))
    await target.import_rows(plan)
    return [
        TableCount(table, await source.count_rows(table), await target.count_rows(table))
        for table in copied
    ]


# -- the command ------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="the database to copy"
    )
    parser.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="an empty database"
    )


async def _migrate_db(source_url: str, target_url: str) -> list[TableCount]:
    if source_url == target_url:
        raise ValueError("--from and --to name the same database")
    source, target = storage_from_url(source_url), storage_from_url(target_url)
    await source.open()
    try:
        await target.open()
        try:
            return await transfer(source, target)
        finally:
            await target.close()
    finally:
        await source.close()


def cmd_migrate_db(args: argparse.Namespace, settings: Settings) -> int:
    """Copy, print the rows of every table on both sides; exit status 1 on any difference."""
    counts = asyncio.run(_migrate_db(args.source, args.target))
    ok = all(c.matches for c in counts)
    if args.json:
        rows = [{"table": c.table, "source": c.source, "target": c.target} for c in counts]
        print(json.dumps({"tables": rows, "ok": ok}, indent=2))
    else:
        print(f"{'table':<18} {'source':>10} {'target':>10}")
        for c in counts:
            print(f"{c.table:<18} {c.source:>10} {c.target:>10}{'' if c.matches else '  MISMATCH'}")
        print(
            "All rows copied."
            if ok
            else "Row counts differ: was the source written to during the copy?"
            " Stop every server, empty the target and run migrate-db again."
        )
    return 0 if ok else 1
