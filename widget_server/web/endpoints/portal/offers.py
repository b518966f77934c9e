"""Portal: joint offers the member proposes, changes, ends, confirms or withdraws.

The page lists every offer the member takes part in with its state and who
has confirmed, and a form to propose a new one with members of its themes.
The proposer changes its open offers on their own page (``offer_edits.py``).
A member acts only on offers it takes part in (``offers.offer_of``): any other
offer id is a 404 page, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.collation import sorted_german
from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.core.i18n import translator
from widget_server.core.models import Member, Offer, Theme
from widget_server.mail import notices
from widget_server.network import audit, offer_edits, offers
from widget_server.network.logos import MAX_BYTES
from widget_server.storage import Storage
from widget_server.web.endpoints import offer_forms
from widget_server.web.endpoints.guards import form_of, form_text, redirect
from widget_server.web.endpoints.offer_page import today_of
from widget_server.web.endpoints.portal.base import actor, lang_of, member_of, render
from widget_server.web.runtime import mailer_of, runtime_of


async def active_themes(
    storage: Storage, member: Member, chosen: Collection[str] = ()
) -> list[tuple[Theme, list[Member], int]]:
    """The themes the member takes part in, each with its other active members to tick
    and how many there are (``offer_forms.theme_others``)."""
    themes = {t.id: t for t in await storage.list_themes()}
    found = []
    for ms in await storage.list_memberships(member_id=member.id):
        if ms.status != "active" or ms.theme_id not in themes:
            continue
        others, total = await offer_forms.theme_others(storage, ms.theme_id, member.id, chosen)
        found.append((themes[ms.theme_id], others, total))
    return sorted_german(found, key=lambda group: group[0].name_de)


async def offer_rows(request: Request, storage: Storage, member: Member) -> list[dict[str, Any]]:
    lang, today = lang_of(request), today_of(request)
    themes = {t.id: t for t in await storage.list_themes()}
    rows = []
    for offer in await storage.list_offers(member_id=member.id):
        row = await offer_forms.row(storage, offer, themes, lang, today)
        row["mine"] = next(p for p in offer.participants if p.member_id == member.id)
        rows.append(row)
    return rows


async def offers_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    storage = runtime_of(request).storage
    member = member_of(request)
    start, end = offers.default_days(today_of(request))
    defaults: dict[str, Any] = {
        "valid_from": start.isoformat(),
        "valid_until": end.isoformat(),
        "participants": [],
    }
    chosen = (values or {}).get("participants") or []
    themes = await active_themes(storage, member, chosen)
    t = translator(lang_of(request))
    note = t.gettext("the coordinators approve offers of this theme")
    groups = [
        (theme, others, note if await offers.approval_required(storage, theme) else "", total)
        for theme, others, total in themes
    ]
    context: dict[str, Any] = {
        "section": "offers",
        "rows": await offer_rows(request, storage, member),
        "themes": themes,
        "groups": groups,
        "values": {**defaults, **(values or {})},
        "errors": errors or {},
        "image_max_kb": MAX_BYTES // 1024,
    }
    return render(request, "offers.html", context, status=status)


async def propose(request: Request) -> Response:
    storage = runtime_of(request).storage
    member = member_of(request)
    form = form_of(request)
    changes, values = await offer_forms.changes_of(form)
    values["theme"] = form_text(form, "theme")
    proposal = offers.Proposal(
        theme=values["theme"],
        title=values["title"],
        text=values["text"],
        price_text=values["price_text"],
        valid_from=values["valid_from"],
        valid_until=values["valid_until"],
        participants=values["participants"],
        image=changes.image,
    )
    try:
        offer = await offers.propose(storage, member, proposal, today_of(request))
    except ValidationError as exc:
        return await offers_page(request, errors={exc.field: exc.reason}, values=values, status=422)
    await _audit(request, "offer.propose", offer)
    await notices.offer_proposed(mailer_of(request), offer, await offers.members_of(storage, offer))
    return redirect(request, "portal_offers", done="offer_proposed")


async def confirm(request: Request) -> Response:
    """``answer=yes`` confirms, ``answer=no`` withdraws the member's confirmation."""
    storage = runtime_of(request).storage
    member = member_of(request)
    form = form_of(request)
    answer = form_text(form, "answer")
    if answer not in ("yes", "no"):
        return await offers_page(request, errors={"offer": "no_change"}, status=422)
    try:
        offer = await offers.confirm(
            storage,
            request.path_params["offer_id"],
            member,
            answer == "yes",
            offer_forms.revision_of(form),
        )
    except ConflictError as exc:
        reason = "stale_offer" if str(exc) == "stale_offer" else "offer_closed"
        return await offers_page(request, errors={"offer": reason}, status=409)
    await _audit(request, "offer.confirm" if answer == "yes" else "offer.withdraw", offer)
    return redirect(
        request, "portal_offers", done="offer_confirmed" if answer == "yes" else "offer_withdrawn"
    )


async def _audit(request: Request, action: str, offer: Offer) -> None:
    storage = runtime_of(request).storage
    await audit.record(
        storage, actor(request), action, f"offer:{offer.slug}", offers.describe(offer)
    )


def _page(request: Request) -> offer_forms.EditPage:
    return offer_forms.EditPage(
        render,
        "portal_offer_save",
        "portal_offer_end",
        "portal_offers",
        member_of(request),
        actor(request),
    )


async def _own(request: Request) -> Offer:
    """The open offer the member proposed, named in the path; a 404 page for any other."""
    storage = runtime_of(request).storage
    offer = await offers.offer_of(storage, request.path_params["offer_id"], member_of(request))
    try:
        offer_edits.editable(offer, member_of(request))
    except ConflictError:
        raise NotFoundError(f"no offer {offer.id} to change") from None
    return offer


async def edit_page(request: Request) -> Response:
    return await _page(request).form(request, await _own(request))


async def save(request: Request) -> Response:
    """Store the proposer's change; a material one asks the others to confirm again."""

    async def closed() -> Response:
        return await offers_page(request, errors={"offer": "offer_closed"}, status=409)

    return await _page(request).save(request, await _own(request), closed)


async def end(request: Request) -> Response:
    """The proposer ends its offer early: taken down at once, for good."""
    storage = runtime_of(request).storage
    offer = await _own(request)
    ended = await offer_edits.end(storage, offer.id, member_of(request))
    await _audit(request, "offer.end", ended)
    return redirect(request, "portal_offers", done="offer_ended")
