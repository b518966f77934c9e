"""Sessions and portal links, kept server-side so they can be ended at once (migration 9).

A session cookie and a portal link stay signed (``core/signing.py``); a row here
only says that the session or the link has not been ended.  Logout ends one
session, a password change every session of its account, and removing a
member its portal sessions, its portal links and its API keys, in the same
transaction as the removal (``revoke_member_access``).  Expired rows are
deleted whenever a new one is added.
"""

from __future__ import annotations

from widget_server.storage.dialect import Connection, Dialect
from widget_server.storage.queries import Queries

SESSION_KINDS = ("admin", "portal")


async def revoke_member_access(
    conn: Connection, dialect: Dialect, member_id: int, now_iso: str
) -> None:
    """End every way a member acts: API keys, portal sessions and portal links."""
    await conn.execute(
        "UPDATE api_keys SET revoked_at = ? WHERE scope = ? AND revoked_at IS NULL",
        dialect.time(now_iso),
        f"member:{member_id}",
    )
    await conn.execute("DELETE FROM sessions WHERE kind = 'portal' AND subject = ?", str(member_id))
    await conn.execute("DELETE FROM portal_links WHERE member_id = ?", member_id)


class Access(Queries):
    # -- sessions ---------------------------------------------------------------------------

    async def add_session(self, sid: str, kind: str, subject: str, expires_at: float) -> None:
        """Record a new session (at login, or when a portal link is opened)."""
        if kind not in SESSION_KINDS:
            raise ValueError(f"unknown session kind {kind!r}")
        async with self._write(bump=False) as conn:
            await conn.execute("DELETE FROM sessions WHERE expires_at < ?", expires_at - 86_400)
            await conn.execute(
                "INSERT INTO sessions (sid, kind, subject, expires_at) VALUES (?, ?, ?, ?)",
                sid,
                kind,
                subject,
                expires_at,
            )

    async def session_active(self, sid: str, kind: str, subject: str, now: float) -> bool:
        row = await self._fetchrow(
            "SELECT 1 FROM sessions WHERE sid = ? AND kind = ? AND subject = ? AND expires_at > ?",
            sid,
            kind,
            subject,
            now,
        )
        return row is not None

    async def end_session(self, sid: str) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute("DELETE FROM sessions WHERE sid = ?", sid)

    async def end_sessions(self, kind: str, subject: str) -> int:
        """End every session of an account (``admin``) or a member (``portal``)."""
        async with self._write(bump=False) as conn:
            return await conn.execute(
                "DELETE FROM sessions WHERE kind = ? AND subject = ?", kind, subject
            )

    # -- portal links -----------------------------------------------------------------------

    async def add_portal_link(self, link_id: str, member_id: int, expires_at: float) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "DELETE FROM portal_links WHERE expires_at < ?", expires_at - 366 * 86_400
            )
            await conn.execute(
                "INSERT INTO portal_links (link_id, member_id, expires_at) VALUES (?, ?, ?)",
                link_id,
                member_id,
                expires_at,
            )

    async def portal_link_active(self, link_id: str, member_id: int, now: float) -> bool:
        row = await self._fetchrow(
            "SELECT 1 FROM portal_links WHERE link_id = ? AND member_id = ? AND expires_at > ?",
            link_id,
            member_id,
            now,
        )
        return row is not None

    async def revoke_portal_access(self, member_id: int) -> int:
        """End a member's portal links and portal sessions; the number of links ended."""
        async with self._write(bump=False) as conn:
            await conn.execute(
                "DELETE FROM sessions WHERE kind = 'portal' AND subject = ?", str(member_id)
            )
            return await conn.execute("DELETE FROM portal_links WHERE member_id = ?", member_id)
