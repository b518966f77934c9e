"""Coordinator accounts: listing, deactivation, one-time reset links (migration 10).

A reset link is signed (``network/coordinators.py``); its row here says that it
has not been used yet.  Using it sets the password, deletes the row and ends
the account's sessions, in one transaction.  Deactivating an account ends its
sessions and reset links; the row stays, so the audit log keeps its name.
"""

from __future__ import annotations

from widget_server.core.errors import NotFoundError
from widget_server.core.models import Account
from widget_server.storage.dialect import Dialect, Row, iso_now
from widget_server.storage.queries import Queries

ACCOUNT_COLUMNS = "id, username, password_hash, role, deactivated_at"


def account_from(dialect: Dialect, row: Row) -> Account:
    deactivated = dialect.iso(row[4]) if row[4] is not None else None
    return Account(row[0], row[1], row[2], row[3], deactivated)


class Coordinators(Queries):
    async def list_accounts(self) -> list[Account]:
        rows = await self._fetch(f"SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id")
        return [account_from(self._dialect, r) for r in rows]

    async def set_account_active(self, username: str, active: bool) -> Account:
        """Deactivate (ending its sessions and reset links) or reactivate an account."""
        async with self._write(bump=False) as conn:
            changed = await conn.execute(
                "UPDATE accounts SET deactivated_at = ? WHERE username = ?",
                None if active else self._dialect.time(iso_now()),
                username,
            )
            if changed == 0:
                raise NotFoundError(f"no account {username!r}")
            if not active:
                await conn.execute(
                    "DELETE FROM sessions WHERE kind = 'admin' AND subject = ?", username
                )
                await conn.execute("DELETE FROM password_resets WHERE username = ?", username)
        row = await self._fetchrow(
            f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = ?", username
        )
        assert row is not None
        return account_from(self._dialect, row)

    async def add_password_reset(self, link_id: str, username: str, expires_at: float) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "DELETE FROM password_resets WHERE expires_at < ?", expires_at - 30 * 86_400
            )
            await conn.execute(
                "INSERT INTO password_resets (link_id, username, expires_at) VALUES (?, ?, ?)",
                link_id,
                username,
                expires_at,
            )

    async def password_reset_active(self, link_id: str, username: str, now: float) -> bool:
        row = await self._fetchrow(
            "SELECT 1 FROM password_resets r JOIN accounts a ON a.username = r.username"
            " WHERE r.link_id = ? AND r.username = ? AND r.expires_at > ?"
            " AND a.deactivated_at IS NULL",
            link_id,
            username,
            now,
        )
        return row is not None

    async def use_password_reset(
        self, link_id: str, username: str, password_hash: str, now: float
    ) -> bool:
        """Set the password if the link is still unused; its row goes, sessions end."""
        async with self._write(bump=False) as conn:
            used = await conn.execute(
                "DELETE FROM password_resets WHERE link_id = ? AND username = ? AND expires_at > ?",
                link_id,
                username,
                now,
            )
            if used == 0:
                return False
            changed = await conn.execute(
                "UPDATE accounts SET password_hash = ? WHERE username = ?"
                " AND deactivated_at IS NULL",
                password_hash,
                username,
            )
            if changed == 0:
                return False
            await conn.execute(
                "DELETE FROM sessions WHERE kind = 'admin' AND subject = ?", username
            )
        return True
