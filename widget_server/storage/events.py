"""Joint events and their participating members (migration ``events``).

Events are not part of the widget's snapshot: their writes do not bump the
network's data version.  Every change of an event counts its ``sequence`` up,
in the same statement that checks the sequence the writer saw, so two
coordinators editing at once cannot overwrite each other unseen
(``ConflictError``), and a calendar sees each change as a new revision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from widget_server.core.errors import ConflictError, NotFoundError
from widget_server.core.models import Event, EventStatus
from widget_server.storage.dialect import Connection, Dialect, Row, to_moment
from widget_server.storage.queries import Queries, where

EVENT_COLUMNS = (
    "id, slug, theme_id, title, description, starts_at, ends_at, place_name, street,"
    " postal_code, town, registration_url, status, proposed_by, sequence, created_at, updated_at"
)
# The columns a writer sets (id, sequence and the times are the storage's).
WRITTEN = (
    "slug",
    "theme_id",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "place_name",
    "street",
    "postal_code",
    "town",
    "registration_url",
    "status",
    "proposed_by",
)


def moment_text(moment: datetime) -> str:
    """A time as stored: UTC ISO text to the second (one shape, so text order is time order)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _moment(dialect: Dialect, value: object) -> datetime:
    return to_moment(dialect.iso(value)).astimezone(UTC)


def event_from(dialect: Dialect, row: Row, participants: tuple[int, ...]) -> Event:
    return Event(
        id=int(row[0]),
        slug=row[1],
        theme_id=None if row[2] is None else int(row[2]),
        title=row[3],
        description=row[4],
        starts_at=_moment(dialect, row[5]),
        ends_at=_moment(dialect, row[6]),
        place_name=row[7],
        street=row[8],
        postal_code=row[9],
        town=row[10],
        registration_url=row[11],
        status=row[12],
        participants=participants,
        proposed_by=None if row[13] is None else int(row[13]),
        sequence=int(row[14]),
        created_at=_moment(dialect, row[15]),
        updated_at=_moment(dialect, row[16]),
    )


