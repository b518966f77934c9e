"""Joint offers: members of one theme offer a package together (docs/offers.md).

A member proposes an offer in its portal (or through the API) naming the
theme and the other members taking part; its own confirmation comes with the
proposal.  Every other participant confirms in its own portal.  Where the
theme's rules say ``portal.approve_offers: true`` a coordinator approves it
too.  The offer is live while it is active (everyone confirmed, approved if
required), today lies within its days, and every participant is still an
active member of the theme (``storage.live_offers``): past offers drop out by
themselves.  A participant may withdraw its confirmation (the offer waits
again until it confirms anew); a coordinator may decline or remove an offer
for good, and the proposer may end its own offer early.  The proposer (or a
coordinator) may edit an open offer (``offer_edits.py``): a material change
asks every other participant to confirm again, so what each participant
confirmed is exactly what is shown.

Every text is member-provided and hostile: checked here (length, control
characters, bidirectional overrides), escaped wherever it is shown.  The
image is checked and re-encoded like a logo (``logos.check_logo``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from widget_server.core.collation import slugify
from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.core.models import Member, Offer, OfferImage, OfferParticipant, Theme
from widget_server.network.logos import check_logo
from widget_server.network.rules import theme_rules
from widget_server.network.services import BIDI_CONTROLS, check_text
from widget_server.storage import Storage

MAX_TITLE = 120
MAX_TEXT = 2_000
MAX_PRICE = 200
MAX_PARTICIPANTS = 12
MAX_DAYS = 366  # an offer runs at most a year; a longer one is renewed as a new proposal
SLUG_LENGTH = 60
MAX_ID = 2**63 - 1  # larger ids overflow the databases' integers: no such offer
SLUG_TRIES = 5  # slug races between two proposals at the same moment

# What an offer is for the people who see it (portal, admin, API); "live" is what visitors see.
OfferState = Literal["waiting", "approval", "scheduled", "live", "ended", "declined", "removed"]


@dataclass(frozen=True)
class Proposal:
    """An offer as a member proposes it, unchecked (form or API body)."""

    theme: str  # slug
    title: str
    text: str
    price_text: str
    valid_from: str | date
    valid_until: str | date
    participants: Sequence[str]  # slugs of the other members taking part
    image: bytes | None = None


def check_paragraphs(field: str, value: str, *, limit: int) -> str:
    """Text of several lines: line breaks kept (at most one empty line), nothing else hidden."""
    value = value.translate(BIDI_CONTROLS).replace("\r\n", "\n").replace("\r", "\n")
    lines = [" ".join(line.split()) for line in value.split("\n")]
    for line in lines:
        if not line.isprintable() and any(unicodedata.category(c) in ("Cc", "Cs") for c in line):
            raise ValidationError(field, "contains control characters")
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    text = "\n".join(kept).strip("\n")
    if len(text) > limit:
        raise ValidationError(field, f"is {len(text)} characters long, at most {limit} allowed")
    return text


def check_day(field: str, value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(field, f"{value[:40]!r} is not a date (YYYY-MM-DD)") from None


def check_days(valid_from: str | date, valid_until: str | date, today: date) -> tuple[date, date]:
    start, end = check_day("valid_from", valid_from), check_day("valid_until", valid_until)
    if end < start:
        raise ValidationError("valid_until", "is before valid_from")
    if end < today:
        raise ValidationError("valid_until", "is in the past")
    if (end - start).days >= MAX_DAYS:
        raise ValidationError("valid_until", f"is more than {MAX_DAYS} days after valid_from")
    return start, end


def check_image(data: bytes) -> tuple[OfferImage, bytes]:
    try:
        logo, clean = check_logo(0, data)
    except ValidationError as exc:
        raise ValidationError("image", exc.reason) from None
    return OfferImage(logo.digest, logo.content_type, logo.width, logo.height), clean


async def _active_in(storage: Storage, member: Member, theme: Theme) -> bool:
    if member.status != "active":
        return False
    memberships = await storage.list_memberships(member_id=member.id, theme_id=theme.id)
    return any(ms.status == "active" for ms in memberships)


async def _participants(
    storage: Storage, proposer: Member, theme: Theme, slugs: Sequence[str]
) -> tuple[OfferParticipant, ...]:
    """The proposer (confirmed) and the others, each an active member of the theme."""
    if not await _active_in(storage, proposer, theme):
        raise ValidationError("theme", f"{theme.slug!r}: you are not an active member of it")
    others: list[Member] = []
    for raw in slugs:
        slug = raw.strip()
        if not slug or slug == proposer.slug or any(m.slug == slug for m in others):
            continue
        try:
            member = await storage.get_member(slug)
        except NotFoundError:
            raise ValidationError("participants", f"{slug[:60]!r} is no member") from None
        if not await _active_in(storage, member, theme):
            raise ValidationError(
                "participants", f"{slug!r} is not an active member of {theme.slug!r}"
            )
        others.append(member)
    if not others:
        raise ValidationError("participants", "name at least one other member of the theme")
    if len(others) + 1 > MAX_PARTICIPANTS:
        raise ValidationError("participants", f"at most {MAX_PARTICIPANTS} members take part")
    return (OfferParticipant(proposer.id, True), *(OfferParticipant(m.id) for m in others))


# The same check for an edit's new list of participants (offer_edits.py).
check_participants = _participants


async def approval_required(storage: Storage, theme: Theme) -> bool:
    return theme_rules(await storage.get_rule_set(theme.id)).approve_offers


async def free_slug(storage: Storage, title: str) -> str:
    base = slugify(title, SLUG_LENGTH) or "angebot"
    taken = await storage.offer_slugs(base)
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def propose(storage: Storage, proposer: Member, proposal: Proposal, today: date) -> Offer:
    """Check a proposal and store it; the proposer's confirmation comes with it."""
    try:
        theme = await storage.get_theme(proposal.theme.strip())
    except NotFoundError:
        raise ValidationError("theme", f"{proposal.theme[:60]!r} is no theme") from None
    title = check_text("title", proposal.title, limit=MAX_TITLE, required=True)
    text = check_paragraphs("text", proposal.text, limit=MAX_TEXT)
    price = check_text("price_text", proposal.price_text, limit=MAX_PRICE, required=True)
    start, end = check_days(proposal.valid_from, proposal.valid_until, today)
    participants = await _participants(storage, proposer, theme, proposal.participants)
    image, data = check_image(proposal.image) if proposal.image else (None, None)
    needs_approval = await approval_required(storage, theme)
    for _ in range(SLUG_TRIES):
        offer = Offer(
            id=0,
            slug=await free_slug(storage, title),
            theme_id=theme.id,
            proposer_id=proposer.id,
            title=title,
            text=text,
            price_text=price,
            valid_from=start,
            valid_until=end,
            participants=participants,
            image=image,
            needs_approval=needs_approval,
        )
        try:
            return await storage.create_offer(offer, data)
        except ConflictError:
            if await storage.offer_by_slug(offer.slug) is None:
                raise  # not the slug: something else conflicted
    raise ConflictError("no free address for the offer; try again")


