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

import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import (
    BadData,
    BadPayload,
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeSerializer,
    URLSafeTimedSerializer,
    base64_decode,
    base64_encode,
    want_bytes,
)
from itsdangerous import Signer as ItsSigner

from widget_server.core.errors import BadTokenError

SALT_EMBED = "partnerkreis.embed.v1"
SALT_CLICK = "partnerkreis.click.v1"
SALT_VIEW = "partnerkreis.view.v1"
SALT_SERVED = "partnerkreis.served.v1"  # a cacheable block's exchange URL (never a view)
SALT_PORTAL = "partnerkreis.portal.v1"
SALT_SESSION = "partnerkreis.session.v1"
SALT_PORTAL_SESSION = "partnerkreis.portal-session.v1"  # never accepted as an admin session
SALT_KNOWN_BROWSER = "partnerkreis.known-browser.v1"  # a browser that signed in before
SALT_UNSUBSCRIBE = "partnerkreis.unsubscribe.v1"  # a mail's one-click unsubscribe link
SALT_PASSWORD_RESET = "partnerkreis.password-reset.v1"  # noqa: S105  (a salt: reset links)
SALT_INVITATION = "partnerkreis.invitation.v1"  # a business's invitation to apply

Clock = Callable[[], float]
# Verified embed tokens remembered.  Repeat requests are answered from the kept answers
# (web/ready.py) before a token is read, so this serves the hot tokens of a new bucket;
# 100,000 of them held some 17 MB after a long tail of distinct tokens.
EMBED_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class ClickClaim:
    """What a click token says: which block, which partner, and whether it still counts."""

    placement_id: int
    partner_id: int
    bucket: int
    fresh: bool  # False once the token is older than its max age: redirect, but do not count
    # A block's joint slot (serving/slots.py): (kind code, offer or event id); partner_id is 0.
    slot: tuple[int, int] | None = None


class _MemoKeys(ItsSigner):
    """itsdangerous, with the expensive set-up done once per key.

    itsdangerous derives the HMAC key from (secret, salt) and keys a new HMAC on
    every call; the widget signs a token on every request, so the derived keys
    and keyed HMAC objects are kept and copied.  The tokens are byte for byte
    what plain itsdangerous makes and verifies.
    """

    _derived: dict[tuple[bytes, bytes], bytes] = {}
    _keyed: dict[bytes, Any] = {}  # derived key -> HMAC object to copy

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        found = self._derived.get((secret, self.salt))
        if found is None:
            found = self._derived[(secret, self.salt)] = super().derive_key(secret)
        return found

    def get_signature(self, value: str | bytes) -> bytes:
        key = self.derive_key()
        keyed = self._keyed.get(key)
        if keyed is None:
            keyed = self._keyed[key] = hmac.new(key, digestmod=self.digest_method)
        mac = keyed.copy()
        mac.update(want_bytes(value))
        return base64_encode(mac.digest())


