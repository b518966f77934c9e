"""The ledger kept incrementally equals the ledger computed from scratch over the same rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Clock
from widget_server.core.models import CounterRow, Theme
from widget_server.network.rules import set_rules
from widget_server.rotation.ledger import (
    Base,
    base_from_rows,
    compute_ledger,
    current_figures,
    day_sums,
    roll_base,
    window_days,
)
from widget_server.serving.holder import SnapshotHolder
from widget_server.serving.ledger import RETENTION_DAYS, day_of
from widget_server.serving.snapshot import build_pools, load_ledger
from widget_server.storage import Storage

FIRST = date(2027, 1, 1)
DAY = 86_400


def close(a: dict[int, tuple[float, float]], b: dict[int, tuple[float, float]]) -> None:
    """Equal up to floating-point rounding, a member missing counting as (0, 0)."""
    for m in set(a) | set(b):
        ga, ra = a.get(m, (0.0, 0.0))
        gb, rb = b.get(m, (0.0, 0.0))
        assert ga == pytest.approx(gb, rel=1e-9, abs=1e-7), m
        assert ra == pytest.approx(rb, rel=1e-9, abs=1e-7), m


rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 150),  # day offset
        st.integers(1, 5),  # host
        st.integers(1, 5),  # partner
        st.floats(0.0, 50.0, allow_nan=False),  # exposure
    ),
    max_size=150,
)


@settings(max_examples=40, deadline=None)
@given(
    rows=rows_strategy,
    half_life=st.sampled_from([1.0, 3.5, 14.0, 30.0]),
    jumps=st.lists(st.integers(1, 9), min_size=1, max_size=40),
)
def test_rolling_the_base_day_by_day_equals_computing_from_scratch(
    rows: list[tuple[int, int, int, float]], half_life: float, jumps: list[int]
) -> None:
    counters = [
        CounterRow(FIRST + timedelta(days=d), 1, h, p, "viewed", 1, e)
        for d, h, p, e in rows
        if h != p
    ]
    window = window_days(half_life)
    by_day: dict[date, list[CounterRow]] = {}
    for row in counters:
        by_day.setdefault(row.day, []).append(row)

    def sums(day: date) -> dict[int, tuple[float, float]]:
        return day_sums(by_day.get(day, [])).get(1, {})

    base = Base(FIRST, half_life, window)
    today = FIRST
    for jump in jumps:  # the job does not run every day: several days roll at once
        today += timedelta(days=jump)
        while base.day < today:
            closed = sums(base.day - timedelta(days=1))
            leaving = sums(base.day - timedelta(days=window))
            base = roll_base(base, closed, leaving)
        incremental = current_figures(base, sums(today - timedelta(days=1)), sums(today))
        in_window = [r for r in counters if r.day >= today - timedelta(days=window)]
        scratch = compute_ledger(in_window, today, {1: half_life}).get(1, {})
        close(dict(incremental), scratch)
        rebuilt = base_from_rows(counters, today, half_life, window)
        close(dict(rebuilt.figures), dict(base.figures))


# -- the job in the database --------------------------------------------------------------


async def scratch_pools(storage: Storage, now: float) -> dict[int, object]:
    data = await storage.load_network()
    return build_pools(data, await load_ledger(storage, now, data), now)  # type: ignore[return-value]


async def assert_same_as_scratch(holder: SnapshotHolder, storage: Storage, now: float) -> None:
    scratch = await scratch_pools(storage, now)
    for theme_id, pool in holder.current.pools.items():
        other = scratch[theme_id]
        close(dict(pool.ledger), dict(other.ledger))  # type: ignore[attr-defined]
        assert pool.members == other.members  # type: ignore[attr-defined]  # last-served days
        for m, balance in pool.balances.items():
            theirs = other.balances[m]  # type: ignore[attr-defined]
            assert balance.multiplier == pytest.approx(theirs.multiplier, rel=1e-7), m
            assert balance.debt == pytest.approx(theirs.debt, rel=1e-7, abs=1e-9), m
            assert balance.entitlement == pytest.approx(theirs.entitlement, rel=1e-7, abs=1e-9)


@pytest.mark.asyncio
async def test_the_ledger_in_the_database_equals_the_one_from_scratch_over_months(
    storage: Storage, network: dict[str, int]
) -> None:
    theme = (await storage.get_theme("hochzeit")).id
    members = sorted(m.id for m in await storage.list_members())
    clock = Clock(1_800_000_000.0)
    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()
    for n in range(140):  # past the 112-day window: days leave it again
        day = day_of(clock.now)
        host = members[n % len(members)]
        rows = [
            CounterRow(day, theme, host, p, "viewed", 1, 1.0 + (n * p) % 7 / 3)
            for p in members
            if p != host and (n + p) % 3
        ]
        rows.append(CounterRow(day, theme, host, 0, "served", 2))
        await storage.add_counts(rows)
        if n % 5 != 4:  # some days the job does not run at all
            await holder.refresh_ledger()
            await assert_same_as_scratch(holder, storage, clock.now)
        clock.advance(DAY if n % 3 else DAY + 3600)
        if n == 100:  # a new half-life: the theme is rebuilt from its rows once
            await set_rules(storage, "hochzeit", {"fairness": {"half_life_days": 10}}, "t")
            await holder.refresh()
    await holder.refresh_ledger()
    await assert_same_as_scratch(holder, storage, clock.now)


@pytest.mark.asyncio
async def test_a_ledger_install_replaces_balances_only(
    storage: Storage, network: dict[str, int]
) -> None:
    await storage.create_theme(Theme(0, "stadt", "Stadt", "Town"))
    quiet = (await storage.get_theme("stadt")).id
    theme = (await storage.get_theme("hochzeit")).id
    members = sorted(m.id for m in await storage.list_members())
    clock = Clock(1_800_000_000.0)
    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()
    before = holder.current
    # Pools and directory lists are built on first use: build them before the install.
    built = {t: (before.pools[t], before.active_members[t]) for t in (quiet, theme)}
    clock.advance(90)
    await storage.add_counts(
        [CounterRow(day_of(clock.now), theme, members[0], members[1], "viewed", 1, 1.0)]
    )
    await holder.refresh_ledger()
    after = holder.current
    assert after.pools[theme].ledger[members[0]] == (1.0, 0.0)
    assert after.pools[quiet] is built[quiet][0]  # unchanged theme: untouched
    assert after.pools[theme].members.keys() == built[theme][0].members.keys()
    for t in (quiet, theme):  # the directory lists are kept as they are
        assert after.active_members[t] is built[t][1]
    for name in ("members", "placements", "themes", "rule_sets"):
        assert getattr(after, name) is getattr(before, name)
    versions = await storage.get_ledger()
    assert versions is not None and set(versions.themes) == {theme, quiet}
    assert versions.themes[theme].version == 2 and versions.themes[quiet].version == 1


@pytest.mark.asyncio
async def test_the_flush_keeps_the_last_served_day(
    storage: Storage, network: dict[str, int]
) -> None:
    theme = (await storage.get_theme("hochzeit")).id
    d1, d2 = date(2027, 1, 10), date(2027, 1, 12)
    await storage.add_counts([CounterRow(d2, theme, 1, 0, "served", 1)])
    await storage.add_counts(
        [CounterRow(d1, theme, 1, 0, "served", 1), CounterRow(d1, theme, 2, 0, "served", 3)]
    )
    await storage.add_counts([CounterRow(d2, theme, 3, 4, "viewed", 1, 1.0)])
    assert await storage.last_served(theme) == {(theme, 1): d2, (theme, 2): d1}


@pytest.mark.asyncio
async def test_old_ledger_versions_are_pruned_but_each_themes_latest_stays(
    storage: Storage, network: dict[str, int]
) -> None:
    theme = (await storage.get_theme("hochzeit")).id
    members = sorted(m.id for m in await storage.list_members())
    clock = Clock(1_800_000_000.0)
    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()
    first = await storage.ledger_at(theme, clock.now)
    assert first is not None
    clock.advance(DAY)
    await storage.add_counts(
        [CounterRow(day_of(clock.now), theme, members[0], members[1], "viewed", 1, 1.0)]
    )
    await holder.refresh_ledger()
    assert await storage.ledger_at(theme, clock.now - 1) == first  # still kept
    clock.advance(RETENTION_DAYS * DAY)
    await holder.refresh_ledger()
    assert await storage.ledger_at(theme, first.computed_at) is None  # past the retention
    latest = await storage.ledger_at(theme, clock.now)
    assert latest is not None and latest.computed_at == clock.now
