"""Moving a network from one database to another (``widget-server migrate-db``).

Every table is copied row by row with its ids, so embed codes (signed
placement ids), API keys, accounts and the stored secret keys keep working;
the copy is one transaction on the target, and its result is checked by
counting every table on both sides.  The target must be empty: a fresh
database, or one on which only the schema was created.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

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
    "changes",  # the change log, with the data version in meta
    "profile_changes",
    "daily_counters",
    "daily_exposure",
    "last_served",
    "ledger_base",
    "ledger_base_themes",
    "ledger_current",
    "ledger_versions",
    "status_history",
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
    "mail_contacts",
    "mail_opt_outs",
    "mail_outbox",
    "events",
    "event_participants",
    "offers",
    "offer_participants",
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


async def _counted(
    rows: AsyncIterator[list[tuple[Any, ...]]], tell: Callable[[int], None]
) -> AsyncIterator[list[tuple[Any, ...]]]:
    done = 0
    async for batch in rows:
        yield batch
        done += len(batch)
        tell(done)


def _offset(progress: Callable[[int, int], None], before: int, total: int) -> Callable[[int], None]:
    return lambda n: progress(before + n, total)


async def transfer(
    source: Storage, target: Storage, progress: Callable[[int, int], None] | None = None
) -> list[TableCount]:
    """Copy every table of ``source`` into the empty ``target``; the counts of both sides.

    Both storages must be open.  The source must be at the latest schema
    version; the target is migrated to it first.  ``progress`` is told
    (rows copied, rows in all) as the copy goes.
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
    total = sum([await source.count_rows(t) for t in copied]) if progress else 0
    before = 0
    for table in copied:
        columns = await source.table_columns(table)
        rows = source.export_rows(table, columns)
        if progress is not None:
            rows = _counted(rows, _offset(progress, before, total))
            before += await source.count_rows(table)
        plan.append((table, columns, rows))
    await target.import_rows(plan)
    return [
        TableCount(table, await source.count_rows(table), await target.count_rows(table))
        for table in copied
    ]


# -- the command ------------------------------------------------------------------------------
