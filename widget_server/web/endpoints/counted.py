"""The counted endpoints of a shown block: ``POST /v/{token}`` (the served exchange and the
view beacon) and ``GET /c/{token}`` (a partner's or the joint slot's link, counted, then
redirected to a destination taken from our data, never from the URL).

The block endpoints that make the tokens are in web/endpoints/widget.py; what counts
is decided in counting/ (intake.py, served.py).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from widget_server.core.errors import BadTokenError, NotFoundError
from widget_server.core.signing import ClickClaim
from widget_server.counting.served import exchange
from widget_server.serving import slots as joint
from widget_server.serving.blocks import (
    directory_path,
    with_utm,
)
from widget_server.serving.snapshot import Snapshot
from widget_server.web.endpoints.widget import CORS, NOSNIFF, unknown_embed
from widget_server.web.problems import problem
from widget_server.web.runtime import Runtime, runtime_of


async def view(request: Request) -> Response:
    """Both exchanges of a shown block, told apart by the token's shape.

    A served token (from the cacheable body) counts the block as served and is
    answered with a one-time view token; a view token is the view beacon, answered
    the same way whether it was counted or not.
    """
    runtime = runtime_of(request)
    assert runtime.snapshots is not None and runtime.counting is not None
    token = request.path_params["token"]
    user_agent = request.headers.get("user-agent", "")
    if runtime.signer is not None and runtime.signer.is_served_token(token):
        found = exchange(runtime.counting, token, runtime.snapshots.current, user_agent)
        return exchange_response(runtime.base_url(request), found.view_token, found.reason)
    await runtime.counting.view(
        token,
        runtime.snapshots.current,
        address=request.client.host if request.client else "",
        user_agent=user_agent,
        origin=request.headers.get("origin") or request.headers.get("referer"),
    )
    return Response(status_code=204, headers={**CORS, "Cache-Control": "no-store"})


def exchange_response(base_url: str, view_token: str | None, reason: str | None) -> Response:
    """``{"view": URL}`` for the view beacon; a problem when the served token is not ours."""
    headers = {**CORS, "Cache-Control": "no-store"}
    if view_token is None:
        if reason == "unknown":
            answer = unknown_embed()
        else:
            text = (
                "This block's view link is not valid."
                if reason == "bad-token"
                else ("This block's view link has expired.")
            )
            answer = problem(400, reason or "bad-token", "Invalid view link", text)
        answer.headers.update(headers)
        return answer
    body = json.dumps({"view": f"{base_url}/v/{view_token}"}, separators=(",", ":")).encode()
    return Response(body, media_type="application/json", headers={**headers, **NOSNIFF})


async def click(request: Request) -> Response:
    """Follow a partner link: the destination comes from our data, never from the URL."""
    runtime = runtime_of(request)
    assert runtime.signer is not None and runtime.snapshots is not None
    try:
        claim = runtime.signer.read_click_token(
            request.path_params["token"], runtime.settings.click_token_max_age
        )
    except BadTokenError:
        return problem(400, "bad-token", "Invalid link", "This partner link is not valid.")
    snapshot = runtime.snapshots.current
    assert runtime.counting is not None
    if claim.slot is not None:
        return await _slot_click(request, runtime, snapshot, claim)
    await runtime.counting.click(
        claim,
        snapshot,
        address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )
    partner = snapshot.members.get(claim.partner_id)
    if partner is None:
        # Created after this snapshot?  Ask the database before giving up.
        try:
            partner = await runtime.storage.get_member_by_id(claim.partner_id)
        except NotFoundError:
            partner = None
    base_url = runtime.base_url(request)
    placement = snapshot.placements.get(claim.placement_id)
    theme = snapshot.themes.get(placement.theme_id) if placement else None
    if partner is not None and partner.status != "removed":
        target = partner.website
        host = snapshot.members.get(placement.member_id) if placement else None
        if theme is not None and host is not None:
            utm = dict(snapshot.pools[theme.id].rules.links.utm)
            target = with_utm(target, utm, theme=theme.slug, host=host.slug)
    else:
        target = base_url + (directory_path(theme.slug, "de") if theme else "/")
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})


async def _slot_click(
    request: Request, runtime: Runtime, snapshot: Snapshot, claim: ClickClaim
) -> Response:
    """A click on a block's joint slot: counted for its receivers as a partner click is,
    then on to the offer's page or the event's registration (or its theme page entry)."""
    assert claim.slot is not None and runtime.counting is not None
    code, ref = claim.slot
    kind = joint.KINDS_BY_CODE.get(code)
    item = runtime.joint.items.get((kind, ref)) if kind else None
    placement = snapshot.placements.get(claim.placement_id)
    theme = snapshot.themes.get(placement.theme_id) if placement else None
    gets = joint.receivers(item, placement.member_id, snapshot) if item and placement else ()
    await runtime.counting.click(
        claim,
        snapshot,
        address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
        receivers=gets,
    )
    base_url = runtime.base_url(request)
    found = joint.target(item, base_url, theme.slug if theme else None)
    if found is None and kind is not None:  # ended since the block was made: ask the database
        found = await _ended_target(runtime, kind, ref, base_url, theme.slug if theme else None)
    target = found or base_url + (directory_path(theme.slug, "de") if theme else "/")
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})


async def _ended_target(
    runtime: Runtime, kind: str, ref: int, base_url: str, theme_slug: str | None
) -> str | None:
    try:
        if kind == "offer":
            offer = await runtime.storage.get_offer(ref)
            return f"{base_url}/o/{offer.slug}"
        event = await runtime.storage.get_event(ref)
    except NotFoundError:
        return None
    return joint.target(joint.event_item(event), base_url, theme_slug)
