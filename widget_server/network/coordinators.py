"""Coordinator accounts: adding, deactivating, one-time password reset links (docs/admin.md).

Every coordinator has an own login.  A new account may start without a
password: it gets a reset link, with which its owner sets one.  A reset link
is signed with ``signing.SALT_PASSWORD_RESET`` and names the account, a random
link id and its expiry; it works once (``password_resets``, migration 10), for
``RESET_HOURS`` at most, and not for a deactivated account.  The admin's pages
(``endpoints/admin/coordinators.py``) and ``widget-server admin ...`` use these
functions; both write the audit log under the acting coordinator's name.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from widget_server.core.errors import BadTokenError, ConflictError, NotFoundError, ValidationError
from widget_server.core.models import Account
from widget_server.core.passwords import hash_password
from widget_server.core.signing import SALT_PASSWORD_RESET, Signer
from widget_server.storage import Storage

HOUR = 3600
RESET_HOURS = 48
MIN_PASSWORD = 10
MAX_PASSWORD = 1000
NO_PASSWORD = "!"  # noqa: S105  (no scrypt hash: no password matches it)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


def check_username(value: str) -> str:
    name = value.strip()
    if not _USERNAME.fullmatch(name):
        raise ValidationError(
            "username",
            f"{name[:50]!r} is not a user name: 2 to 40 characters, lower-case letters,"
            " digits, '.', '_' or '-', starting with a letter or digit",
        )
    return name


def check_password(value: str) -> str:
    if len(value) < MIN_PASSWORD:
        raise ValidationError(
            "password", f"the password must have at least {MIN_PASSWORD} characters"
        )
    if len(value) > MAX_PASSWORD:
        raise ValidationError(
            "password", f"the password may have at most {MAX_PASSWORD} characters"
        )
    return value


async def add_coordinator(storage: Storage, username: str, password: str | None) -> Account:
    """A new coordinator; without a password it can sign in only after a reset link."""
    name = check_username(username)
    hashed = hash_password(check_password(password)) if password is not None else NO_PASSWORD
    try:
        await storage.get_account(name)
    except NotFoundError:
        return await storage.create_account(Account(0, name, hashed, "coordinator"))
    raise ConflictError(f"coordinator {name!r} exists already")


async def set_active(storage: Storage, username: str, active: bool) -> Account:
    """Deactivate or reactivate; the last active coordinator is never deactivated."""
    account = await storage.get_account(username)
    if not active and account.active:
        others = [a for a in await storage.list_accounts() if a.active and a.username != username]
        if not others:
            raise ConflictError(f"{username!r} is the last active coordinator")
    return await storage.set_account_active(username, active)


@dataclass(frozen=True)
class ResetLink:
    username: str
    expires: float  # Unix time
    url: str

    @property
    def expires_iso(self) -> str:
        return datetime.fromtimestamp(self.expires, UTC).isoformat(timespec="minutes")


async def issue_reset_link(
    storage: Storage, signer: Signer, username: str, now: float, base_url: str
) -> ResetLink:
    """A one-time link with which the coordinator sets a new password."""
    account = await storage.get_account(username)
    if not account.active:
        raise ConflictError(f"coordinator {username!r} is deactivated")
    link_id = secrets.token_urlsafe(12)
    expires = int(now + RESET_HOURS * HOUR)
    token = signer.dumps(SALT_PASSWORD_RESET, {"u": username, "k": link_id, "e": expires})
    await storage.add_password_reset(link_id, username, float(expires))
    return ResetLink(username, float(expires), f"{base_url.rstrip('/')}/admin/reset/{token}")


def read_reset_token(signer: Signer, token: str, now: float) -> tuple[str, str]:
    """(user name, link id) of a genuine, unexpired reset link; else ``BadTokenError``."""
    data: Any = signer.loads(SALT_PASSWORD_RESET, token, max_age=RESET_HOURS * HOUR)
    if not isinstance(data, dict):
        raise BadTokenError("reset link is not valid")
    username, link_id, expires = data.get("u"), data.get("k"), data.get("e")
    if not isinstance(username, str) or not isinstance(link_id, str):
        raise BadTokenError("reset link is not valid")
    if isinstance(expires, bool) or not isinstance(expires, int | float) or expires <= now:
        raise BadTokenError("token has expired")
    return username, link_id
