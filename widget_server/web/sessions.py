"""Sessions of people on our own pages (the admin, the member portal): cookie, CSRF, login limits.

A session is a signed, timestamped cookie (``signing.SALT_SESSION``), so the
server keeps no session table:

* ``HttpOnly``, ``SameSite=Lax``, ``Secure`` over https, and a ``Path`` (``/admin``,
  ``/portal``): the public widget endpoints never see it and never set a cookie;
* the admin's and the portal's sessions are signed with different salts, so a
  portal cookie is worthless below ``/admin`` and the other way round;
* idle expiry: the signature's age is checked against ``IDLE_SECONDS`` and the
  cookie is renewed on every request; absolute expiry: ``issued`` in the
  payload, checked against ``LIFETIME_SECONDS``;
* a signed-in session is valid only while its id is in the database's
  ``sessions`` table (storage/access.py): logout, a password change and a
  member's removal delete it there, for every process and across restarts;
* a new session (new id, new CSRF token) is made at login, so a session
  planted before login is worthless afterwards.

CSRF protection is a synchroniser token: a random token lives in the signed
session and every form carries it in a hidden field; a POST whose field does
not match the session's token is refused (403) before any handler runs.

``LoginThrottle`` delays logins after failures per account and address, per
address and per account, in memory (addresses only as keyed hashes, forgotten
after the window); ``KNOWN_COOKIE`` marks a browser that has signed in before.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from typing import Any

from widget_server.core.errors import BadTokenError
from widget_server.core.signing import SALT_SESSION, Signer

IDLE_SECONDS = 2 * 3600  # a session unused for 2 hours expires
LIFETIME_SECONDS = 12 * 3600  # and every session after 12 hours
CSRF_FIELD = "csrf"
KNOWN_COOKIE = "pk_known"  # this browser signed in to the account before (signed user name)
KNOWN_SECONDS = 90 * 86_400


@dataclass(frozen=True)
class Session:
    """What the session cookie carries; ``username`` is None before login.

    A portal session names the member whose link opened it (``member_id``) and
    ends when that link expires (``until``) if that comes before its lifetime.
    """

    sid: str  # random session id (for revocation at logout)
    csrf: str  # the synchroniser token every form must echo
    issued: float  # Unix time of login (or of the anonymous session)
    username: str | None = None
    lang: str | None = None  # chosen with ?lang=, remembered here
    member_id: int | None = None  # portal sessions only
    until: float | None = None  # Unix time the session ends at the latest

    @classmethod
    def new(
        cls,
        now: float,
        *,
        username: str | None = None,
        lang: str | None = None,
        member_id: int | None = None,
        until: float | None = None,
    ) -> Session:
        sid, csrf = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
        return cls(sid, csrf, now, username, lang, member_id, until)

    @property
    def signed_in(self) -> bool:
        return self.username is not None

    def with_lang(self, lang: str) -> Session:
        return replace(self, lang=lang)

    def csrf_matches(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf.encode(), str(token).encode())


def encode_session(signer: Signer, session: Session, *, salt: str = SALT_SESSION) -> str:
    payload: dict[str, Any] = {"s": session.sid, "c": session.csrf, "i": session.issued}
    if session.username is not None:
        payload["u"] = session.username
    if session.lang:
        payload["l"] = session.lang
    if session.member_id is not None:
        payload["m"] = session.member_id
    if session.until is not None:
        payload["e"] = session.until
    return signer.dumps(salt, payload)


def decode_session(
    signer: Signer, value: str, now: float, *, salt: str = SALT_SESSION
) -> Session | None:
    """The session in a cookie, or None when it is forged, idle too long or too old."""
    try:
        data: Any = signer.loads(salt, value, max_age=IDLE_SECONDS)
    except BadTokenError:
        return None
    if not isinstance(data, dict):
        return None
    sid, csrf, issued = data.get("s"), data.get("c"), data.get("i")
    username, lang = data.get("u"), data.get("l")
    member_id, until = data.get("m"), data.get("e")
    if not (isinstance(sid, str) and isinstance(csrf, str) and isinstance(issued, int | float)):
        return None
    if not (username is None or isinstance(username, str)) or not (
        lang is None or isinstance(lang, str)
    ):
        return None
    if not (member_id is None or (isinstance(member_id, int) and not isinstance(member_id, bool))):
        return None
    if not (until is None or isinstance(until, int | float)):
        return None
    if now - issued > LIFETIME_SECONDS or (until is not None and now >= until):
        return None
    return Session(
        sid,
        csrf,
        float(issued),
        username,
        lang,
        member_id,
        None if until is None else float(until),
    )


def cookie_header(
    name: str, value: str | None, *, path: str, secure: bool, max_age: int = IDLE_SECONDS
) -> str:
    """A ``Set-Cookie`` value; ``value`` None deletes the cookie."""
    parts = [f"{name}={value or ''}", f"Path={path}", "HttpOnly", "SameSite=Lax"]
    parts.append(f"Max-Age={max_age if value else 0}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


@dataclass(frozen=True)
class Limits:
    """Free failures per key, then a delay that doubles with each further failure."""

    free_per_pair: int = 3  # failures of one account from one address ...
    free_per_address: int = 10  # ... of one address, any account ...
    free_per_account: int = 10  # ... of one account, any address (not for known browsers)
    first_delay: float = 2.0  # seconds after the first failure past the free ones
    max_delay: float = 15 * 60  # never longer than this
    window: float = 60 * 60  # failures are forgotten this long after the last one

    def delay(self, failures: int, free: int) -> float:
        if failures < free:
            return 0.0
        return float(min(self.max_delay, self.first_delay * 2 ** min(failures - free, 30)))


class LoginThrottle:
    """Growing delays after failed logins; never a lockout a stranger can trigger.

    Three counts: per account and address (the usual typo-prone user), per
    address (one attacker trying many accounts) and per account over all
    addresses (many addresses trying one account).  While a delay runs, a login
    is refused with 429 before its password is checked.  A stranger can delay
    an account only from its own addresses, except through the account-wide
    count, which a browser that has signed in to the account before skips
    (``known``, a signed cookie): the coordinator's own browser keeps its way
    in however many addresses attack.  Unknown user names count like known
    ones, so delays do not tell which accounts exist.  A successful login
    clears its account-and-address count only.
    """

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._key = secrets.token_bytes(16)  # addresses are held only as keyed hashes
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (failures, last failure)

    def _address(self, address: str) -> str:
        return hashlib.blake2b(address.encode(), key=self._key, digest_size=12).hexdigest()

    @staticmethod
    def _account(username: str) -> str:
        return username.strip().casefold()

    def _keys(self, username: str, address: str) -> list[tuple[str, int]]:
        account, hashed = self._account(username), self._address(address)
        return [
            (f"p:{hashed}:{account}", self.limits.free_per_pair),
            (f"a:{hashed}", self.limits.free_per_address),
            (f"u:{account}", self.limits.free_per_account),
        ]

    def _recent(self, key: str, now: float) -> tuple[int, float]:
        count, last = self._failures.get(key, (0, 0.0))
        if count and now - last >= self.limits.window:
            self._failures.pop(key, None)
            return 0, 0.0
        return count, last

    def retry_after(self, username: str, address: str, now: float, *, known: bool = False) -> int:
        """Seconds until a login may be tried again; 0 when it may be tried now."""
        wait = 0.0
        for key, free in self._keys(username, address):
            if known and key.startswith("u:"):
                continue
            count, last = self._recent(key, now)
            wait = max(wait, last + self.limits.delay(count, free) - now)
        return max(1, int(wait + 0.999)) if wait > 0 else 0

    def failed(self, username: str, address: str, now: float) -> None:
        if len(self._failures) > 50_000:  # forget idle keys wholesale
            window = self.limits.window
            self._failures = {k: v for k, v in self._failures.items() if now - v[1] < window}
        for key, _ in self._keys(username, address):
            count, _last = self._recent(key, now)
            self._failures[key] = (count + 1, now)

    def succeeded(self, username: str, address: str) -> None:
        self._failures.pop(self._keys(username, address)[0][0], None)
