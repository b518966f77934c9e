"""Joint offers in the REST API (network/offers.py, docs/api.md "Joint offers").

A member key proposes offers for its own member and confirms or withdraws its
own confirmation; it sees only the offers its member takes part in: any other
slug, existing or not, is a 403, so keys cannot probe what exists.  The member
that proposed an offer may end it early (decision ``remove``).  A coordinator
key sees every offer, acts on a member's behalf (``proposer``, ``?member=``),
and approves, declines or removes offers.  Changes and images: ``offer_edits.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import NotFoundError, ValidationError
from widget_server.core.models import OFFER_STATUSES, Member, Offer
from widget_server.mail import notices
from widget_server.network import audit, offer_edits, offers
from widget_server.network.keys import Principal
from widget_server.web.bodies import Body, Field
from widget_server.web.endpoints.api.base import Denied, answer, parse, query_choice, require
from widget_server.web.pagination import page_of, parse_page
from widget_server.web.runtime import mailer_of, runtime_of

DECISIONS = ("approve", "decline", "remove")
OFFER_CREATE = Body(
    "OfferCreate",
    (
        Field("theme", required=True, max_length=60, description="The theme's slug."),
        Field("title", required=True, max_length=offers.MAX_TITLE),
        Field("price_text", required=True, max_length=offers.MAX_PRICE),
        Field("text", max_length=offers.MAX_TEXT, description="Empty lines part paragraphs."),
        Field("valid_from", required=True, max_length=10, description="First day, YYYY-MM-DD."),
        Field("valid_until", required=True, max_length=10, description="Last day, YYYY-MM-DD."),
        Field(
            "participants",
            "array",
            required=True,
            max_length=offers.MAX_PARTICIPANTS,
            item_max_length=60,
            description="Slugs of the other members taking part (active in the theme).",
        ),
        Field(
            "proposer",
            max_length=60,
            description="Coordinator keys only: the member proposing (its confirmation"
            " comes with the proposal). A member key proposes for its own member.",
        ),
    ),
    "A joint offer; it goes live once every participant has confirmed it.",
)
OFFER_DECISION = Body(
    "OfferDecision",
    (Field("decision", required=True, enum=DECISIONS),),
    "approve: the coordinators' approval; decline, remove: closed for good (the member that"
    " proposed an offer may remove it with its own key: it ends the offer early).",
)


def today_of(request: Request) -> date:
    return datetime.fromtimestamp(runtime_of(request).clock(), UTC).date()


async def offer_view(request: Request, offer: Offer) -> dict[str, Any]:
    storage = runtime_of(request).storage
    slugs = {m.id: m.slug for m in await offers.members_of(storage, offer)}
    theme = next(t for t in await storage.list_themes() if t.id == offer.theme_id)
    state = offers.state(offer, today_of(request))
    return {
        "id": offer.id,
        "slug": offer.slug,
        "theme": theme.slug,
        "proposer": slugs[offer.proposer_id],
        "title": offer.title,
        "text": offer.text,
        "price_text": offer.price_text,
        "valid_from": offer.valid_from.isoformat(),
        "valid_until": offer.valid_until.isoformat(),
        "status": offer.status,
        "state": state,
        "needs_approval": offer.needs_approval,
        "approved_at": offer.approved_at,
        "participants": [
            {"member": slugs[p.member_id], "confirmed": p.confirmed} for p in offer.participants
        ],
        "image_url": offers.image_path(offer),
        "page_url": offers.page_path(offer) if state == "live" else None,
        "created_at": offer.created_at,
        "revision": offer.revision,
        "updated_at": offer.updated_at,
    }


async def _visible(request: Request, principal: Principal, slug: str) -> Offer:
    """The offer ``slug`` if the caller may see it.

    A member key gets the same 403 for an offer it takes no part in and for one
    that does not exist, so it cannot learn which offers exist.
    """
    offer = await runtime_of(request).storage.offer_by_slug(slug)
    if not principal.is_coordinator:
        own: Member = request.state.member
        if offer is None or own.id not in offer.member_ids:
            raise Denied(403, "a member key can only reach offers its member takes part in")
    if offer is None:
        raise NotFoundError(f"no offer {slug[:60]!r}")
    return offer


async def list_offers(request: Request) -> Response:
    """Offers, oldest first: every one for coordinators, its own member's for member keys."""
    principal = await require(request)
    storage = runtime_of(request).storage
    page = parse_page(request.query_params, "offers", int)
    status = query_choice(request, "status", OFFER_STATUSES)  # one of them, or None
    theme_id = None
    if (theme_slug := request.query_params.get("theme")) is not None:
        theme_id = (await storage.get_theme(theme_slug)).id
    member_id = None if principal.is_coordinator else request.state.member.id
    found = await storage.list_offers(
        theme_id=theme_id,
        member_id=member_id,
        status=status,  # type: ignore[arg-type]
    )
    ordered = sorted(
        (o for o in found if page.after is None or o.id > page.after), key=lambda o: o.id
    )
    shown, next_cursor = page_of(ordered[: page.limit + 1], page, "offers", lambda o: o.id)
    return answer(
        {"data": [await offer_view(request, o) for o in shown], "next_cursor": next_cursor}
    )


