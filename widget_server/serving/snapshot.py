"""The in-memory snapshot that the widget hot path reads instead of the database.

A :class:`Snapshot` is an immutable, indexed copy of the network, with each
theme compiled into a :class:`~widget_server.rotation.ThemePool` (its parsed
rules, its members as selection sees them, and their fair-exchange balances).
The :class:`SnapshotHolder` replaces it

* when the storage's data version changes: at once after a write made
  through this process (``refresh()``), and every ``interval`` seconds for
  writes made by other processes (the CLI, other workers);
* when the deployment's fairness ledger changes.  Every ``ledger_interval``
  seconds one process (whichever asks first; the storage makes sure only one
  does) recomputes it from the daily aggregates and stores it; the others
  install the stored one at their next poll.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from widget_server.core.collation import sort_key
from widget_server.core.models import Member, Placement, RuleSet, Theme
from widget_server.core.stopping import stopped
from widget_server.network import categories
from widget_server.network.rules import theme_rules
from widget_server.rotation import MemberInfo, Rules, ThemePool
from widget_server.rotation.fairness import balances
from widget_server.rotation.ledger import (
    Ledger,
    compute_ledger,
    ledger_document,
    read_ledger_document,
    window_start,
)
from widget_server.storage import NetworkData, Storage, StoredLedger

log = logging.getLogger(__name__)

# Entries kept in a snapshot's render cache before it is emptied; each entry
# is one plan or one rendered block (a few hundred bytes to a few kB).
CACHE_LIMIT = 20_000
DAY = 86_400


@dataclass(frozen=True)
class LedgerInput:
    """What the ledger is computed from: daily ``viewed`` rows and last-served days.

    ``computed`` is the ledger already computed (by the process that computed it
    for the deployment); then ``rows`` are not needed.
    """

    rows: tuple[Any, ...] = ()
    last_served: Mapping[tuple[int, int], date] = field(default_factory=dict)
    computed: Ledger | None = None


def _timestamp(iso: str) -> float:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _end_of_day(day: date) -> float:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp()


def _theme_rules(data: NetworkData) -> dict[int, Rules]:
    rule_sets = {r.theme_id: r for r in data.rule_sets}
    return {t.id: theme_rules(rule_sets.get(t.id)) for t in data.themes}


def _today(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).date()


def build_pools(data: NetworkData, ledger: LedgerInput, now: float) -> dict[int, ThemePool]:
    members = {m.id: m for m in data.members}
    rules = _theme_rules(data)
    computed = ledger.computed
    if computed is None:
        half_lives = {t: r.fairness.half_life_days for t, r in rules.items()}
        computed = compute_ledger(ledger.rows, _today(now), half_lives)
    infos: dict[int, dict[int, MemberInfo]] = {t.id: {} for t in data.themes}
    for ms in data.memberships:
        member = members.get(ms.member_id)
        if member is None or member.status == "removed" or ms.status == "left":
            continue
        seen = ledger.last_served.get((ms.theme_id, member.id))
        infos.setdefault(ms.theme_id, {})[member.id] = MemberInfo(
            id=member.id,
            slug=member.slug,
            category=member.category,
            town=member.town,
            postal_code=member.postal_code,
            eligible=member.status == "active" and ms.status == "active",
            joined=_timestamp(ms.joined),
            last_seen=_end_of_day(seen) if seen else None,
        )
    # One equal share per member across the network: count its active themes.
    themes_of: dict[int, int] = {}
    for theme_infos in infos.values():
        for info in theme_infos.values():
            if info.eligible:
                themes_of[info.id] = themes_of.get(info.id, 0) + 1
    pools = {}
    for theme in data.themes:
        theme_rule = rules[theme.id]
        fairness = theme_rule.fairness
        theme_members = infos.get(theme.id, {})
        active = [m.id for m in theme_members.values() if m.eligible]
        ages = {m: (now - theme_members[m].joined) / DAY for m in active}
        pools[theme.id] = ThemePool(
            theme_id=theme.id,
            rules=theme_rule,
            members=theme_members,
            ids_by_slug={m.slug: m.id for m in theme_members.values()},
            balances=balances(
                computed.get(theme.id, {}),
                active,
                fairness,
                ages,
                {m: themes_of[m] for m in active},
            ),
            ledger=computed.get(theme.id, {}),
            themes_of={m: themes_of[m] for m in active},
        )
    return pools


@dataclass(frozen=True)
class Snapshot:
    version: int
    themes: Mapping[int, Theme]
    themes_by_slug: Mapping[str, Theme]
    members: Mapping[int, Member]
    placements: Mapping[int, Placement]
    pools: Mapping[int, ThemePool]  # theme id -> compiled rules, members, balances
    active_members: Mapping[int, tuple[Member, ...]]  # theme id -> for the directory page
    rule_sets: Mapping[int, RuleSet]
    # Plans and rendered blocks of this snapshot, keyed by whatever the renderer
    # needs; emptied wholesale when full, and a new snapshot starts empty.
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def empty(cls) -> Snapshot:
        return cls.build(NetworkData(0, (), (), (), (), ()), LedgerInput(), time.time())

    @classmethod
    def build(cls, data: NetworkData, ledger: LedgerInput, now: float) -> Snapshot:
        members = {m.id: m for m in data.members}
        pools = build_pools(data, ledger, now)
        active = {
            theme_id: tuple(
                sorted(
                    (members[i] for i, info in pool.members.items() if info.eligible),
                    key=lambda m: sort_key(m.name),
                )
            )
            for theme_id, pool in pools.items()
        }
        return cls(
            version=data.version,
            themes={t.id: t for t in data.themes},
            themes_by_slug={t.slug: t for t in data.themes},
            members=members,
            placements={p.id: p for p in data.placements},
            pools=pools,
            active_members=active,
            rule_sets={r.theme_id: r for r in data.rule_sets},
        )

    def cached(self, key: Any) -> Any:
        return self.cache.get(key)

    def remember(self, key: Any, value: Any) -> Any:
        if len(self.cache) >= CACHE_LIMIT:
            self.cache.clear()
        self.cache[key] = value
        return value


async def load_ledger(
    storage: Storage, now: float, data: NetworkData, theme_id: int | None = None
) -> LedgerInput:
    """The ledger's input rows; with ``theme_id`` only that theme's (the same figures)."""
    today = _today(now)
    longest = max((theme_rules(r).fairness.half_life_days for r in data.rule_sets), default=14.0)
    since = window_start(today, max(longest, 14.0))
    if theme_id is None:
        return LedgerInput(tuple(await storage.exposure_since(since)), await storage.last_served())
    rows = await storage.exposure_since(since, theme_id)
    return LedgerInput(tuple(rows), await storage.last_served(theme_id))


async def compute_ledger_document(storage: Storage, now: float, data: NetworkData) -> str:
    """The deployment's ledger as of ``now``, read from the daily aggregates, as JSON."""
    inputs = await load_ledger(storage, now, data)
    half_lives = {t: r.fairness.half_life_days for t, r in _theme_rules(data).items()}
    ledger = compute_ledger(inputs.rows, _today(now), half_lives)
    return ledger_document(ledger, inputs.last_served, _today(now))


