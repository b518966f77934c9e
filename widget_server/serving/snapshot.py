"""The in-memory snapshot that the widget hot path reads instead of the database.

A :class:`Snapshot` is an immutable, indexed copy of the network (a
:class:`Network`) with each theme compiled into a
:class:`~widget_server.rotation.ThemePool` (its parsed rules, its members as
selection sees them, and their fair-exchange balances).  Pools are built on
first use and kept: a new snapshot takes over every pool its change did not
touch.

It is kept in step with the storage by the :class:`~widget_server.serving.holder.SnapshotHolder`
(serving/holder.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from array import array
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from widget_server.core.collation import sort_key
from widget_server.core.models import Member, MemberRecord, Placement, RuleSet, Theme
from widget_server.network.rules import theme_rules
from widget_server.network.scope import last_served_in, load_themes_network
from widget_server.rotation import MemberInfo, Rules, ThemePool
from widget_server.rotation.fairness import balances
from widget_server.rotation.ledger import (
    Figures,
    ThemeLedger,
    compute_ledger,
    window_start,
)
from widget_server.rotation.pool import Keyed, Profile, Roster, Slugs, eligible_ids, joined_at
from widget_server.serving.cache import DEFAULT_BYTES, DEFAULT_SIZE, RenderCache
from widget_server.serving.columns import EMPTY_THEME, ThemeMembers
from widget_server.serving.indexed import Lazy, Members, Network
from widget_server.storage import NetworkData, Storage

log = logging.getLogger(__name__)

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


@functools.lru_cache(maxsize=1024)  # a few distinct days, for 200,000 hosts at an install
def _end_of_day(day: date) -> float:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp()


def _today(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).date()


@dataclass(frozen=True)
class LedgerState:
    """The installed fairness ledger: each theme's published ledger (``themes``), or,
    for the commands, figures computed from rows with their last-served days."""

    themes: Mapping[int, ThemeLedger] | None = None
    computed: Mapping[int, Figures] = field(default_factory=dict)
    served: Mapping[int, Mapping[int, date]] = field(default_factory=dict)

    @classmethod
    def of(cls, ledger: LedgerInput, rules: Mapping[int, Rules], now: float) -> LedgerState:
        if ledger.themes is not None:
            return cls(themes=ledger.themes)
        half_lives = {t: r.fairness.half_life_days for t, r in rules.items()}
        served: dict[int, dict[int, date]] = {}
        for (theme_id, host_id), day in ledger.last_served.items():
            served.setdefault(theme_id, {})[host_id] = day
        return cls(None, compute_ledger(ledger.rows, _today(now), half_lives), served)

    def apply(self, pool: ThemePool, now: float) -> ThemePool:
        """``pool`` with this ledger's figures, last-served days and balances."""
        if self.themes is not None:
            return with_ledger(pool, self.themes.get(pool.theme_id), now)
        theme_id = pool.theme_id
        return with_balances(
            pool, self.computed.get(theme_id, {}), self.served.get(theme_id, {}), now
        )


def with_balances(
    pool: ThemePool, figures: Figures, served: Mapping[int, date], at: float
) -> ThemePool:
    """``pool`` with the given ledger figures, last-served days and balances as of ``at``."""
    members: Mapping[int, MemberInfo]
    index: Mapping[int, int] | None = None
    if isinstance(pool.members, Roster):
        roster = pool.members
        members = roster.seen_at({m: _end_of_day(d) for m, d in served.items() if m in roster})
        index = roster.active_index()
    else:
        members = dict(pool.members)
        for m, info in pool.members.items():
            seen = _end_of_day(served[m]) if m in served else None
            if seen != info.last_seen:
                members[m] = replace(info, last_seen=seen)
    active = eligible_ids(members)
    ages = {m: max(0.0, (at - joined_at(members, m)) / DAY) for m in active}
    fairness = pool.rules.fairness
    return replace(
        pool,
        members=members,
        # A new roster's slugs are its own (the old roster is not kept alive by them).
        ids_by_slug=Slugs(members) if isinstance(members, Roster) else pool.ids_by_slug,
        balances=balances(figures, active, fairness, ages, pool.themes_of, index),
        ledger=figures,
    )


