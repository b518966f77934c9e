"""Mail (migration 10): members' addresses and opt-outs, and the outbox.

Mail is not a network change: nothing here bumps the data version.

The outbox is how several processes send each mail once: a worker claims due
rows by setting ``claimed_until`` in one statement whose ``WHERE`` (checked
again on the row PostgreSQL locked, and alone on SQLite's single writer) only
matches rows nobody holds, so two workers never hold one mail.  A worker that
dies holding mails lets its claim run out, and another one sends them
(docs/deployment.md: at least once, never lost).  ``key`` is unique, so a mail
asked for twice (two processes scheduling the monthly report) is queued once.
"""

from __future__ import annotations

from collections.abc import Sequence

from widget_server.core.errors import NotFoundError
from widget_server.core.models import MailContact, OutboxMail
from widget_server.storage.dialect import Connection, Row, iso_now
from widget_server.storage.queries import Queries

OUTBOX_COLUMNS = (
    "id, key, kind, recipient, message, status, attempts, next_attempt, last_error,"
    " member_id, created_at"
)


def _contact(row: Row) -> MailContact:
    return MailContact(row[0], row[1], row[2], frozenset(str(row[3]).split()))


async def forget_member_mail(conn: Connection, member_id: int) -> None:
    """A member leaves: its address, opt-outs and unsent mails go (docs/privacy.md)."""
    await conn.execute("DELETE FROM mail_contacts WHERE member_id = ?", member_id)
    await conn.execute("DELETE FROM mail_outbox WHERE member_id = ?", member_id)


