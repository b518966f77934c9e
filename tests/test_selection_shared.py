"""Plans made from a theme's shared part select exactly what the pipeline selected before.

``tests/selection_reference.py`` is the pipeline as it was before plans were
split into a part shared by all hosts of a theme (``rotation/shared.py``) and
a per-host part.  On random networks and rules, the plan of every host, made
with a shared part that covers its moment, made without one, and made for
explain, must match the reference: the same weights, tiers, probabilities,
the day's orders and the same blocks in every bucket.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests import selection_reference as reference
from widget_server.core.errors import ValidationError
from widget_server.rotation import MemberInfo, Rules, ThemePool, draw, parse_rules, plan
from widget_server.rotation.fairness import balances
from widget_server.rotation.keyed import keyed_hash, keyed_hashes
from widget_server.rotation.pipeline import Plan
from widget_server.rotation.shared import shared_plan

KEY = b"shared-plan-test-key"
DAY = 86_400
NOW = 1_749_031_200.0  # a Wednesday, 12:00 in Berlin
SLUGS = [f"m{i}" for i in range(1, 25)]
properties = hypothesis_settings(database=None, max_examples=250, deadline=None)


def same_plan(new: Plan, old: Any, buckets: range) -> None:
    assert new.rules is old.rules
    assert (new.limit, new.pinned, new.free_positions, new.day) == (
        old.limit,
        old.pinned,
        old.free_positions,
        old.day,
    )
    assert new.weights == old.weights
    assert list(new.weights) == list(old.weights)  # the same order, so the same float sums
    assert len(new.tiers) == len(old.tiers)
    for tier, ref in zip(new.tiers, old.tiers, strict=True):
        assert (tier.order, tier.offset, tier.probabilities) == (
            ref.order,
            ref.offset,
            ref.probabilities,
        )
        if tier.orders is not None:
            # The theme's orders cover more members than the tier: filtered, the tier's.
            members = set(tier.probabilities)
            made = tuple(
                tuple(i for i in tier.orders.variant(k) if i in members)
                for k in range(tier.orders.count)
            )
            assert made == ref.variants
        else:
            assert ref.variants == ()
    for bucket in buckets:
        assert draw(new, bucket, KEY) == reference.draw(old, bucket, KEY)


member_infos = st.lists(
    st.tuples(
        st.sampled_from(["florist", "caterer", "venue", ""]),
        st.sampled_from(["Heide", "heide", "Husum", ""]),
        st.sampled_from(["25746", "25704", "24103", ""]),
        st.booleans() | st.just(True),
        st.floats(0, 200),  # joined, days before NOW
        st.none() | st.floats(-2, 60),  # last seen, days before NOW
    ),
    min_size=2,
    max_size=18,
)


@st.composite
def documents(draw_: st.DrawFn, slugs: list[str]) -> dict[str, Any]:
    some = st.lists(st.sampled_from(slugs), max_size=4, unique=True)
    doc: dict[str, Any] = {
        "strategy": draw_(st.sampled_from(["fixed", "round-robin", "weighted", "fair-exchange"])),
    }
    high = draw_(st.integers(1, 6))
    doc["partners"] = {"max": high, "min": draw_(st.integers(0, high))}
    if draw_(st.booleans()):
        doc["weights"] = {s: draw_(st.sampled_from([0, 0.5, 2, 7])) for s in draw_(some)}
    if draw_(st.booleans()):
        doc["order"] = draw_(some)
    exclusions: dict[str, Any] = {}
    if draw_(st.booleans()):
        pairs = draw_(st.lists(st.lists(st.sampled_from(slugs), min_size=2, max_size=2)))
        exclusions["pairs"] = [p for p in pairs if p[0] != p[1]]
    if draw_(st.booleans()):
        exclusions["blocklists"] = {s: draw_(some) for s in draw_(some)}
    exclusions["same_category"] = draw_(st.booleans())
    exclusions["one_per_category"] = draw_(st.booleans())
    doc["exclusions"] = exclusions
    if draw_(st.booleans()):
        doc["pins"] = [
            {
                "member": draw_(st.sampled_from(slugs)),
                "position": draw_(st.integers(1, high)),
                **({"hosts": draw_(some)} if draw_(st.booleans()) else {}),
                **({"schedule": {"weekdays": ["wed"]}} if draw_(st.booleans()) else {}),
            }
            for _ in range(draw_(st.integers(1, 3)))
        ]
    doc["region"] = {
        "mode": draw_(st.sampled_from(["off", "boost", "tiered", "only"])),
        "by": draw_(st.sampled_from(["town", "postal"])),
        "boost": draw_(st.sampled_from([1.5, 3])),
    }
    if draw_(st.booleans()):
        doc["availability"] = [
            {
                "member": s,
                "schedule": {"weekdays": draw_(st.sampled_from([["wed"], ["sat"]]))},
            }
            for s in draw_(some)
        ]
    doc["caps"] = {"max_share": draw_(st.sampled_from([0.2, 0.5, 1.0]))}
    if draw_(st.booleans()):
        doc["activity"] = {"inactive_after_days": draw_(st.integers(1, 40)), "exempt": draw_(some)}
    if draw_(st.booleans()):
        doc["periods"] = [
            {
                "schedule": {"weekdays": ["wed"]},
                "rules": {
                    "fairness": {"alpha": draw_(st.sampled_from([0.8, 0.3]))},
                    "partners": {"max": high, "min": 0},
                },
            }
        ]
    return doc


def make_pool(infos: list[tuple[Any, ...]], document: dict[str, Any]) -> ThemePool:
    members = {
        n: MemberInfo(
            n,
            SLUGS[n - 1],
            category,
            town,
            postal,
            eligible,
            joined=NOW - joined * DAY,
            last_seen=None if seen is None else NOW - seen * DAY,
        )
        for n, (category, town, postal, eligible, joined, seen) in enumerate(infos, start=1)
    }
    try:
        rules = parse_rules(document)
    except ValidationError:
        assume(False)
        raise
    active = sorted(m.id for m in members.values() if m.eligible)
    ledger = {m: (float(m % 5), float(m % 3) * 2) for m in active}
    return pool_of(members, rules, ledger, {m: 1 + m % 2 for m in active})


def pool_of(
    members: dict[int, MemberInfo],
    rules: Rules,
    ledger: dict[int, tuple[float, float]],
    themes_of: dict[int, int],
) -> ThemePool:
    """Theme 7 of ``members`` under ``rules``, its balances from ``ledger`` (the eligible
    members' given and received) at ``NOW``."""
    active = sorted(m.id for m in members.values() if m.eligible)
    ages = {m: (NOW - members[m].joined) / DAY for m in active}
    return ThemePool(
        theme_id=7,
        rules=rules,
        members=members,
        ids_by_slug={m.slug: m.id for m in members.values()},
        balances=balances(ledger, active, rules.fairness, ages, themes_of),
        ledger=ledger,
        themes_of=themes_of,
    )


@properties
@given(
    data=st.data(),
    infos=member_infos,
    offset=st.floats(-3 * DAY, 3 * DAY),
    before=st.floats(0, 900),
    after=st.floats(0, 900),
    limit=st.integers(1, 6),
)
def test_plans_from_a_shared_part_match_the_reference(
    data: st.DataObject,
    infos: list[tuple[Any, ...]],
    offset: float,
    before: float,
    after: float,
    limit: int,
) -> None:
    slugs = SLUGS[: len(infos)]
    pool = make_pool(infos, data.draw(documents(slugs)))
    now = NOW + offset
    rules = pool.rules.at(now)
    shared = shared_plan(pool, rules, now - before, now + after)
    # Rules with nothing that changes with time: one shared part serves for all time.
    timeless = not rules.availability and rules.inactive_after_days is None
    forever = shared_plan(pool, rules, -math.inf, math.inf) if timeless else None
    first = int(now // 300)
    buckets = range(first, first + 12)
    for host in [*pool.members, 99]:  # 99: a host that is not in the theme
        old = reference.plan(pool, host, now, KEY, limit=limit)
        same_plan(plan(pool, host, now, KEY, limit=limit, shared=shared), old, buckets)
        if forever is not None:
            same_plan(plan(pool, host, now, KEY, limit=limit, shared=forever), old, buckets)
        same_plan(plan(pool, host, now, KEY, limit=limit), old, buckets)
        explained = plan(pool, host, now, KEY, limit=limit, explain=True)
        same_plan(explained, old, buckets)
        assert (
            explained.checks
            == reference.plan(pool, host, now, KEY, limit=limit, explain=True).checks
        )


@pytest.mark.parametrize("lapse", [-1.0, 0.0, 30.0, 59.0, 60.0, 61.0])
def test_a_shared_part_decides_an_activity_gate_that_runs_out_inside_its_span(
    lapse: float,
) -> None:
    # m2 was last seen so long ago that its 10-day gate closes ``lapse`` seconds
    # after the span starts; plans on both sides of that moment match the reference.
    infos = [("", "", "", True, 100.0, 0.0)] * 4
    pool = make_pool(infos, {"strategy": "weighted", "activity": {"inactive_after_days": 10}})
    start = NOW
    members = dict(pool.members)
    members[2] = MemberInfo(2, "m2", joined=0.0, last_seen=start + lapse - 10 * DAY)
    pool = ThemePool(7, pool.rules, members, pool.ids_by_slug, pool.balances)
    shared = shared_plan(pool, pool.rules, start, start + 60)
    assert (2 in shared.recheck) is (0.0 <= lapse < 60.0)
    for now in (start, start + 29.5, start + 30, start + 30.5, start + 60):
        for host in pool.members:
            old = reference.plan(pool, host, now, KEY, limit=3)
            new = plan(pool, host, now, KEY, limit=3, shared=shared)
            same_plan(new, old, range(5))
            assert (2 in new.weights) is (now - (start + lapse - 10 * DAY) <= 10 * DAY) or (
                host == 2
            )


def test_a_shared_part_for_other_rules_or_another_moment_is_not_used() -> None:
    pool = make_pool([("", "", "", True, 100.0, 0.0)] * 5, {"strategy": "fair-exchange"})
    shared = shared_plan(pool, pool.rules, NOW, NOW + 60)
    assert shared.covers(pool.rules, NOW + 60)
    assert not shared.covers(pool.rules, NOW + 61)
    assert not shared.covers(parse_rules({"strategy": "fair-exchange"}), NOW)
    # Outside its span the plan is made as if no shared part was given.
    later = NOW + 3 * DAY
    same_plan(
        plan(pool, 1, later, KEY, limit=3, shared=shared),
        reference.plan(pool, 1, later, KEY, limit=3),
        range(3),
    )


@given(
    prefix=st.lists(st.integers(-5, 10**12) | st.text(max_size=5), max_size=4),
    last=st.lists(st.integers(0, 10**12), max_size=30),
)
def test_keyed_hashes_are_keyed_hash_of_prefix_and_member(
    prefix: list[int | str], last: list[int]
) -> None:
    got = keyed_hashes(KEY, tuple(prefix), last)
    assert got == {i: keyed_hash(KEY, *prefix, i) for i in last}


@given(
    weights=st.lists(st.sampled_from([0.0, 0.01, 0.5, 1.0, 1.0, 2.0, 54.6, 1e-6]), max_size=40),
    k=st.integers(0, 6) | st.floats(0, 6),
    cap=st.sampled_from([0.05, 0.2, 0.5, 1.0, 1.5]),
)
def test_inclusion_probabilities_match_the_reference_to_the_bit(
    weights: list[float], k: float, cap: float
) -> None:
    from widget_server.rotation.sampling import inclusion_probabilities

    mapping = dict(enumerate(weights))
    got = inclusion_probabilities(mapping, k, cap=cap)
    assert got == reference.inclusion_probabilities(mapping, k, cap=cap)
    assert list(got) == list(mapping)


@given(
    pi=st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0]), max_size=20),
    u=st.floats(0, 1, exclude_max=True),
    limit=st.integers(0, 5),
)
def test_a_limited_systematic_sample_is_the_start_of_the_full_one(
    pi: list[float], u: float, limit: int
) -> None:
    from widget_server.rotation.sampling import systematic_sample

    order = list(range(len(pi)))
    full = reference.systematic_sample(order, dict(enumerate(pi)), u)
    assert systematic_sample(order, dict(enumerate(pi)), u, limit) == full[:limit]
