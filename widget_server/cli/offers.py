"""``widget-server offer [list|approve|decline|remove]``: joint offers (docs/offers.md).

What a coordinator does in the admin's "Angebote", from the command line.
Members propose and confirm offers in their portal or with their API key.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any, Literal

from widget_server.cli.common import UsageError, emit
from widget_server.core.models import OFFER_STATUSES, Offer
from widget_server.core.settings import Settings
from widget_server.network import audit, offers
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
    }


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


async def cmd_offer_decide(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    offer = await storage.offer_by_slug(args.slug)
    if offer is None:
        raise UsageError(f"no offer {args.slug!r} (list them: widget-server offer list)")
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