class Events(Queries):
    def _values(self, event: Event) -> list[object]:
        d = self._dialect
        return [
            event.slug,
            event.theme_id,
            event.title,
            event.description,
            d.time(moment_text(event.starts_at)),
            d.time(moment_text(event.ends_at)),
            event.place_name,
            event.street,
            event.postal_code,
            event.town,
            event.registration_url,
            event.status,
            event.proposed_by,
        ]

    async def _set_participants(self, conn: Connection, event_id: int, ids: Sequence[int]) -> None:
        await conn.execute("DELETE FROM event_participants WHERE event_id = ?", event_id)
        rows = [(event_id, member_id, n) for n, member_id in enumerate(dict.fromkeys(ids))]
        if rows:
            await conn.executemany(
                "INSERT INTO event_participants (event_id, member_id, position) VALUES (?, ?, ?)",
                rows,
            )

    async def _events(self, conn: Connection, sql: str, *params: object) -> list[Event]:
        """The events of ``sql`` (selecting ``EVENT_COLUMNS``) with their participants."""
        rows = await conn.fetch(sql, *params)
        if not rows:
            return []
        ids = [int(r[0]) for r in rows]
        marks = ", ".join("?" for _ in ids)
        found: dict[int, list[int]] = {i: [] for i in ids}
        for event_id, member_id in await conn.fetch(
            "SELECT event_id, member_id FROM event_participants"
            f" WHERE event_id IN ({marks}) ORDER BY event_id, position",
            *ids,
        ):
            found[int(event_id)].append(int(member_id))
        return [event_from(self._dialect, r, tuple(found[int(r[0])])) for r in rows]

    async def _one(self, conn: Connection, column: str, value: object) -> Event:
        events = await self._events(
            conn, f"SELECT {EVENT_COLUMNS} FROM events WHERE {column} = ?", value
        )
        if not events:
            raise NotFoundError(f"no event {value!r}")
        return events[0]

    # -- writes -----------------------------------------------------------------------------

    async def create_event(self, event: Event) -> Event:
        """Store a draft (``id`` 0); ``ConflictError`` when its slug is taken."""
        now = self._dialect.time(self._moment_iso())
        names = ", ".join(WRITTEN)
        marks = ", ".join("?" for _ in WRITTEN)
        async with self._write(bump=False) as conn:
            event_id = await conn.fetchval(
                f"INSERT INTO events ({names}, sequence, created_at, updated_at)"
                f" VALUES ({marks}, 0, ?, ?) RETURNING id",
                *self._values(event),
                now,
                now,
            )
            await self._set_participants(conn, int(event_id), event.participants)
            return await self._one(conn, "id", int(event_id))

    async def update_event(self, event: Event, sequence: int) -> Event:
        """Write ``event``'s fields if it is still at ``sequence``; the sequence counts up.

        ``NotFoundError`` for an unknown id, ``ConflictError`` when it changed
        meanwhile (or the new slug is taken).
        """
        sets = ", ".join(f"{c} = ?" for c in WRITTEN)
        async with self._write(bump=False) as conn:
            changed = await conn.execute(
                f"UPDATE events SET {sets}, sequence = sequence + 1, updated_at = ?"
                " WHERE id = ? AND sequence = ?",
                *self._values(event),
                self._dialect.time(self._moment_iso()),
                event.id,
                sequence,
            )
            if changed == 0:
                await self._one(conn, "id", event.id)  # NotFoundError if it is gone
                raise ConflictError("stale_event")
            await self._set_participants(conn, event.id, event.participants)
            return await self._one(conn, "id", event.id)

    async def set_event_status(self, event_id: int, status: EventStatus, sequence: int) -> Event:
        """Publish, cancel or decline the event as it was at ``sequence``."""
        async with self._reading() as conn:
            event = await self._one(conn, "id", event_id)
        return await self.update_event(replace(event, status=status), sequence)

    async def delete_event(self, event_id: int) -> bool:
        async with self._write(bump=False) as conn:
            return await conn.execute("DELETE FROM events WHERE id = ?", event_id) > 0

    # -- reads ------------------------------------------------------------------------------

    async def get_event(self, event_id: int) -> Event:
        async with self._reading() as conn:
            return await self._one(conn, "id", event_id)

    async def get_event_by_slug(self, slug: str) -> Event:
        async with self._reading() as conn:
            return await self._one(conn, "slug", slug)

    async def list_events(
        self,
        *,
        theme_id: int | None = None,
        status: EventStatus | None = None,
        proposed_by: int | None = None,
        member_id: int | None = None,
        ends_after: datetime | None = None,
    ) -> list[Event]:
        """Events by start; each filter given narrows (``member_id``: it takes part or
        proposed it; ``ends_after``: not over by then)."""
        after = None if ends_after is None else self._dialect.time(moment_text(ends_after))
        clause, params = where(
            ("theme_id = ?", theme_id),
            ("status = ?", status),
            ("proposed_by = ?", proposed_by),
            ("ends_at > ?", after),
        )
        if member_id is not None:
            clause += " AND " if clause else " WHERE "
            clause += (
                "(proposed_by = ? OR id IN"
                " (SELECT event_id FROM event_participants WHERE member_id = ?))"
            )
            params += [member_id, member_id]
        async with self._snapshot() as conn:
            return await self._events(
                conn, f"SELECT {EVENT_COLUMNS} FROM events{clause} ORDER BY starts_at, id", *params
            )

    async def upcoming_events(
        self, theme_id: int | None, after: datetime, *, include_cancelled: bool = False
    ) -> list[Event]:
        """Published events not over at ``after`` (their end is later), by start.

        ``theme_id`` None: every event of the network, network-wide ones and every
        theme's; a theme's id: that theme's events only.  ``include_cancelled``
        adds cancelled ones (the calendar feeds carry them, so subscribed
        calendars learn of the cancellation).
        """
        statuses = ("published", "cancelled") if include_cancelled else ("published",)
        marks = ", ".join("?" for _ in statuses)
        clause, params = where(("theme_id = ?", theme_id))
        clause += " AND " if clause else " WHERE "
        clause += f"status IN ({marks}) AND ends_at > ?"
        params += [*statuses, self._dialect.time(moment_text(after))]
        async with self._snapshot() as conn:
            return await self._events(
                conn, f"SELECT {EVENT_COLUMNS} FROM events{clause} ORDER BY starts_at, id", *params
            )
