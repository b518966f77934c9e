"""Admin: the network's joint offers; approving, declining, removing and changing them.

Offers waiting for the coordinators (their theme says ``portal.approve_offers``
and every participant has confirmed, or confirmations are still missing) come
first.  "approve" records the approval (the offer goes live once every
participant has confirmed), "decline" and "remove" close it for good.  Every
decision is written to the audit log; the forms carry the session's CSRF token
like every admin form (AdminGuard).  A coordinator changes an open offer on its
own page (``offer_edits.py``): a material change asks every participant to
confirm again; the approval, theirs, stays.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import ConflictError, NotFoundError
from widget_server.core.models import Offer
from widget_server.network import audit, offers
from widget_server.web.endpoints import offer_forms
from widget_server.web.endpoints.admin.base import actor, lang_of, render
from widget_server.web.endpoints.guards import form_of, form_text, redirect
from widget_server.web.endpoints.offer_page import today_of
from widget_server.web.runtime import runtime_of

ACTIONS = ("approve", "decline", "remove")
# Order of the list: what needs the coordinators first, what is over last.
ORDER = ("approval", "waiting", "live", "scheduled", "ended", "declined", "removed")


async def offers_page(
    request: Request, *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    storage = runtime_of(request).storage
    lang, today = lang_of(request), today_of(request)
    themes = {t.id: t for t in await storage.list_themes()}
    rows: list[dict[str, Any]] = []
    for offer in await storage.list_offers():
        row = await offer_forms.row(storage, offer, themes, lang, today)
        row["can_approve"] = row["open"] and not offer.approved_at
        rows.append(row)
    rows.sort(key=lambda r: ORDER.index(r["state"]))
    return render(
        request,
        "offers.html",
        {
            "section": "offers",
            "rows": rows,
            "errors": errors or {},
            "member_link": lambda slug: request.url_for("admin_member", slug=slug).path,
        },
        status=status,
    )


async def decide(request: Request) -> Response:
    storage = runtime_of(request).storage
    action = form_text(form_of(request), "action")
    offer_id = request.path_params["offer_id"]
    if action not in ACTIONS:
        return await offers_page(request, errors={"offer": "no_change"}, status=422)
    offer = await storage.get_offer(offer_id) if 0 < offer_id <= offers.MAX_ID else None
    if offer is None:
        return await offers_page(request, errors={"offer": "no_change"}, status=404)
    try:
        if action == "approve":
            revision = offer_forms.revision_of(form_of(request))
            offer = await offers.approve(storage, offer.id, actor(request), revision)
        else:
            offer = await offers.close(
                storage, offer.id, "declined" if action == "decline" else "removed"
            )
    except ConflictError as exc:
        reason = "stale_offer" if str(exc) == "stale_offer" else "offer_closed"
        return await offers_page(request, errors={"offer": reason}, status=409)
    subject = f"offer:{offer.slug}"
    await audit.record(storage, actor(request), f"offer.{action}", subject, offers.describe(offer))
    return redirect(request, "admin_offers", done=f"offer_{action}")


async def _open_offer(request: Request) -> Offer:
    """The open offer named in the path; a 404 page for none, a 409 list for a closed one."""
    offer_id = request.path_params["offer_id"]
    if not 0 < offer_id <= offers.MAX_ID:
        raise NotFoundError(f"no offer {offer_id}")
    return await runtime_of(request).storage.get_offer(offer_id)


def _page(request: Request) -> offer_forms.EditPage:
    # The coordinators remove an offer on the list: no "end" form here.
    return offer_forms.EditPage(
        render, "admin_offer_save", None, "admin_offers", None, actor(request)
    )


async def edit_page(request: Request) -> Response:
    offer = await _open_offer(request)
    if offer.status not in ("proposed", "active"):
        return await offers_page(request, errors={"offer": "offer_closed"}, status=409)
    return await _page(request).form(request, offer)


async def save(request: Request) -> Response:
    async def closed() -> Response:
        return await offers_page(request, errors={"offer": "offer_closed"}, status=409)

    return await _page(request).save(request, await _open_offer(request), closed)