def with_ledger(pool: ThemePool, ledger: ThemeLedger | None, now: float) -> ThemePool:
    """``pool`` with a theme's published ledger (none yet: empty, as of ``now``)."""
    if ledger is None:
        return with_balances(pool, {}, {}, now)
    return with_balances(pool, ledger.figures, ledger.served, ledger.computed_at)


def build_pool(network: Network, ledger: LedgerState, theme_id: int, now: float) -> ThemePool:
    """One theme's pool: its rules, members as selection sees them, and balances."""
    theme_rule = network.rules.get(theme_id) or theme_rules(None)
    roster = roster_of(network, network.memberships.get(theme_id, EMPTY_THEME))
    active = roster.active_index()
    counts = array("i", [network.active_themes(m) for m in active])
    pool = ThemePool(
        theme_id=theme_id,
        rules=theme_rule,
        members=roster,
        ids_by_slug=Slugs(roster),
        themes_of=Keyed(active, counts),
    )
    return ledger.apply(pool, now)


def roster_of(network: Network, theme: ThemeMembers) -> Roster:
    """A theme's members as selection sees them (removed members and left memberships
    are not there), as columns sharing the theme's index and join times when every
    membership is there (the common case)."""
    record = network.members.record
    profiles: list[Profile] = []
    eligible = bytearray()
    rows: list[int] = []
    for (member_id, n), status in zip(theme.index.items(), theme.statuses(), strict=True):
        member = record(member_id)
        if member is None or member.status == "removed" or status == "left":
            continue
        rows.append(n)
        profiles.append(member)
        eligible.append(member.status == "active" and status == "active")
    if len(rows) == len(theme):
        return Roster(theme.index, tuple(profiles), bytes(eligible), theme.joined)
    ids = list(theme.index)
    joined = theme.joined
    return Roster(
        {ids[n]: k for k, n in enumerate(rows)},
        tuple(profiles),
        bytes(eligible),
        array("d", [joined[n] for n in rows]),
    )


def build_pools(data: NetworkData, ledger: LedgerInput, now: float) -> dict[int, ThemePool]:
    """Every theme's pool of ``data`` at once (the commands; serving builds them lazily)."""
    network = Network.of(data)
    state = LedgerState.of(ledger, network.rules, now)
    return {t.id: build_pool(network, state, t.id, now) for t in data.themes}


async def fresh_pools(
    storage: Storage, theme_ids: Sequence[int], now: float
) -> tuple[NetworkData, dict[int, ThemePool]]:
    """A few themes' pools as a simulation starts from them, and the part of the network
    they were built from: only those themes' part (``network/scope.py``; the whole
    network at 100,000 members took seconds), a fresh ledger, when widgets were last
    served (the activity gate), built in a worker thread."""
    data = await load_themes_network(storage, theme_ids)
    served = await last_served_in(storage, theme_ids)
    built = await asyncio.to_thread(build_pools, data, LedgerInput((), served), now)
    return data, {t: built[t] for t in theme_ids}


@dataclass
class SnapshotStats:
    """What the holder did, for tests and logs: pools built, loads by kind."""

    pools_built: int = 0
    full_loads: int = 0
    partial_loads: int = 0


class Directory(Sequence[Member]):
    """A theme's active members for its directory page, by name: their records, each
    ``Member`` made when read (kept for every theme a crawler asks for, a list of
    ``Member`` objects would hold a second copy of the network's text)."""

    __slots__ = ("_records",)

    def __init__(self, records: Sequence[MemberRecord]) -> None:
        self._records = records

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, n: Any) -> Any:
        if isinstance(n, slice):
            return [r.member() for r in self._records[n]]
        return self._records[n].member()

    def __iter__(self) -> Iterator[Member]:
        return (r.member() for r in self._records)


