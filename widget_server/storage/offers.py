"""Joint offers and their participants (migration ``offers``).

An offer's status follows its participants' confirmations: every write that
changes a confirmation or the approval works the status out again in the same
transaction (``_settle``), so two participants confirming at the same moment
cannot leave an offer "proposed" that everyone confirmed.  An edit counts the
offer's ``revision`` up in the statement that checks the revision the editor
saw; a confirmation or approval may name the revision it was given on, so
neither lands on a version its author never saw.  Offers are not part
of the widget's snapshot: no write here bumps the data version.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from widget_server.core.errors import ConflictError, NotFoundError
from widget_server.core.models import Offer, OfferImage, OfferParticipant, OfferStatus
from widget_server.storage.dialect import Connection, Dialect, Row
from widget_server.storage.queries import Queries, where

OFFER_COLUMNS = (
    "id, slug, theme_id, proposer_id, title, text, price_text, valid_from, valid_until,"
    " status, needs_approval, approved_by, approved_at, image_digest, image_content_type,"
    " image_width, image_height, created_at, revision, updated_at"
)
CHUNK = 500  # offer ids per participants query
PARTICIPANTS_INSERT = (
    "INSERT INTO offer_participants (offer_id, member_id, position, confirmed_at)"
    " VALUES (?, ?, ?, ?)"
)

# The status an open offer has now: active when nobody's confirmation is missing and
# the approval, where the theme wanted one, is given.  Final states stay as they are.
SETTLE = (
    "UPDATE offers SET status = CASE WHEN NOT EXISTS (SELECT 1 FROM offer_participants p"
    " WHERE p.offer_id = offers.id AND p.confirmed_at IS NULL)"
    " AND (needs_approval = 0 OR approved_at IS NOT NULL) THEN 'active' ELSE 'proposed' END,"
    " updated_at = ? WHERE id = ? AND status IN ('proposed', 'active')"
)

# Live: active, within its days, and every participant still an active member of the
# offer's theme (a member that left, was paused or removed takes the offer down with it).
LIVE = (
    "status = 'active' AND valid_from <= ? AND valid_until >= ?"
    " AND NOT EXISTS (SELECT 1 FROM offer_participants p WHERE p.offer_id = offers.id"
    " AND NOT EXISTS (SELECT 1 FROM memberships ms JOIN members m ON m.id = ms.member_id"
    " WHERE ms.member_id = p.member_id AND ms.theme_id = offers.theme_id"
    " AND ms.status = 'active' AND m.status = 'active'))"
)


def _offer_from(dialect: Dialect, row: Row, participants: tuple[OfferParticipant, ...]) -> Offer:
    image = OfferImage(row[13], row[14], row[15], row[16]) if row[13] else None
    return Offer(
        id=int(row[0]),
        slug=row[1],
        theme_id=int(row[2]),
        proposer_id=int(row[3]),
        title=row[4],
        text=row[5],
        price_text=row[6],
        valid_from=dialect.from_day(row[7]),
        valid_until=dialect.from_day(row[8]),
        status=row[9],
        participants=participants,
        image=image,
        needs_approval=bool(row[10]),
        approved_by=row[11],
        approved_at=dialect.iso(row[12]) if row[12] is not None else None,
        created_at=dialect.iso(row[17]),
        revision=int(row[18]),
        updated_at=dialect.iso(row[19]),
    )


class Offers(Queries):
    async def _offers(self, conn: Connection, rows: Sequence[Row]) -> list[Offer]:
        """The offers of ``rows`` with their participants (one query per 500 offers)."""
        found: dict[int, list[OfferParticipant]] = {int(r[0]): [] for r in rows}
        ids = list(found)
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            marks = ", ".join("?" for _ in part)
            for offer_id, member_id, confirmed_at in await conn.fetch(
                "SELECT offer_id, member_id, confirmed_at FROM offer_participants"
                f" WHERE offer_id IN ({marks}) ORDER BY offer_id, position",
                *part,
            ):
                found[int(offer_id)].append(
                    OfferParticipant(int(member_id), confirmed_at is not None)
                )
        return [_offer_from(self._dialect, r, tuple(found[int(r[0])])) for r in rows]

    async def _select(self, clause: str, *params: object, order: str = "id") -> list[Offer]:
        async with self._snapshot() as conn:
            rows = await conn.fetch(
                f"SELECT {OFFER_COLUMNS} FROM offers{clause} ORDER BY {order}", *params
            )
            return await self._offers(conn, rows)

    # -- reads ------------------------------------------------------------------------------

    async def get_offer(self, offer_id: int) -> Offer:
        found = await self._select(" WHERE id = ?", offer_id)
        if not found:
            raise NotFoundError(f"no offer {offer_id}")
        return found[0]

    async def offer_by_slug(self, slug: str) -> Offer | None:
        found = await self._select(" WHERE slug = ?", slug)
        return found[0] if found else None

    async def offer_slugs(self, base: str) -> set[str]:
        """The slugs taken among ``base`` and ``base-<n>``."""
        rows = await self._fetch(
            "SELECT slug FROM offers WHERE slug = ? OR slug LIKE ?", base, f"{base}-%"
        )
        return {r[0] for r in rows}

    async def list_offers(
        self,
        *,
        theme_id: int | None = None,
        member_id: int | None = None,
        status: OfferStatus | None = None,
    ) -> list[Offer]:
        """Offers, newest first; ``member_id``: those it takes part in."""
        clause, params = where(
            ("theme_id = ?", theme_id),
            ("status = ?", status),
            (
                "id IN (SELECT offer_id FROM offer_participants WHERE member_id = ?)",
                member_id,
            ),
        )
        return await self._select(clause, *params, order="created_at DESC, id DESC")

    async def live_offers(self, theme_id: int | None, on: date) -> list[Offer]:
        """The offers visitors see on day ``on`` (``theme_id`` None: of every theme),
        ending soonest first."""
        day = self._dialect.day(on)
        clause, params = where(("theme_id = ?", theme_id))
        clause = f"{clause} AND {LIVE}" if clause else f" WHERE {LIVE}"
        return await self._select(clause, *params, day, day, order="valid_until, id")

    async def live_offer(self, slug: str, on: date) -> Offer | None:
        """The offer ``slug`` if visitors see it on day ``on`` (one read, for its page)."""
        day = self._dialect.day(on)
        found = await self._select(f" WHERE slug = ? AND {LIVE}", slug, day, day)
        return found[0] if found else None

    async def get_offer_image(self, offer_id: int) -> tuple[OfferImage, bytes]:
        row = await self._fetchrow(
            "SELECT image_digest, image_content_type, image_width, image_height, image_data"
            " FROM offers WHERE id = ? AND image_digest IS NOT NULL",
            offer_id,
        )
        if row is None:
            raise NotFoundError(f"offer {offer_id} has no image")
        return OfferImage(row[0], row[1], row[2], row[3]), bytes(row[4])

    # -- writes -----------------------------------------------------------------------------

    async def create_offer(self, offer: Offer, image_data: bytes | None = None) -> Offer:
        """Store a new offer with its participants; ``ConflictError`` if the slug is taken.

        The participants' ``confirmed`` flags are stored as given (the proposer's own
        confirmation comes with its proposal).
        """
        image = offer.image
        if (image is None) != (image_data is None):
            raise ValueError("an image needs its bytes, and bytes need an image")
        at = self._dialect.time(self._moment_iso())
        async with self._write(bump=False) as conn:
            offer_id = await conn.fetchval(
                "INSERT INTO offers (slug, theme_id, proposer_id, title, text, price_text,"
                " valid_from, valid_until, status, needs_approval, image_digest,"
                " image_content_type, image_width, image_height, image_data, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                offer.slug,
                offer.theme_id,
                offer.proposer_id,
                offer.title,
                offer.text,
                offer.price_text,
                self._dialect.day(offer.valid_from),
                self._dialect.day(offer.valid_until),
                int(offer.needs_approval),
                image.digest if image else None,
                image.content_type if image else None,
                image.width if image else None,
                image.height if image else None,
                image_data,
                at,
                at,
            )
            rows = [
                (offer_id, p.member_id, i, at if p.confirmed else None)
                for i, p in enumerate(offer.participants)
            ]
            await conn.executemany(PARTICIPANTS_INSERT, rows)
            await conn.execute(SETTLE, at, offer_id)
        return await self.get_offer(int(offer_id))

    async def _open(self, conn: Connection, offer_id: int, revision: int | None = None) -> None:
        """``NotFoundError`` for no such offer, ``ConflictError`` for a declined or removed
        one, or (``revision`` given) one edited since: ``ConflictError("stale_offer")``."""
        row = await conn.fetchrow(
            f"SELECT status, revision FROM offers WHERE id = ?{self._dialect.for_update}",
            offer_id,
        )
        if row is None:
            raise NotFoundError(f"no offer {offer_id}")
        if row[0] not in ("proposed", "active"):
            raise ConflictError(f"the offer is {row[0]}")
        if revision is not None and int(row[1]) != revision:
            raise ConflictError("stale_offer")

    async def confirm_offer(
        self, offer_id: int, member_id: int, confirmed: bool, revision: int | None = None
    ) -> Offer:
        """A participant confirms (or withdraws its confirmation); the status follows.

        ``revision``: the version the participant saw (``ConflictError`` if edited since).
        """
        at = self._dialect.time(self._moment_iso())
        async with self._write(bump=False) as conn:
            await self._open(conn, offer_id, revision)
            changed = await conn.execute(
                "UPDATE offer_participants SET confirmed_at = ?"
                " WHERE offer_id = ? AND member_id = ?",
                at if confirmed else None,
                offer_id,
                member_id,
            )
            if changed == 0:
                raise NotFoundError(f"member {member_id} takes no part in offer {offer_id}")
            await conn.execute(SETTLE, at, offer_id)
        return await self.get_offer(offer_id)

    async def approve_offer(self, offer_id: int, actor: str, revision: int | None = None) -> Offer:
        """The coordinator's approval; the offer is active once everyone has confirmed."""
        at = self._dialect.time(self._moment_iso())
        async with self._write(bump=False) as conn:
            await self._open(conn, offer_id, revision)
            await conn.execute(
                "UPDATE offers SET approved_by = ?, approved_at = ? WHERE id = ?",
                actor,
                at,
                offer_id,
            )
            await conn.execute(SETTLE, at, offer_id)
        return await self.get_offer(offer_id)

    async def close_offer(self, offer_id: int, status: OfferStatus) -> Offer:
        """Decline or remove an open offer for good."""
        if status not in ("declined", "removed"):
            raise ValueError(f"an offer is closed as declined or removed, not {status!r}")
        at = self._dialect.time(self._moment_iso())
        async with self._write(bump=False) as conn:
            await self._open(conn, offer_id)
            await conn.execute(
                "UPDATE offers SET status = ?, updated_at = ? WHERE id = ?", status, at, offer_id
            )
        return await self.get_offer(offer_id)

    async def update_offer(
        self,
        offer: Offer,
        revision: int,
        *,
        image_data: bytes | None = None,
        reset_confirmations: bool = False,
        confirmed_by: int | None = None,
        reset_approval: bool = False,
    ) -> Offer:
        """Write an open offer's content as its editor saw it at ``revision``.

        ``offer`` carries the new title, texts, days, image and participants (in
        their new order).  A participant that stays keeps its confirmation as it is
        in the database now, unless ``reset_confirmations``; a new one has none;
        ``confirmed_by`` (the proposer editing) is confirmed either way.  The image
        columns change only with ``image_data`` (a new image) or ``offer.image``
        None (removed).  ``NotFoundError`` for no such offer, ``ConflictError`` for a
        closed one or one changed since ``revision`` (``"stale_offer"``).
        """
        at = self._dialect.time(self._moment_iso())
        image = offer.image
        sets = [
            "title = ?",
            "text = ?",
            "price_text = ?",
            "valid_from = ?",
            "valid_until = ?",
            "needs_approval = ?",
        ]
        params: list[object] = [
            offer.title,
            offer.text,
            offer.price_text,
            self._dialect.day(offer.valid_from),
            self._dialect.day(offer.valid_until),
            int(offer.needs_approval),
        ]
        if reset_approval:
            sets += ["approved_by = NULL", "approved_at = NULL"]
        if image_data is not None or image is None:
            sets += [
                "image_digest = ?",
                "image_content_type = ?",
                "image_width = ?",
                "image_height = ?",
                "image_data = ?",
            ]
            params += [
                image.digest if image and image_data is not None else None,
                image.content_type if image and image_data is not None else None,
                image.width if image and image_data is not None else None,
                image.height if image and image_data is not None else None,
                image_data,
            ]
        async with self._write(bump=False) as conn:
            await self._open(conn, offer.id, revision)
            await conn.execute(
                f"UPDATE offers SET {', '.join(sets)}, revision = revision + 1, updated_at = ?"
                " WHERE id = ?",
                *params,
                at,
                offer.id,
            )
            kept = {
                int(member_id): confirmed_at
                for member_id, confirmed_at in await conn.fetch(
                    "SELECT member_id, confirmed_at FROM offer_participants WHERE offer_id = ?",
                    offer.id,
                )
            }
            rows = []
            for position, member_id in enumerate(dict.fromkeys(offer.member_ids)):
                confirmed_at = None if reset_confirmations else kept.get(member_id)
                if member_id == confirmed_by:
                    confirmed_at = kept.get(member_id) or at
                rows.append((offer.id, member_id, position, confirmed_at))
            await conn.execute("DELETE FROM offer_participants WHERE offer_id = ?", offer.id)
            await conn.executemany(PARTICIPANTS_INSERT, rows)
            await conn.execute(SETTLE, at, offer.id)
        return await self.get_offer(offer.id)
