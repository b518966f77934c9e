"""Members of a theme found by name, for the event and offer forms of a large theme.

Past ``guards.PICK_ALL`` members a theme's participants are not listed as boxes
to tick (a box per member of a theme of 10,000 made a form of megabytes); more
are named by short name in a text field. With JavaScript the forms also find
them by name (``static/participants.js``) through these two JSON endpoints:

* ``GET /admin/themes/{slug}/participants?q=...`` for a coordinator;
* ``GET /portal/themes/{slug}/participants?q=...`` for a member, only of a
  theme it belongs to, and never itself.

``active=1`` finds only active members of an active membership (an offer's
participants); without it, every member of the theme who has not left and is
not removed (an event's, as its form lists them). A query of fewer than two
characters finds nobody; at most ``FOUND`` are answered, names beginning with
the query first, then in German order, with whether more would match.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from widget_server.core.collation import sorted_german
from widget_server.serving.snapshot import Snapshot
from widget_server.web.endpoints.portal.base import member_of
from widget_server.web.problems import problem
from widget_server.web.runtime import runtime_of

FOUND = 20  # members an answer names at most
MAX_QUERY = 100  # characters of a query
ON_LOOP = 2_000  # members of a theme searched on the event loop; more in a worker thread


def found_in(
    snapshot: Snapshot, theme_id: int, query: str, *, active: bool, leave_out: int = 0
) -> tuple[list[dict[str, str]], bool]:
    """The theme's members whose name or short name holds ``query`` (ignoring case),
    as ``{"slug", "name", "town"}``, and whether more than ``FOUND`` do."""
    needle = query.strip().casefold()
    if len(needle) < 2:
        return [], False
    records = snapshot.network.members.records
    hits = []
    for member_id, joined in snapshot.network.memberships.get(theme_id, {}).items():
        record = records.get(member_id)
        if record is None or member_id == leave_out:
            continue
        if active:
            if joined[0] != "active" or record.status != "active":
                continue
        elif joined[0] == "left" or record.status == "removed":
            continue
        name = record.name
        folded = name.casefold()
        if needle in folded or needle in record.slug:
            hits.append((not folded.startswith(needle), name, record))
    starting = sorted_german([h for h in hits if not h[0]], key=lambda h: h[1])
    others = sorted_german([h for h in hits if h[0]], key=lambda h: h[1])
    shown = (starting + others)[:FOUND]
    found = [{"slug": r.slug, "name": name, "town": r.town} for _, name, r in shown]
    return found, len(hits) > FOUND


async def _answer(request: Request, *, leave_out: int = 0, member_themes: bool = False) -> Response:
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    snapshot = runtime.snapshots.current
    slug = request.path_params["slug"]
    theme = snapshot.themes_by_slug.get(slug)
    if theme is not None and member_themes:
        members = snapshot.network.memberships.get(theme.id)
        status = members.status(leave_out) if members is not None else None
        if status is None or status == "left":
            theme = None  # not a theme of this member's: as unknown as any other
    if theme is None:
        return problem(404, "unknown-theme", "Unknown theme", f"No theme {slug!r} to search.")
    query = request.query_params.get("q", "")[:MAX_QUERY]
    active = request.query_params.get("active") == "1"
    size = len(snapshot.network.memberships.get(theme.id, {}))

    def search() -> tuple[list[dict[str, str]], bool]:
        return found_in(snapshot, theme.id, query, active=active, leave_out=leave_out)

    found, more = search() if size <= ON_LOOP else await asyncio.to_thread(search)
    body: dict[str, Any] = {"members": found, "more": more}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


async def admin_participants(request: Request) -> Response:
    """A coordinator's search of any theme's members."""
    return await _answer(request)


async def portal_participants(request: Request) -> Response:
    """A member's search of the members of a theme it belongs to, itself left out."""
    return await _answer(request, leave_out=member_of(request).id, member_themes=True)
