"""Play a network forward day by day: several themes, traffic that changes, events, baselines.

``run_scenario`` is the simulator's core.  Each simulated day it

1. applies the day's events (join, pause, resume, leave, traffic change) and
   the day's traffic, splitting each member's views evenly over the themes it
   is active in (one placement per theme);
2. keeps each theme's decayed ledger as the server does
   (:mod:`~widget_server.rotation.ledger`: a base of the closed days rolled
   once a day, plus yesterday's and today's sums) and computes the balances
   with :func:`~widget_server.rotation.fairness.balances`;
3. 24 times a day plans each host that has views with
   :func:`~widget_server.rotation.plan` (from the theme's shared part) and
   draws its blocks with :func:`~widget_server.rotation.draw` (a quick plan's
   with ``pipeline.quick_members``: the same members, without slot objects) as
   the server serves them: one block per host and rotation bucket of the rules
   (``rotation.bucket_seconds``, 300 s by default; the bucket numbers are the
   server's), seen by every view of that host in that bucket; with
   ``rotation.granularity: request`` every view draws a block of its own;
4. records per member and day the exposure given, received (slots that count
   in the ledger) and reachable (the rule-aware bound, from the same plans),
   and per day the blocks that came out empty or short.

Three strategies run on the same traffic: ``engine`` (the rules as given),
``equal`` (the same rules with equal random rotation: strategy ``weighted``,
no weights) and ``credit`` (the plain 1:1 credit exchange of
:mod:`~widget_server.counting.credit`; one block per bucket too).  No second
fairness formula lives here: the baselines are only compared with the engine.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from widget_server.counting.credit import Credits, E, credit_candidates, credit_draw
from widget_server.counting.reach import add_reach
from widget_server.rotation import MemberInfo, Plan, ThemePool, draw, plan
from widget_server.rotation.fairness import balances
from widget_server.rotation.ledger import (
    Base,
    Figures,
    closed_figures,
    roll_base,
    window_days,
    with_today,
)
from widget_server.rotation.pipeline import quick_members
from widget_server.rotation.rules import Rules
from widget_server.rotation.shared import SharedPlan, shared_plan

DAY = 86_400
# Rotating per request, each view draws with a nonce of its own; nonces of different
# days never meet: day d draws from d * BUCKETS_PER_DAY on.
BUCKETS_PER_DAY = 10**9
STRATEGIES = ("engine", "equal", "credit")
TICKS_PER_DAY = 24  # ledger and plans recomputed hourly
FIRST_DAY_TICKS = 48
BUCKETS_PER_TICK = 10**7
EVENT_KINDS = ("join", "pause", "resume", "leave", "traffic")
TOTALS = ("given", "received", "reach", "reach_uncapped", "pinned", "views")


@dataclass(frozen=True)
class Event:
    day: int  # 0-based simulated day it takes effect (at the start of the day)
    kind: str  # one of EVENT_KINDS
    member: int
    factor: float = 1.0  # kind "traffic": the member's views are multiplied by this


@dataclass(frozen=True)
class Scenario:
    pools: Mapping[int, ThemePool]  # theme id -> pool (members, rules)
    traffic: Mapping[int, float]  # member -> block views per day, over all its themes
    days: int
    # From a traffic file: day -> member -> views per day from that day on.
    schedule: Mapping[int, Mapping[int, float]] = field(default_factory=dict)
    events: tuple[Event, ...] = ()


@dataclass
class Day:
    """What one simulated day produced, per member (summed over themes)."""

    given: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    received: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    reach: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    reach_uncapped: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    pinned: dict[int, float] = field(default_factory=lambda: defaultdict(float))  # via pins
    views: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    blocks: int = 0
    short: int = 0  # fewer partners than the block's size (but shown)
    empty: int = 0  # no block at all (fallback)
    active: frozenset[int] = frozenset()
    flows: dict[tuple[int, int], float] = field(default_factory=lambda: defaultdict(float))


def _strategy_pools(pools: Mapping[int, ThemePool], strategy: str) -> dict[int, ThemePool]:
    if strategy == "equal":
        return {
            t: replace(p, rules=replace(p.rules, strategy="weighted", weights={}, periods=()))
            for t, p in pools.items()
        }
    return dict(pools)


def bucket_views(
    n: int, begin: float, length: float, rules: Rules, nonce: int
) -> list[tuple[float, int, int]]:
    """A host's ``n`` views of a tick, spread evenly over ``[begin, begin + length)``, as
    (moment within the tick, bucket, views): one entry per rotation bucket they fall in,
    as the server serves one block per host and bucket; rotating per request, one per
    view, each with a nonce of its own.  At most one entry per bucket of the tick,
    however many views."""
    if rules.granularity == "request":
        return [((v + 0.5) / n, nonce + v, 1) for v in range(n)]
    size = rules.bucket_seconds

    def bucket_of(v: int) -> int:  # the server's bucket of view v
        return int((begin + (v + 0.5) * length / n) // size)

    out = []
    done = 0
    while done < n:
        bucket = bucket_of(done)
        # The views before the bucket's end, then exact where rounding may differ.
        upto = min(n, max(done + 1, math.ceil(((bucket + 1) * size - begin) * n / length - 0.5)))
        while upto < n and bucket_of(upto) == bucket:
            upto += 1
        while upto > done + 1 and bucket_of(upto - 1) != bucket:
            upto -= 1
        out.append(((done + 0.5) / n, bucket, upto - done))
        done = upto
    return out


@dataclass
class _Theme:
    """One theme through a run: its pool and what the days carry on, and the day's part.

    What changes only from one day to the next (statuses, joins, traffic, the
    ledger's closed days) is worked out once a day (:meth:`start_day`); each
    tick adds only what moves with the moment (:meth:`pool_at`): the members'
    ages and, under an activity gate, the widgets seen now.
    """

    pool: ThemePool
    members: dict[int, MemberInfo]  # the pool's members, read once
    fair: bool  # only fair exchange reads the ledger and balances (equal rotation never)
    gated: bool  # when a widget was last seen matters only to an activity gate
    carry: dict[int, float] = field(default_factory=dict)  # host -> a view not yet whole
    previous: SharedPlan | None = None  # the last tick's shared plan part
    # The day's part (start_day): members as the server holds them, the eligible
    # (sorted), their theme counts and join times, each host's views per tick, the
    # members whose widgets are seen at every tick, the closed days of the ledger.
    today: dict[int, MemberInfo] = field(default_factory=dict)
    active: list[int] = field(default_factory=list)
    themes_of: dict[int, int] = field(default_factory=dict)
    index: dict[int, int] = field(default_factory=dict)  # eligible member -> its place
    joined: list[tuple[int, float]] = field(default_factory=list)
    per_tick: dict[int, float] = field(default_factory=dict)
    seen: list[int] = field(default_factory=list)
    closed: Figures = field(default_factory=dict)

    @classmethod
    def of(cls, pool: ThemePool) -> _Theme:
        rules = pool.rules
        return cls(
            pool,
            dict(pool.members),
            fair=rules.strategy == "fair-exchange"
            or any(r.strategy == "fair-exchange" for _, r in rules.periods),
            gated=rules.inactive_after_days is not None
            or any(r.inactive_after_days is not None for _, r in rules.periods),
        )

    def start_day(
        self,
        status: Mapping[int, str],
        joined_at: Mapping[int, float],
        serving: Mapping[int, float],
        themes_of: Mapping[int, int],
        n_ticks: int,
    ) -> None:
        """The members as the server would hold them today (statuses, joins); a host
        serving views today has its widget seen at every tick (the activity gate)."""
        members = {}
        for m, info in self.members.items():
            eligible = info.eligible and status[m] == "active"
            joined = joined_at.get(m, info.joined)
            if eligible == info.eligible and joined == info.joined:
                members[m] = info  # frozen: the same member
                continue
            # Built directly: ``dataclasses.replace`` costs several times as much.
            members[m] = MemberInfo(
                info.id, info.slug, info.category, info.town, info.postal_code, eligible, joined,
                info.last_seen,
            )  # fmt: skip
        self.today = members
        self.seen = [m for m in members if self.gated and serving.get(m, 0.0) > 0]
        self.active = sorted(m for m, info in members.items() if info.eligible)
        self.themes_of = {m: themes_of[m] for m in self.active}
        self.index = {m: n for n, m in enumerate(self.active)}
        self.joined = [(m, members[m].joined) for m in self.active]
        self.per_tick = {m: serving.get(m, 0.0) / themes_of[m] / n_ticks for m in self.active}

    def pool_at(self, now: float, gave: Mapping[int, float], got: Mapping[int, float]) -> ThemePool:
        """The pool as the server would hold it at ``now``: statuses, joins, balances
        (the ledger: the closed days and the exposure given and received today so far)."""
        members = self.today
        if self.seen:
            members = dict(members)
            for m in self.seen:
                i = members[m]
                members[m] = MemberInfo(
                    i.id, i.slug, i.category, i.town, i.postal_code, i.eligible, i.joined, now
                )
        if not self.fair:  # nobody reads the ledger
            return replace(self.pool, members=members, themes_of=self.themes_of, balances={})
        today = {m: (gave.get(m, 0.0), got.get(m, 0.0)) for m in gave.keys() | got.keys()}
        ledger = with_today(self.closed, today)
        ages = {m: (now - joined) / DAY for m, joined in self.joined}
        fairness = self.pool.rules.fairness
        return replace(
            self.pool,
            members=members,
            themes_of=self.themes_of,
            balances=balances(ledger, self.active, fairness, ages, self.themes_of, self.index),
            ledger=ledger,
        )

    def plans(
        self, pool: ThemePool, now: float, key: bytes, limit: int
    ) -> tuple[SharedPlan, dict[int, tuple[Plan, int]]]:
        """This tick's plan of every host with views (and their views): each host's
        views of the day spread evenly over the ticks, a remainder carried on."""
        # The part of the plans every host shares, made once for this moment.
        shared = shared_plan(pool, pool.rules.at(now), now, now)
        # The theme's keyed orders of the day depend on its candidates and the day
        # only: while they stay, the next tick walks the orders already made.
        last = self.previous
        if last is not None and last.candidates == shared.candidates:
            shared.daily.update(last.daily)
        self.previous = shared
        plans: dict[int, tuple[Plan, int]] = {}
        carry, per_tick = self.carry, self.per_tick
        for host in self.active:
            owed = carry.get(host, 0.0) + per_tick[host]
            n = int(owed + 1e-9)
            carry[host] = owed - n
            if n > 0:
                plans[host] = (plan(pool, host, now, key, limit=limit, shared=shared), n)
        return shared, plans


Spread = dict[tuple[int, str, int], list[tuple[float, int, int]]]


def _sequence(
    plans: Mapping[int, tuple[Plan, int]], begin: float, length: float, nonce: int, spread: Spread
) -> list[tuple[float, int, int, int]]:
    """The blocks of all hosts of a tick interleaved in time (matters to the credit
    baseline): (moment, host, bucket, views).  ``spread`` keeps the tick's
    ``bucket_views`` by views and rotation: hosts with as many views share them."""
    out = []
    for host, (hp, n) in plans.items():
        rules = hp.rules
        how = (n, rules.granularity, rules.bucket_seconds)
        views = spread.get(how)
        if views is None:
            views = spread[how] = bucket_views(n, begin, length, rules, nonce)
        out += [(moment, host, bucket, v) for moment, bucket, v in views]
    out.sort()
    return out


def _show(
    day: Day,
    sequence: Sequence[tuple[float, int, int, int]],
    plans: Mapping[int, tuple[Plan, int]],
    tallies: tuple[dict[tuple[int, int, int], float], dict[int, float], dict[int, float]],
    theme_id: int,
    strategy: str,
    key: bytes,
    credit: dict[int, float],
) -> None:
    """Draw and count every block of ``sequence``: per (theme, host, partner) the exposure
    that counts (a partner shown only where it does not count is there with 0), and
    today's exposure given and received per member (weight 1)."""
    counts, gave, got = tallies
    pinned_exposure = day.pinned
    candidates: dict[int, tuple[list[int], Credits]] = {}  # per host: its plan's, made once
    for _, host, bucket, views in sequence:
        p = plans[host][0]
        members = None if strategy == "credit" else quick_members(p, bucket, key)
        if members is not None:
            # A quick plan's block: positions 1, 2, ..., none pinned, every one counted.
            if not members:
                day.empty += views
            elif len(members) < p.limit:
                day.short += views
            for place, m in enumerate(members, start=1):
                cell = (theme_id, host, m)
                e = views * E[place]
                counts[cell] = counts.get(cell, 0.0) + e
                gave[host] += e
                got[m] += e
            continue
        if strategy == "credit":
            mine = candidates.get(host)
            if mine is None:
                mine = candidates[host] = credit_candidates(p)
            shown = credit_draw(p, credit, host, bucket, views, mine)
        else:
            shown = [(s.member_id, s.position, s.counts, s.pinned) for s in draw(p, bucket, key)]
        if not shown:
            day.empty += views
        elif len(shown) < p.limit:
            day.short += views
        for m, place, counted, pinned in shown:
            cell = (theme_id, host, m)
            if not counted:
                counts.setdefault(cell, 0.0)
                continue
            e = views * E[place]
            counts[cell] = counts.get(cell, 0.0) + e
            gave[host] += e
            got[m] += e
            if pinned:
                pinned_exposure[m] += e


def run_scenario(
    scenario: Scenario,
    strategy: str,
    *,
    key: bytes,
    start: float,
    limit: int = 3,
    ticks: int = TICKS_PER_DAY,
    progress: Callable[[int], None] | None = None,
) -> list[Day]:
    """Play every day of ``scenario`` with ``strategy``; one :class:`Day` per simulated day.

    The ledger and the plans are recomputed ``ticks`` times a day (the server
    recomputes the ledger every minute; once a day would let the credit
    integral overshoot for a whole day and is not what members would see).
    ``progress`` is told the number of days played after each day.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    pools = _strategy_pools(scenario.pools, strategy)
    themes = {t: _Theme.of(p) for t, p in pools.items()}
    half_lives = {t: p.rules.fairness.half_life_days for t, p in pools.items()}
    window = window_days(max(half_lives.values(), default=14.0))
    first_day = datetime.fromtimestamp(start, UTC).date()
    joins = {ev.member: ev.day for ev in scenario.events if ev.kind == "join"}
    status = {m: "absent" if m in joins else "active" for th in themes.values() for m in th.members}
    base = dict(scenario.traffic)
    factor: dict[int, float] = defaultdict(lambda: 1.0)
    joined_at: dict[int, float] = {}
    credit: dict[int, float] = defaultdict(float)
    # The ledger as the server keeps it: per theme the closed days (a base rolled once
    # a day) and the undecayed sums of the days still open (day -> theme -> figures).
    bases = {t: Base(first_day, h, window) for t, h in half_lives.items()}
    sums: dict[int, dict[int, Figures]] = {}
    out: list[Day] = []
    for d in range(scenario.days):
        base.update(scenario.schedule.get(d, {}))
        for ev in (ev for ev in scenario.events if ev.day == d):
            if ev.kind == "join":
                status[ev.member], joined_at[ev.member] = "active", start + d * DAY
            elif ev.kind in ("pause", "leave"):
                status[ev.member] = ev.kind
            elif ev.kind == "resume" and status[ev.member] == "pause":
                status[ev.member] = "active"
            elif ev.kind == "traffic":
                factor[ev.member] *= ev.factor
        serving = {m: v * factor[m] for m, v in base.items()}
        if d > 0:
            for t, b in bases.items():  # day d - 2 closes, day d - 1 - window leaves
                closed, leaving = sums.get(d - 2, {}).get(t), sums.get(d - 1 - window, {}).get(t)
                bases[t] = roll_base(b, closed, leaving)
            sums.pop(d - 1 - window, None)
        yesterday = sums.get(d - 1, {})
        themes_of: dict[int, int] = defaultdict(int)
        for th in themes.values():
            for m, info in th.members.items():
                if info.eligible and status[m] == "active":
                    themes_of[m] += 1
        day = Day(active=frozenset(themes_of))
        counts: dict[tuple[int, int, int], float] = {}
        # Today's exposure so far per theme and member: (given, received), weight 1.
        gave: dict[int, dict[int, float]] = {t: defaultdict(float) for t in pools}
        got: dict[int, dict[int, float]] = {t: defaultdict(float) for t in pools}
        # Many steps on the first day, while the ledger is still empty.
        n_ticks = max(ticks, FIRST_DAY_TICKS) if d == 0 else ticks
        length = DAY / n_ticks
        for t, th in themes.items():
            th.start_day(status, joined_at, serving, themes_of, n_ticks)
            if th.fair:
                th.closed = closed_figures(bases[t], yesterday.get(t))
        for tick in range(n_ticks):
            begin = start + d * DAY + tick * length
            now = begin + length / 2
            nonce = d * BUCKETS_PER_DAY + tick * BUCKETS_PER_TICK
            spread: Spread = {}
            for theme_id, th in themes.items():
                g, r = gave[theme_id], got[theme_id]
                day_pool = th.pool_at(now, g, r)
                shared, plans = th.plans(day_pool, now, key, limit)
                add_reach(day.reach, day.reach_uncapped, plans, th.pool, shared, strategy)
                for host, (_, n) in plans.items():
                    day.views[host] += n
                    day.blocks += n
                sequence = _sequence(plans, begin, length, nonce, spread)
                _show(day, sequence, plans, (counts, g, r), theme_id, strategy, key, credit)
        sums[d] = {
            t: {
                m: (gave[t].get(m, 0.0), got[t].get(m, 0.0)) for m in gave[t].keys() | got[t].keys()
            }
            for t in pools
        }
        given, received, flows = day.given, day.received, day.flows
        for (_, host, partner), exp in counts.items():
            given[host] += exp
            received[partner] += exp
            flows[host, partner] += exp
        out.append(day)
        if progress is not None:
            progress(d + 1)
    return out


def member_totals(days: Sequence[Day], first: int, last: int) -> dict[str, dict[int, float]]:
    """Given, received, reach (capped and not), pinned exposure and views per member.

    Summed over days ``first`` .. ``last`` - 1.
    """
    totals: dict[str, dict[int, float]] = {k: defaultdict(float) for k in TOTALS}
    for day in days[first:last]:
        for name in TOTALS:
            for m, v in getattr(day, name).items():
                totals[name][m] += v
    return totals
