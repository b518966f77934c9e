"""Visitor state that every server process shares and a restart does not reset.

What the intake must remember about visitors, so that a view or click counts
once however many processes serve and however often they restart:

* **claims**: one-time marks ("this view token was used", "this visitor was
  credited a view of this theme today"); a claim is new exactly once;
* **tallies**: counters per network address and day (the daily caps);
* **salts**: one random salt per UTC day, the same in every process, so the
  same visitor hashes to the same key everywhere.

Every key is a 16-byte BLAKE2b digest made with the day's salt, so nothing
personal is stored, and once a salt is forgotten (after two days) no key can
be linked to an address again.  Every key expires at the end of the next UTC
day at the latest.

Backends: Redis (``WIDGET_REDIS_URL``; one pipelined round trip per flush) or
the database (``storage.settle_visitors``; one transaction per flush), and an
in-memory one for a single process (tests, counting switched off).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, cast

from widget_server.core.errors import StorageError

if TYPE_CHECKING:
    from widget_server.storage import Storage

SALT_DAYS = 2  # a salt is kept for its day and the next, then forgotten


def expiry_of(day: date) -> float:
    """When marks made on ``day`` may be forgotten: the end of the next UTC day."""
    end = datetime.combine(day + timedelta(days=2), datetime.min.time(), UTC)
    return end.timestamp()


@dataclass(frozen=True)
class Settled:
    """What the shared state said about one batch."""

    new: frozenset[bytes]  # the claims that did not exist before
    totals: Mapping[bytes, int]  # each tally's total after this batch's increments


class VisitorStore(Protocol):
    """Shared visitor state: claims, tallies and daily salts (see the module docstring)."""

    async def salt(self, day: date) -> bytes:
        """The day's salt: made by the first process that asks, the same for all."""
        ...

    async def settle(
        self, claims: Collection[bytes], tallies: Mapping[bytes, int], expires: float
    ) -> Settled:
        """Claim every key and add to every tally, atomically enough for counting.

        ``claims`` are distinct keys; the answer says which were new.  ``tallies``
        maps a key to how much to add; the answer gives the totals afterwards.
        """
        ...

    async def close(self) -> None: ...


class SaltCache:
    """The salts a process has read, today's and yesterday's only."""

    def __init__(self) -> None:
        self._salts: dict[date, bytes] = {}

    def get(self, day: date) -> bytes | None:
        return self._salts.get(day)

    def put(self, day: date, salt: bytes) -> bytes:
        self._salts = {d: s for d, s in self._salts.items() if (day - d).days < SALT_DAYS}
        self._salts[day] = salt
        return salt


class MemoryStore:
    """One process's visitor state, kept until the process ends (tests, or a server
    that counts nothing); nothing in it expires."""

    def __init__(self) -> None:
        self._salts = SaltCache()
        self._claims: dict[bytes, float] = {}
        self._tallies: dict[bytes, tuple[int, float]] = {}

    async def salt(self, day: date) -> bytes:
        return self._salts.get(day) or self._salts.put(day, secrets.token_bytes(32))

    async def settle(
        self, claims: Collection[bytes], tallies: Mapping[bytes, int], expires: float
    ) -> Settled:
        new = frozenset(k for k in claims if k not in self._claims)
        for key in new:
            self._claims[key] = expires
        totals = {}
        for key, n in tallies.items():
            total = self._tallies.get(key, (0, expires))[0] + n
            self._tallies[key] = (total, expires)
            totals[key] = total
        return Settled(new, totals)

    async def close(self) -> None:
        return None


class RedisStore:
    """Visitor state in Redis: ``SET NX`` claims and ``INCRBY`` tallies, with expiry."""

    def __init__(self, url: str, prefix: str = "partnerkreis:v1:") -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix  # several networks (or tests) may share one Redis
        self._salts = SaltCache()

    async def salt(self, day: date) -> bytes:
        cached = self._salts.get(day)
        if cached is not None:
            return cached
        with _translated():
            return self._salts.put(day, await self._shared_salt(day))

    async def _shared_salt(self, day: date) -> bytes:
        key = f"{self._prefix}salt:{day.isoformat()}"
        ttl = int(expiry_of(day) - datetime.now(UTC).timestamp()) + 1
        await self._redis.set(key, secrets.token_bytes(32), nx=True, ex=max(ttl, 1))
        value = await self._redis.get(key)
        if not isinstance(value, bytes) or len(value) != 32:
            raise StorageError(f"Redis returned no salt for {day}")
        return value

    async def settle(
        self, claims: Collection[bytes], tallies: Mapping[bytes, int], expires: float
    ) -> Settled:
        at = int(expires)
        ordered = list(claims)
        counted = list(tallies.items())
        # One round trip; Redis runs the commands in this order.
        prefix = self._prefix.encode()
        with _translated():
            results = await self._pipeline(prefix, ordered, counted, at)
        new = frozenset(k for k, ok in zip(ordered, results, strict=False) if ok)
        rest = results[len(ordered) :]
        totals = {key: cast(int, rest[2 * i]) for i, (key, _) in enumerate(counted)}  # INCRBY
        return Settled(new, totals)

    async def _pipeline(
        self, prefix: bytes, ordered: list[bytes], counted: list[tuple[bytes, int]], at: int
    ) -> list[object]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in ordered:
                pipe.set(prefix + b"c:" + key, b"1", nx=True, exat=at)
            for key, n in counted:
                name = prefix + b"t:" + key
                pipe.incrby(name, n)
                pipe.expireat(name, at)
            results: list[object] = await pipe.execute()
        return results

    async def close(self) -> None:
        await self._redis.aclose()


@contextmanager
def _translated() -> Iterator[None]:
    """Redis errors as our StorageError, so the flusher keeps the events and goes on."""
    import redis

    try:
        yield
    except redis.RedisError as exc:
        raise StorageError(f"Redis: {exc}") from exc


class DatabaseStore:
    """Visitor state in the network's database: two small tables and the salts."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._salts = SaltCache()

    async def salt(self, day: date) -> bytes:
        cached = self._salts.get(day)
        if cached is not None:
            return cached
        return self._salts.put(day, await self._storage.visitor_salt(day, secrets.token_bytes(32)))

    async def settle(
        self, claims: Collection[bytes], tallies: Mapping[bytes, int], expires: float
    ) -> Settled:
        new, totals = await self._storage.settle_visitors(claims, tallies, expires)
        return Settled(frozenset(new), totals)

    async def close(self) -> None:
        return None


def visitor_store(redis_url: str | None, storage: Storage, network_key: bytes) -> VisitorStore:
    """Redis when configured, the database otherwise.

    In Redis the keys carry a prefix derived from the network's key, so several
    networks can share one Redis without seeing each other's visitors.
    """
    if redis_url:
        tag = hashlib.blake2b(network_key, digest_size=6, person=b"pk-redis").hexdigest()
        return RedisStore(redis_url, prefix=f"partnerkreis:{tag}:")
    return DatabaseStore(storage)
