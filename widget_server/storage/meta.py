"""The schema's version and the ``meta`` rows."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager

from widget_server.core.collation import sort_name
from widget_server.core.errors import StorageError
from widget_server.storage.dialect import Connection, iso_now
from widget_server.storage.queries import Queries
from widget_server.storage.records import Migration, identifier, load_migrations


async def read_meta(conn: Connection, keys: Sequence[str]) -> dict[str, str]:
    marks = ", ".join("?" for _ in keys)
    rows = await conn.fetch(f"SELECT key, value FROM meta WHERE key IN ({marks})", *keys)
    return {r[0]: r[1] for r in rows}


async def write_meta(conn: Connection, items: Sequence[tuple[str, str]]) -> None:
    await conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        items,
    )


def sort_names_version(migrations: Sequence[Migration]) -> int:
    """The migration that gave members their ``sort_name``."""
    return next(m.version for m in migrations if m.name == "member_sort_name")


class Meta(Queries):
    dialect: str

    # -- driver hooks -----------------------------------------------------------------------

    def _migrating(self) -> AbstractAsyncContextManager[Connection]:
        """A connection that only one process at a time migrates through."""
        raise NotImplementedError

    async def _schema_version(self, conn: Connection) -> int:
        raise NotImplementedError

    async def _apply(self, conn: Connection, migration: Migration, record: str) -> None:
        """Run ``migration`` and then ``record`` (its schema_migrations row) in one transaction."""
        raise NotImplementedError

    # -- schema -----------------------------------------------------------------------------

    async def schema_version(self) -> int:
        async with self._reading() as conn:
            return await self._schema_version(conn)

    async def migrate(self, target: int | None = None) -> list[int]:
        """Apply pending migrations up to ``target`` (default: all); each in one transaction.

        Processes that start at once take turns: the first migrates, the others
        find nothing left to do.
        """
        migrations = load_migrations(self.dialect)
        latest = migrations[-1].version if migrations else 0
        target = latest if target is None else target
        async with self._migrating() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                f" name TEXT NOT NULL, applied_at {self._dialect.timestamp_type} NOT NULL)"
            )
            current = await self._schema_version(conn)
            if current > latest:
                raise StorageError(
                    f"database schema version {current} is newer than this server ({latest});"
                    " upgrade the server"
                )
            applied = []
            reached = current
            for migration in migrations:
                if not current < migration.version <= target:
                    continue
                # Names and numbers come from our own files; the time is ISO text.
                record = (
                    "INSERT INTO schema_migrations (version, name, applied_at)"
                    f" VALUES ({int(migration.version)}, '{migration.name}', '{iso_now()}')"
                )
                try:
                    await self._apply(conn, migration, record)
                except self._dialect.failures as exc:
                    raise StorageError(
                        f"migration {migration.version} ({migration.name}) failed: {exc}"
                    ) from exc
                applied.append(migration.version)
                reached = migration.version
        if reached >= sort_names_version(migrations):
            await self.fill_sort_names()
        return applied

    async def fill_sort_names(self, chunk: int = 5_000) -> int:
        """Give each member without a ``sort_name`` (every one right after migration 20,
        or rows another tool wrote) the one of its name; returns how many.  Found through
        a partial index: with none to fill, one cheap query.  A name changed meanwhile
        wrote its own, which is kept."""
        filled = 0
        while rows := await self._fetch(
            f"SELECT id, name FROM members WHERE sort_name IS NULL ORDER BY id LIMIT {int(chunk)}"
        ):
            async with self._write(bump=False) as conn:
                await conn.executemany(
                    "UPDATE members SET sort_name = ? WHERE id = ? AND sort_name IS NULL",
                    [(sort_name(name), member_id) for member_id, name in rows],
                )
            filled += len(rows)
        return filled

    # -- meta rows --------------------------------------------------------------------------

    async def data_version(self) -> int:
        row = await self._fetchrow("SELECT value FROM meta WHERE key = 'data_version'")
        return int(row[0]) if row else 0

    async def get_meta(self, key: str) -> str | None:
        row = await self._fetchrow("SELECT value FROM meta WHERE key = ?", key)
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self._write(bump=False) as conn:
            await write_meta(conn, [(key, value)])

    # -- whole tables (migrate-db; the rest is the driver's) --------------------------------

    async def count_rows(self, table: str) -> int:
        row = await self._fetchrow(f"SELECT COUNT(*) FROM {identifier(table)}")
        return int(row[0]) if row else 0
