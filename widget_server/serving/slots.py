"""The block's joint slot: the theme's current joint offer or next joint event as one card.

A placement shows partners only unless it asks for more (``show``: the embed's
``data-show="partners,offer,event"``, or the placement's stored option, which
wins). Then one card of the block is a joint offer or event of its theme,
shaped like a partner card (name, meta line, description, link, logo) with a
``kind``, so every renderer draws it with the partner card's code; a renderer
that knows no ``kind`` still draws a sensible card, because the kind's label
("Gemeinsames Angebot", "Termin") is the card's category.

Decisions (docs/rotation.md, "The joint slot"):

* Which: the theme's live offers (active, today within their dates) and its
  upcoming published events, in (kind, id) order; with several, each host
  walks them round-robin by rotation bucket from a keyed starting point, so
  each is shown equally often on every host and every process agrees.
* Whom it credits: the participants other than the host (``receivers``). An
  offer with none (the host is its only participant) is not shown on that
  host; a host taking part with others shows it and its share goes to the
  others. An event without members is shown and credits nobody.
* Where: last. When the drawn partners fill the placement's places (two or
  more), the last partner gives its place to the slot; otherwise the slot is
  added after the partners. A block never grows past its places (one-place
  blocks excepted, which keep their partner).

Offers and events are not in the snapshot (their writes bump no data
version): a ``JointBoard`` keeps them in memory, read again every
``JOINT_INTERVAL`` seconds off the request path, so a block request never
reads the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from widget_server.core.dates import days_text, moment_text
from widget_server.core.errors import StorageError
from widget_server.core.i18n import N_, translator
from widget_server.core.models import SHOW_VALUES, Event, Offer, Placement
from widget_server.core.signing import Signer
from widget_server.core.stopping import stopped
from widget_server.network.offers import image_path
from widget_server.rotation import Rules, Slot
from widget_server.rotation.keyed import keyed_hash
from widget_server.serving.blocks import Display, Drawn, Rotation, build_block
from widget_server.serving.snapshot import Snapshot
from widget_server.storage import Storage

log = logging.getLogger(__name__)

SlotKind = Literal["offer", "event"]
KIND_CODES: dict[SlotKind, int] = {"offer": 1, "event": 2}  # in click tokens
KINDS_BY_CODE: dict[int, SlotKind] = {v: k for k, v in KIND_CODES.items()}
SHOW_ALL = "partners,offer,event"  # the code offered in the portal and the admin
JOINT_INTERVAL = 30.0  # seconds between reads of the live offers and upcoming events
DESCRIPTION_LIMIT = 160  # characters of an offer's text on its card
LABELS = {"offer": N_("Joint offer"), "event": N_("Event")}


class ShowError(ValueError):
    """A ``show`` value that is not one of ``SHOW_VALUES`` (``value`` names it)."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


def parse_show(text: str) -> tuple[SlotKind, ...]:
    """``"partners,offer"`` -> ``("offer",)``: the slot kinds asked for, in a fixed order.

    Partners are always shown (the value names them for readability); empty
    parts are ignored; anything else raises ``ShowError`` naming it.
    """
    asked = set()
    for part in text.split(","):
        value = part.strip()
        if value and value not in SHOW_VALUES:
            raise ShowError(value)
        asked.add(value)
    return tuple(kind for kind in ("offer", "event") if kind in asked)


def resolve_show(placement: Placement, asked: str | None) -> tuple[SlotKind, ...]:
    """The placement's stored option wins over the embed's (``ShowError`` for a bad one)."""
    fixed = getattr(placement.options, "show", None)
    if fixed is not None:
        return parse_show(fixed)
    return parse_show(asked) if asked else ()


@dataclass(frozen=True)
class JointItem:
    """An offer or event as a block's slot needs it (language-free raw values)."""

    kind: SlotKind
    id: int
    slug: str
    theme_id: int
    title: str
    text: str
    detail: str  # an offer's price in words; "" for an event
    members: tuple[int, ...]  # participants, as stored
    image: str | None = None  # path of an offer's image
    registration_url: str | None = None
    until: date | None = None  # an offer's last day
    starts_at: datetime | None = None  # an event's start (UTC)
    town: str = ""  # an event's town


def offer_item(offer: Offer, image: str | None) -> JointItem:
    return JointItem(
        "offer",
        offer.id,
        offer.slug,
        offer.theme_id,
        offer.title,
        offer.text,
        offer.price_text,
        offer.member_ids,
        image=image,
        until=offer.valid_until,
    )


def event_item(event: Event) -> JointItem | None:
    if event.theme_id is None:  # network-wide: no theme's ledger to credit
        return None
    return JointItem(
        "event",
        event.id,
        event.slug,
        event.theme_id,
        event.title,
        event.description,
        "",
        event.participants,
        registration_url=event.registration_url,
        starts_at=event.starts_at,
        town=event.town,
    )


