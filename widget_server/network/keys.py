"""API keys: random, recognisable, shown once, stored as a hash, compared in constant time.

A key reads ``pkr_ab12cd34.SECRET``: the public key id (shown in lists and
logs) and a 256-bit secret.  Only the SHA-256 of the secret is stored; a
high-entropy secret needs no slow hash.

Scopes: ``coordinator`` (the whole network) and ``member:<member id>`` (its
own record, blocks and stats).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from widget_server.core.errors import NotFoundError, ValidationError
from widget_server.core.models import ApiKey
from widget_server.storage import Storage

PREFIX = "pkr_"
_KEY = re.compile(r"^(pkr_[0-9a-f]{8})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a coordinator, or one member."""

    key_id: str
    scope: str
    member_id: int | None = None  # set for member keys

    @property
    def is_coordinator(self) -> bool:
        return self.scope == "coordinator"

    def may_act_for(self, member_id: int) -> bool:
        return self.is_coordinator or self.member_id == member_id


class AuthenticationError(Exception):
    """No key, a malformed key, an unknown key or a revoked key (HTTP 401)."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_key(text: str) -> tuple[str, str] | None:
    match = _KEY.match(text.strip())
    return (match.group(1), match.group(2)) if match else None


async def resolve_scope(storage: Storage, scope: str) -> str:
    """``coordinator`` or ``member:SLUG`` (as typed) -> the stored form."""
    if scope == "coordinator":
        return scope
    kind, _, slug = scope.partition(":")
    if kind != "member" or not slug:
        raise ValidationError("scope", f"{scope!r} is not 'coordinator' or 'member:SLUG'")
    try:
        member = await storage.get_member(slug)
    except NotFoundError:
        raise ValidationError("scope", f"there is no member {slug!r}") from None
    return f"member:{member.id}"


async def create_key(storage: Storage, scope: str, name: str = "") -> tuple[ApiKey, str]:
    """Store a new key and return it with the full key text, which is never shown again."""
    stored_scope = await resolve_scope(storage, scope)
    key_id = PREFIX + secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = await storage.create_api_key(
        ApiKey(0, key_id, hash_secret(secret), stored_scope, " ".join(name.split())[:80])
    )
    return key, f"{key_id}.{secret}"


async def authenticate(storage: Storage, authorization: str | None) -> Principal:
    """The principal behind an ``Authorization: Bearer`` header."""
    if not authorization:
        raise AuthenticationError("an API key is required (Authorization: Bearer pkr_...)")
    scheme, _, value = authorization.partition(" ")
    parsed = parse_key(value) if scheme.lower() == "bearer" else None
    if parsed is None:
        raise AuthenticationError("the Authorization header does not carry a Partnerkreis key")
    key_id, secret = parsed
    try:
        key = await storage.get_api_key(key_id)
    except NotFoundError:
        key = None
    # Compare even for an unknown key, so timing does not tell which key ids exist.
    expected = key.secret_hash if key else hash_secret("")
    if not hmac.compare_digest(hash_secret(secret), expected) or key is None:
        raise AuthenticationError("the API key is not valid")
    if key.revoked_at:
        raise AuthenticationError("the API key has been revoked")
    member_id = int(key.scope.split(":", 1)[1]) if key.scope.startswith("member:") else None
    return Principal(key.key_id, key.scope, member_id)
