"""Accounts, API keys (hashes only) and the idempotency keys of API callers."""

from __future__ import annotations

import json

from widget_server.core.errors import NotFoundError
from widget_server.core.models import Account, ApiKey
from widget_server.storage.dialect import Dialect, Row, iso_now
from widget_server.storage.queries import Queries, page, where
from widget_server.storage.records import StoredResponse

API_KEY_COLUMNS = "id, key_id, secret_hash, scope, name, created_at, revoked_at"


def api_key_from(dialect: Dialect, row: Row) -> ApiKey:
    revoked = dialect.iso(row[6]) if row[6] is not None else None
    return ApiKey(row[0], row[1], row[2], row[3], row[4], dialect.iso(row[5]), revoked)


class Accounts(Queries):
    # -- accounts ---------------------------------------------------------------------------

    async def create_account(self, account: Account) -> Account:
        async with self._write(bump=False) as conn:
            account_id = await conn.fetchval(
                "INSERT INTO accounts (username, password_hash, role, created_at)"
                " VALUES (?, ?, ?, ?) RETURNING id",
                account.username,
                account.password_hash,
                account.role,
                self._dialect.time(iso_now()),
            )
        return Account(int(account_id), account.username, account.password_hash, account.role)

    async def get_account(self, username: str) -> Account:
        row = await self._fetchrow(
            "SELECT id, username, password_hash, role, deactivated_at FROM accounts"
            " WHERE username = ?",
            username,
        )
        if row is None:
            raise NotFoundError(f"no account {username!r}")
        deactivated = self._dialect.iso(row[4]) if row[4] is not None else None
        return Account(row[0], row[1], row[2], row[3], deactivated)

    async def set_password(self, username: str, password_hash: str) -> None:
        """Change an account's password and end all its sessions, in one transaction."""
        async with self._write(bump=False) as conn:
            changed = await conn.execute(
                "UPDATE accounts SET password_hash = ? WHERE username = ?",
                password_hash,
                username,
            )
            if changed == 0:
                raise NotFoundError(f"no account {username!r}")
            await conn.execute(
                "DELETE FROM sessions WHERE kind = 'admin' AND subject = ?", username
            )

    async def count_accounts(self) -> int:
        row = await self._fetchrow("SELECT COUNT(*) FROM accounts")
        return int(row[0]) if row else 0

    # -- API keys ---------------------------------------------------------------------------

    async def create_api_key(self, key: ApiKey) -> ApiKey:
        created = iso_now()
        async with self._write(bump=False) as conn:
            key_row = await conn.fetchval(
                "INSERT INTO api_keys (key_id, secret_hash, scope, name, created_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                key.key_id,
                key.secret_hash,
                key.scope,
                key.name,
                self._dialect.time(created),
            )
        return ApiKey(int(key_row), key.key_id, key.secret_hash, key.scope, key.name, created)

    async def get_api_key(self, key_id: str) -> ApiKey:
        row = await self._fetchrow(
            f"SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_id = ?", key_id
        )
        if row is None:
            raise NotFoundError(f"no API key {key_id!r}")
        return api_key_from(self._dialect, row)

    async def list_api_keys(
        self, *, after: int | None = None, limit: int | None = None
    ) -> list[ApiKey]:
        clause, params = where(("id > ?", after))
        rows = await self._fetch(
            f"SELECT {API_KEY_COLUMNS} FROM api_keys{clause} ORDER BY id{page(limit)}", *params
        )
        return [api_key_from(self._dialect, r) for r in rows]

    async def revoke_api_key(self, key_id: str) -> ApiKey:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                self._dialect.time(iso_now()),
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
            await conn.execute("DELETE FROM idempotency_keys WHERE created_at < ?", expired_before)
            claimed = await conn.execute(
                "INSERT INTO idempotency_keys (api_key_id, key, fingerprint, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (api_key_id, key) DO NOTHING",
                claim.api_key_id,
                claim.key,
                claim.fingerprint,
                claim.created_at,
            )
            if claimed == 1:
                return None
            row = await conn.fetchrow(
                "SELECT api_key_id, key, fingerprint, created_at, status, headers, body"
                " FROM idempotency_keys WHERE api_key_id = ? AND key = ?",
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
                "UPDATE idempotency_keys SET status = ?, headers = ?, body = ?"
                " WHERE api_key_id = ? AND key = ?",
                response.status,
                json.dumps([list(h) for h in response.headers]),
                response.body,
                response.api_key_id,
                response.key,
            )

    async def release_idempotency_key(self, api_key_id: str, key: str) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "DELETE FROM idempotency_keys WHERE api_key_id = ? AND key = ?", api_key_id, key
            )
