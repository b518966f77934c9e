"""Admin: what the review of members' waiting profile changes shows.

The overview lists every waiting change and each member's page shows its
own, with the values before and after and a proposed logo (``changes.py``
holds the actions).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from widget_server.core.models import Member, ProfileChange
from widget_server.network import profile_changes
from widget_server.storage import Storage


def entry(request: Request, member: Member, change: ProfileChange) -> dict[str, Any]:
    """What the review shows of one change: its rows before/after, and its logo."""
    logo = None
    if change.logo is not None:
        url = request.url_for("admin_change_logo", slug=member.slug).path
        logo = {"url": f"{url}?revision={change.revision}", "logo": change.logo}
    rows = profile_changes.change_rows(member, change)
    return {"member": member, "change": change, "rows": rows, "logo": logo}


async def pending_entries(request: Request, storage: Storage) -> list[dict[str, Any]]:
    """Every waiting change (the overview)."""
    return [entry(request, m, c) for m, c in await profile_changes.pending_list(storage)]


async def member_entries(
    request: Request, storage: Storage, member: Member
) -> list[dict[str, Any]]:
    """The member's waiting change, if any (its page)."""
    change = await profile_changes.pending_change(storage, member)
    return [entry(request, member, change)] if change is not None else []
