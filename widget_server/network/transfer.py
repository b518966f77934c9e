"""Moving a network from one database to another (``widget-server migrate-db``).

Every table is copied row by row with its ids, so embed codes (signed
placement ids), API keys, accounts and the stored secret keys keep working;
the copy is one transaction on the target, and its result is checked by
counting every table on both sides.  The target must be empty: a fresh
database, or one on which only the schema was created.
"""

from __future__ import annotations

from dataclasses import dataclass

from widget_server.core.errors import ConflictError, StorageError
from widget_server.network.database import check_schema
from widget_server.storage import Storage

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
    "password_resets",
    "invitations",
    "applications",
    "categories",
    "api_keys",
    "idempotency_keys",
    "audit_log",
    "sessions",
    "portal_links",
    # Today's visitor state, so nobody counted today is counted again after the move.
    "visitor_salts",
    "visitor_claims",
    "visitor_tallies",
    "daily_capped",
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
