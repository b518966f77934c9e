"""The intake of served, viewed and clicked events, with every check in one place.

``Counting`` decides whether an event is credited and says why not (the
reasons are listed in ``REASONS`` and documented in docs/privacy.md); the
HTTP handlers only pass in what the request carries and always answer the
same way, so nobody can probe the rules from outside.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

from widget_server.core.errors import BadTokenError
from widget_server.core.models import Member
from widget_server.core.signing import ClickClaim, Signer
from widget_server.core.stopping import stopped
from widget_server.counting.events import (
    BLOCK,
    CounterBuffer,
    OneTime,
    RateLimiter,
    ViewedSlot,
    Visitors,
    credit_view,
    day_of,
    is_bot,
)
from widget_server.rotation import Slot
from widget_server.serving.snapshot import Snapshot
from widget_server.storage import Storage

log = logging.getLogger(__name__)

VIEW_TOKEN_MAX_AGE = 1800  # seconds from serving a block to its view beacon
VIEWS_PER_MINUTE = 120  # per visitor address; a person cannot see more blocks than this
CLICKS_PER_MINUTE = 30  # per visitor address
FINAL_ATTEMPTS = 10  # the last flush at shutdown, while the database stays busy
FINAL_RETRY_SECONDS = 1.0

DAY_SECONDS = 86_400
EPOCH = date(1970, 1, 1)
ServedKey = tuple[int, int, tuple[int, ...]]  # theme, host, the partners shown

REASONS = (
    "bot",
    "rate-limited",
    "bad-token",
    "expired",
    "replayed",
    "foreign-origin",
    "already-counted",
    "no-view",
    "unknown",
    "disabled",
)


@dataclass(frozen=True)
class Outcome:
    credited: bool
    reason: str | None = None  # one of REASONS when not credited


@dataclass
class Counting:
    signer: Signer
    clock: Callable[[], float] = time.time
    own_hosts: frozenset[str] = frozenset()  # our own host names (the demo's sites live here)
    enabled: bool = True  # False: blocks are served without view tokens, nothing is counted
    buffer: CounterBuffer = field(default_factory=CounterBuffer)
    visitors: Visitors = field(default_factory=Visitors)
    view_limit: RateLimiter = field(default_factory=lambda: RateLimiter(VIEWS_PER_MINUTE, 60))
    click_limit: RateLimiter = field(default_factory=lambda: RateLimiter(CLICKS_PER_MINUTE, 60))
    tokens: OneTime = field(default_factory=lambda: OneTime(VIEW_TOKEN_MAX_AGE))
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> count, for /healthz
    _served: dict[tuple[int, ServedKey], int] = field(default_factory=dict)
    _nonce_base: str = field(default_factory=lambda: secrets.token_hex(4))
    _nonces: itertools.count[int] = field(default_factory=itertools.count)

    # -- served --------------------------------------------------------------------------------

    @staticmethod
    def served_key(theme_id: int, host_id: int, slots: Iterable[Slot]) -> ServedKey:
        return (theme_id, host_id, tuple(s.member_id for s in slots))

    def served(self, theme_id: int, host_id: int, slots: Iterable[Slot]) -> None:
        self.count_served(self.served_key(theme_id, host_id, slots))

    def count_served(self, key: ServedKey) -> None:
        """One served block: a single counter per request; rows are made at flush time."""
        if self.enabled:
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

    def _reject(self, reason: str) -> Outcome:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        return Outcome(False, reason)

    def _visitor_key(self, address: str, user_agent: str, host_id: int) -> bytes:
        return self.visitors.visitor(day_of(self.clock()), address, user_agent, host_id)

    def _address_key(self, address: str) -> bytes:
        return self.visitors.visitor(day_of(self.clock()), address, "", 0)

    def view(
        self,
        token: str,
        snapshot: Snapshot,
        *,
        address: str,
        user_agent: str,
        origin: str | None,
    ) -> Outcome:
        now = self.clock()
        if not self.enabled:
            return self._reject("disabled")
        if is_bot(user_agent):
            return self._reject("bot")
        if not self.view_limit.allow(self._address_key(address), now):
            return self._reject("rate-limited")
        try:
            claim = self.signer.read_view_token(token, VIEW_TOKEN_MAX_AGE)
        except BadTokenError as exc:
            return self._reject("expired" if "expired" in str(exc) else "bad-token")
        placement_id, bucket, nonce = claim.placement_id, claim.bucket, claim.nonce
        slots = [ViewedSlot(p, pos, counts) for p, pos, counts in claim.slots]
        placement = snapshot.placements.get(placement_id)
        host = snapshot.members.get(placement.member_id) if placement else None
        if placement is None or host is None:
            return self._reject("unknown")
        if not self.tokens.use(str(nonce), now):
            return self._reject("replayed")
        if not self.from_host(host, origin):
            return self._reject("foreign-origin")
        day = day_of(now)
        visitor = self._visitor_key(address, user_agent, host.id)
        # Clicks on this block by this visitor may count from now on.
        self.visitors.mark(day, "viewed-block", visitor, placement_id, bucket)
        if not self.visitors.mark(day, "view", visitor, placement.theme_id):
            return self._reject("already-counted")
        credit_view(self.buffer, day, placement.theme_id, host.id, slots)
        return Outcome(True)

    def from_host(self, host: Member, origin: str | None) -> bool:
        """Is the page that sent the beacon on one of the host member's domains?"""
        if not origin:
            return False
        hostname = (urlsplit(origin).hostname or "").lower()
        return hostname in host.domains or hostname in self.own_hosts

    # -- clicks --------------------------------------------------------------------------------

    def click(
        self, claim: ClickClaim, snapshot: Snapshot, *, address: str, user_agent: str
    ) -> Outcome:
        now = self.clock()
        if not self.enabled:
            return self._reject("disabled")
        if is_bot(user_agent):
            return self._reject("bot")
        if not claim.fresh:
            return self._reject("expired")
        if not self.click_limit.allow(self._address_key(address), now):
            return self._reject("rate-limited")
        placement = snapshot.placements.get(claim.placement_id)
        if placement is None or claim.partner_id not in snapshot.members:
            return self._reject("unknown")
        day = day_of(now)
        visitor = self._visitor_key(address, user_agent, placement.member_id)
        if not self.visitors.seen(day, "viewed-block", visitor, claim.placement_id, claim.bucket):
            return self._reject("no-view")
        if not self.visitors.mark(day, "click", visitor, claim.placement_id, claim.partner_id):
            return self._reject("already-counted")
        self.buffer.add((day, placement.theme_id, placement.member_id, claim.partner_id, "clicked"))
        return Outcome(True)

    # -- writing -------------------------------------------------------------------------------

    async def flush(self, storage: Storage) -> int:
        """Write what is buffered in one transaction; on any failure keep it for the next try.

        Any failure includes cancellation: rows taken from the buffer go back to it
        unless the write has returned, so nothing counted is dropped on the way.
        """
        self._served_into_buffer()
        rows = self.buffer.drain()
        if not rows:
            return 0
        try:
            await storage.add_counts(rows)
        except BaseException:
            self.buffer.restore(rows)
            raise
        return len(rows)

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

    async def flush_remaining(self, storage: Storage, attempts: int = FINAL_ATTEMPTS) -> None:
        """The last flush of a stopping server: tried again while the database is busy."""
        for attempt in range(1, attempts + 1):
            try:
                await self.flush(storage)
                return
            except Exception as exc:
                if attempt == attempts:
                    pending = len(self.buffer) + sum(self._served.values())
                    log.error(
                        "counts not written at shutdown",
                        extra={"error": str(exc), "rows": pending},
                    )
                    return
                log.warning("final flush failed, trying again", extra={"error": str(exc)})
                await asyncio.sleep(FINAL_RETRY_SECONDS)