@dataclass
class JointBoard:
    """The live offers and upcoming events per theme, kept in memory for the blocks.

    ``version`` moves only when what a block could show changes, and is part of
    the cache key of blocks that show a slot.
    """

    zone: str = "Europe/Berlin"
    version: int = 0
    themes: dict[int, tuple[JointItem, ...]] = field(default_factory=dict)
    items: dict[tuple[SlotKind, int], JointItem] = field(default_factory=dict)

    def install(self, items: Sequence[JointItem]) -> None:
        themes: dict[int, list[JointItem]] = {}
        for item in sorted(items, key=lambda i: (KIND_CODES[i.kind], i.id)):
            themes.setdefault(item.theme_id, []).append(item)
        frozen = {t: tuple(found) for t, found in themes.items()}
        if frozen != self.themes:
            self.themes = frozen
            self.items = {(i.kind, i.id): i for i in items}
            self.version += 1

    async def load(self, storage: Storage, now: float) -> None:
        moment = datetime.fromtimestamp(now, UTC)
        today = moment.astimezone(ZoneInfo(self.zone)).date()
        offers = await storage.live_offers(None, today)
        events = await storage.upcoming_events(None, moment)
        made = [offer_item(o, image_path(o)) for o in offers]
        made += [item for item in map(event_item, events) if item is not None]
        self.install(made)

    async def run(
        self,
        storage: Storage,
        stop: asyncio.Event,
        clock: Callable[[], float],
        interval: float = JOINT_INTERVAL,
    ) -> None:
        """Read the board again every ``interval`` seconds until ``stop`` is set."""
        while not await stopped(stop, interval):
            try:
                await self.load(storage, clock())
            except StorageError as exc:  # the last board keeps serving
                log.warning("joint offers and events not read", extra={"error": str(exc)})


def receivers(item: JointItem, host_id: int, snapshot: Snapshot) -> tuple[int, ...]:
    """Whom the slot credits on ``host_id``'s page: its participants other than the host
    that are still members (not removed), each once, in id order."""
    found = set()
    for member_id in item.members:
        member = snapshot.members.record(member_id)
        if member_id != host_id and member is not None and member.status != "removed":
            found.add(member_id)
    return tuple(sorted(found))


@dataclass(frozen=True)
class Chosen:
    item: JointItem
    receivers: tuple[int, ...]


def choose(
    board: JointBoard,
    snapshot: Snapshot,
    placement: Placement,
    show: Sequence[str],
    bucket: int,
    key: bytes,
) -> Chosen | None:
    """The slot of one host's block in one bucket, or None (nothing asked for or live).

    Round-robin over the candidates from a keyed point per (theme, host): over
    any run of n buckets each of the n candidates is shown once on every host.
    """
    if not show:
        return None
    host = placement.member_id
    candidates = []
    for item in board.themes.get(placement.theme_id, ()):
        if item.kind not in show:
            continue
        gets = receivers(item, host, snapshot)
        # An offer (or event) of the host alone would be the host advertising itself.
        if not gets and (item.kind == "offer" or item.members):
            continue
        candidates.append(Chosen(item, gets))
    if not candidates:
        return None
    start = keyed_hash(key, "slot", placement.theme_id, host)
    return candidates[(start + bucket) % len(candidates)]


def place(partners: tuple[Slot, ...], max_partners: int) -> tuple[tuple[Slot, ...], int]:
    """The partners kept beside the slot, and the slot's 1-based position (last)."""
    if max_partners >= 2 and len(partners) >= max_partners:
        partners = partners[: max_partners - 1]
    return partners, len(partners) + 1


def view_entries(
    partners: tuple[Slot, ...], chosen: Chosen | None, position: int
) -> list[tuple[int, int, int]]:
    """What the block's view tokens name: (member, position, share) per credited card.

    A partner's share is 1 when it counts in the ledger, 0 when not (a pin that
    does not count); each of the slot's n receivers has share n, meaning 1/n of
    the position's exposure (``counting.events.credit_view``).
    """
    flat = [(s.member_id, s.position, int(s.counts)) for s in partners]
    if chosen is not None:
        n = len(chosen.receivers)
        flat += [(member_id, position, n) for member_id in chosen.receivers]
    return flat


