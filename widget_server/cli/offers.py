"""``widget-server offer [list|show|edit|approve|decline|remove]``: joint offers.

What a coordinator does in the admin's "Angebote", from the command line
(docs/offers.md).  Members propose and confirm offers in their portal or with
their API key.  ``edit`` changes an offer as a coordinator does in the admin:
a new text, price, days or participants asks every participant to confirm
again (mailed when mail is set up); it names the ``--revision`` it is made on.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from widget_server.cli.common import UsageError, aligned, emit
from widget_server.cli.mail import _mailer
from widget_server.core.dates import days_text
from widget_server.core.models import OFFER_STATUSES, Offer
from widget_server.core.settings import Settings
from widget_server.mail import notices
from widget_server.network import audit, offer_edits, offers
from widget_server.network.offer_edits import OfferChanges
from widget_server.storage import Storage


def add_arguments(sub: argparse._SubParsersAction, add: Any) -> None:  # type: ignore[type-arg]
    group = sub.add_parser(
        "offer",
        help="list joint offers; approve, decline or remove one",
        description="Joint offers of members (docs/offers.md). Without an action: list them.",
    )
    group.set_defaults(func=cmd_offer_list, theme=None, status=None)
    group.add_argument("--json", action="store_true", help="print JSON")
    osub = group.add_subparsers(dest="action", metavar="ACTION")
    p = add(osub, "list", cmd_offer_list, "list every offer with its state (the default action)")
    p.add_argument("--theme", help="only this theme's offers (its slug)")
    p.add_argument("--status", choices=OFFER_STATUSES, help="only offers with this status")
    p = add(osub, "show", cmd_offer_show, "show one offer with its participants")
    p.add_argument("slug", help="the offer's slug, e.g. hochzeitspaket")
    p = add(
        osub,
        "edit",
        cmd_offer_edit,
        "change an offer (only the options given); a new text, price, days or participants"
        " asks every participant to confirm again",
    )
    p.add_argument("slug", help="the offer's slug, e.g. hochzeitspaket")
    p.add_argument("--title", help="the title (at most 120 characters)")
    p.add_argument("--text", help="the description; an empty line starts a paragraph")
    p.add_argument("--price-text", help="price or discount in words, e.g. '10 %% off together'")
    p.add_argument("--valid-from", help="the first day, YYYY-MM-DD")
    p.add_argument("--valid-until", help="the last day, YYYY-MM-DD (at most a year on)")
    p.add_argument(
        "--participant",
        action="append",
        metavar="SLUG",
        help="a member taking part besides the proposer (repeatable; replaces the others)",
    )
    p.add_argument("--image", metavar="FILE", help="a new image: PNG, JPEG, WebP or GIF file")
    p.add_argument("--remove-image", action="store_true", help="remove the offer's image")
    p.add_argument(
        "--revision",
        type=int,
        help="the revision the change is made on (see show); refused if the offer changed"
        " since (default: the current one)",
    )
    p.add_argument("--author", default="cli", help="who changes it, as the audit log names it")
    for action, text in (
        ("approve", "approve an offer (it goes live once every participant confirmed)"),
        ("decline", "decline a waiting offer for good"),
        ("remove", "take an offer down for good"),
    ):
        p = add(osub, action, cmd_offer_decide, text)
        p.set_defaults(decision=action)
        p.add_argument("slug", help="the offer's slug, e.g. hochzeitspaket")
        p.add_argument("--author", default="cli", help="who decides, as the audit log names it")


async def _row(storage: Storage, offer: Offer) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    slugs = {m.id: m.slug for m in await offers.members_of(storage, offer)}
    return {
        "slug": offer.slug,
        "title": offer.title,
        "state": offers.state(offer, today),
        "valid_from": offer.valid_from.isoformat(),
        "valid_until": offer.valid_until.isoformat(),
        "participants": [
            {"member": slugs[p.member_id], "confirmed": p.confirmed} for p in offer.participants
        ],
        "price_text": offer.price_text,
        "text": offer.text,
        "image_url": offers.image_path(offer),
        "revision": offer.revision,
    }


async def _offer(storage: Storage, slug: str) -> Offer:
    offer = await storage.offer_by_slug(slug)
    if offer is None:
        raise UsageError(f"no offer {slug!r} (list them: widget-server offer list)")
    return offer


def _line(row: dict[str, Any]) -> str:
    people = ", ".join(
        p["member"] + ("" if p["confirmed"] else " (unconfirmed)") for p in row["participants"]
    )
    days = f"{row['valid_from']}..{row['valid_until']}"
    return f"{row['slug']:<32} {row['state']:<10} {days}  {people}"


async def cmd_offer_list(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    theme_id = (await storage.get_theme(args.theme)).id if args.theme else None
    found = await storage.list_offers(theme_id=theme_id, status=args.status)
    rows = [await _row(storage, o) for o in found]
    emit(args, rows, "\n".join(_line(r) for r in rows) or "no offers")
    return 0


async def cmd_offer_show(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    offer = await _offer(storage, args.slug)
    row = await _row(storage, offer)
    people = ", ".join(
        p["member"] + ("" if p["confirmed"] else " (unconfirmed)") for p in row["participants"]
    )
    days = days_text(offer.valid_from, offer.valid_until, settings.language)
    fields = [
        ("state", row["state"]),
        ("valid", days),
        ("price", offer.price_text),
        ("text", offer.text or "-"),
        ("members", people),
        ("image", row["image_url"] or "-"),
        ("revision", str(offer.revision)),
    ]
    emit(args, row, "\n".join([offer.title, *aligned(fields)]))
    return 0


async def cmd_offer_edit(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    offer = await _offer(storage, args.slug)
    image = None
    if args.image is not None:
        if args.remove_image:
            raise UsageError("--image and --remove-image exclude each other")
        try:
            image = Path(args.image).read_bytes()  # noqa: ASYNC240  (a small local file)
        except OSError as exc:
            raise UsageError(f"cannot read image file {args.image!r}: {exc.strerror}") from None
    participants = None
    if args.participant is not None:
        participants = [p for p in args.participant if p.strip()]
    changes = OfferChanges(
        title=args.title,
        text=args.text,
        price_text=args.price_text,
        valid_from=args.valid_from,
        valid_until=args.valid_until,
        participants=participants,
        image=image,
        remove_image=args.remove_image,
    )
    if changes == OfferChanges():
        raise UsageError("nothing to change: give at least one option, e.g. --price-text")
    revision = offer.revision if args.revision is None else args.revision
    today = datetime.now(UTC).date()
    edit = await offer_edits.edit(storage, offer.id, changes, revision, today=today, editor=None)
    if edit.changed:
        detail = edit.describe()
        await audit.record(storage, args.author, "offer.edit", f"offer:{offer.slug}", detail)
        asked = offer_edits.asked_again(edit, None)
        if asked:  # queued when mail is set up (the mailer says no otherwise)
            members = await offers.members_of(storage, edit.after)
            mailer = await _mailer(storage, settings)
            await notices.offer_changed(mailer, edit.after, members, asked, None)
    row = await _row(storage, edit.after)
    said = "asks every participant to confirm again" if edit.material else "saved"
    text = f"Offer {offer.slug} {said} (revision {edit.after.revision})."
    emit(args, row, text if edit.changed else f"Offer {offer.slug}: nothing changed.")
    return 0


async def cmd_offer_decide(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    offer = await _offer(storage, args.slug)
    decision: Literal["approve", "decline", "remove"] = args.decision
    if decision == "approve":
        offer = await offers.approve(storage, offer.id, args.author)
    else:
        offer = await offers.close(
            storage, offer.id, "declined" if decision == "decline" else "removed"
        )
    subject = f"offer:{offer.slug}"
    await audit.record(storage, args.author, f"offer.{decision}", subject, offers.describe(offer))
    row = await _row(storage, offer)
    emit(args, row, _line(row))
    return 0
