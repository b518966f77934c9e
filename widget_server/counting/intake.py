"""The intake of served, viewed and clicked events, with every check in one place.

``Counting`` decides whether an event is credited and says why not (the
reasons are listed in ``REASONS`` and documented in docs/privacy.md); the
HTTP handlers only pass in what the request carries and always answer the
same way, so nobody can probe the rules from outside.

Checks in two steps.  At the request (here), what needs nothing shared: the
token's signature and age, bots, the origin, a per-process limit per address
and minute.  At the flush (``settlement.py``, which ``Counting`` extends), what
every process must agree on, in one round trip to the shared visitor state
(``visitors.py``) for the whole batch: the token's one use, one view per
visitor, theme and day, a click only after a view, and the daily caps per
network address.  The flush then writes what was credited (``flush``, ``run``).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

from widget_server.core.errors import BadTokenError, StorageError
from widget_server.core.models import Member, MemberRecord
from widget_server.core.signing import ClickClaim, Signer
from widget_server.core.stopping import stopped
from widget_server.counting.events import (
    BLOCK,
    CounterBuffer,
    RateLimiter,
    ViewedSlot,
    day_of,
    is_bot,
    is_bot_in_demo,
)
from widget_server.counting.settlement import Pending, PendingClick, PendingView, Settlement
from widget_server.counting.visitors import MemoryStore, VisitorStore
from widget_server.rotation import Slot
from widget_server.serving.snapshot import Snapshot
from widget_server.storage import Storage

log = logging.getLogger(__name__)

VIEW_TOKEN_MAX_AGE = 1800  # seconds from serving a block to its view beacon
VIEWS_PER_MINUTE = 120  # per visitor address; a person cannot see more blocks than this
CLICKS_PER_MINUTE = 30  # per visitor address
# Daily caps per network address, whatever the user agent (docs/privacy.md, threat model):
# an address can add at most this many views or clicks to one host member, and to all.
VIEWS_PER_ADDRESS_AND_HOST = 20
VIEWS_PER_ADDRESS = 300
CLICKS_PER_ADDRESS_AND_HOST = 20
CLICKS_PER_ADDRESS = 100
MAX_PENDING = 200_000  # events waiting for the next flush; past it new ones are refused
FINAL_ATTEMPTS = 10  # the last flush at shutdown, while the database stays busy
FINAL_RETRY_SECONDS = 1.0

DAY_SECONDS = 86_400
EPOCH = date(1970, 1, 1)
ServedKey = tuple[int, int, tuple[int, ...]]  # theme, host, the partners shown

REASONS = (
    "bot",
    "rate-limited",
    "capped",
    "bad-token",
    "expired",
    "replayed",
    "foreign-origin",
    "already-counted",
    "no-view",
    "unknown",
    "disabled",
    "overloaded",
    "unavailable",
)


@dataclass(frozen=True)
class Outcome:
    credited: bool  # True: passed the checks at the request; the flush settles the rest
    reason: str | None = None  # one of REASONS when not credited


def _key(salt: bytes, *parts: object) -> bytes:
    """A salted 16-byte key: unlinkable to its parts once the day's salt is gone."""
    return hashlib.blake2b(
        repr(parts).encode("utf-8", "surrogatepass"), key=salt, digest_size=16
    ).digest()


class Admitted(NamedTuple):
    day: date
    salt: bytes  # the day's, shared by every process
    address: bytes  # the address's salted key


