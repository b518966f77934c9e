"""Portal links: a signed, expiring link that opens a member's portal (docs/portal.md).

``/portal/{token}``; the token is signed with ``signing.SALT_PORTAL`` and names
the member id and the link's expiry.  Nothing is stored: a link is valid
until it expires (at most ``MAX_DAYS``), for as long as the member is not
removed.  Opening it starts a portal session (``endpoints/portal.py``).  The
admin makes links (``admin_members``), and so does
``widget-server portal-link MEMBER [--days N] [--base-url URL]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from widget_server.core.errors import BadTokenError, ValidationError
from widget_server.core.signing import SALT_PORTAL, Signer

if TYPE_CHECKING:
    pass

DAY = 86_400
DEFAULT_DAYS = 14
MAX_DAYS = 90


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


def portal_link(signer: Signer, member_id: int, days: int, now: float, base_url: str) -> PortalLink:
    expires = int(now + check_days(days) * DAY)
    token = signer.dumps(SALT_PORTAL, {"m": member_id, "e": expires})
    return PortalLink(member_id, float(expires), f"{base_url.rstrip('/')}/portal/{token}")


@dataclass(frozen=True)
class PortalClaim:
    """What a valid portal token says: whose portal, and until when."""

    member_id: int
    expires: float  # Unix time


def read_portal_claim(signer: Signer, token: str, now: float) -> PortalClaim:
    """The member and expiry a portal token names; ``BadTokenError`` when forged or expired.

    The error's message says "expired" for a genuine link past its time, so the
    portal can tell the member which of the two happened.
    """
    data: Any = signer.loads(SALT_PORTAL, token, max_age=MAX_DAYS * DAY)
    if not isinstance(data, dict):
        raise BadTokenError("portal token is not valid")
    member_id, expires = data.get("m"), data.get("e")
    if not isinstance(member_id, int) or isinstance(member_id, bool) or member_id < 1:
        raise BadTokenError("portal token is not valid")
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise BadTokenError("portal token is not valid")
    if expires <= now:
        raise BadTokenError("token has expired")
    return PortalClaim(member_id, float(expires))


def read_portal_token(signer: Signer, token: str, now: float) -> int:
    """The member id a portal token names; ``BadTokenError`` when forged or expired."""
    return read_portal_claim(signer, token, now).member_id


# -- the command --------------------------------------------------------------------------
