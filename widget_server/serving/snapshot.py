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
  does) brings the per-theme ledger in the database up to date
  (``serving/ledger.py``); every process installs the themes that changed at
  its next poll, replacing their balances only (``Snapshot.with_ledger``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from widget_server.core.models import Member, Placement, RuleSet, Theme
from widget_server.core.stopping import stopped
from widget_server.network.rules import theme_rules
from widget_server.rotation import MemberInfo, Rules, ThemePool
from widget_server.rotation.fairness import balances
from widget_server.rotation.ledger import (
    Figures,
    ThemeLedger,
    compute_ledger,
    read_theme_document,
    window_start,
)
from widget_server.serving.ledger import compute_ledger_update
from widget_server.storage import NetworkData, Storage
from widget_server.storage.base import LedgerUpdate, ThemeVersion

log = logging.getLogger(__name__)

# Entries kept in a snapshot's render cache before it is emptied; each entry
# is one plan or one rendered block (a few hundred bytes to a few kB).
CACHE_LIMIT = 20_000
DAY = 86_400


@dataclass(frozen=True)
class LedgerInput:
    """What the balances come from: daily ``viewed`` rows and last-served days, or
    (``themes``) each theme's published ledger, as the serving processes install it.

    With ``themes`` a theme's newcomer ages are taken when its ledger was computed,
    so its balances depend on stored data only (``explain --at`` replays them).
    """

    rows: tuple[Any, ...] = ()
    last_served: Mapping[tuple[int, int], date] = field(default_factory=dict)
    themes: Mapping[int, ThemeLedger] | None = None


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
    published = ledger.themes
    computed: Mapping[int, Figures] = {}
    served: dict[int, dict[int, date]] = {}
    if published is None:
        half_lives = {t: r.fairness.half_life_days for t, r in rules.items()}
        computed = compute_ledger(ledger.rows, _today(now), half_lives)
        for (theme_id, host_id), day in ledger.last_served.items():
            served.setdefault(theme_id, {})[host_id] = day
    infos: dict[int, dict[int, MemberInfo]] = {t.id: {} for t in data.themes}
    for ms in data.memberships:
        member = members.get(ms.member_id)
        if member is None or member.status == "removed" or ms.status == "left":
            continue
        infos.setdefault(ms.theme_id, {})[member.id] = MemberInfo(
            id=member.id,
            slug=member.slug,
            category=member.category,
            town=member.town,
            postal_code=member.postal_code,
            eligible=member.status == "active" and ms.status == "active",
            joined=_timestamp(ms.joined),
        )
    # One equal share per member across the network: count its active themes.
    themes_of: dict[int, int] = {}
    for theme_infos in infos.values():
        for info in theme_infos.values():
            if info.eligible:
                themes_of[info.id] = themes_of.get(info.id, 0) + 1
    pools = {}
    for theme in data.themes:
        theme_members = infos.get(theme.id, {})
        active = [m.id for m in theme_members.values() if m.eligible]
        pool = ThemePool(
            theme_id=theme.id,
            rules=rules[theme.id],
            members=theme_members,
            ids_by_slug={m.slug: m.id for m in theme_members.values()},
            themes_of={m: themes_of[m] for m in active},
        )
        if published is None:
            figures = computed.get(theme.id, {})
            pools[theme.id] = with_balances(pool, figures, served.get(theme.id, {}), now)
        else:
            pools[theme.id] = with_ledger(pool, published.get(theme.id), now)
    return pools


def with_balances(
    pool: ThemePool, figures: Figures, served: Mapping[int, date], at: float
) -> ThemePool:
    """``pool`` with the given ledger figures, last-served days and balances as of ``at``."""
    members = dict(pool.members)
    for m, info in pool.members.items():
        seen = _end_of_day(served[m]) if m in served else None
        if seen != info.last_seen:
            members[m] = replace(info, last_seen=seen)
    active = [m for m, info in members.items() if info.eligible]
    ages = {m: max(0.0, (at - members[m].joined) / DAY) for m in active}
    return replace(
        pool,
        members=members,
        balances=balances(figures, active, pool.rules.fairness, ages, pool.themes_of),
        ledger=figures,
    )


def with_ledger(pool: ThemePool, ledger: ThemeLedger | None, now: float) -> ThemePool:
    """``pool`` with a theme's published ledger (none yet: empty, as of ``now``)."""
    if ledger is None:
        return with_balances(pool, {}, {}, now)
    return with_balances(pool, ledger.figures, ledger.served, ledger.computed_at)


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
                    key=lambda m: m.name.casefold(),
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

    def with_ledger(self, themes: Mapping[int, ThemeLedger]) -> Snapshot:
        """This snapshot with new ledgers for ``themes``: their balances are replaced,
        nothing else is rebuilt (the render cache starts empty)."""
        pools = dict(self.pools)
        for theme_id, ledger in themes.items():
            if theme_id in pools:
                pools[theme_id] = with_ledger(pools[theme_id], ledger, ledger.computed_at)
        return replace(self, pools=pools, cache={})

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


def _read_themes(themes: Mapping[int, ThemeVersion]) -> dict[int, ThemeLedger]:
    changed = {}
    for theme_id, found in themes.items():
        try:
            changed[theme_id] = read_theme_document(
                found.version, found.computed_at, found.document
            )
        except ValueError as exc:
            log.error(
                "stored ledger unreadable",
                extra={"theme_id": theme_id, "version": found.version, "error": str(exc)},
            )
    return changed


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
        self._ledger: dict[int, ThemeLedger] = {}  # theme -> its installed ledger
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
            self._install()
            log.info("snapshot loaded", extra={"version": self._data.version})
            return True

    async def refresh_ledger(self, *, force: bool = True) -> None:
        """Bring the deployment's ledger up to date in the database, and install it.

        Without ``force`` only when the stored ledger is older than the ledger
        interval.  While another process is computing, the stored ledger is
        installed and the new one follows at a later poll.
        """
        async with self._lock:
            now = self._clock()
            data = self._data

            async def compute() -> LedgerUpdate:
                return await compute_ledger_update(self._storage, now, data)

            stale_before = math.inf if force else now - self._ledger_interval
            await self._storage.publish_ledger(compute, stale_before=stale_before, now=now)
            self._ledger_checked = time.monotonic()
            await self._install_ledger()

    async def poll_ledger(self) -> bool:
        """Install the ledger another process stored; True when a new one was installed."""
        if await self._storage.ledger_version() == self._ledger_version:
            return False
        async with self._lock:
            return await self._install_ledger()

    async def _install_ledger(self) -> bool:
        """Install the themes whose published ledger changed since the installed version."""
        stored = await self._storage.get_ledger(since=self._ledger_version)
        if stored is None or stored.version == self._ledger_version:
            return False
        # Parsing and the new balances run off the event loop (the lock keeps any other
        # install out meanwhile); the finished snapshot is swapped in at once.
        changed = await asyncio.to_thread(_read_themes, stored.themes)
        current = await asyncio.to_thread(self.current.with_ledger, changed)
        self._ledger = {**self._ledger, **changed}
        self._ledger_version = stored.version
        self.current = current
        log.info(
            "ledger installed", extra={"ledger_version": stored.version, "themes": len(changed)}
        )
        return True

    def _install(self) -> None:
        ledger = LedgerInput(themes=self._ledger)
        self.current = Snapshot.build(self._data, ledger, self._clock())

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