@dataclass(frozen=True)
class Snapshot:
    version: int
    themes: Mapping[int, Theme]
    themes_by_slug: Mapping[str, Theme]
    members: Members
    placements: Mapping[int, Placement]
    pools: Lazy[ThemePool]  # theme id -> compiled rules, members, balances
    active_members: Lazy[Directory]  # theme id -> for the directory page
    rule_sets: Mapping[int, RuleSet]
    network: Network = field(compare=False, repr=False)
    ledger: LedgerState = field(compare=False, repr=False)
    # Shared plan parts and rendered blocks, keyed by whatever the renderer needs,
    # each entry filed under its theme (serving/cache.py).  A snapshot made from an
    # earlier one takes over a copy of its cache without the themes it changed.
    cache: RenderCache = field(default_factory=RenderCache, compare=False, repr=False)

    @classmethod
    def empty(cls) -> Snapshot:
        return cls.build(NetworkData(0, (), (), (), (), ()), LedgerInput(), time.time())

    @classmethod
    def build(
        cls,
        data: NetworkData,
        ledger: LedgerInput,
        now: float,
        cache_size: int = DEFAULT_SIZE,
        cache_bytes: int = DEFAULT_BYTES,
    ) -> Snapshot:
        network = Network.of(data)
        ledger_state = LedgerState.of(ledger, network.rules, now)
        return cls.of(network, ledger_state, now, cache=RenderCache(cache_size, cache_bytes))

    @classmethod
    def of(
        cls,
        network: Network,
        ledger: LedgerState,
        now: float,
        *,
        previous: Snapshot | None = None,
        dropped: Collection[int] = (),
        stats: SnapshotStats | None = None,
        cache: RenderCache | None = None,
    ) -> Snapshot:
        """A snapshot of ``network``; the pools of ``previous`` not in ``dropped`` carry over,
        and so does its render cache (a copy, without the entries of ``dropped``)."""

        def pool(theme_id: int) -> ThemePool:
            if stats is not None:
                stats.pools_built += 1
            return build_pool(network, ledger, theme_id, now)

        def directory(theme_id: int) -> Directory:
            listed = pools[theme_id].members.items()
            record = network.members.records.__getitem__
            chosen = [record(i) for i, info in listed if info.eligible]
            return Directory(tuple(sorted(chosen, key=lambda m: sort_key(m.name))))

        themes = network.themes
        keep_pools = previous.pools.kept(themes, dropped) if previous else {}
        keep_lists = previous.active_members.kept(themes, dropped) if previous else {}
        pools = Lazy(themes, pool, keep_pools)
        return cls(
            version=network.version,
            themes=themes,
            themes_by_slug=network.themes_by_slug,
            members=network.members,
            placements=network.placements,
            pools=pools,
            active_members=Lazy(themes, directory, keep_lists),
            rule_sets=network.rule_sets,
            network=network,
            ledger=ledger,
            cache=cache
            if cache is not None
            else previous.cache.without(dropped)
            if previous is not None
            else RenderCache(),
        )

    def with_ledger(
        self,
        themes: Mapping[int, ThemeLedger],
        now: float,
        built: tuple[dict[int, ThemePool], dict[int, Directory], RenderCache] | None = None,
    ) -> Snapshot:
        """This snapshot with new ledgers for ``themes``: the balances of their built pools
        are replaced, nothing else is rebuilt; the render cache drops those themes.

        ``built`` is a copy of the pools, directory lists and render cache so far, taken
        on the event loop's thread when this runs in another.
        """
        pools, lists, cache = built or self.parts(themes)
        ledger = LedgerState(themes={**(self.ledger.themes or {}), **themes})
        new = Snapshot.of(self.network, ledger, now, cache=cache)
        for theme_id, pool in pools.items():
            found = themes.get(theme_id)
            if found is not None:
                pool = with_ledger(pool, found, found.computed_at)
            new.pools.built[theme_id] = pool
        # A ledger changes balances, not who is eligible: the directory lists stay.
        new.active_members.built.update(lists)
        return new

    def parts(
        self, dropped: Collection[int], freed: list[object] | None = None
    ) -> tuple[dict[int, ThemePool], dict[int, Directory], RenderCache]:
        """Copies of the built pools and directory lists, and of the render cache without
        ``dropped``: what a new snapshot takes over (made on the event loop's thread).
        ``freed`` takes the dropped cache entries (``RenderCache.without``)."""
        return (
            dict(self.pools.built),
            dict(self.active_members.built),
            self.cache.without(dropped, freed),
        )

    def cached(self, key: Any) -> Any:
        return self.cache.get(key)

    def remember(self, theme_id: int, key: Any, value: Any) -> Any:
        return self.cache.put(theme_id, key, value)

    def invalidate_theme(self, theme_id: int) -> None:
        """Forget what was rendered for ``theme_id``: call when its data changes."""
        self.cache.invalidate_theme(theme_id)


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