class SnapshotHolder:
    """Holds the current snapshot and keeps it in step with the storage."""

    def __init__(
        self,
        storage: Storage,
        interval: float,
        ledger_interval: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
        self._interval = interval
        self._ledger_interval = ledger_interval
        self._clock = clock
        self._lock = asyncio.Lock()
        self._data = NetworkData(0, (), (), (), (), ())
        self._ledger = LedgerInput()
        self._ledger_version = 0
        self._ledger_checked = 0.0  # time.monotonic() of the last turn at computing it
        self.current = Snapshot.empty()

    async def refresh(self) -> bool:
        """Reload if the data version moved; True when a new snapshot was installed."""
        async with self._lock:
            version = await self._storage.data_version()
            if version == self.current.version:
                return False
            self._data = await self._storage.load_network()
            await categories.load(self._storage)  # their labels, before blocks are built
            self._install()
            log.info("snapshot loaded", extra={"version": self._data.version})
            return True

    async def refresh_ledger(self, *, force: bool = True) -> None:
        """Recompute the deployment's ledger from the daily aggregates, store and install it.

        Without ``force`` only when the stored ledger is older than the ledger
        interval.  While another process is computing, the stored ledger is
        installed and the new one follows at a later poll.
        """
        async with self._lock:
            now = self._clock()
            data = self._data

            async def compute() -> str:
                return await compute_ledger_document(self._storage, now, data)

            stale_before = math.inf if force else now - self._ledger_interval
            stored = await self._storage.publish_ledger(compute, stale_before=stale_before, now=now)
            self._ledger_checked = time.monotonic()
            if stored is None:
                stored = await self._storage.get_ledger()
            if stored is not None:
                self._install_ledger(stored)

    async def poll_ledger(self) -> bool:
        """Install the ledger another process stored; True when a new one was installed."""
        if await self._storage.ledger_version() == self._ledger_version:
            return False
        async with self._lock:
            stored = await self._storage.get_ledger()
            if stored is None or stored.version == self._ledger_version:
                return False
            return self._install_ledger(stored)

    def _install_ledger(self, stored: StoredLedger) -> bool:
        if stored.version == self._ledger_version:
            return False
        try:
            computed, last_served = read_ledger_document(stored.document)
        except ValueError as exc:
            log.error(
                "stored ledger unreadable", extra={"version": stored.version, "error": str(exc)}
            )
            return False
        self._ledger = LedgerInput(last_served=last_served, computed=computed)
        self._ledger_version = stored.version
        self._install()
        log.info("ledger installed", extra={"ledger_version": stored.version})
        return True

    def _install(self) -> None:
        self.current = Snapshot.build(self._data, self._ledger, self._clock())

    async def start(self) -> None:
        await self.refresh()
        await self.refresh_ledger(force=False)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll for changes by other processes, and keep the ledger fresh, until ``stop``.

        A stop waits for the poll in progress (the ledger update writes), never cuts it.
        """
        while not await stopped(stop, self._interval):
            try:
                await self.refresh()
                if time.monotonic() - self._ledger_checked >= self._ledger_interval:
                    await self.refresh_ledger(force=False)
                else:
                    await self.poll_ledger()
            except Exception:
                # Keep serving the last good snapshot; the next poll tries again.
                log.exception("snapshot refresh failed")
