"""Admin: the network's joint offers; approving, declining and removing them.

Offers waiting for the coordinators (their theme says ``portal.approve_offers``
and every participant has confirmed, or confirmations are still missing) come
first.  "approve" records the approval (the offer goes live once every
participant has confirmed), "decline" and "remove" close it for good.  Every
decision is written to the audit log; the forms carry the session's CSRF token
like every admin form (AdminGuard).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import ConflictError
from widget_server.network import audit, offers
from widget_server.web.endpoints.admin.base import actor, lang_of, render
from widget_server.web.endpoints.guards import form_of, form_text, redirect
from widget_server.web.endpoints.offer_page import day_text, today_of
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
        people = await offers.members_of(storage, offer)
        state = offers.state(offer, today)
        rows.append(
            {
                "offer": offer,
                "state": state,
                "theme": themes[offer.theme_id].name(lang) if offer.theme_id in themes else "",
                "people": list(zip(people, (p.confirmed for p in offer.participants), strict=True)),
                "days": (day_text(offer.valid_from, lang), day_text(offer.valid_until, lang)),
                "image": offers.image_path(offer),
                "page": offers.page_path(offer, lang),
                "can_approve": offer.status in ("proposed", "active") and not offer.approved_at,
                "open": offer.status in ("proposed", "active"),
            }
        )
    rows.sort(key=lambda r: ORDER.index(r["state"]))
    return render(
        request,
        "offers.html",
        {"section": "offers", "rows": rows, "errors": errors or {}},
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
            offer = await offers.approve(storage, offer.id, actor(request))
        else:
            offer = await offers.close(
                storage, offer.id, "declined" if action == "decline" else "removed"
            )
    except ConflictError:
        return await offers_page(request, errors={"offer": "offer_closed"}, status=409)
    subject = f"offer:{offer.slug}"
    await audit.record(storage, actor(request), f"offer.{action}", subject, offers.describe(offer))
    return redirect(request, "admin_offers", done=f"offer_{action}")