async def offer_of(storage: Storage, offer_id: int, member: Member) -> Offer:
    """An offer the member takes part in; ``NotFoundError`` for any other (no probing)."""
    if not 0 < offer_id <= MAX_ID:
        raise NotFoundError(f"no offer {offer_id}")
    offer = await storage.get_offer(offer_id)
    if member.id not in offer.member_ids:
        raise NotFoundError(f"no offer {offer_id}")
    return offer


async def confirm(
    storage: Storage, offer_id: int, member: Member, confirmed: bool, revision: int | None = None
) -> Offer:
    """A participant confirms, or withdraws its confirmation (the offer waits again).

    ``revision``: the version the member saw; ``ConflictError("stale_offer")`` if the
    offer was edited since, so nobody confirms a package it has not read.
    """
    await offer_of(storage, offer_id, member)
    return await storage.confirm_offer(offer_id, member.id, confirmed, revision)


async def approve(
    storage: Storage, offer_id: int, actor: str, revision: int | None = None
) -> Offer:
    return await storage.approve_offer(offer_id, actor, revision)


async def close(storage: Storage, offer_id: int, status: Literal["declined", "removed"]) -> Offer:
    return await storage.close_offer(offer_id, status)


def state(offer: Offer, today: date) -> OfferState:
    """What an offer is now, for people (the participants' standing aside)."""
    if offer.status in ("declined", "removed"):
        return offer.status
    if offer.valid_until < today:
        return "ended"
    if offer.status == "proposed":
        return "waiting" if not offer.confirmed_by_all else "approval"
    return "scheduled" if offer.valid_from > today else "live"


async def members_of(storage: Storage, offer: Offer) -> list[Member]:
    """The participants as members, in the offer's order."""
    return [await storage.get_member_by_id(member_id) for member_id in offer.member_ids]


def describe(offer: Offer) -> str:
    """For the audit log: the title, the days and who takes part (ids)."""
    ids = ", ".join(str(i) for i in offer.member_ids)
    days = f"{offer.valid_from.isoformat()}..{offer.valid_until.isoformat()}"
    return f"„{offer.title[:60]}“ {days}; members {ids}"


def default_days(today: date) -> tuple[date, date]:
    """The form's first suggestion: from today for four weeks."""
    return today, today + timedelta(days=27)


def image_path(offer: Offer) -> str | None:
    """Where an offer's image is served (web/endpoints/offer_page.py), or None."""
    if offer.image is None:
        return None
    ext = offer.image.content_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
    return f"/offer-images/{offer.id}-{offer.image.digest[:16]}.{ext}"


def page_path(offer: Offer, lang: str = "de") -> str:
    return f"/o/{offer.slug}" + ("?lang=en" if lang == "en" else "")