def _short(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= DESCRIPTION_LIMIT:
        return text
    return text[: DESCRIPTION_LIMIT - 1].rstrip() + "…"


def meta_text(item: JointItem, lang: str, zone: str) -> str:
    """The card's second meta part: until when an offer runs, when and where an event is."""
    if item.kind == "offer" and item.until is not None:
        return days_text(None, item.until, lang)  # core/dates.py: as on every page
    if item.starts_at is not None:
        when = moment_text(item.starts_at, ZoneInfo(zone), lang)
        return f"{when}, {item.town}" if item.town.strip() else when
    return ""


def slot_card(
    chosen: Chosen, *, lang: str, zone: str, url: str, base_url: str, rel: str
) -> dict[str, Any]:
    """The slot as a partner-shaped card of the block (member text raw, escaped later)."""
    item = chosen.item
    detail = " – ".join(s for s in (item.detail.strip(), _short(item.text)) if s)
    return {
        "name": item.title,
        "description": _short(detail),
        "category": translator(lang).gettext(LABELS[item.kind]),
        "town": meta_text(item, lang, zone),
        "url": url,
        "logo": f"{base_url}{item.image}" if item.image else None,
        "rel": rel,
        "kind": item.kind,
    }


def target(item: JointItem | None, base_url: str, theme_slug: str | None) -> str | None:
    """Where a click on the slot leads: an offer's page; an event's registration, else its
    place on the theme page. None when the item is gone (the caller looks further)."""
    if item is None:
        return None
    if item.kind == "offer":
        return f"{base_url}/o/{item.slug}"
    if item.registration_url:
        return item.registration_url
    return f"{base_url}/t/{theme_slug}#event-{item.slug}" if theme_slug else None


@dataclass(frozen=True)
class Attached:
    """A block's partners beside its slot, the slot (None: none), and what its view
    tokens name (``view_entries``)."""

    partners: tuple[Slot, ...]
    chosen: Chosen | None
    shown: list[tuple[int, int, int]]


def attach(
    board: JointBoard,
    snapshot: Snapshot,
    placement: Placement,
    show: Sequence[str],
    partners: tuple[Slot, ...],
    bucket: int,
    key: bytes,
) -> Attached:
    """The drawn partners and the slot of one block (the partners unchanged without one)."""
    chosen = choose(board, snapshot, placement, show, bucket, key)
    position = 0
    if chosen is not None:
        partners, position = place(partners, placement.options.max_partners)
    return Attached(partners, chosen, view_entries(partners, chosen, position))


def counted_card(
    chosen: Chosen,
    *,
    signer: Signer,
    placement_id: int,
    bucket: int,
    lang: str,
    zone: str,
    base_url: str,
    rel: str,
) -> dict[str, Any]:
    """The slot's card with its counted click link (``/c/``, a slot click token)."""
    item = chosen.item
    token = signer.slot_click_token(placement_id, bucket, KIND_CODES[item.kind], item.id)
    return slot_card(
        chosen, lang=lang, zone=zone, url=f"{base_url}/c/{token}", base_url=base_url, rel=rel
    )


def drawn_block(
    board: JointBoard,
    snapshot: Snapshot,
    placement: Placement,
    display: Display,
    slots: tuple[Slot, ...],
    *,
    rules: Rules,
    rotation: Rotation,
    signer: Signer,
    key: bytes,
    base_url: str,
) -> Drawn:
    """What a placement's block shows now: the drawn partners and, when the display asks
    for a joint slot, its counted card (``extra``) in place of the last partner; what
    the /w/ endpoints join from parts and the API's blocks build as a dict."""
    attached = attach(board, snapshot, placement, display.show, slots, rotation.bucket, key)
    extra = None
    if attached.chosen is not None:
        extra = counted_card(
            attached.chosen,
            signer=signer,
            placement_id=placement.id,
            bucket=rotation.bucket,
            lang=display.lang,
            zone=board.zone,
            base_url=base_url,
            rel=rules.links.rel,
        )
    return Drawn(attached.partners, extra, rules, rotation, attached.shown)


def block_dict(
    snapshot: Snapshot,
    placement: Placement,
    display: Display,
    drawn: Drawn,
    *,
    signer: Signer,
    base_url: str,
) -> dict[str, Any]:
    """A drawn block (``drawn_block``) as ``build_block``'s dict, with its joint slot's
    card appended when it has one (a block with a slot is no fallback)."""
    block = build_block(
        snapshot,
        placement,
        display,
        slots=drawn.partners,
        rules=drawn.rules,
        rotation=drawn.rotation,
        signer=signer,
        base_url=base_url,
    )
    if drawn.extra is not None:
        block["partners"].append(drawn.extra)
        block["fallback"] = False
    return block


def cache_key(key: tuple[object, ...], display: Display, board: JointBoard) -> tuple[object, ...]:
    """A rendered block's cache key; with a slot asked for, the board's version too (offers
    and events change without a snapshot version)."""
    return (*key, board.version) if display.show else key
