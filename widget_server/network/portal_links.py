"""Portal links: a signed, expiring, revocable link that opens a member's portal (docs/portal.md).

``/portal/{token}``; the token is signed with ``signing.SALT_PORTAL`` and names
the member id, the link's expiry and a random link id.  The link id is stored
(``portal_links``, storage/access.py) when the link is made: a link counts
only while its row exists, so removing a member ends its links at once and a
coordinator can end them all (``revoke``).  Links last ``DEFAULT_DAYS``, at most
``MAX_DAYS``.  Opening one starts a portal session (``endpoints/portal/base.py``).
The admin makes links (``admin/members.py``), and so does
``widget-server portal-link MEMBER [--days N] [--base-url URL] [--revoke]``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from widget_server.core.errors import BadTokenError, ValidationError
from widget_server.core.signing import SALT_PORTAL, Signer
from widget_server.storage import Storage

DAY = 86_400
DEFAULT_DAYS = 7
MAX_DAYS = 30


@dataclass(frozen=True)
class PortalLink:
    member_id: int
    expires: float  # Unix time
    url: str

    @property
    def expires_iso(self) -> str:
        return datetime.fromtimestamp(self.expires, UTC).isoformat(timespec="minutes")


def check_days(days: int) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError("days", f"{days} is not between 1 and {MAX_DAYS}")
    return days


def portal_link(
    signer: Signer, member_id: int, days: int, now: float, base_url: str, link_id: str = ""
) -> PortalLink:
    """The signed link (pure); ``issue_link`` also stores it, which makes it valid."""
    expires = int(now + check_days(days) * DAY)
    token = signer.dumps(SALT_PORTAL, {"m": member_id, "e": expires, "k": link_id})
    return PortalLink(member_id, float(expires), f"{base_url.rstrip('/')}/portal/{token}")


async def issue_link(
    storage: Storage, signer: Signer, member_id: int, days: int, now: float, base_url: str
) -> PortalLink:
    """A new portal link for the member, valid from now until it expires or is revoked."""
    link_id = secrets.token_urlsafe(12)
    link = portal_link(signer, member_id, days, now, base_url, link_id)
    await storage.add_portal_link(link_id, member_id, link.expires)
    return link


async def revoke(storage: Storage, member_id: int) -> int:
    """End every portal link and portal session of the member; the number of links ended."""
    return await storage.revoke_portal_access(member_id)


@dataclass(frozen=True)
class PortalClaim:
    """What a valid portal token says: whose portal, until when, and which link."""

    member_id: int
    expires: float  # Unix time
    link_id: str = ""


def read_portal_claim(signer: Signer, token: str, now: float) -> PortalClaim:
    """The member and expiry a portal token names; ``BadTokenError`` when forged or expired.

    The error's message says "expired" for a genuine link past its time, so the
    portal can tell the member which of the two happened.  Whether the link was
    revoked is ``storage.portal_link_active``'s to say.
    """
    data: Any = signer.loads(SALT_PORTAL, token, max_age=MAX_DAYS * DAY)
    if not isinstance(data, dict):
        raise BadTokenError("portal token is not valid")
    member_id, expires, link_id = data.get("m"), data.get("e"), data.get("k", "")
    if not isinstance(member_id, int) or isinstance(member_id, bool) or member_id < 1:
        raise BadTokenError("portal token is not valid")
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise BadTokenError("portal token is not valid")
    if not isinstance(link_id, str):
        raise BadTokenError("portal token is not valid")
    if expires <= now:
        raise BadTokenError("token has expired")
    return PortalClaim(member_id, float(expires), link_id)


def read_portal_token(signer: Signer, token: str, now: float) -> int:
    """The member id a portal token names; ``BadTokenError`` when forged or expired."""
    return read_portal_claim(signer, token, now).member_id