@dataclass
class Counting(Settlement):
    signer: Signer
    clock: Callable[[], float] = time.time
    own_hosts: frozenset[str] = frozenset()  # our own host names (the demo's sites live here)
    enabled: bool = True  # False: blocks are served without view tokens, nothing is counted
    demo: bool = False  # the demo network: a headless Chromium counts as a visitor there
    store: VisitorStore = field(default_factory=MemoryStore)
    buffer: CounterBuffer = field(default_factory=CounterBuffer)
    view_limit: RateLimiter = field(default_factory=lambda: RateLimiter(VIEWS_PER_MINUTE, 60))
    click_limit: RateLimiter = field(default_factory=lambda: RateLimiter(CLICKS_PER_MINUTE, 60))
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> count, for /healthz
    # Views and clicks that passed every check since the start: what this process owes
    # the database (logged when it stops, so a deployment can compare with what is stored).
    credited: dict[str, int] = field(default_factory=lambda: {"viewed": 0, "clicked": 0})
    # (day, theme, host) -> beacons refused by a daily cap: bursts the coordinator sees
    capped: dict[tuple[date, int, int], int] = field(default_factory=dict)
    _pending: list[Pending] = field(default_factory=list)
    _served: dict[tuple[int, ServedKey], int] = field(default_factory=dict)
    _nonce_base: str = field(default_factory=lambda: secrets.token_hex(4))
    _nonces: itertools.count[int] = field(default_factory=itertools.count)

    # -- served --------------------------------------------------------------------------------

    @staticmethod
    def served_key(theme_id: int, host_id: int, slots: Iterable[Slot]) -> ServedKey:
        return (theme_id, host_id, tuple(s.member_id for s in slots))

    def served(
        self, theme_id: int, host_id: int, slots: Iterable[Slot], user_agent: str | None
    ) -> None:
        self.count_served(self.served_key(theme_id, host_id, slots), user_agent)

    def count_served(self, key: ServedKey, user_agent: str | None) -> None:
        """One served block: a single counter per request; rows are made at flush time.

        ``user_agent`` is the browser's; a bot's fetch is no exposure and is not
        counted.  None: a block rendered on a member's server (the API), where the
        visitor's browser is not ours to see.
        """
        if self.enabled and (user_agent is None or not self.is_bot(user_agent)):
            day = int(self.clock() // DAY_SECONDS)
            self._served[(day, key)] = self._served.get((day, key), 0) + 1

    def _served_into_buffer(self) -> None:
        served, self._served = self._served, {}
        for (day_number, (theme_id, host_id, partners)), n in served.items():
            day = EPOCH + timedelta(days=day_number)
            for partner_id in (*partners, BLOCK):
                self.buffer.add((day, theme_id, host_id, partner_id, "served"), n)

    # -- views ---------------------------------------------------------------------------------

    def view_prefix(self, placement_id: int, bucket: int, slots: Iterable[Slot]) -> str:
        """The part of a block's view tokens that is the same on every request."""
        flat = [(s.member_id, s.position, s.counts) for s in slots]
        return self.signer.view_prefix(placement_id, bucket, flat)

    def view_token(self, prefix: str) -> str:
        # Unique per process (random start) and per request (counter): one-time.
        return self.signer.view_token(prefix, f"{self._nonce_base}{next(self._nonces):x}")

    def is_bot(self, user_agent: str) -> bool:
        return is_bot_in_demo(user_agent) if self.demo else is_bot(user_agent)

    def _reject(self, reason: str) -> Outcome:
        self._tally_rejected(reason)
        return Outcome(False, reason)

    async def _admit(self, address: str, limit: RateLimiter) -> Admitted | Outcome:
        """What every view and click passes before its own checks: the day's salt,
        the backlog, the address's limit per minute."""
        now = self.clock()
        day = day_of(now)
        try:
            salt = await self.store.salt(day)  # read once a day per process, then cached
        except StorageError:
            return self._reject("unavailable")  # the beacon is answered as always
        where = _key(salt, "address", address)
        if len(self._pending) >= MAX_PENDING:
            return self._reject("overloaded")
        if not limit.allow(where, now):
            return self._reject("rate-limited")
        return Admitted(day, salt, where)

    async def view(
        self,
        token: str,
        snapshot: Snapshot,
        *,
        address: str,
        user_agent: str,
        origin: str | None,
    ) -> Outcome:
        if not self.enabled:
            return self._reject("disabled")
        if self.is_bot(user_agent):
            return self._reject("bot")
        admitted = await self._admit(address, self.view_limit)
        if isinstance(admitted, Outcome):
            return admitted
        day, salt, where = admitted
        try:
            claim = self.signer.read_view_token(token, VIEW_TOKEN_MAX_AGE)
        except BadTokenError as exc:
            return self._reject("expired" if "expired" in str(exc) else "bad-token")
        placement_id, bucket = claim.placement_id, claim.bucket
        placement = snapshot.placements.get(placement_id)
        host = snapshot.members.record(placement.member_id) if placement else None
        if placement is None or host is None:
            return self._reject("unknown")
        if not self.from_host(host, origin):
            return self._reject("foreign-origin")
        visitor = _key(salt, "visitor", address, user_agent, host.id)
        self._pending.append(
            PendingView(
                day=day,
                # Not salted: a token stays one-time across midnight.
                nonce=hashlib.blake2b(f"nonce:{claim.nonce}".encode(), digest_size=16).digest(),
                seen=_key(salt, "seen", visitor, placement_id, bucket),
                credit=_key(salt, "view", visitor, placement.theme_id),
                caps=(
                    (_key(salt, "views", where), VIEWS_PER_ADDRESS),
                    (_key(salt, "views", where, host.id), VIEWS_PER_ADDRESS_AND_HOST),
                ),
                theme_id=placement.theme_id,
                host_id=host.id,
                slots=tuple(ViewedSlot(p, pos, counts) for p, pos, counts in claim.slots),
            )
        )
        return Outcome(True)

    def from_host(self, host: Member | MemberRecord, origin: str | None) -> bool:
        """Is the page that sent the beacon on one of the host member's domains?"""
        if not origin:
            return False
        hostname = (urlsplit(origin).hostname or "").lower()
        return hostname in host.domains or hostname in self.own_hosts

    # -- clicks --------------------------------------------------------------------------------

    async def click(
        self,
        claim: ClickClaim,
        snapshot: Snapshot,
        *,
        address: str,
        user_agent: str,
        receivers: tuple[int, ...] = (),
    ) -> Outcome:
        """A click on a partner, or on a joint slot (``claim.slot``), whose ``receivers``
        the caller looked up (none: an event of no member, credited to nobody)."""
        if not self.enabled:
            return self._reject("disabled")
        if self.is_bot(user_agent):
            return self._reject("bot")
        if not claim.fresh:
            return self._reject("expired")
        admitted = await self._admit(address, self.click_limit)
        if isinstance(admitted, Outcome):
            return admitted
        day, salt, where = admitted
        placement = snapshot.placements.get(claim.placement_id)
        if placement is None or (claim.slot is None and claim.partner_id not in snapshot.members):
            return self._reject("unknown")
        if claim.slot is not None and not receivers:
            return Outcome(False)  # nobody to credit: not a rejection
        host_id = placement.member_id
        visitor = _key(salt, "visitor", address, user_agent, host_id)
        # One click per visitor, block and card: a slot's card is named by its kind and id.
        card = claim.partner_id if claim.slot is None else ("slot", *claim.slot)
        self._pending.append(
            PendingClick(
                day=day,
                seen=_key(salt, "seen", visitor, claim.placement_id, claim.bucket),
                credit=_key(salt, "click", visitor, claim.placement_id, card),
                caps=(
                    (_key(salt, "clicks", where), CLICKS_PER_ADDRESS),
                    (_key(salt, "clicks", where, host_id), CLICKS_PER_ADDRESS_AND_HOST),
                ),
                theme_id=placement.theme_id,
                host_id=host_id,
                partner_id=claim.partner_id,
                receivers=receivers if claim.slot is not None else (),
            )
        )
        return Outcome(True)

    # -- writing -------------------------------------------------------------------------------

    async def flush(self, storage: Storage) -> int:
        """Settle waiting events, then write what is buffered in one transaction.

        Whatever goes wrong, cancellation included, nothing acknowledged is dropped:
        unsettled events and unwritten rows are kept for the next try.
        """
        try:
            await self.settle()
        except StorageError as exc:  # the database or Redis is down: try again next time
            log.warning("visitor state unavailable; events kept", extra={"error": str(exc)})
        self._served_into_buffer()
        rows = self.buffer.drain()
        capped, self.capped = self.capped, {}
        try:
            await storage.add_counts(rows)
        except BaseException:
            self.buffer.restore(rows)
            self._keep_capped(capped)
            raise
        try:  # a transaction of its own: the counts above are written, whatever happens here
            await storage.add_capped([(*key, n) for key, n in capped.items()])
        except BaseException:
            self._keep_capped(capped)
            raise
        return len(rows)

    def _keep_capped(self, capped: dict[tuple[date, int, int], int]) -> None:
        for key, n in capped.items():
            self.capped[key] = self.capped.get(key, 0) + n

    async def run(self, storage: Storage, interval: float, stop: asyncio.Event) -> None:
        """Flush every ``interval`` seconds until ``stop`` is set, then write what remains.

        A stop never interrupts a write: the flush in progress finishes first.
        """
        while not await stopped(stop, interval):
            try:
                await self.flush(storage)
            except Exception as exc:  # whatever it was, the rows wait for the next try
                log.warning("flush failed, counts kept for the next try", extra={"error": str(exc)})
        await self.flush_remaining(storage)
        # What this process credited over its life, and what it could not write (0 unless
        # the database refused every last try, logged above): stored counts of a deployment
        # add up to the sum of these lines (tests/test_server_processes.py compares them).
        log.info(
            "counting stopped",
            extra={
                "views_credited": self.credited["viewed"],
                "clicks_credited": self.credited["clicked"],
                "rows_unwritten": len(self.buffer),
                "rejected": dict(self.rejected),
            },
        )

    async def flush_remaining(self, storage: Storage, attempts: int = FINAL_ATTEMPTS) -> None:
        """The last flush of a stopping server: tried again while the database is busy.

        Done when nothing is left: no rows, and no events waiting to be settled (a
        click waiting for its view gets its remaining tries right away).
        """
        error = ""
        for attempt in range(1, attempts + 1):
            try:
                await self.flush(storage)
            except Exception as exc:
                error = str(exc)
                log.warning("final flush failed, trying again", extra={"error": error})
            else:
                if not self._pending:
                    return
                if all(isinstance(e, PendingClick) for e in self._pending):
                    continue  # only clicks waiting for a view: settle again at once
                error = "the visitor state did not answer"
            if attempt < attempts:
                await asyncio.sleep(FINAL_RETRY_SECONDS)
        log.error(
            "counts not written at shutdown",
            extra={
                "error": error,
                "rows": len(self.buffer) + sum(self._served.values()),
                "events": len(self._pending),
            },
        )
