"""Changing a joint offer, and ending it early (docs/offers.md "Changing an offer").

Who: the member that proposed it (portal, its member key) or a coordinator
(admin, coordinator key, CLI).  What: the title, the text, the price, the
days, the other participants and the image; the theme stays (a package of
another theme is a new proposal).  A *material* change (the text, the price,
the days or who takes part) is something the others have not agreed to:
their confirmations are reset, so they confirm again (with a notice mail as
for a proposal), and when a member made it and the theme's rules ask for the
coordinators' approval, that approval is asked for again.  A coordinator's
own change keeps the approval (they made it) but asks every participant,
the proposer too, to confirm again.  A new title or image alone keeps every
confirmation.

Every change names the ``revision`` of the offer it was made on; an offer
changed meanwhile refuses it with ``ConflictError("stale_offer")``, so two
editors never overwrite each other unseen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from widget_server.core.errors import ConflictError, NotFoundError
from widget_server.core.models import Member, Offer
from widget_server.network.audit import changed_fields
from widget_server.network.offers import (
    MAX_ID,
    MAX_PRICE,
    MAX_TEXT,
    MAX_TITLE,
    approval_required,
    check_days,
    check_image,
    check_paragraphs,
    check_participants,
    close,
)
from widget_server.network.services import check_text
from widget_server.storage import Storage

TEXT_FIELDS = ("title", "text", "price_text", "valid_from", "valid_until")
# What the other participants must agree to again when it changes.
MATERIAL = ("text", "price_text", "valid_from", "valid_until", "participants")


@dataclass(frozen=True)
class OfferChanges:
    """What an editor changes, unchecked; ``None`` leaves a field as it is."""

    title: str | None = None
    text: str | None = None
    price_text: str | None = None
    valid_from: str | date | None = None
    valid_until: str | date | None = None
    participants: Sequence[str] | None = None  # slugs of the others; the proposer stays
    image: bytes | None = None  # a new image
    remove_image: bool = False


@dataclass(frozen=True)
class Edit:
    """An offer before and after a change, and the fields that changed."""

    before: Offer
    after: Offer
    changed: tuple[str, ...]

    @property
    def material(self) -> bool:
        return any(f in MATERIAL for f in self.changed)

    def describe(self) -> str:
        """For the audit log: each changed field, old → new."""
        fields = [f for f in TEXT_FIELDS if f in self.changed]
        parts = [changed_fields(self.before, self.after, fields)] if fields else []
        if "participants" in self.changed:
            old, new = set(self.before.member_ids), set(self.after.member_ids)
            added = ", ".join(f"+{i}" for i in self.after.member_ids if i not in old)
            gone = ", ".join(f"-{i}" for i in self.before.member_ids if i not in new)
            parts.append(f"members: {', '.join(p for p in (added, gone) if p)}")
        if "image" in self.changed:
            parts.append("image: " + ("new" if self.after.image else "removed"))
        if self.material:
            parts.append("confirmations asked for again")
        return "; ".join(parts)


def editable(offer: Offer, editor: Member | None) -> None:
    """``ConflictError`` unless ``editor`` (None: a coordinator) may change the open offer."""
    if offer.status not in ("proposed", "active"):
        raise ConflictError(f"the offer is {offer.status}")
    if editor is not None and editor.id != offer.proposer_id:
        raise ConflictError("only the member that proposed an offer changes it")


async def _load(storage: Storage, offer_id: int, editor: Member | None) -> Offer:
    """The offer; a member that takes no part gets ``NotFoundError`` (no probing)."""
    if not 0 < offer_id <= MAX_ID:
        raise NotFoundError(f"no offer {offer_id}")
    offer = await storage.get_offer(offer_id)
    if editor is not None and editor.id not in offer.member_ids:
        raise NotFoundError(f"no offer {offer_id}")
    editable(offer, editor)
    return offer


async def _checked(
    storage: Storage, before: Offer, changes: OfferChanges, today: date
) -> tuple[Offer, bytes | None]:
    """The offer as changed (every given field checked) and a new image's bytes."""
    after = before
    if changes.title is not None:
        title = check_text("title", changes.title, limit=MAX_TITLE, required=True)
        after = replace(after, title=title)
    if changes.text is not None:
        after = replace(after, text=check_paragraphs("text", changes.text, limit=MAX_TEXT))
    if changes.price_text is not None:
        price = check_text("price_text", changes.price_text, limit=MAX_PRICE, required=True)
        after = replace(after, price_text=price)
    if changes.valid_from is not None or changes.valid_until is not None:
        start = before.valid_from if changes.valid_from is None else changes.valid_from
        end = before.valid_until if changes.valid_until is None else changes.valid_until
        if (start, end) != (before.valid_from, before.valid_until):
            start, end = check_days(start, end, today)
            after = replace(after, valid_from=start, valid_until=end)
    if changes.participants is not None:
        theme = next(t for t in await storage.list_themes() if t.id == before.theme_id)
        proposer = await storage.get_member_by_id(before.proposer_id)
        chosen = await check_participants(storage, proposer, theme, changes.participants)
        if {p.member_id for p in chosen} != set(before.member_ids):
            after = replace(after, participants=chosen)
    data = None
    if changes.image is not None:
        image, data = check_image(changes.image)
        after = replace(after, image=image)
    elif changes.remove_image:
        after = replace(after, image=None)
    return after, data


def _changed(before: Offer, after: Offer) -> tuple[str, ...]:
    found = [f for f in TEXT_FIELDS if getattr(before, f) != getattr(after, f)]
    if set(before.member_ids) != set(after.member_ids):
        found.append("participants")
    if before.image != after.image:
        found.append("image")
    return tuple(found)


async def edit(
    storage: Storage,
    offer_id: int,
    changes: OfferChanges,
    revision: int,
    *,
    today: date,
    editor: Member | None,
) -> Edit:
    """Check and store a change of an open offer made on ``revision``.

    ``editor``: the proposing member making it, or None for a coordinator.  A
    change that changes nothing stores nothing (the revision stays).
    """
    before = await _load(storage, offer_id, editor)
    after, data = await _checked(storage, before, changes, today)
    changed = _changed(before, after)
    if not changed:
        if revision != before.revision:
            raise ConflictError("stale_offer")
        return Edit(before, before, ())
    material = any(f in MATERIAL for f in changed)
    reset_approval = False
    if material and editor is not None:
        theme = next(t for t in await storage.list_themes() if t.id == before.theme_id)
        needs = await approval_required(storage, theme)
        after = replace(after, needs_approval=needs)
        reset_approval = needs
    stored = await storage.update_offer(
        after,
        revision,
        image_data=data,
        reset_confirmations=material,
        confirmed_by=editor.id if editor is not None else None,
        reset_approval=reset_approval,
    )
    return Edit(before, stored, changed)


async def end(storage: Storage, offer_id: int, editor: Member | None) -> Offer:
    """End an open offer early, for good (its page goes at once): the proposer's or a
    coordinator's decision; the offer is then "removed"."""
    offer = await _load(storage, offer_id, editor)
    return await close(storage, offer.id, "removed")


def asked_again(edit: Edit, editor: Member | None) -> list[int]:
    """The participants a material change asks to confirm again (all but the editor)."""
    if not edit.material:
        return []
    return [i for i in edit.after.member_ids if editor is None or i != editor.id]
