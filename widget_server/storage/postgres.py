"""PostgreSQL storage on asyncpg: several server processes on one database.

A connection pool per process; every write is one transaction, and network
writes bump ``data_version`` in that same transaction, so other processes see
the change at their next poll.  Migrations and the shared fairness ledger are
guarded by advisory locks keyed by the schema, so several processes starting
or polling at once migrate once and compute once.

The schema mirrors SQLite's (``migrations/postgres`` numbered like
``migrations/sqlite``) with PostgreSQL's types: identities, ``timestamptz``,
``date``, ``bytea``, ``jsonb``.  Models carry times as ISO text, as SQLite
stores them; conversion happens here.  Slugs and other keys sort bytewise
(``COLLATE "C"``), as in SQLite, so keyset pages come out the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit

import asyncpg

from widget_server.core.errors import (
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
    StorageError,
)
from widget_server.core.models import (
    Account,
    ApiKey,
    AuditEntry,
    CounterRow,
    Logo,
    Member,
    Membership,
    MembershipStatus,
    MemberStatus,
    Placement,
    PlacementOptions,
    ProfileChange,
    RuleSet,
    Theme,
)
from widget_server.storage.base import (
    LEDGER_KEYS,
    NetworkData,
    StoredLedger,
    StoredResponse,
    TableRows,
    identifier,
    ledger_from_meta,
    load_migrations,
)

if TYPE_CHECKING:  # generic only in the type stubs
    Connection: TypeAlias = asyncpg.pool.PoolConnectionProxy[asyncpg.Record]
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]

POOL_MIN = 1
POOL_MAX = 10  # connections per process
# Advisory lock keys: hashed with the schema, so networks in other schemas don't wait.
MIGRATE_LOCK = "partnerkreis.migrate:"
LEDGER_LOCK = "partnerkreis.ledger:"
_LOCK_KEY = "hashtext($1 || COALESCE(current_schema(), ''))"
_BUMP = "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'data_version'"
EXPORT_BATCH = 1_000

_MEMBER_COLUMNS = (
    "m.id, m.slug, m.name, m.website, m.description, m.category, m.town, m.postal_code,"
    " m.status,"
    " (SELECT string_agg(domain, ' ') FROM member_domains d WHERE d.member_id = m.id),"
    " l.digest, l.content_type, l.width, l.height"
)
_MEMBER_FROM = "members m LEFT JOIN logos l ON l.member_id = m.id"
_PLACEMENT_COLUMNS = "id, member_id, theme_id, layout, max_partners, lang, scheme"
_THEME_COLUMNS = "id, slug, name_de, name_en, description_de, description_en, kind"
_API_KEY_COLUMNS = "id, key_id, secret_hash, scope, name, created_at, revoked_at"
_RULE_SET_COLUMNS = "theme_id, version, rules::text, author, created_at"
_COUNTER_COLUMNS = "day, theme_id, host_id, partner_id, kind, count, exposure"
_CHANGE_COLUMNS = (
    "member_id, revision, changes, logo_digest, logo_content_type, logo_width, logo_height,"
    " submitted_at"
)

Row = asyncpg.Record


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    """A stored time as the models carry it (and SQLite stores it)."""
    return moment.astimezone(UTC).isoformat()


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _page(limit: int | None) -> str:
    return f" LIMIT {int(limit)}" if limit is not None else ""


def _where(*conditions: tuple[str, object]) -> tuple[str, list[object]]:
    """`` WHERE a = $1 AND b = $2`` from the conditions whose value is not None.

    Each condition's SQL marks its parameter with ``{}``.
    """
    used = [(sql, value) for sql, value in conditions if value is not None]
    parts = [sql.format(f"${n}") for n, (sql, _) in enumerate(used, start=1)]
    clause = " WHERE " + " AND ".join(parts) if parts else ""
    return clause, [value for _, value in used]


def _theme(row: Row) -> Theme:
    return Theme(*row)


def _member(row: Row) -> Member:
    domains = tuple(sorted(row[9].split())) if row[9] else ()
    logo = Logo(row[0], row[10], row[11], row[12], row[13]) if row[10] else None
    return Member(
        id=row[0],
        slug=row[1],
        name=row[2],
        website=row[3],
        domains=domains,
        description=row[4],
        category=row[5],
        town=row[6],
        postal_code=row[7],
        status=row[8],
        logo=logo,
    )


def _membership(row: Row) -> Membership:
    return Membership(row[0], row[1], row[2], _iso(row[3]))


def _placement(row: Row) -> Placement:
    return Placement(row[0], row[1], row[2], PlacementOptions(row[3], row[4], row[5], row[6]))


def _rule_set(row: Row) -> RuleSet:
    return RuleSet(row[0], row[1], json.loads(row[2]), row[3], _iso(row[4]))


def _api_key(row: Row) -> ApiKey:
    revoked = _iso(row[6]) if row[6] is not None else None
    return ApiKey(row[0], row[1], row[2], row[3], row[4], _iso(row[5]), revoked)


def _counter(row: Row) -> CounterRow:
    return CounterRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6])


def _profile_change(row: Row) -> ProfileChange:
    member_id, revision, changes, digest, content_type, width, height, at = tuple(row)[:8]
    logo = Logo(member_id, digest, content_type, width, height) if digest else None
    return ProfileChange(member_id, json.loads(changes), logo, revision, _iso(at))


def _affected(status: str) -> int:
    """Rows touched, from a command status such as ``UPDATE 1``."""
    return int(status.rsplit(" ", 1)[-1])


@contextmanager
def _translated() -> Iterator[None]:
    """Driver errors become ours: integrity violations conflicts, the rest storage errors."""
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise ConflictError(str(exc)) from exc
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        raise StorageError(str(exc) or type(exc).__name__) from exc


# Conversions of rows as SQLite stores them (migrate-db's interchange) into column types.
def _to_column(kind: str) -> Callable[[Any], Any]:
    if kind == "timestamp with time zone":
        return lambda v: v if v is None or isinstance(v, datetime) else _moment(str(v))
    if kind == "date":
        return lambda v: v if v is None or isinstance(v, date) else date.fromisoformat(str(v))
    if kind == "double precision":
        return lambda v: v if v is None else float(v)
    if kind in ("bigint", "integer"):
        return lambda v: v if v is None else int(v)
    if kind == "bytea":
        return lambda v: v if v is None else bytes(v)
    return lambda v: v if v is None or isinstance(v, str) else str(v)


def _from_column(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class PostgresStorage:
    """``Storage`` on a PostgreSQL database (``postgresql://`` URL, asyncpg's syntax).

    Query parameters that are not connection options become session settings,
    so ``?search_path=partnerkreis`` keeps a network in a schema of its own.
    """

    dialect = "postgres"

    def __init__(self, url: str, *, pool_max: int = POOL_MAX) -> None:
        self.url = url
        self._pool_max = pool_max
        self._pool: Pool | None = None

    @property
    def name(self) -> str:
        """Database, host and port for messages (never the password)."""
        parts = urlsplit(self.url)
        where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
        return f"{parts.path.lstrip('/') or '(default)'} on {where}"

    # -- lifecycle --------------------------------------------------------------------------

    async def open(self) -> None:
        if self._pool is not None:
            return
        try:
            self._pool = await asyncpg.create_pool(
                self.url, min_size=POOL_MIN, max_size=self._pool_max
            )
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            raise StorageError(f"cannot open PostgreSQL database {self.name}: {exc}") from exc

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            with _translated():
                await pool.close()

    # -- connection helpers -----------------------------------------------------------------

    def _need_pool(self) -> Pool:
        if self._pool is None:
            raise StorageError("storage is not open")
        return self._pool

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        pool = self._need_pool()
        with _translated():
            async with pool.acquire() as conn:
                yield conn

    @asynccontextmanager
    async def _write(self, *, bump: bool = True) -> AsyncIterator[Connection]:
        """One write transaction; ``bump`` marks the network data as changed."""
        async with self._connection() as conn, conn.transaction():
            yield conn
            if bump:
                await conn.execute(_BUMP)

    async def _fetch(self, sql: str, *params: Any) -> list[Row]:
        async with self._connection() as conn:
            return list(await conn.fetch(sql, *params))

    async def _fetchrow(self, sql: str, *params: Any) -> Row | None:
        async with self._connection() as conn:
            row: Row | None = await conn.fetchrow(sql, *params)
            return row

    # -- schema -----------------------------------------------------------------------------

    @staticmethod
    async def _schema_version(conn: Connection) -> int:
        if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
            return 0
        return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    async def schema_version(self) -> int:
        async with self._connection() as conn:
            return await self._schema_version(conn)

    async def migrate(self, target: int | None = None) -> list[int]:
        """Apply pending migrations up to ``target`` (default: all); each in one transaction.

        A session advisory lock makes processes that start at once take turns:
        the first migrates, the others find nothing left to do.
        """
        migrations = load_migrations(self.dialect)
        latest = migrations[-1].version if migrations else 0
        target = latest if target is None else target
        async with self._connection() as conn:
            await conn.execute(f"SELECT pg_advisory_lock({_LOCK_KEY})", MIGRATE_LOCK)
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                    " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
                )
                current = await self._schema_version(conn)
                if current > latest:
                    raise StorageError(
                        f"database schema version {current} is newer than this server"
                        f" ({latest}); upgrade the server"
                    )
                applied = []
                for migration in migrations:
                    if not current < migration.version <= target:
                        continue
                    try:
                        async with conn.transaction():
                            await conn.execute(migration.sql)
                            await conn.execute(
                                "INSERT INTO schema_migrations (version, name, applied_at)"
                                " VALUES ($1, $2, $3)",
                                migration.version,
                                migration.name,
                                _now(),
                            )
                    except asyncpg.PostgresError as exc:
                        raise StorageError(
                            f"migration {migration.version} ({migration.name}) failed: {exc}"
                        ) from exc
                    applied.append(migration.version)
                return applied
            finally:
                await conn.execute(f"SELECT pg_advisory_unlock({_LOCK_KEY})", MIGRATE_LOCK)

    async def data_version(self) -> int:
        row = await self._fetchrow("SELECT value FROM meta WHERE key = 'data_version'")
        return int(row[0]) if row else 0

    async def get_meta(self, key: str) -> str | None:
        row = await self._fetchrow("SELECT value FROM meta WHERE key = $1", key)
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key,
                value,
            )

    # -- themes -----------------------------------------------------------------------------

    async def create_theme(self, theme: Theme) -> Theme:
        async with self._write() as conn:
            new_id = await conn.fetchval(
                "INSERT INTO themes (slug, name_de, name_en, description_de, description_en,"
                " kind, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                theme.slug,
                theme.name_de,
                theme.name_en,
                theme.description_de,
                theme.description_en,
                theme.kind,
                _now(),
            )
        return Theme(
            int(new_id),
            theme.slug,
            theme.name_de,
            theme.name_en,
            theme.description_de,
            theme.description_en,
            theme.kind,
        )

    async def get_theme(self, slug: str) -> Theme:
        row = await self._fetchrow(f"SELECT {_THEME_COLUMNS} FROM themes WHERE slug = $1", slug)
        if row is None:
            raise NotFoundError(f"no theme {slug!r}")
        return _theme(row)

    async def list_themes(
        self, *, after: str | None = None, limit: int | None = None
    ) -> list[Theme]:
        clause, params = _where(("slug > {}", after))
        rows = await self._fetch(
            f"SELECT {_THEME_COLUMNS} FROM themes{clause} ORDER BY slug{_page(limit)}", *params
        )
        return [_theme(r) for r in rows]

    async def update_theme(self, theme: Theme) -> Theme:
        async with self._write() as conn:
            status = await conn.execute(
                "UPDATE themes SET name_de = $1, name_en = $2, description_de = $3,"
                " description_en = $4, kind = $5 WHERE id = $6",
                theme.name_de,
                theme.name_en,
                theme.description_de,
                theme.description_en,
                theme.kind,
                theme.id,
            )
            if _affected(status) == 0:
                raise NotFoundError(f"no theme with id {theme.id}")
        return theme

    async def theme_member_counts(self) -> dict[int, int]:
        """Theme id -> members in it (memberships not left, members not removed)."""
        rows = await self._fetch(
            "SELECT ms.theme_id, COUNT(*) FROM memberships ms"
            " JOIN members m ON m.id = ms.member_id"
            " WHERE ms.status != 'left' AND m.status != 'removed' GROUP BY ms.theme_id"
        )
        return {r[0]: r[1] for r in rows}

    # -- members ----------------------------------------------------------------------------

    async def create_member(self, member: Member, theme_ids: Sequence[int] = ()) -> Member:
        now = _now()
        async with self._write() as conn:
            member_id = await conn.fetchval(
                "INSERT INTO members (slug, name, website, description, category, town,"
                " postal_code, status, created_at, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                member.slug,
                member.name,
                member.website,
                member.description,
                member.category,
                member.town,
                member.postal_code,
                member.status,
                now,
            )
            await conn.executemany(
                "INSERT INTO member_domains (member_id, domain) VALUES ($1, $2)",
                [(member_id, d) for d in member.domains],
            )
            await conn.executemany(
                "INSERT INTO memberships (member_id, theme_id, status, created_at)"
                " VALUES ($1, $2, 'active', $3)",
                [(member_id, t, now) for t in theme_ids],
            )
        return await self.get_member_by_id(int(member_id))

    async def get_member(self, slug: str) -> Member:
        row = await self._fetchrow(
            f"SELECT {_MEMBER_COLUMNS} FROM {_MEMBER_FROM} WHERE m.slug = $1", slug
        )
        if row is None:
            raise NotFoundError(f"no member {slug!r}")
        return _member(row)

    async def get_member_by_id(self, member_id: int) -> Member:
        row = await self._fetchrow(
            f"SELECT {_MEMBER_COLUMNS} FROM {_MEMBER_FROM} WHERE m.id = $1", member_id
        )
        if row is None:
            raise NotFoundError(f"no member with id {member_id}")
        return _member(row)

    async def list_members(
        self,
        *,
        status: MemberStatus | None = None,
        theme_id: int | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[Member]:
        clause, params = _where(
            ("m.status = {}", status),
            (
                "m.id IN (SELECT member_id FROM memberships WHERE theme_id = {}"
                " AND status != 'left')",
                theme_id,
            ),
            ("m.slug > {}", after),
        )
        rows = await self._fetch(
            f"SELECT {_MEMBER_COLUMNS} FROM {_MEMBER_FROM}{clause} ORDER BY m.slug{_page(limit)}",
            *params,
        )
        return [_member(r) for r in rows]

    async def update_member(self, member: Member) -> Member:
        """Write a member's profile fields and domains (not its status or logo)."""
        async with self._write() as conn:
            status = await conn.execute(
                "UPDATE members SET name = $1, website = $2, description = $3, category = $4,"
                " town = $5, postal_code = $6, updated_at = $7 WHERE id = $8",
                member.name,
                member.website,
                member.description,
                member.category,
                member.town,
                member.postal_code,
                _now(),
                member.id,
            )
            if _affected(status) == 0:
                raise NotFoundError(f"no member with id {member.id}")
            await conn.execute("DELETE FROM member_domains WHERE member_id = $1", member.id)
            await conn.executemany(
                "INSERT INTO member_domains (member_id, domain) VALUES ($1, $2)",
                [(member.id, d) for d in member.domains],
            )
        return await self.get_member_by_id(member.id)

    async def set_member_status(self, member_id: int, status: MemberStatus) -> Member:
        async with self._write() as conn:
            result = await conn.execute(
                "UPDATE members SET status = $1, updated_at = $2 WHERE id = $3",
                status,
                _now(),
                member_id,
            )
            if _affected(result) == 0:
                raise NotFoundError(f"no member with id {member_id}")
        return await self.get_member_by_id(member_id)

    async def set_logo(self, logo: Logo, data: bytes) -> None:
        async with self._write() as conn:
            await conn.execute(
                "INSERT INTO logos (member_id, digest, content_type, width, height, data,"
                " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (member_id)"
                " DO UPDATE SET digest = excluded.digest, content_type = excluded.content_type,"
                " width = excluded.width, height = excluded.height, data = excluded.data,"
                " created_at = excluded.created_at",
                logo.member_id,
                logo.digest,
                logo.content_type,
                logo.width,
                logo.height,
                data,
                _now(),
            )

    async def get_logo(self, member_id: int) -> tuple[Logo, bytes]:
        row = await self._fetchrow(
            "SELECT member_id, digest, content_type, width, height, data FROM logos"
            " WHERE member_id = $1",
            member_id,
        )
        if row is None:
            raise NotFoundError(f"member {member_id} has no logo")
        return Logo(row[0], row[1], row[2], row[3], row[4]), bytes(row[5])

    # -- memberships ------------------------------------------------------------------------

    async def set_membership(
        self, member_id: int, theme_id: int, status: MembershipStatus
    ) -> Membership:
        now = _now()
        async with self._write() as conn:
            await conn.execute(
                "INSERT INTO memberships (member_id, theme_id, status, created_at)"
                " VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (member_id, theme_id) DO UPDATE SET status = excluded.status",
                member_id,
                theme_id,
                status,
                now,
            )
        return Membership(member_id, theme_id, status, _iso(now))

    async def list_memberships(
        self, *, member_id: int | None = None, theme_id: int | None = None
    ) -> list[Membership]:
        clause, params = _where(("member_id = {}", member_id), ("theme_id = {}", theme_id))
        rows = await self._fetch(
            f"SELECT member_id, theme_id, status, created_at FROM memberships{clause}"
            " ORDER BY theme_id, member_id",
            *params,
        )
        return [_membership(r) for r in rows]

    # -- placements -------------------------------------------------------------------------

    async def create_placement(
        self, member_id: int, theme_id: int, options: PlacementOptions
    ) -> Placement:
        async with self._write() as conn:
            placement_id = await conn.fetchval(
                "INSERT INTO placements (member_id, theme_id, layout, max_partners, lang, scheme,"
                " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                member_id,
                theme_id,
                options.layout,
                options.max_partners,
                options.lang,
                options.scheme,
                _now(),
            )
        return Placement(int(placement_id), member_id, theme_id, options)

    async def get_placement(self, placement_id: int) -> Placement:
        row = await self._fetchrow(
            f"SELECT {_PLACEMENT_COLUMNS} FROM placements WHERE id = $1", placement_id
        )
        if row is None:
            raise NotFoundError(f"no placement {placement_id}")
        return _placement(row)

    async def list_placements(
        self,
        *,
        member_id: int | None = None,
        theme_id: int | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[Placement]:
        clause, params = _where(
            ("member_id = {}", member_id), ("theme_id = {}", theme_id), ("id > {}", after)
        )
        rows = await self._fetch(
            f"SELECT {_PLACEMENT_COLUMNS} FROM placements{clause} ORDER BY id{_page(limit)}",
            *params,
        )
        return [_placement(r) for r in rows]

    # -- rule sets --------------------------------------------------------------------------

    async def add_rule_set(
        self,
        theme_id: int,
        rules: dict[str, Any],
        author: str,
        *,
        expected_version: int | None = None,
    ) -> RuleSet:
        created = _now()
        async with self._write() as conn:
            # Writers of one theme's rules take turns, so versions count up without gaps
            # and a stale expected_version is a precondition failure, never a key clash.
            await conn.execute("SELECT 1 FROM themes WHERE id = $1 FOR NO KEY UPDATE", theme_id)
            version = int(
                await conn.fetchval(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM rule_sets WHERE theme_id = $1",
                    theme_id,
                )
            )
            if expected_version is not None and expected_version != version - 1:
                raise PreconditionFailedError(
                    f"the rules are at version {version - 1}, not {expected_version}"
                )
            await conn.execute(
                "INSERT INTO rule_sets (theme_id, version, rules, author, created_at)"
                " VALUES ($1, $2, $3::jsonb, $4, $5)",
                theme_id,
                version,
                json.dumps(rules, sort_keys=True),
                author,
                created,
            )
        return RuleSet(theme_id, version, rules, author, _iso(created))

    async def list_rule_sets(self, theme_id: int) -> list[RuleSet]:
        rows = await self._fetch(
            f"SELECT {_RULE_SET_COLUMNS} FROM rule_sets WHERE theme_id = $1 ORDER BY version",
            theme_id,
        )
        return [_rule_set(r) for r in rows]

    async def get_rule_set(self, theme_id: int) -> RuleSet | None:
        row = await self._fetchrow(
            f"SELECT {_RULE_SET_COLUMNS} FROM rule_sets"
            " WHERE theme_id = $1 ORDER BY version DESC LIMIT 1",
            theme_id,
        )
        return _rule_set(row) if row else None

    # -- counters ---------------------------------------------------------------------------

    async def add_counts(self, rows: Sequence[CounterRow]) -> None:
        if not rows:
            return
        # Summed per key and sorted: one statement touches each row once, and processes
        # flushing at the same moment lock rows in the same order (no deadlocks).
        totals: dict[tuple[date, int, int, int, str], tuple[int, float]] = {}
        for r in rows:
            key = (r.day, r.theme_id, r.host_id, r.partner_id, r.kind)
            count, exposure = totals.get(key, (0, 0.0))
            totals[key] = (count + r.count, exposure + r.exposure)
        keys = sorted(totals)
        columns = [list(column) for column in zip(*keys, strict=True)]
        async with self._write(bump=False) as conn:
            await conn.execute(
                f"INSERT INTO daily_counters ({_COUNTER_COLUMNS})"
                " SELECT * FROM unnest($1::date[], $2::bigint[], $3::bigint[], $4::bigint[],"
                " $5::text[], $6::bigint[], $7::float8[])"
                " ON CONFLICT (day, theme_id, host_id, partner_id, kind)"
                " DO UPDATE SET count = daily_counters.count + excluded.count,"
                " exposure = daily_counters.exposure + excluded.exposure",
                *columns,
                [totals[k][0] for k in keys],
                [totals[k][1] for k in keys],
            )

    async def visitor_salt(self, day: date, candidate: bytes) -> bytes:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "INSERT INTO visitor_salts (day, salt) VALUES ($1, $2)"
                " ON CONFLICT (day) DO NOTHING",
                day,
                candidate,
            )
            # Salts are forgotten after two days: then no stored key can be linked again.
            await conn.execute("DELETE FROM visitor_salts WHERE day < $1", day - timedelta(days=1))
            salt = await conn.fetchval("SELECT salt FROM visitor_salts WHERE day = $1", day)
        return bytes(salt)

    async def settle_visitors(
        self, claims: Collection[bytes], tallies: Mapping[bytes, int], expires: float
    ) -> tuple[set[bytes], dict[bytes, int]]:
        keys = sorted(claims)  # the same lock order in every process: no deadlocks
        counted = sorted(tallies.items())
        async with self._write(bump=False) as conn:
            now = time.time()
            await conn.execute("DELETE FROM visitor_claims WHERE expires_at < $1", now)
            await conn.execute("DELETE FROM visitor_tallies WHERE expires_at < $1", now)
            rows = await conn.fetch(
                "INSERT INTO visitor_claims (key, expires_at)"
                " SELECT k, $2 FROM unnest($1::bytea[]) AS k"
                " ON CONFLICT (key) DO NOTHING RETURNING key",
                keys,
                expires,
            )
            new = {bytes(r[0]) for r in rows}
            rows = await conn.fetch(
                "INSERT INTO visitor_tallies (key, n, expires_at)"
                " SELECT k, n, $3 FROM unnest($1::bytea[], $2::bigint[]) AS t (k, n)"
                " ON CONFLICT (key) DO UPDATE SET n = visitor_tallies.n + excluded.n"
                " RETURNING key, n",
                [k for k, _ in counted],
                [n for _, n in counted],
                expires,
            )
        return new, {bytes(r[0]): int(r[1]) for r in rows}

    async def list_counts(
        self, *, since: date | None = None, theme_id: int | None = None
    ) -> list[CounterRow]:
        clause, params = _where(("day >= {}", since), ("theme_id = {}", theme_id))
        rows = await self._fetch(
            f"SELECT {_COUNTER_COLUMNS} FROM daily_counters{clause}"
            " ORDER BY day, theme_id, host_id, partner_id, kind",
            *params,
        )
        return [_counter(r) for r in rows]

    async def exposure_since(self, since: date) -> list[CounterRow]:
        """The ``viewed`` rows from ``since`` on: what the fairness ledger is made of."""
        rows = await self._fetch(
            f"SELECT {_COUNTER_COLUMNS} FROM daily_counters"
            " WHERE kind = 'viewed' AND day >= $1 ORDER BY day",
            since,
        )
        return [_counter(r) for r in rows]

    async def last_served(self) -> dict[tuple[int, int], date]:
        """(theme id, host id) -> the last day a block of that host was served."""
        rows = await self._fetch(
            "SELECT theme_id, host_id, MAX(day) FROM daily_counters WHERE kind = 'served'"
            " GROUP BY theme_id, host_id"
        )
        return {(r[0], r[1]): r[2] for r in rows}

    # -- accounts ---------------------------------------------------------------------------

    async def create_account(self, account: Account) -> Account:
        async with self._write(bump=False) as conn:
            account_id = await conn.fetchval(
                "INSERT INTO accounts (username, password_hash, role, created_at)"
                " VALUES ($1, $2, $3, $4) RETURNING id",
                account.username,
                account.password_hash,
                account.role,
                _now(),
            )
        return Account(int(account_id), account.username, account.password_hash, account.role)

    async def get_account(self, username: str) -> Account:
        row = await self._fetchrow(
            "SELECT id, username, password_hash, role FROM accounts WHERE username = $1",
            username,
        )
        if row is None:
            raise NotFoundError(f"no account {username!r}")
        return Account(*row)

    async def count_accounts(self) -> int:
        row = await self._fetchrow("SELECT COUNT(*) FROM accounts")
        return int(row[0]) if row else 0

    # -- API keys ---------------------------------------------------------------------------

    async def create_api_key(self, key: ApiKey) -> ApiKey:
        created = _now()
        async with self._write(bump=False) as conn:
            key_row = await conn.fetchval(
                "INSERT INTO api_keys (key_id, secret_hash, scope, name, created_at)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                key.key_id,
                key.secret_hash,
                key.scope,
                key.name,
                created,
            )
        return ApiKey(int(key_row), key.key_id, key.secret_hash, key.scope, key.name, _iso(created))

    async def get_api_key(self, key_id: str) -> ApiKey:
        row = await self._fetchrow(
            f"SELECT {_API_KEY_COLUMNS} FROM api_keys WHERE key_id = $1", key_id
        )
        if row is None:
            raise NotFoundError(f"no API key {key_id!r}")
        return _api_key(row)

    async def list_api_keys(
        self, *, after: int | None = None, limit: int | None = None
    ) -> list[ApiKey]:
        clause, params = _where(("id > {}", after))
        rows = await self._fetch(
            f"SELECT {_API_KEY_COLUMNS} FROM api_keys{clause} ORDER BY id{_page(limit)}", *params
        )
        return [_api_key(r) for r in rows]

    async def revoke_api_key(self, key_id: str) -> ApiKey:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "UPDATE api_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL",
                _now(),
                key_id,
            )
        return await self.get_api_key(key_id)  # raises NotFoundError for an unknown key

    # -- idempotency keys -------------------------------------------------------------------

    async def claim_idempotency_key(
        self, claim: StoredResponse, *, expired_before: float
    ) -> StoredResponse | None:
        """The stored answer for the claim's key, or None after recording the claim.

        Expired answers are dropped first, in the same transaction.  Two processes
        claiming the same key at once: the second waits for the first to commit and
        then gets its row.
        """
        async with self._write(bump=False) as conn:
            await conn.execute("DELETE FROM idempotency_keys WHERE created_at < $1", expired_before)
            status = await conn.execute(
                "INSERT INTO idempotency_keys (api_key_id, key, fingerprint, created_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (api_key_id, key) DO NOTHING",
                claim.api_key_id,
                claim.key,
                claim.fingerprint,
                claim.created_at,
            )
            if _affected(status) == 1:
                return None
            row = await conn.fetchrow(
                "SELECT api_key_id, key, fingerprint, created_at, status, headers, body"
                " FROM idempotency_keys WHERE api_key_id = $1 AND key = $2",
                claim.api_key_id,
                claim.key,
            )
        if row is None:  # released in between: claim again
            return await self.claim_idempotency_key(claim, expired_before=expired_before)
        headers = tuple((str(k), str(v)) for k, v in json.loads(row[5]))
        return StoredResponse(row[0], row[1], row[2], row[3], row[4], headers, bytes(row[6]))

    async def finish_idempotency_key(self, response: StoredResponse) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "UPDATE idempotency_keys SET status = $1, headers = $2, body = $3"
                " WHERE api_key_id = $4 AND key = $5",
                response.status,
                json.dumps([list(h) for h in response.headers]),
                response.body,
                response.api_key_id,
                response.key,
            )

    async def release_idempotency_key(self, api_key_id: str, key: str) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2", api_key_id, key
            )

    # -- snapshot ---------------------------------------------------------------------------

    async def load_network(self) -> NetworkData:
        # One repeatable-read transaction, so the snapshot is consistent with its version.
        async with (
            self._connection() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            version = await conn.fetchval("SELECT value FROM meta WHERE key = 'data_version'")
            themes = await conn.fetch(f"SELECT {_THEME_COLUMNS} FROM themes ORDER BY id")
            members = await conn.fetch(
                f"SELECT {_MEMBER_COLUMNS} FROM {_MEMBER_FROM} ORDER BY m.id"
            )
            memberships = await conn.fetch(
                "SELECT member_id, theme_id, status, created_at FROM memberships"
            )
            placements = await conn.fetch(f"SELECT {_PLACEMENT_COLUMNS} FROM placements")
            rule_sets = await conn.fetch(
                f"SELECT DISTINCT ON (theme_id) {_RULE_SET_COLUMNS} FROM rule_sets"
                " ORDER BY theme_id, version DESC"
            )
        return NetworkData(
            version=int(version) if version is not None else 0,
            themes=tuple(_theme(r) for r in themes),
            members=tuple(_member(r) for r in members),
            memberships=tuple(_membership(r) for r in memberships),
            placements=tuple(_placement(r) for r in placements),
            rule_sets=tuple(_rule_set(r) for r in rule_sets),
        )

    # -- audit log --------------------------------------------------------------------------

    async def add_audit_entry(self, entry: AuditEntry) -> AuditEntry:
        at = _moment(entry.at) if entry.at else _now()
        async with self._write(bump=False) as conn:
            entry_id = await conn.fetchval(
                "INSERT INTO audit_log (at, actor, action, subject, detail)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                at,
                entry.actor,
                entry.action,
                entry.subject,
                entry.detail,
            )
        return AuditEntry(
            int(entry_id), _iso(at), entry.actor, entry.action, entry.subject, entry.detail
        )

    async def list_audit_entries(
        self, *, subject: str | None = None, before: int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Newest first; ``before`` (an entry id) pages back."""
        clause, params = _where(("subject = {}", subject), ("id < {}", before))
        rows = await self._fetch(
            "SELECT id, at, actor, action, subject, detail FROM audit_log"
            f"{clause} ORDER BY id DESC{_page(limit)}",
            *params,
        )
        return [AuditEntry(r[0], _iso(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    # -- profile changes awaiting approval --------------------------------------------------

    async def put_profile_change(
        self, change: ProfileChange, logo_data: bytes | None
    ) -> ProfileChange:
        logo = change.logo
        if (logo is None) != (logo_data is None):
            raise ValueError("a proposed logo needs its bytes, and bytes need a logo")
        # Not a network change: nothing shows until it is approved.
        async with self._write(bump=False) as conn:
            row = await conn.fetchrow(
                "INSERT INTO profile_changes (member_id, revision, changes, logo_digest,"
                " logo_content_type, logo_width, logo_height, logo_data, submitted_at)"
                " VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (member_id) DO UPDATE"
                " SET revision = profile_changes.revision + 1, changes = excluded.changes,"
                " logo_digest = excluded.logo_digest,"
                " logo_content_type = excluded.logo_content_type,"
                " logo_width = excluded.logo_width, logo_height = excluded.logo_height,"
                " logo_data = excluded.logo_data, submitted_at = excluded.submitted_at"
                f" RETURNING {_CHANGE_COLUMNS}",
                change.member_id,
                json.dumps(dict(change.changes), ensure_ascii=False, sort_keys=True),
                logo.digest if logo else None,
                logo.content_type if logo else None,
                logo.width if logo else None,
                logo.height if logo else None,
                logo_data,
                _now(),
            )
        assert row is not None
        return _profile_change(row)

    async def get_profile_change(self, member_id: int) -> tuple[ProfileChange, bytes | None]:
        row = await self._fetchrow(
            f"SELECT {_CHANGE_COLUMNS}, logo_data FROM profile_changes WHERE member_id = $1",
            member_id,
        )
        if row is None:
            raise NotFoundError(f"member {member_id} has no pending profile change")
        data = row[-1]
        return _profile_change(row), None if data is None else bytes(data)

    async def list_profile_changes(self) -> list[ProfileChange]:
        rows = await self._fetch(
            f"SELECT {_CHANGE_COLUMNS} FROM profile_changes ORDER BY submitted_at, member_id"
        )
        return [_profile_change(r) for r in rows]

    async def delete_profile_change(self, member_id: int, revision: int) -> bool:
        async with self._write(bump=False) as conn:
            status = await conn.execute(
                "DELETE FROM profile_changes WHERE member_id = $1 AND revision = $2",
                member_id,
                revision,
            )
        return _affected(status) > 0

    # -- the shared fairness ledger ---------------------------------------------------------

    async def ledger_version(self) -> int:
        row = await self._fetchrow("SELECT value FROM meta WHERE key = 'ledger_version'")
        return int(row[0]) if row else 0

    async def get_ledger(self) -> StoredLedger | None:
        rows = await self._fetch(
            "SELECT key, value FROM meta WHERE key = ANY($1::text[])", list(LEDGER_KEYS)
        )
        return ledger_from_meta({r[0]: r[1] for r in rows})

    async def publish_ledger(
        self, compute: Callable[[], Awaitable[str]], *, stale_before: float, now: float
    ) -> StoredLedger | None:
        # The transaction holds the lock while `compute` reads through other connections.
        async with self._write(bump=False) as conn:
            if not await conn.fetchval(
                f"SELECT pg_try_advisory_xact_lock({_LOCK_KEY})", LEDGER_LOCK
            ):
                return None  # another process is computing
            rows = await conn.fetch(
                "SELECT key, value FROM meta WHERE key = ANY($1::text[])", list(LEDGER_KEYS)
            )
            stored = ledger_from_meta({r[0]: r[1] for r in rows})
            if stored is not None and stored.computed_at > stale_before:
                return stored
            document = await compute()
            version = (stored.version if stored else 0) + 1
            await conn.executemany(
                "INSERT INTO meta (key, value) VALUES ($1, $2)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                list(zip(LEDGER_KEYS, (str(version), repr(now), document), strict=True)),
            )
        return StoredLedger(version, now, document)

    # -- whole tables (migrate-db) ----------------------------------------------------------

    async def table_names(self) -> list[str]:
        rows = await self._fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            " AND table_name != 'schema_migrations' ORDER BY table_name"
        )
        return [r[0] for r in rows]

    async def _column_types(self, conn: Connection, table: str) -> dict[str, str]:
        rows = await conn.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            table,
        )
        return {r[0]: r[1] for r in rows}

    async def table_columns(self, table: str) -> list[str]:
        async with self._connection() as conn:
            return list(await self._column_types(conn, table))

    async def count_rows(self, table: str) -> int:
        row = await self._fetchrow(f"SELECT COUNT(*) FROM {identifier(table)}")
        return int(row[0]) if row else 0

    async def export_rows(
        self, table: str, columns: Sequence[str]
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        names = ", ".join(identifier(c) for c in columns)
        async with self._connection() as conn, conn.transaction(readonly=True):
            cursor = await conn.cursor(f"SELECT {names} FROM {identifier(table)}")
            while batch := await cursor.fetch(EXPORT_BATCH):
                yield [tuple(_from_column(v) for v in r) for r in batch]

    async def import_rows(self, tables: Sequence[tuple[str, Sequence[str], TableRows]]) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute("DELETE FROM meta")
            for table, columns, batches in tables:
                types = await self._column_types(conn, identifier(table))
                convert = [_to_column(types.get(c, "text")) for c in columns]

                async def records(
                    batches: TableRows = batches, convert: list[Callable[[Any], Any]] = convert
                ) -> AsyncIterator[tuple[Any, ...]]:
                    async for batch in batches:
                        for row in batch:
                            yield tuple(f(v) for f, v in zip(convert, row, strict=True))

                await conn.copy_records_to_table(table, records=records(), columns=list(columns))
            # Identities continue after the copied ids, so new rows don't collide.
            identities = await conn.fetch(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND is_identity = 'YES'"
            )
            for table, column in identities:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence($1, $2),"
                    f" COALESCE(MAX({identifier(column)}), 0) + 1, false)"
                    f" FROM {identifier(table)}",
                    f'"{table}"',
                    column,
                )
