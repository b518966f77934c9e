"""SQLite storage on aiosqlite: the embedded default.

WAL mode; one writer connection behind an ``asyncio.Lock`` (SQLite allows one
writer at a time anyway, and queueing in-process is cheaper than
``SQLITE_BUSY`` retries), and a small pool of reader connections that read
concurrently with the writer.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

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

READERS = 2
BUSY_TIMEOUT_MS = 5_000
# Seconds a process may take to compute the ledger before another one takes over.
LEDGER_LEASE = 300.0
EXPORT_BATCH = 1_000  # rows per batch when a whole table is read (migrate-db)

_BATCH = 400  # rows per multi-row INSERT (two or three bound values each)

_MEMBER_COLUMNS = (
    "id, slug, name, website, description, category, town, postal_code, status,"
    " (SELECT group_concat(domain, ' ') FROM member_domains d WHERE d.member_id = m.id),"
    " l.digest, l.content_type, l.width, l.height"
)
_MEMBER_FROM = "members m LEFT JOIN logos l ON l.member_id = m.id"
_PLACEMENT_COLUMNS = "id, member_id, theme_id, layout, max_partners, lang, scheme"
_THEME_COLUMNS = "id, slug, name_de, name_en, description_de, description_en, kind"
_API_KEY_COLUMNS = "id, key_id, secret_hash, scope, name, created_at, revoked_at"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _page(limit: int | None) -> str:
    """`` LIMIT n`` for keyset pagination (the value is an int, checked here)."""
    return f" LIMIT {int(limit)}" if limit is not None else ""


def _where(*conditions: tuple[str, object]) -> tuple[str, list[object]]:
    """`` WHERE a = ? AND b = ?`` from the conditions whose value is not None."""
    used = [(sql, value) for sql, value in conditions if value is not None]
    clause = " WHERE " + " AND ".join(sql for sql, _ in used) if used else ""
    return clause, [value for _, value in used]


def _theme(row: sqlite3.Row) -> Theme:
    return Theme(*row)


def _member(row: sqlite3.Row) -> Member:
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


def _placement(row: sqlite3.Row) -> Placement:
    return Placement(row[0], row[1], row[2], PlacementOptions(row[3], row[4], row[5], row[6]))


def _rule_set(row: sqlite3.Row) -> RuleSet:
    return RuleSet(row[0], row[1], json.loads(row[2]), row[3], row[4])


_CHANGE_COLUMNS = (
    "member_id, revision, changes, logo_digest, logo_content_type, logo_width, logo_height,"
    " submitted_at"
)


def _profile_change(row: sqlite3.Row) -> ProfileChange:
    member_id, revision, changes, digest, content_type, width, height, at = row[:8]
    logo = Logo(member_id, digest, content_type, width, height) if digest else None
    return ProfileChange(member_id, json.loads(changes), logo, revision, at)


class SQLiteStorage:
    """``Storage`` on one SQLite file."""

    dialect = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self._write_lock = asyncio.Lock()

    # -- lifecycle --------------------------------------------------------------------------

    async def _connect(self) -> aiosqlite.Connection:
        try:
            conn = await aiosqlite.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open SQLite database {self.path}: {exc}") from exc
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        return conn

    async def open(self) -> None:
        if self._writer is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        await self._writer.execute("PRAGMA journal_mode = WAL")
        await self._writer.execute("PRAGMA synchronous = NORMAL")
        for _ in range(READERS):
            reader = await self._connect()
            await reader.execute("PRAGMA query_only = ON")
            self._all_readers.append(reader)
            self._readers.put_nowait(reader)

    async def close(self) -> None:
        for reader in self._all_readers:
            await reader.close()
        self._all_readers.clear()
        self._readers = asyncio.Queue()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    # -- connection helpers -----------------------------------------------------------------

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        if not self._all_readers:
            raise StorageError("storage is not open")
        conn = await self._readers.get()
        try:
            yield conn
        except sqlite3.Error as exc:
            raise StorageError(str(exc)) from exc
        finally:
            self._readers.put_nowait(conn)

    @asynccontextmanager
    async def _write(self, *, bump: bool = True) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; ``bump`` marks the network data as changed."""
        if self._writer is None:
            raise StorageError("storage is not open")
        async with self._write_lock:
            conn = self._writer
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                if bump:
                    await conn.execute(
                        "UPDATE meta SET value = CAST(value AS INTEGER) + 1"
                        " WHERE key = 'data_version'"
                    )
                await conn.execute("COMMIT")
            except BaseException as exc:
                await conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.IntegrityError):
                    raise ConflictError(str(exc)) from exc
                if isinstance(exc, sqlite3.Error):
                    raise StorageError(str(exc)) from exc
                raise

    async def _fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self._read() as conn, conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def _fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        async with self._read() as conn, conn.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    # -- schema -----------------------------------------------------------------------------

    async def schema_version(self) -> int:
        if self._writer is None:
            raise StorageError("storage is not open")
        conn = self._writer
        async with conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ) as cur:
            if await cur.fetchone() is None:
                return 0
        async with conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self, target: int | None = None) -> list[int]:
        """Apply pending migrations up to ``target`` (default: all); each in one transaction."""
        if self._writer is None:
            raise StorageError("storage is not open")
        migrations = load_migrations(self.dialect)
        latest = migrations[-1].version if migrations else 0
        target = latest if target is None else target
        async with self._write_lock:
            conn = self._writer
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            current = await self.schema_version()
            if current > latest:
                raise StorageError(
                    f"database schema version {current} is newer than this server ({latest});"
                    " upgrade the server"
                )
            applied = []
            for migration in migrations:
                if not current < migration.version <= target:
                    continue
                script = (
                    "BEGIN IMMEDIATE;\n"
                    + migration.sql
                    + "\nINSERT INTO schema_migrations (version, name, applied_at)"
                    + f" VALUES ({migration.version}, '{migration.name}', '{_now()}');\nCOMMIT;"
                )
                try:
                    await conn.executescript(script)
                except sqlite3.Error as exc:
                    await conn.execute("ROLLBACK")
                    raise StorageError(
                        f"migration {migration.version} ({migration.name}) failed: {exc}"
                    ) from exc
                applied.append(migration.version)
            return applied

    async def data_version(self) -> int:
        row = await self._fetchone("SELECT value FROM meta WHERE key = 'data_version'")
        return int(row[0]) if row else 0

    async def get_meta(self, key: str) -> str | None:
        row = await self._fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- themes -----------------------------------------------------------------------------

    async def create_theme(self, theme: Theme) -> Theme:
        async with self._write() as conn:
            cur = await conn.execute(
                "INSERT INTO themes (slug, name_de, name_en, description_de, description_en,"
                " kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    theme.slug,
                    theme.name_de,
                    theme.name_en,
                    theme.description_de,
                    theme.description_en,
                    theme.kind,
                    _now(),
                ),
            )
            new_id = cur.lastrowid
        return Theme(
            new_id or 0,
            theme.slug,
            theme.name_de,
            theme.name_en,
            theme.description_de,
            theme.description_en,
            theme.kind,
        )

    async def get_theme(self, slug: str) -> Theme:
        row = await self._fetchone(f"SELECT {_THEME_COLUMNS} FROM themes WHERE slug = ?", (slug,))
        if row is None:
            raise NotFoundError(f"no theme {slug!r}")
        return _theme(row)

    async def list_themes(
        self, *, after: str | None = None, limit: int | None = None
    ) -> list[Theme]:
        clause, params = _where(("slug > ?", after))
        rows = await self._fetchall(
            f"SELECT {_THEME_COLUMNS} FROM themes{clause} ORDER BY slug{_page(limit)}", params
        )
        return [_theme(r) for r in rows]

    async def update_theme(self, theme: Theme) -> Theme:
        async with self._write() as conn:
            cur = await conn.execute(
                "UPDATE themes SET name_de = ?, name_en = ?, description_de = ?,"
                " description_en = ?, kind = ? WHERE id = ?",
                (
                    theme.name_de,
                    theme.name_en,
                    theme.description_de,
                    theme.description_en,
                    theme.kind,
                    theme.id,
                ),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no theme with id {theme.id}")
        return theme

    async def theme_member_counts(self) -> dict[int, int]:
        """Theme id -> members in it (memberships not left, members not removed)."""
        rows = await self._fetchall(
            "SELECT ms.theme_id, COUNT(*) FROM memberships ms"
            " JOIN members m ON m.id = ms.member_id"
            " WHERE ms.status != 'left' AND m.status != 'removed' GROUP BY ms.theme_id"
        )
        return {r[0]: r[1] for r in rows}

    # -- members ----------------------------------------------------------------------------

    async def create_member(self, member: Member, theme_ids: Sequence[int] = ()) -> Member:
        now = _now()
        async with self._write() as conn:
            cur = await conn.execute(
                "INSERT INTO members (slug, name, website, description, category, town,"
                " postal_code, status, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    member.slug,
                    member.name,
                    member.website,
                    member.description,
                    member.category,
                    member.town,
                    member.postal_code,
                    member.status,
                    now,
                    now,
                ),
            )
            member_id = cur.lastrowid
            await conn.executemany(
                "INSERT INTO member_domains (member_id, domain) VALUES (?, ?)",
                [(member_id, d) for d in member.domains],
            )
            await conn.executemany(
                "INSERT INTO memberships (member_id, theme_id, status, created_at)"
                " VALUES (?, ?, 'active', ?)",
                [(member_id, t, now) for t in theme_ids],
            )
        return await self.get_member_by_id(member_id or 0)

    async def get_member(self, slug: str) -> Member:
        row = await self._fetchone(
            f"SELECT {_MEMBER_COLUMNS} FROM {_MEMBER_FROM} WHERE m.slug = ?", (slug,)
        )
        if row is None:
            raise NotFoundError(f"no member {slug!r}")
        return _member(row)

    async def get_member_by_id(self, member_id: int) -> Member:
        row = await self._fetchone(
            f"SELECT {_MEMBER_COLUMNS} FROM {_MEMBER_FROM} WHERE m.id = ?", (member_id,)
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
            ("m.status = ?", status),
            (
                "m.id IN (SELECT member_id FROM memberships WHERE theme_id = ?"
                " AND status != 'left')",
                theme_id,
            ),
            ("m.slug > ?", after),
        )
        rows = await self._fetchall(
            f"SELECT {_MEMBER_COLUMNS} FROM {_MEMBER_FROM}{clause} ORDER BY m.slug{_page(limit)}",
            params,
        )
        return [_member(r) for r in rows]

    async def update_member(self, member: Member) -> Member:
        """Write a member's profile fields and domains (not its status or logo)."""
        async with self._write() as conn:
            cur = await conn.execute(
                "UPDATE members SET name = ?, website = ?, description = ?, category = ?,"
                " town = ?, postal_code = ?, updated_at = ? WHERE id = ?",
                (
                    member.name,
                    member.website,
                    member.description,
                    member.category,
                    member.town,
                    member.postal_code,
                    _now(),
                    member.id,
                ),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no member with id {member.id}")
            await conn.execute("DELETE FROM member_domains WHERE member_id = ?", (member.id,))
            await conn.executemany(
                "INSERT INTO member_domains (member_id, domain) VALUES (?, ?)",
                [(member.id, d) for d in member.domains],
            )
        return await self.get_member_by_id(member.id)

    async def set_member_status(self, member_id: int, status: MemberStatus) -> Member:
        async with self._write() as conn:
            cur = await conn.execute(
                "UPDATE members SET status = ?, updated_at = ? WHERE id = ?",
                (status, _now(), member_id),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no member with id {member_id}")
        return await self.get_member_by_id(member_id)

    async def set_logo(self, logo: Logo, data: bytes) -> None:
        async with self._write() as conn:
            await conn.execute(
                "INSERT INTO logos (member_id, digest, content_type, width, height, data,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
                " digest = excluded.digest, content_type = excluded.content_type,"
                " width = excluded.width, height = excluded.height, data = excluded.data,"
                " created_at = excluded.created_at",
                (
                    logo.member_id,
                    logo.digest,
                    logo.content_type,
                    logo.width,
                    logo.height,
                    data,
                    _now(),
                ),
            )

    async def get_logo(self, member_id: int) -> tuple[Logo, bytes]:
        row = await self._fetchone(
            "SELECT member_id, digest, content_type, width, height, data FROM logos"
            " WHERE member_id = ?",
            (member_id,),
        )
        if row is None:
            raise NotFoundError(f"member {member_id} has no logo")
        return Logo(row[0], row[1], row[2], row[3], row[4]), bytes(row[5])

    # -- memberships ------------------------------------------------------------------------

    async def set_membership(
        self, member_id: int, theme_id: int, status: MembershipStatus
    ) -> Membership:
        async with self._write() as conn:
            await conn.execute(
                "INSERT INTO memberships (member_id, theme_id, status, created_at)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (member_id, theme_id) DO UPDATE SET status = excluded.status",
                (member_id, theme_id, status, _now()),
            )
        return Membership(member_id, theme_id, status, _now())

    async def list_memberships(
        self, *, member_id: int | None = None, theme_id: int | None = None
    ) -> list[Membership]:
        clause, params = _where(("member_id = ?", member_id), ("theme_id = ?", theme_id))
        rows = await self._fetchall(
            f"SELECT member_id, theme_id, status, created_at FROM memberships{clause}"
            " ORDER BY theme_id, member_id",
            params,
        )
        return [Membership(*r) for r in rows]

    # -- placements -------------------------------------------------------------------------

    async def create_placement(
        self, member_id: int, theme_id: int, options: PlacementOptions
    ) -> Placement:
        async with self._write() as conn:
            cur = await conn.execute(
                "INSERT INTO placements (member_id, theme_id, layout, max_partners, lang, scheme,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    member_id,
                    theme_id,
                    options.layout,
                    options.max_partners,
                    options.lang,
                    options.scheme,
                    _now(),
                ),
            )
            placement_id = cur.lastrowid or 0
        return Placement(placement_id, member_id, theme_id, options)

    async def get_placement(self, placement_id: int) -> Placement:
        row = await self._fetchone(
            f"SELECT {_PLACEMENT_COLUMNS} FROM placements WHERE id = ?", (placement_id,)
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
            ("member_id = ?", member_id), ("theme_id = ?", theme_id), ("id > ?", after)
        )
        rows = await self._fetchall(
            f"SELECT {_PLACEMENT_COLUMNS} FROM placements{clause} ORDER BY id{_page(limit)}",
            params,
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
            async with conn.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM rule_sets WHERE theme_id = ?",
                (theme_id,),
            ) as cur:
                row = await cur.fetchone()
            version = int(row[0]) if row else 1
            if expected_version is not None and expected_version != version - 1:
                raise PreconditionFailedError(
                    f"the rules are at version {version - 1}, not {expected_version}"
                )
            await conn.execute(
                "INSERT INTO rule_sets (theme_id, version, rules, author, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (theme_id, version, json.dumps(rules, sort_keys=True), author, created),
            )
        return RuleSet(theme_id, version, rules, author, created)

    async def list_rule_sets(self, theme_id: int) -> list[RuleSet]:
        rows = await self._fetchall(
            "SELECT theme_id, version, rules, author, created_at FROM rule_sets"
            " WHERE theme_id = ? ORDER BY version",
            (theme_id,),
        )
        return [_rule_set(r) for r in rows]

    async def get_rule_set(self, theme_id: int) -> RuleSet | None:
        row = await self._fetchone(
            "SELECT theme_id, version, rules, author, created_at FROM rule_sets"
            " WHERE theme_id = ? ORDER BY version DESC LIMIT 1",
            (theme_id,),
        )
        return _rule_set(row) if row else None

    # -- counters ---------------------------------------------------------------------------

    async def add_counts(self, rows: Sequence[CounterRow]) -> None:
        if not rows:
            return
        async with self._write(bump=False) as conn:
            await conn.executemany(
                "INSERT INTO daily_counters"
                " (day, theme_id, host_id, partner_id, kind, count, exposure)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (day, theme_id, host_id, partner_id, kind)"
                " DO UPDATE SET count = count + excluded.count,"
                " exposure = exposure + excluded.exposure",
                [
                    (
                        r.day.isoformat(),
                        r.theme_id,
                        r.host_id,
                        r.partner_id,
                        r.kind,
                        r.count,
                        r.exposure,
                    )
                    for r in rows
                ],
            )

    async def visitor_salt(self, day: date, candidate: bytes) -> bytes:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "INSERT INTO visitor_salts (day, salt) VALUES (?, ?) ON CONFLICT (day) DO NOTHING",
                (day.isoformat(), candidate),
            )
            # Salts are forgotten after two days: then no stored key can be linked again.
            cutoff = (day - timedelta(days=1)).isoformat()
            await conn.execute("DELETE FROM visitor_salts WHERE day < ?", (cutoff,))
            cursor = await conn.execute(
                "SELECT salt FROM visitor_salts WHERE day = ?", (day.isoformat(),)
            )
            row = await cursor.fetchone()
        assert row is not None
        return bytes(row[0])

    async def settle_visitors(
        self, claims: Collection[bytes], tallies: Mapping[bytes, int], expires: float
    ) -> tuple[set[bytes], dict[bytes, int]]:
        new: set[bytes] = set()
        totals: dict[bytes, int] = {}
        keys, counted = list(claims), list(tallies.items())
        async with self._write(bump=False) as conn:
            now = time.time()
            await conn.execute("DELETE FROM visitor_claims WHERE expires_at < ?", (now,))
            await conn.execute("DELETE FROM visitor_tallies WHERE expires_at < ?", (now,))
            for i in range(0, len(keys), _BATCH):
                part = keys[i : i + _BATCH]
                cursor = await conn.execute(
                    "INSERT INTO visitor_claims (key, expires_at) VALUES "
                    + ", ".join(["(?, ?)"] * len(part))
                    + " ON CONFLICT (key) DO NOTHING RETURNING key",
                    [v for key in part for v in (key, expires)],
                )
                new.update(bytes(r[0]) for r in await cursor.fetchall())
            for i in range(0, len(counted), _BATCH):
                chunk = counted[i : i + _BATCH]
                cursor = await conn.execute(
                    "INSERT INTO visitor_tallies (key, n, expires_at) VALUES "
                    + ", ".join(["(?, ?, ?)"] * len(chunk))
                    + " ON CONFLICT (key) DO UPDATE SET n = n + excluded.n RETURNING key, n",
                    [v for key, n in chunk for v in (key, n, expires)],
                )
                totals.update((bytes(r[0]), int(r[1])) for r in await cursor.fetchall())
        return new, totals

    async def list_counts(
        self, *, since: date | None = None, theme_id: int | None = None
    ) -> list[CounterRow]:
        clause, params = _where(
            ("day >= ?", since.isoformat() if since else None), ("theme_id = ?", theme_id)
        )
        rows = await self._fetchall(
            "SELECT day, theme_id, host_id, partner_id, kind, count, exposure FROM daily_counters"
            f"{clause} ORDER BY day, theme_id, host_id, partner_id, kind",
            params,
        )
        return [
            CounterRow(date.fromisoformat(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows
        ]

    async def exposure_since(self, since: date) -> list[CounterRow]:
        """The ``viewed`` rows from ``since`` on: what the fairness ledger is made of."""
        rows = await self._fetchall(
            "SELECT day, theme_id, host_id, partner_id, kind, count, exposure FROM daily_counters"
            " WHERE kind = 'viewed' AND day >= ? ORDER BY day",
            (since.isoformat(),),
        )
        return [
            CounterRow(date.fromisoformat(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows
        ]

    async def last_served(self) -> dict[tuple[int, int], date]:
        """(theme id, host id) -> the last day a block of that host was served."""
        rows = await self._fetchall(
            "SELECT theme_id, host_id, MAX(day) FROM daily_counters WHERE kind = 'served'"
            " GROUP BY theme_id, host_id"
        )
        return {(r[0], r[1]): date.fromisoformat(r[2]) for r in rows}

    # -- accounts ---------------------------------------------------------------------------

    async def create_account(self, account: Account) -> Account:
        async with self._write(bump=False) as conn:
            cur = await conn.execute(
                "INSERT INTO accounts (username, password_hash, role, created_at)"
                " VALUES (?, ?, ?, ?)",
                (account.username, account.password_hash, account.role, _now()),
            )
            account_id = cur.lastrowid or 0
        return Account(account_id, account.username, account.password_hash, account.role)

    async def get_account(self, username: str) -> Account:
        row = await self._fetchone(
            "SELECT id, username, password_hash, role FROM accounts WHERE username = ?",
            (username,),
        )
        if row is None:
            raise NotFoundError(f"no account {username!r}")
        return Account(*row)

    async def count_accounts(self) -> int:
        row = await self._fetchone("SELECT COUNT(*) FROM accounts")
        return int(row[0]) if row else 0

    # -- API keys ---------------------------------------------------------------------------

    async def create_api_key(self, key: ApiKey) -> ApiKey:
        created = _now()
        async with self._write(bump=False) as conn:
            cur = await conn.execute(
                "INSERT INTO api_keys (key_id, secret_hash, scope, name, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (key.key_id, key.secret_hash, key.scope, key.name, created),
            )
            key_row = cur.lastrowid or 0
        return ApiKey(key_row, key.key_id, key.secret_hash, key.scope, key.name, created)

    async def get_api_key(self, key_id: str) -> ApiKey:
        row = await self._fetchone(
            f"SELECT {_API_KEY_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,)
        )
        if row is None:
            raise NotFoundError(f"no API key {key_id!r}")
        return ApiKey(*row)

    async def list_api_keys(
        self, *, after: int | None = None, limit: int | None = None
    ) -> list[ApiKey]:
        clause, params = _where(("id > ?", after))
        rows = await self._fetchall(
            f"SELECT {_API_KEY_COLUMNS} FROM api_keys{clause} ORDER BY id{_page(limit)}", params
        )
        return [ApiKey(*r) for r in rows]

    async def revoke_api_key(self, key_id: str) -> ApiKey:
        async with self._write(bump=False) as conn:
            cur = await conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (_now(), key_id),
            )
            changed = cur.rowcount
        if not changed:
            await self.get_api_key(key_id)  # raises NotFoundError for an unknown key
        return await self.get_api_key(key_id)

    # -- idempotency keys -------------------------------------------------------------------

    async def claim_idempotency_key(
        self, claim: StoredResponse, *, expired_before: float
    ) -> StoredResponse | None:
        """The stored answer for the claim's key, or None after recording the claim.

        Expired answers are dropped first, in the same transaction.
        """
        async with self._write(bump=False) as conn:
            await conn.execute(
                "DELETE FROM idempotency_keys WHERE created_at < ?", (expired_before,)
            )
            async with conn.execute(
                "SELECT api_key_id, key, fingerprint, created_at, status, headers, body"
                " FROM idempotency_keys WHERE api_key_id = ? AND key = ?",
                (claim.api_key_id, claim.key),
            ) as cur:
                row = await cur.fetchone()
            if row is not None:
                headers = tuple((str(k), str(v)) for k, v in json.loads(row[5]))
                return StoredResponse(row[0], row[1], row[2], row[3], row[4], headers, row[6])
            await conn.execute(
                "INSERT INTO idempotency_keys (api_key_id, key, fingerprint, created_at)"
                " VALUES (?, ?, ?, ?)",
                (claim.api_key_id, claim.key, claim.fingerprint, claim.created_at),
            )
        return None

    async def finish_idempotency_key(self, response: StoredResponse) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "UPDATE idempotency_keys SET status = ?, headers = ?, body = ?"
                " WHERE api_key_id = ? AND key = ?",
                (
                    response.status,
                    json.dumps([list(h) for h in response.headers]),
                    response.body,
                    response.api_key_id,
                    response.key,
                ),
            )

    async def release_idempotency_key(self, api_key_id: str, key: str) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "DELETE FROM idempotency_keys WHERE api_key_id = ? AND key = ?",
                (api_key_id, key),
            )

    # -- snapshot ---------------------------------------------------------------------------

    async def load_network(self) -> NetworkData:
        # One read transaction, so the snapshot is consistent with its version.
        async with self._read() as conn:
            await conn.execute("BEGIN")
            try:

                async def rows(sql: str) -> list[sqlite3.Row]:
                    async with conn.execute(sql) as cur:
                        return list(await cur.fetchall())

                version_rows = await rows("SELECT value FROM meta WHERE key = 'data_version'")
                themes = await rows(f"SELECT {_THEME_COLUMNS} FROM themes ORDER BY id")
                members = await rows(f"SELECT {_MEMBER_COLUMNS} FROM {_MEMBER_FROM} ORDER BY m.id")
                memberships = await rows(
                    "SELECT member_id, theme_id, status, created_at FROM memberships"
                )
                placements = await rows(f"SELECT {_PLACEMENT_COLUMNS} FROM placements")
                rule_sets = await rows(
                    "SELECT r.theme_id, r.version, r.rules, r.author, r.created_at"
                    " FROM rule_sets r WHERE r.version ="
                    " (SELECT MAX(version) FROM rule_sets x WHERE x.theme_id = r.theme_id)"
                )
            finally:
                await conn.execute("COMMIT")
        return NetworkData(
            version=int(version_rows[0][0]) if version_rows else 0,
            themes=tuple(_theme(r) for r in themes),
            members=tuple(_member(r) for r in members),
            memberships=tuple(Membership(*r) for r in memberships),
            placements=tuple(_placement(r) for r in placements),
            rule_sets=tuple(_rule_set(r) for r in rule_sets),
        )

    # -- audit log (the admin's member, theme and portal-link changes) ---------------------

    async def add_audit_entry(self, entry: AuditEntry) -> AuditEntry:
        at = entry.at or _now()
        # Not a network change: the snapshot need not reload.
        async with self._write(bump=False) as conn:
            cur = await conn.execute(
                "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                (at, entry.actor, entry.action, entry.subject, entry.detail),
            )
            entry_id = cur.lastrowid or 0
        return AuditEntry(entry_id, at, entry.actor, entry.action, entry.subject, entry.detail)

    async def list_audit_entries(
        self, *, subject: str | None = None, before: int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Newest first; ``before`` (an entry id) pages back."""
        clause, params = _where(("subject = ?", subject), ("id < ?", before))
        rows = await self._fetchall(
            "SELECT id, at, actor, action, subject, detail FROM audit_log"
            f"{clause} ORDER BY id DESC{_page(limit)}",
            params,
        )
        return [AuditEntry(*r) for r in rows]

    # -- profile changes awaiting approval ----------------------------------------------------

    async def put_profile_change(
        self, change: ProfileChange, logo_data: bytes | None
    ) -> ProfileChange:
        logo = change.logo
        if (logo is None) != (logo_data is None):
            raise ValueError("a proposed logo needs its bytes, and bytes need a logo")
        at = _now()
        # Not a network change: nothing shows until it is approved.
        async with self._write(bump=False) as conn:
            await conn.execute(
                "INSERT INTO profile_changes (member_id, revision, changes, logo_digest,"
                " logo_content_type, logo_width, logo_height, logo_data, submitted_at)"
                " VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
                " revision = profile_changes.revision + 1, changes = excluded.changes,"
                " logo_digest = excluded.logo_digest,"
                " logo_content_type = excluded.logo_content_type,"
                " logo_width = excluded.logo_width, logo_height = excluded.logo_height,"
                " logo_data = excluded.logo_data, submitted_at = excluded.submitted_at",
                (
                    change.member_id,
                    json.dumps(dict(change.changes), ensure_ascii=False, sort_keys=True),
                    logo.digest if logo else None,
                    logo.content_type if logo else None,
                    logo.width if logo else None,
                    logo.height if logo else None,
                    logo_data,
                    at,
                ),
            )
            async with conn.execute(
                f"SELECT {_CHANGE_COLUMNS} FROM profile_changes WHERE member_id = ?",
                (change.member_id,),
            ) as cur:
                row = await cur.fetchone()
        assert row is not None
        return _profile_change(row)

    async def get_profile_change(self, member_id: int) -> tuple[ProfileChange, bytes | None]:
        row = await self._fetchone(
            f"SELECT {_CHANGE_COLUMNS}, logo_data FROM profile_changes WHERE member_id = ?",
            (member_id,),
        )
        if row is None:
            raise NotFoundError(f"member {member_id} has no pending profile change")
        data = row[-1]
        return _profile_change(row), None if data is None else bytes(data)

    async def list_profile_changes(self) -> list[ProfileChange]:
        rows = await self._fetchall(
            f"SELECT {_CHANGE_COLUMNS} FROM profile_changes ORDER BY submitted_at, member_id"
        )
        return [_profile_change(r) for r in rows]

    async def delete_profile_change(self, member_id: int, revision: int) -> bool:
        async with self._write(bump=False) as conn:
            cur = await conn.execute(
                "DELETE FROM profile_changes WHERE member_id = ? AND revision = ?",
                (member_id, revision),
            )
            return cur.rowcount > 0

    # -- the shared fairness ledger ---------------------------------------------------------

    async def ledger_version(self) -> int:
        row = await self._fetchone("SELECT value FROM meta WHERE key = 'ledger_version'")
        return int(row[0]) if row else 0

    async def get_ledger(self) -> StoredLedger | None:
        rows = await self._fetchall(
            "SELECT key, value FROM meta WHERE key IN (?, ?, ?)", LEDGER_KEYS
        )
        return ledger_from_meta({r[0]: r[1] for r in rows})

    async def publish_ledger(
        self, compute: Callable[[], Awaitable[str]], *, stale_before: float, now: float
    ) -> StoredLedger | None:
        # One writer at a time claims the computation with a lease in meta, so the
        # computation itself does not hold the write lock (counts keep flushing).
        async with self._write(bump=False) as conn:
            async with conn.execute(
                "SELECT key, value FROM meta WHERE key IN (?, ?, ?, 'ledger_claimed_at')",
                LEDGER_KEYS,
            ) as cur:
                meta = {r[0]: r[1] for r in await cur.fetchall()}
            stored = ledger_from_meta(meta)
            if stored is not None and stored.computed_at > stale_before:
                return stored
            if float(meta.get("ledger_claimed_at", "-inf")) > now - LEDGER_LEASE:
                return None  # another process is computing
            await conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('ledger_claimed_at', ?)",
                (repr(now),),
            )
        try:
            document = await compute()
        except BaseException:
            async with self._write(bump=False) as conn:
                await conn.execute("DELETE FROM meta WHERE key = 'ledger_claimed_at'")
            raise
        async with self._write(bump=False) as conn:
            async with conn.execute("SELECT value FROM meta WHERE key = 'ledger_version'") as cur:
                row = await cur.fetchone()
            version = (int(row[0]) if row else 0) + 1
            await conn.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                zip(LEDGER_KEYS, (str(version), repr(now), document), strict=True),
            )
            await conn.execute("DELETE FROM meta WHERE key = 'ledger_claimed_at'")
        return StoredLedger(version, now, document)

    # -- whole tables (migrate-db) ----------------------------------------------------------

    async def table_names(self) -> list[str]:
        rows = await self._fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
            " AND name != 'schema_migrations' ORDER BY name"
        )
        return [r[0] for r in rows]

    async def table_columns(self, table: str) -> list[str]:
        rows = await self._fetchall(
            "SELECT name FROM pragma_table_info(?) ORDER BY cid", (identifier(table),)
        )
        return [r[0] for r in rows]

    async def count_rows(self, table: str) -> int:
        row = await self._fetchone(f"SELECT COUNT(*) FROM {identifier(table)}")
        return int(row[0]) if row else 0

    async def export_rows(
        self, table: str, columns: Sequence[str]
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        names = ", ".join(identifier(c) for c in columns)
        sql = f"SELECT {names} FROM {identifier(table)}"
        async with self._read() as conn, conn.execute(sql) as cur:
            while batch := await cur.fetchmany(EXPORT_BATCH):
                yield [tuple(r) for r in batch]

    async def import_rows(self, tables: Sequence[tuple[str, Sequence[str], TableRows]]) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute("DELETE FROM meta")
            for table, columns, batches in tables:
                names = ", ".join(identifier(c) for c in columns)
                marks = ", ".join("?" for _ in columns)
                sql = f"INSERT INTO {identifier(table)} ({names}) VALUES ({marks})"
                async for batch in batches:
                    await conn.executemany(sql, batch)
