"""Every use of itsdangerous, in one place.

One salt per purpose, so a token made for one purpose is never accepted for
another.  Keys come as a list, oldest first: the newest signs, all verify, so
a key can be rotated by appending a new one and dropping the oldest later.

Embed tokens are the one kind without ``max_age``: members paste them into
their websites once and for all.  They name a placement that must still exist,
so revoking one means deleting the placement, not waiting for expiry.  Keep a
retired key in ``WIDGET_SECRET_KEYS`` for as long as embed codes signed with it
are in use (see docs/deployment.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)

from .errors import BadTokenError

SALT_EMBED = "partnerkreis.embed.v1"
SALT_CLICK = "partnerkreis.click.v1"
SALT_VIEW = "partnerkreis.view.v1"
SALT_PORTAL = "partnerkreis.portal.v1"
SALT_SESSION = "partnerkreis.session.v1"

Clock = Callable[[], float]


@dataclass(frozen=True)
class ClickClaim:
    """What a click token says: which block, which partner, and whether it still counts."""

    placement_id: int
    partner_id: int
    bucket: int
    fresh: bool  # False once the token is older than its max age: redirect, but do not count


def _timestamp_signer(clock: Clock) -> type[TimestampSigner]:
    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return ClockedSigner


class Signer:
    """Makes and checks the signed tokens of every purpose."""

    def __init__(self, keys: Sequence[str], *, clock: Clock = time.time) -> None:
        if not keys or not all(keys):
            raise ValueError("at least one non-empty secret key is required")
        secret = list(keys)  # itsdangerous signs with the last, verifies with all
        self._clock = clock
        timed = _timestamp_signer(clock)
        self._embed = URLSafeSerializer(secret, salt=SALT_EMBED)
        self._click = URLSafeTimedSerializer(secret, salt=SALT_CLICK, signer=timed)
        self._timed: dict[str, URLSafeTimedSerializer] = {
            salt: URLSafeTimedSerializer(secret, salt=salt, signer=timed)
            for salt in (SALT_VIEW, SALT_PORTAL, SALT_SESSION)
        }

    # -- embed tokens: a placement id, valid until the placement is deleted ---------------

    def embed_token(self, placement_id: int) -> str:
        return str(self._embed.dumps(placement_id))

    def read_embed_token(self, token: str) -> int:
        try:
            value = self._embed.loads(token)
        except BadSignature as exc:
            raise BadTokenError("embed token is not valid") from exc
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise BadTokenError("embed token is not valid")
        return value

    # -- click tokens: (placement, partner, bucket), counted while fresh -------------------

    def click_token(self, placement_id: int, partner_id: int, bucket: int) -> str:
        return str(self._click.dumps([placement_id, partner_id, bucket]))

    def read_click_token(self, token: str, max_age: int) -> ClickClaim:
        fresh = True
        try:
            value: Any = self._click.loads(token, max_age=max_age)
        except SignatureExpired as exc:
            # The signature is genuine, only old: a visitor following a link on a
            # long-cached page still reaches the partner, it just is not counted.
            fresh = False
            value = self._load_expired(exc)
        except BadSignature as exc:
            raise BadTokenError("click token is not valid") from exc
        if not (
            isinstance(value, list)
            and len(value) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            raise BadTokenError("click token is not valid")
        return ClickClaim(value[0], value[1], value[2], fresh)

    def _load_expired(self, exc: SignatureExpired) -> Any:
        if exc.payload is None:
            raise BadTokenError("click token is not valid") from exc
        try:
            return self._click.load_payload(exc.payload)
        except BadSignature as inner:
            raise BadTokenError("click token is not valid") from inner

    # -- short-lived tokens for the other purposes (views, portal links, sessions) ---------

    def dumps(self, salt: str, value: Any) -> str:
        return str(self._timed[salt].dumps(value))

    def loads(self, salt: str, token: str, max_age: int) -> Any:
        try:
            return self._timed[salt].loads(token, max_age=max_age)
        except SignatureExpired as exc:
            raise BadTokenError("token has expired") from exc
        except BadSignature as exc:
            raise BadTokenError("token is not valid") from exc