async def get_offer(request: Request) -> Response:
    principal = await require(request)
    return answer(await offer_view(request, await _visible(request, principal, _slug(request))))


async def create_offer(request: Request) -> Response:
    principal = await require(request)
    storage = runtime_of(request).storage
    data = await parse(request, OFFER_CREATE)
    if principal.is_coordinator:
        if not data.get("proposer"):
            raise ValidationError("proposer", "must name the proposing member")
        try:
            proposer = await storage.get_member(data["proposer"])
        except NotFoundError:
            raise ValidationError("proposer", f"{data['proposer'][:60]!r} is no member") from None
    else:
        if data.get("proposer") not in (None, request.state.member.slug):
            raise Denied(403, "a member key proposes for its own member only")
        proposer = request.state.member
    proposal = offers.Proposal(
        theme=data["theme"],
        title=data["title"],
        text=data.get("text", ""),
        price_text=data["price_text"],
        valid_from=data["valid_from"],
        valid_until=data["valid_until"],
        participants=data["participants"],
    )
    offer = await offers.propose(storage, proposer, proposal, today_of(request))
    await _audit(request, principal, "offer.propose", offer)
    await notices.offer_proposed(mailer_of(request), offer, await offers.members_of(storage, offer))
    return answer(
        await offer_view(request, offer), 201, headers={"Location": f"/api/v1/offers/{offer.slug}"}
    )


async def confirm(request: Request) -> Response:
    """PUT confirms, DELETE withdraws a participant's confirmation.

    A member key acts for its own member (``?member=`` may name it); a
    coordinator key names the member it acts for.
    """
    principal = await require(request)
    storage = runtime_of(request).storage
    named = request.query_params.get("member")
    if principal.is_coordinator:
        if not named:
            raise ValidationError("member", "must name the member whose confirmation this is")
        try:
            member = await storage.get_member(named)
        except NotFoundError:
            raise ValidationError("member", f"{named[:60]!r} is no member") from None
    else:
        member = request.state.member
        if named not in (None, member.slug):
            raise Denied(403, "a member key can only act for its own member")
    offer = await _visible(request, principal, _slug(request))
    yes = request.method == "PUT"
    raw = request.query_params.get("revision")
    if raw is not None and (not raw.isdigit() or len(raw) > 9):
        raise ValidationError("revision", f"{raw[:20]!r} is not a revision (?revision=3)")
    revision = int(raw) if raw is not None else None
    offer = await offers.confirm(storage, offer.id, member, yes, revision)
    await _audit(request, principal, "offer.confirm" if yes else "offer.withdraw", offer)
    return answer(await offer_view(request, offer))


async def decide(request: Request) -> Response:
    """A coordinator's decision; the proposer's member key may end its offer (``remove``)."""
    principal = await require(request)
    storage = runtime_of(request).storage
    offer = await _visible(request, principal, _slug(request))
    decision = (await parse(request, OFFER_DECISION))["decision"]
    if not principal.is_coordinator:
        member: Member = request.state.member
        if decision != "remove" or member.id != offer.proposer_id:
            raise Denied(403, "a member key may only end an offer its member proposed")
        offer = await offer_edits.end(storage, offer.id, member)
        await _audit(request, principal, "offer.end", offer)
        return answer(await offer_view(request, offer))
    if decision == "approve":
        offer = await offers.approve(storage, offer.id, f"key:{principal.key_id}")
    else:
        offer = await offers.close(
            storage, offer.id, "declined" if decision == "decline" else "removed"
        )
    await _audit(request, principal, f"offer.{decision}", offer)
    return answer(await offer_view(request, offer))


def _slug(request: Request) -> str:
    slug: str = request.path_params["slug"]
    return slug


async def _audit(request: Request, principal: Principal, action: str, offer: Offer) -> None:
    if principal.is_coordinator:
        actor = f"key:{principal.key_id}"
    else:
        actor = f"member:{request.state.member.slug}"
    storage = runtime_of(request).storage
    await audit.record(storage, actor, action, f"offer:{offer.slug}", offers.describe(offer))