class Mail(Queries):
    def _outbox(self, row: Row) -> OutboxMail:
        return OutboxMail(
            id=row[0],
            key=row[1],
            kind=row[2],
            recipient=row[3],
            message=row[4],
            status=row[5],
            attempts=row[6],
            next_attempt=float(row[7]),
            last_error=row[8],
            member_id=row[9],
            created_at=self._dialect.iso(row[10]),
        )

    # -- members' addresses -----------------------------------------------------------------

    async def get_mail_contact(self, member_id: int) -> MailContact:
        row = await self._fetchrow(
            "SELECT member_id, email, language, opt_outs FROM mail_contacts WHERE member_id = ?",
            member_id,
        )
        if row is None:
            raise NotFoundError(f"member {member_id} has no e-mail address")
        return _contact(row)

    async def list_mail_contacts(self) -> list[MailContact]:
        rows = await self._fetch(
            "SELECT member_id, email, language, opt_outs FROM mail_contacts ORDER BY member_id"
        )
        return [_contact(r) for r in rows]

    async def put_mail_contact(self, contact: MailContact) -> MailContact:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "INSERT INTO mail_contacts (member_id, email, language, opt_outs, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
                " email = excluded.email, language = excluded.language,"
                " opt_outs = excluded.opt_outs, updated_at = excluded.updated_at",
                contact.member_id,
                contact.email,
                contact.language,
                " ".join(sorted(contact.opt_outs)),
                self._dialect.time(iso_now()),
            )
        return contact

    async def delete_mail_contact(self, member_id: int) -> bool:
        async with self._write(bump=False) as conn:
            return (
                await conn.execute("DELETE FROM mail_contacts WHERE member_id = ?", member_id) > 0
            )

    # -- opt-outs by address (the coordinators' digest) -------------------------------------

    async def add_mail_opt_out(self, email: str, kind: str) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "INSERT INTO mail_opt_outs (email, kind) VALUES (?, ?) ON CONFLICT DO NOTHING",
                email,
                kind,
            )

    async def mail_opted_out(self, email: str, kind: str) -> bool:
        row = await self._fetchrow(
            "SELECT 1 FROM mail_opt_outs WHERE email = ? AND kind = ?", email, kind
        )
        return row is not None

    # -- the outbox -------------------------------------------------------------------------

    async def enqueue_mail(self, mail: OutboxMail) -> bool:
        """Queue the mail unless one with its key exists; True when queued now."""
        async with self._write(bump=False) as conn:
            row = await conn.fetchrow(
                "INSERT INTO mail_outbox (key, kind, member_id, recipient, message,"
                " next_attempt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (key) DO NOTHING RETURNING id",
                mail.key,
                mail.kind,
                mail.member_id,
                mail.recipient,
                mail.message,
                mail.next_attempt,
                self._dialect.time(mail.created_at or iso_now()),
            )
        return row is not None

    async def mail_queued(self, key: str) -> bool:
        return await self._fetchrow("SELECT 1 FROM mail_outbox WHERE key = ?", key) is not None

    async def claim_mails(self, now: float, hold: float, limit: int) -> list[OutboxMail]:
        """Due mails nobody holds, now held by the caller until ``now + hold``."""
        free = "status = 'queued' AND next_attempt <= ? AND claimed_until <= ?"
        async with self._write(bump=False) as conn:
            rows = await conn.fetch(
                f"UPDATE mail_outbox SET claimed_until = ? WHERE {free} AND id IN"
                f" (SELECT id FROM mail_outbox WHERE {free} ORDER BY id LIMIT {int(limit)}"
                f"{self._dialect.skip_locked}) RETURNING {OUTBOX_COLUMNS}",
                now + hold,
                now,
                now,
                now,
                now,
            )
        return sorted((self._outbox(r) for r in rows), key=lambda m: m.id)

    async def mail_sent(self, mail_id: int) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "UPDATE mail_outbox SET status = 'sent', attempts = attempts + 1,"
                " claimed_until = 0, last_error = '', sent_at = ? WHERE id = ?",
                self._dialect.time(iso_now()),
                mail_id,
            )

    async def mail_failed(self, mail_id: int, error: str, retry_at: float | None) -> None:
        """One failed attempt: tried again at ``retry_at``, or given up for good (None)."""
        async with self._write(bump=False) as conn:
            await conn.execute(
                "UPDATE mail_outbox SET attempts = attempts + 1, claimed_until = 0,"
                " last_error = ?, status = ?, next_attempt = ? WHERE id = ?",
                error[:500],
                "queued" if retry_at is not None else "failed",
                retry_at if retry_at is not None else 0.0,
                mail_id,
            )

    async def list_mails(
        self, *, status: str | None = None, member_id: int | None = None, limit: int = 100
    ) -> list[OutboxMail]:
        """Newest first."""
        clauses: list[str] = []
        params: list[object] = []
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if member_id is not None:
            clauses.append("member_id = ?")
            params.append(member_id)
        sql = f"SELECT {OUTBOX_COLUMNS} FROM mail_outbox"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        rows = await self._fetch(f"{sql} ORDER BY id DESC LIMIT {int(limit)}", *params)
        return [self._outbox(r) for r in rows]

    async def mail_counts(self) -> dict[str, int]:
        """Mails by status, and ``retrying``: queued ones that failed at least once."""
        rows = await self._fetch(
            "SELECT status, COUNT(*), SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END)"
            " FROM mail_outbox GROUP BY status"
        )
        counts = {"queued": 0, "sent": 0, "failed": 0, "retrying": 0}
        for status, count, retried in rows:
            counts[str(status)] = int(count)
            if status == "queued":
                counts["retrying"] = int(retried or 0)
        return counts

    async def purge_mails(self, sent_before: str) -> int:
        """Delete sent and failed mails created before the ISO time ``sent_before``."""
        async with self._write(bump=False) as conn:
            return await conn.execute(
                "DELETE FROM mail_outbox WHERE status != 'queued' AND created_at < ?",
                self._dialect.time(sent_before),
            )

    async def claim_mail_job(self, name: str, period: str) -> bool:
        """True for exactly one caller per (job, period): the scheduler's once-only claim.

        One upsert that changes the row only when ``period`` is later than the
        stored one, so of processes racing for a period exactly one gets a row back.
        """
        async with self._write(bump=False) as conn:
            row = await conn.fetchrow(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value WHERE meta.value < excluded.value RETURNING key",
                f"mail_job.{name}",
                period,
            )
        return row is not None

    async def member_ids_with_mail(self, ids: Sequence[int]) -> set[int]:
        if not ids:
            return set()
        marks = ", ".join("?" for _ in ids)
        rows = await self._fetch(
            f"SELECT member_id FROM mail_contacts WHERE member_id IN ({marks})", *ids
        )
        return {int(r[0]) for r in rows}