def _timestamp_signer(clock: Clock) -> type[TimestampSigner]:
    class ClockedSigner(_MemoKeys, TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return ClockedSigner


VIEW_MAC_BYTES = 16  # 128-bit MAC: short tokens, still far beyond guessing


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(raw: bytes) -> str:
    """Unpadded URL-safe base64 (``base64.urlsafe_b64encode`` without its layers)."""
    return binascii.b2a_base64(raw, newline=False).translate(_URLSAFE).rstrip(b"=").decode()


def _b64_bytes(raw: bytes) -> bytes:
    """``_b64(raw).encode()``: the same characters, never decoded."""
    return binascii.b2a_base64(raw, newline=False).translate(_URLSAFE).rstrip(b"=")


_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _embed_id(raw: bytes) -> int | None:
    """``json.loads(base64_decode(raw))`` when that is a positive number as this signer
    writes an id (digits, no leading zero), else None (the caller decodes as before):
    the steps of itsdangerous' ``base64_decode`` without its layers, and no JSON parser."""
    try:
        data = binascii.a2b_base64(raw.translate(_FROM_URLSAFE) + b"=" * (-len(raw) % 4))
    except binascii.Error:
        return None
    # An id is a database integer, 19 digits at most; a longer number takes the long way.
    if 0 < len(data) <= 19 and data.isdigit() and data[0] != 0x30:  # no leading "0"
        return int(data)
    return None


class _Mac:
    """An HMAC with one key, the MAC that ``hmac.new(key, message, digest_method)`` gives,
    made from the two hash states the key determines (RFC 2104: the hash of the key
    XOR ipad, and of the key XOR opad), kept and copied per message: two copies,
    two updates and two digests in C.  ``hmac.digest`` would key OpenSSL's HMAC
    anew on every call, about three times the cost, and itsdangerous' digest method
    is a Python function (its lazy SHA-1), which keeps ``hmac.new`` on its
    pure-Python path.  Checked at set-up against ``hmac.digest``; a digest method
    that is no named hashlib hash keeps a keyed HMAC object to copy."""

    __slots__ = ("_inner", "_keyed", "_outer", "key")

    def __init__(self, key: bytes, digest_method: Any) -> None:
        self.key = key
        self._keyed = hmac.new(key, digestmod=digest_method)
        self._inner: Callable[[], Any] | None = None  # until the pads are shown to agree
        self._outer: Callable[[], Any] | None = None
        probe = b"partnerkreis"
        name = getattr(digest_method(), "name", None)
        if not isinstance(name, str):
            return
        try:
            inner, outer = hashlib.new(name), hashlib.new(name)
            expected = hmac.digest(key, probe, name)
        except ValueError:  # not a digest hashlib knows
            return
        block = inner.block_size
        padded = (hashlib.new(name, key).digest() if len(key) > block else key).ljust(block, b"\0")
        inner.update(padded.translate(_IPAD))
        outer.update(padded.translate(_OPAD))
        self._inner, self._outer = inner.copy, outer.copy
        if self.of(probe) != expected or expected != self._copied(probe):
            self._inner = self._outer = None

    def of(self, message: bytes) -> bytes:
        if self._inner is None or self._outer is None:
            return self._copied(message)
        inner = self._inner()
        inner.update(message)
        outer = self._outer()
        outer.update(inner.digest())
        return bytes(outer.digest())

    def _copied(self, message: bytes) -> bytes:
        mac = self._keyed.copy()
        mac.update(message)
        return bytes(mac.digest())


_IPAD = bytes(x ^ 0x36 for x in range(256))  # translation tables: key XOR ipad / opad
_OPAD = bytes(x ^ 0x5C for x in range(256))


def _view_mac(key: bytes, payload: str) -> str:
    digest = hashlib.blake2b(payload.encode(), key=key, digest_size=VIEW_MAC_BYTES).digest()
    return _b64(digest)


@dataclass(frozen=True)
class ViewClaim:
    """What a view token says: which block, with which partners at which positions."""

    placement_id: int
    bucket: int
    slots: tuple[tuple[int, int, int], ...]  # (partner id, position, share: 0 none, n 1/n)
    nonce: str


class Signer:
    """Makes and checks the signed tokens of every purpose."""

    def __init__(self, keys: Sequence[str], *, clock: Clock = time.time) -> None:
        if not keys or not all(keys):
            raise ValueError("at least one non-empty secret key is required")
        secret = list(keys)  # itsdangerous signs with the last, verifies with all
        self._clock = clock
        timed = _timestamp_signer(clock)
        self._embed = URLSafeSerializer(secret, salt=SALT_EMBED, signer=_MemoKeys)
        # Embed tokens never expire, so a verified one need not be verified again.
        self._embed_seen: dict[str, int] = {}
        # A first sight of a token is checked directly against each key (newest first),
        # as itsdangerous does, with keyed HMAC objects to copy.
        embed_signer = self._embed.make_signer(SALT_EMBED)
        self._embed_macs = [
            _Mac(embed_signer.derive_key(k), embed_signer.digest_method)
            for k in reversed(embed_signer.secret_keys)
        ]
        # View tokens are made on every widget request: a compact payload signed
        # directly, without a serializer's JSON, compression and base64 round trip.
        # One derived key per secret: BLAKE2b keyed with HMAC(secret, purpose).
        self._view_keys = [
            hmac.new(k.encode(), SALT_VIEW.encode(), hashlib.sha256).digest() for k in secret
        ]
        self._served_keys = [
            hmac.new(k.encode(), SALT_SERVED.encode(), hashlib.sha256).digest() for k in secret
        ]
        self._click = URLSafeTimedSerializer(secret, salt=SALT_CLICK, signer=timed)
        # Click tokens are made for every partner of every block built: the same
        # format as the serializer's, assembled directly (see click_token).
        click_signer = self._click.make_signer(SALT_CLICK)
        self._click_mac = _Mac(click_signer.derive_key(), click_signer.digest_method)
        self._click_stamp = (-1, b"")  # (second, its base64 part), made once a second
        self._timed: dict[str, URLSafeTimedSerializer] = {
            salt: URLSafeTimedSerializer(secret, salt=salt, signer=timed)
            for salt in (
                SALT_PORTAL,
                SALT_SESSION,
                SALT_PORTAL_SESSION,
                SALT_KNOWN_BROWSER,
                SALT_UNSUBSCRIBE,
                SALT_PASSWORD_RESET,
                SALT_INVITATION,
            )
        }

    # -- embed tokens: a placement id, valid until the placement is deleted ---------------

    def embed_token(self, placement_id: int) -> str:
        return str(self._embed.dumps(placement_id))

    def read_embed_token(self, token: str) -> int:
        known = self._embed_seen.get(token)
        if known is not None:
            return known
        try:
            value = self._embed_value(token)
        except BadSignature as exc:
            raise BadTokenError("embed token is not valid") from exc
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise BadTokenError("embed token is not valid")
        if len(self._embed_seen) >= EMBED_CACHE_SIZE:
            self._embed_seen.clear()
        self._embed_seen[token] = value
        return value

    def _embed_value(self, token: str) -> Any:
        """The payload of a token as this signer makes them (``PAYLOAD.MAC``, the MAC in
        unpadded URL-safe base64), checked directly; anything else goes through
        itsdangerous, which decides as it always did."""
        payload, sep, signature = token.rpartition(".")
        if sep and token.isascii():
            raw = payload.encode()
            for mac in self._embed_macs:
                if hmac.compare_digest(signature, _b64(mac.of(raw))):
                    if raw.startswith(b"."):  # compressed: never made for an id, but valid
                        return self._embed.load_payload(raw)
                    number = _embed_id(raw)
                    if number is not None:
                        return number
                    try:
                        return json.loads(base64_decode(raw))
                    except (ValueError, BadData) as exc:
                        raise BadPayload("embed payload is not JSON") from exc
        return self._embed.loads(token)

    # -- click tokens: (placement, partner, bucket), counted while fresh -------------------

    def click_token(self, placement_id: int, partner_id: int, bucket: int) -> str:
        """``PAYLOAD.TIME.MAC`` as itsdangerous' timed URL-safe serializer makes it.

        Built directly, without the serializer's layers: the payload is the
        compact JSON list in URL-safe base64, the time its big-endian bytes, the
        MAC an HMAC over both with the derived click key.  The serializer would
        zlib-compress a payload that shrinks by two bytes or more; a 3-number
        list almost never does, and uncompressed payloads read back the same, so
        this never compresses.  ``read_click_token`` checks with itsdangerous.
        """
        return self.click_token_bytes(placement_id, partner_id, bucket).decode()

    def click_token_bytes(self, placement_id: int, partner_id: int, bucket: int) -> bytes:
        """``click_token(...).encode()``, made as bytes throughout: what a block's body,
        itself bytes, joins (serving/fragments.py)."""
        return self._click_signed(b"[%d,%d,%d]" % (placement_id, partner_id, bucket))

    def slot_click_token(self, placement_id: int, bucket: int, kind: int, ref: int) -> str:
        """A click token for a block's joint slot: ``[placement, 0, bucket, kind, ref]``
        (partner 0: no member; ``kind`` 1 an offer, 2 an event, ``ref`` its id)."""
        return self._click_signed(b"[%d,0,%d,%d,%d]" % (placement_id, bucket, kind, ref)).decode()

    def _click_signed(self, payload_json: bytes) -> bytes:
        """``PAYLOAD.TIME.MAC`` of a compact JSON list, the time this second's (its base64
        made once a second)."""
        now = int(self._clock())
        second, stamp = self._click_stamp
        if second != now:
            stamp = _b64_bytes(now.to_bytes((now.bit_length() + 7) // 8, "big"))
            self._click_stamp = (now, stamp)
        value = b"%s.%s" % (_b64_bytes(payload_json), stamp)
        return b"%s.%s" % (value, _b64_bytes(self._click_mac.of(value)))

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
            and (len(value) == 3 or (len(value) == 5 and value[1] == 0))
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            raise BadTokenError("click token is not valid")
        slot = (value[3], value[4]) if len(value) == 5 else None
        return ClickClaim(value[0], value[1], value[2], fresh, slot)

    def _load_expired(self, exc: SignatureExpired) -> Any:
        if exc.payload is None:
            raise BadTokenError("click token is not valid") from exc
        try:
            return self._click.load_payload(exc.payload)
        except BadSignature as inner:
            raise BadTokenError("click token is not valid") from inner

    # -- view tokens: one block as served, for its one-time view beacon --------------------
    #
    # Made on every widget request, so not through itsdangerous' layers: the
    # block part is built once per rendered block (``view_prefix``), and each
    # request adds a nonce and the time and one keyed BLAKE2b (a MAC by design,
    # one C call).  Same key list and rotation as the other tokens.

    @staticmethod
    def view_prefix(placement_id: int, bucket: int, slots: Sequence[tuple[int, int, int]]) -> str:
        """The block part of its view tokens: placement, bucket, (partner, position, share)."""
        flat = "-".join(f"{p}-{pos}-{int(c)}" for p, pos, c in slots)
        return f"{placement_id}_{bucket}_{flat}_"

    def view_token(self, prefix: str, nonce: str) -> str:
        """``PREFIX + NONCE . TIME . MAC``; the nonce makes each token one of a kind."""
        payload = f"{prefix}{nonce}.{int(self._clock()):x}"
        return f"{payload}.{_view_mac(self._view_keys[-1], payload)}"

    def read_view_token(self, token: str, max_age: int) -> ViewClaim:
        return self._read_block_token(token, max_age, self._view_keys, "view")

    # -- served tokens: one block as cached, exchanged for one-time view tokens -------------
    #
    # A cacheable block body is the same for every visitor of its bucket, so it
    # cannot carry a one-time token.  It carries ``PREFIX . TIME . MAC`` under a
    # key of its own instead (a view token with an empty nonce, which no view
    # key verifies); the loader posts it once the block is shown and gets a
    # fresh one-time view token back (web/endpoints/counted.py, ``view``).

    def served_token(self, prefix: str, stamp: int) -> str:
        """The exchange token of a block rendered for the bucket starting at ``stamp``."""
        payload = f"{prefix}.{stamp:x}"
        return f"{payload}.{_view_mac(self._served_keys[-1], payload)}"

    def read_served_token(self, token: str, max_age: int) -> ViewClaim:
        """The block a served token names (``nonce`` is the empty string)."""
        claim = self._read_block_token(token, max_age, self._served_keys, "served")
        if claim.nonce:
            raise BadTokenError("served token is not valid")
        return claim

    @staticmethod
    def is_served_token(token: str) -> bool:
        """The shape of a served token (no nonce after the prefix): decides which of the
        two ``/v/`` exchanges a token asks for; the signature is checked afterwards."""
        block = token.split(".", 1)[0]
        return block.endswith("_")

    def _read_block_token(
        self, token: str, max_age: int, keys: list[bytes], kind: str
    ) -> ViewClaim:
        payload, _, signature = token.rpartition(".")
        if not token.isascii():  # compare_digest refuses non-ASCII text with a TypeError
            raise BadTokenError(f"{kind} token is not valid")
        expected = [_view_mac(key, payload) for key in keys]
        if not any(hmac.compare_digest(signature, e) for e in expected):
            raise BadTokenError(f"{kind} token is not valid")
        try:
            block, _, stamp = payload.rpartition(".")
            if self._clock() - int(stamp, 16) > max_age:
                raise BadTokenError("token has expired")
            placement, bucket, flat, nonce = block.split("_")
            numbers = [int(n) for n in flat.split("-")] if flat else []
            if len(numbers) % 3:
                raise ValueError(flat)
            # The third number is the share: 0 not in the ledger, 1 whole, n one n-th
            # (a joint slot's receivers, serving/slots.py).
            slots = tuple(
                (numbers[i], numbers[i + 1], numbers[i + 2]) for i in range(0, len(numbers), 3)
            )
            return ViewClaim(int(placement), int(bucket), slots, nonce)
        except ValueError as exc:
            raise BadTokenError(f"{kind} token is not valid") from exc

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
