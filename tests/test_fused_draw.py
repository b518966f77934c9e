"""The fused first sight (``rotation/fused.py``) selects exactly what the plan and its
draw select, to the bit, and steps aside exactly where the quick plan does.

``fused_slots`` goes from a theme's shared part straight to a block's slots;
``serving.blocks.select_slots`` tries it before making a plan.  These tests
hold it to ``draw(plan(...))`` with the quick path on, with it off (the general
path only) and to ``tests/selection_reference.py``, on random themes, hosts,
weights, caps, partner limits, strategies, exclusions, pins, regions,
schedules, buckets and days; and ``select_slots`` to the way it drew before
(``host_plan`` and ``draw``) on whole snapshots, rotating by bucket and on every
request.
"""

from __future__ import annotations

import random
from typing import Any
from unittest import mock

import pytest
from hypothesis import assume, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests import selection_reference as reference
from tests.test_quick_draw import plain_documents
from tests.test_selection_shared import (
    DAY,
    KEY,
    NOW,
    SLUGS,
    documents,
    make_pool,
    member_infos,
)
from widget_server.core.errors import ValidationError
from widget_server.core.models import (
    Member,
    Membership,
    Placement,
    PlacementOptions,
    RuleSet,
    Theme,
)
from widget_server.rotation import (
    MemberInfo,
    ThemePool,
    draw,
    drops,
    fused,
    parse_rules,
    pipeline,
    plan,
)
from widget_server.rotation.fused import fused_slots
from widget_server.rotation.keyed import keyed_hash, keyed_hash_and_unit, keyed_unit
from widget_server.rotation.plans import Slot
from widget_server.rotation.quick import Scaled
from widget_server.rotation.rules import Rules
from widget_server.rotation.shared import SharedPlan, shared_plan
from widget_server.serving import blocks
from widget_server.serving.snapshot import LedgerInput, Snapshot
from widget_server.storage import NetworkData

properties = hypothesis_settings(database=None, max_examples=250, deadline=None)


class Spy:
    """``fused_slots``, with what each call returned."""

    def __init__(self) -> None:
        self.returned: list[tuple[Slot, ...] | None] = []

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[Slot, ...] | None:
        got = fused_slots(*args, **kwargs)
        self.returned.append(got)
        return got


def beyond_quick(pool: ThemePool, shared: SharedPlan, rules: Rules, host: int) -> bool:
    """Where ``fused_slots`` answers without a quick plan: a fixed theme's hosts, a
    theme's under the tiered region rule, and under rules the quick plan takes a host
    that drops others or weighs its region."""
    if rules.strategy == "fixed" or rules.region.mode == "tiered":
        return True
    return fused.quick_rules(shared, rules) and drops.excludes_others(pool, rules, host)


def theme_of(
    infos: list[tuple[Any, ...]], document: dict[str, Any], *, balanced: bool = False
) -> tuple[ThemePool, Rules, SharedPlan, int]:
    """Theme 7 of ``infos`` under ``document`` (``balanced``: no balances, so fair exchange
    weighs everyone alike), its rules and shared part at ``NOW``, and ``NOW``'s bucket."""
    pool = make_pool(infos, document)
    if balanced:
        pool = ThemePool(7, pool.rules, pool.members, pool.ids_by_slug, {})
    rules = pool.rules.at(NOW)
    return pool, rules, shared_plan(pool, rules, NOW, NOW), int(NOW // 300)


def check_host(
    pool: ThemePool,
    shared: SharedPlan,
    host: int,
    now: float,
    limit: int,
    buckets: range,
    *,
    against_reference: bool = True,
) -> bool:
    """Assert that ``fused_slots`` is the drawn plan's slots in every bucket wherever it
    answers, that it answers wherever the quick plan applies, and beyond that only for a
    host that drops others (``drops.excludes_others``) under rules the quick plan takes;
    return whether the quick plan applied."""
    rules = pool.rules.at(now)
    quick = pipeline._quick_plan(
        pool, shared, rules, host, now, KEY, min(limit, rules.max_partners)
    )
    made = plan(pool, host, now, KEY, limit=limit, shared=shared)
    # ``explain`` makes the plan the general way (it records every check; the quick
    # plan records none): the fused path is held to both.
    general = plan(pool, host, now, KEY, limit=limit, shared=shared, explain=True)
    old = reference.plan(pool, host, now, KEY, limit=limit) if against_reference else None
    for bucket in buckets:
        got = fused_slots(pool, shared, rules, host, now, bucket, KEY, limit=limit)
        expected = draw(made, bucket, KEY)
        assert draw(general, bucket, KEY) == expected
        if old is not None:
            assert reference.draw(old, bucket, KEY) == expected
        if quick is not None:
            assert got is not None
        elif got is not None:  # not the quick plan: a fixed theme, or a host that drops others
            assert beyond_quick(pool, shared, rules, host)
        if got is not None:
            assert got == expected
            assert type(got) is tuple and all(type(s) is Slot for s in got)
    return quick is not None


@properties
@given(
    data=st.data(),
    infos=member_infos,
    offset=st.floats(-3 * DAY, 3 * DAY),
    before=st.floats(0, 900),
    after=st.floats(0, 900),
    limit=st.integers(0, 7),
)
def test_fused_slots_are_the_drawn_plans_under_any_rules(
    data: st.DataObject,
    infos: list[tuple[Any, ...]],
    offset: float,
    before: float,
    after: float,
    limit: int,
) -> None:
    # Every strategy, exclusion, pin, region mode, schedule, activity gate and period.
    pool = make_pool(infos, data.draw(documents(SLUGS[: len(infos)])))
    now = NOW + offset
    shared = shared_plan(pool, pool.rules.at(now), now - before, now + after)
    first = int(now // 300)
    for host in [*pool.members, 99]:  # 99: a host that is not in the theme
        quick = check_host(pool, shared, host, now, limit, range(first, first + 6))
        event("quick" if quick else "general")  # how often each is taken (statistics)


@st.composite
def quick_documents(draw_: st.DrawFn) -> dict[str, Any]:
    """Weighted rules with positive weights near one another and caps that seldom bind:
    most hosts take the quick path."""
    high = draw_(st.integers(1, 6))
    doc: dict[str, Any] = {
        "strategy": draw_(st.sampled_from(["weighted", "fair-exchange"])),
        "partners": {"max": high, "min": draw_(st.integers(0, high))},
        "caps": {"max_share": draw_(st.sampled_from([0.3, 0.5, 0.9, 1.0]))},
    }
    if draw_(st.booleans()):
        slugs = draw_(st.lists(st.sampled_from(SLUGS), max_size=12, unique=True))
        weight = st.floats(0.25, 4.0) | st.sampled_from([0.5, 1.0, 2.0])
        doc["weights"] = {s: draw_(weight) for s in slugs}
    return doc


@properties
@given(
    eligible=st.lists(st.booleans() | st.just(True), min_size=5, max_size=24),
    document=quick_documents() | plain_documents(),
    limit=st.integers(1, 7),
    day=st.integers(-4, 4),
    excluded=st.booleans(),
    balanced=st.booleans(),
)
def test_fused_slots_are_the_drawn_plans_of_weighted_themes(
    eligible: list[bool],
    document: dict[str, Any],
    limit: int,
    day: int,
    excluded: bool,
    balanced: bool,
) -> None:
    # Rules under which most hosts take the quick path, over several days.
    if excluded:  # exclusions of members other than most hosts: those still take it
        document["exclusions"] = {"blocklists": {"m1": ["m2"]}, "pairs": [["m3", "m4"]]}
    infos = [("", "Heide", "25746", e, 30.0, None) for e in eligible]
    pool = make_pool(infos, document)
    if balanced:  # nobody owed more than another: fair exchange breaks ties by the order
        pool = ThemePool(7, pool.rules, pool.members, pool.ids_by_slug, {})
    now = NOW + day * DAY + 7_000.0 * day
    shared = shared_plan(pool, pool.rules.at(now), now, now)
    first = int(now // 300)
    for host in [*pool.members, 99]:
        quick = check_host(pool, shared, host, now, limit, range(first, first + 10))
        event("quick" if quick else "general")


def test_fused_slots_over_many_random_themes() -> None:
    """Larger themes with weights of every size, caps and fair exchange with equal
    balances (so its order breaks ties by the day's first order)."""
    rnd = random.Random(20260614)
    taken = total = 0
    for n in range(120):
        size = rnd.randint(2, 24)
        slugs = SLUGS[:size]
        high = rnd.randint(1, 6)
        document: dict[str, Any] = {
            "strategy": rnd.choice(["weighted", "fair-exchange"]),
            "partners": {"max": high, "min": rnd.randint(0, high)},
            "caps": {"max_share": rnd.choice([0.05, 0.2, 0.5, 0.9, 1.0])},
        }
        if rnd.random() < 0.7:
            document["weights"] = {
                s: rnd.choice([rnd.uniform(0.001, 1000.0), 1.0, 2.0, 0.5])
                for s in rnd.sample(slugs, rnd.randint(0, size))
            }
        infos = [("", "", "", rnd.random() < 0.9, 30.0, None) for _ in slugs]
        pool = make_pool(infos, document)
        if document["strategy"] == "fair-exchange" and n % 2:
            pool = ThemePool(7, pool.rules, pool.members, pool.ids_by_slug, {})  # no balances
        now = NOW + rnd.uniform(-10 * DAY, 10 * DAY)
        shared = shared_plan(pool, pool.rules.at(now), now, now)
        first = int(now // 300)
        for host in [*rnd.sample(list(pool.members), min(size, 6)), 99]:
            limit = rnd.randint(1, 7)
            buckets = range(first, first + 8)
            taken += check_host(pool, shared, host, now, limit, buckets, against_reference=False)
            total += 1
    # Both ways are taken often (a weight of hundreds among a few binds the cap).
    assert total // 4 < taken < total - total // 4


PLAIN = [("", "Heide", "25746", True, 30.0, None)] * 9


@pytest.mark.parametrize(
    ("document", "applies"),
    [
        ({"strategy": "weighted"}, True),
        ({"strategy": "fair-exchange", "partners": {"max": 1}}, True),
        ({"strategy": "fair-exchange"}, False),  # 3 of these balances: the largest binds
        ({"strategy": "weighted", "partners": {"max": 6, "min": 6}}, True),
        ({"strategy": "fixed"}, False),
        ({"strategy": "round-robin"}, False),
        ({"strategy": "weighted", "pins": [{"member": "m5", "position": 1}]}, False),
        ({"strategy": "weighted", "exclusions": {"one_per_category": True}}, False),
        ({"strategy": "weighted", "region": {"mode": "boost"}}, False),
        ({"strategy": "weighted", "region": {"mode": "tiered"}}, False),
        ({"strategy": "weighted", "region": {"mode": "only"}}, False),
        (
            {
                "strategy": "weighted",
                "availability": [{"member": "m5", "schedule": {"weekdays": ["wed"]}}],
            },
            False,
        ),
        ({"strategy": "weighted", "exclusions": {"same_category": True}}, False),  # host's own
        ({"strategy": "weighted", "exclusions": {"blocklists": {"m2": ["m5"]}}}, False),
        ({"strategy": "weighted", "exclusions": {"blocklists": {"m3": ["m5"]}}}, True),
        ({"strategy": "weighted", "exclusions": {"pairs": [["m2", "m7"]]}}, False),
        ({"strategy": "weighted", "exclusions": {"pairs": [["m3", "m7"]]}}, True),
        ({"strategy": "weighted", "weights": {"m5": 0}}, False),  # a zero weight
        ({"strategy": "weighted", "caps": {"max_share": 0.2}}, False),  # 3 of 8: 0.375 each
        ({"strategy": "weighted", "caps": {"max_share": 0.5}}, True),
        ({"strategy": "weighted", "caps": {"max_share": 0.5}, "weights": {"m4": 9}}, False),
        ({"strategy": "weighted", "rotation": {"granularity": "request"}}, True),
    ],
)
def test_fused_slots_step_aside_where_the_quick_plan_does(
    document: dict[str, Any], applies: bool
) -> None:
    infos = [("florist" if n == 1 else "", *PLAIN[n][1:]) for n in range(len(PLAIN))]
    pool = make_pool(infos, document)  # host m2 (id 2) is the only florist
    rules = pool.rules.at(NOW)
    shared = shared_plan(pool, rules, NOW, NOW)
    first = int(NOW // 300)
    assert check_host(pool, shared, 2, NOW, 3, range(first, first + 24)) is applies
    made = plan(pool, 2, NOW, KEY, limit=3, shared=shared)
    assert isinstance(made.tiers[0].probabilities, Scaled) is applies


def test_an_activity_gate_closing_inside_the_span_takes_the_general_path() -> None:
    infos = [("", "", "", True, 100.0, 0.0)] * 6
    pool = make_pool(infos, {"strategy": "weighted", "activity": {"inactive_after_days": 10}})
    # m3 was last seen so long ago that its gate closes inside the span: rechecked.
    members = dict(pool.members)
    members[3] = MemberInfo(3, "m3", joined=0.0, last_seen=NOW + 30 - 10 * DAY)
    pool = ThemePool(7, pool.rules, members, pool.ids_by_slug, pool.balances)
    shared = shared_plan(pool, pool.rules, NOW, NOW + 60)
    assert shared.recheck
    for host in pool.members:
        assert not check_host(pool, shared, host, NOW + 45, 3, range(4))


def test_a_shared_part_that_does_not_cover_the_moment_is_not_used() -> None:
    pool = make_pool(PLAIN, {"strategy": "weighted"})
    shared = shared_plan(pool, pool.rules, NOW, NOW + 60)
    assert fused_slots(pool, shared, pool.rules, 2, NOW + 30, 5, KEY, limit=3) is not None
    assert fused_slots(pool, shared, pool.rules, 2, NOW + 61, 5, KEY, limit=3) is None
    other = parse_rules({"strategy": "weighted"})  # equal, but not the rules it was made for
    assert fused_slots(pool, shared, other, 2, NOW + 30, 5, KEY, limit=3) is None


@given(
    tags=st.tuples(st.text(max_size=6), st.text(max_size=6)),
    parts=st.lists(st.integers(-5, 10**12) | st.text(max_size=5), max_size=5),
)
def test_a_keyed_hash_and_unit_are_keyed_hash_and_keyed_unit(
    tags: tuple[str, str], parts: list[int | str]
) -> None:
    first, second = tags
    assert keyed_hash_and_unit(KEY, first, second, *parts) == (
        keyed_hash(KEY, first, *parts),
        keyed_unit(KEY, second, *parts),
    )


# select_slots on whole snapshots: the fused path first, then the plan, as before.

THEME = Theme(1, "hochzeit", "Hochzeit", "Wedding")
member_rows = st.lists(
    st.tuples(
        st.sampled_from(["florist", "caterer", "venue", ""]),
        st.sampled_from(["Heide", "Husum", ""]),
        st.sampled_from(["active", "active", "active", "paused"]),  # the member
        st.sampled_from(["active", "active", "active", "paused", "left"]),  # its membership
        st.integers(1, 6),  # its placement's max_partners
    ),
    min_size=2,
    max_size=16,
)


def snapshot_with(rows: list[tuple[Any, ...]], document: dict[str, Any]) -> Snapshot:
    members = tuple(
        Member(n, SLUGS[n - 1], f"M{n}", f"https://m{n}.example/", (), "", cat, town, "", status)
        for n, (cat, town, status, _, _) in enumerate(rows, start=1)
    )
    memberships = tuple(
        Membership(n, 1, status) for n, (_, _, _, status, _) in enumerate(rows, start=1)
    )
    placements = tuple(
        Placement(100 + n, n, 1, PlacementOptions(max_partners=most))
        for n, (*_, most) in enumerate(rows, start=1)
    )
    rule_set = RuleSet(1, 1, document, "test", "")
    data = NetworkData(1, (THEME,), members, memberships, placements, (rule_set,))
    return Snapshot.build(data, LedgerInput(), NOW)


def drawn_before(
    snapshot: Snapshot, placement: Placement, now: float, nonce: int
) -> tuple[tuple[Slot, ...], Any, blocks.Rotation]:
    """``select_slots`` as it was before the fused path: a plan, then its draw."""
    rules = snapshot.pools[placement.theme_id].rules.at(now)
    made = blocks.host_plan(snapshot, placement, blocks.plan_moment(rules, now), KEY)
    rotation = blocks.rotation_at(rules, now, nonce)
    return draw(made, rotation.bucket, KEY), made.rules, rotation


def selected_as_before(
    spy: Spy, snapshot: Snapshot, placement: Placement, now: float, nonce: int
) -> tuple[tuple[Slot, ...], Any, blocks.Rotation]:
    """``select_slots`` (what ``spy`` saw of the fused path: this call's only), held to
    ``drawn_before``: the same slots and rotation, the very same rules."""
    spy.returned.clear()
    got = blocks.select_slots(snapshot, placement, now, KEY, nonce)
    expected = drawn_before(snapshot, placement, now, nonce)
    assert got[0] == expected[0] and got[2] == expected[2]
    assert got[1] is expected[1]
    return got


@properties
@given(
    data=st.data(),
    rows=member_rows,
    offset=st.floats(0, 3 * DAY),
    granularity=st.sampled_from(["bucket", "bucket", "request"]),
    seconds=st.sampled_from([60, 300, 3_600, 7_000]),  # 7,000 s: buckets across midnight
)
def test_select_slots_is_what_it_drew_before(
    data: st.DataObject,
    rows: list[tuple[Any, ...]],
    offset: float,
    granularity: str,
    seconds: int,
) -> None:
    # Any rules, or rules under which most first sights take the fused path.
    document = data.draw(documents(SLUGS[: len(rows)]) | plain_documents() | quick_documents())
    document["rotation"] = {"granularity": granularity, "bucket_seconds": seconds}
    try:
        parse_rules(document)
    except ValidationError:
        assume(False)
    snapshot = snapshot_with(rows, document)
    spy = Spy()
    with mock.patch.object(blocks, "fused_slots", spy):
        for now in (NOW + offset, NOW + offset + seconds / 2, NOW + offset + seconds):
            for nonce, placement in enumerate(snapshot.placements.values()):
                selected_as_before(spy, snapshot, placement, now, nonce)
                pool = snapshot.pools[1]
                rules = pool.rules.at(now)
                moment = blocks.plan_moment(rules, now)
                in_force = pool.rules.at(moment)
                made = blocks.host_plan(snapshot, placement, moment, KEY)
                quick = bool(made.tiers) and isinstance(made.tiers[0].probabilities, Scaled)
                if in_force.granularity == "request":
                    # Rules that draw on every request keep their plan a minute.
                    event("request")
                    assert not spy.returned
                    most = placement.options.max_partners
                    kept = ("plan", 1, placement.member_id, most, moment)
                    assert snapshot.cached(kept) is made
                elif spy.returned:
                    event("fused" if spy.returned[0] is not None else "fused stepped aside")
                    # Wherever the quick plan applies; beyond it, for a fixed theme or a
                    # host that drops others (held to the plan by selected_as_before).
                    answered = spy.returned != [None]
                    if quick:
                        assert answered
                    elif answered:
                        part = blocks.shared_part(snapshot, pool, in_force, moment)
                        assert part is not None
                        assert beyond_quick(pool, part, in_force, placement.member_id)
                else:  # only without a shared part (a period's own fairness)
                    event("no shared part")
                    assert blocks.shared_part(snapshot, pool, in_force, moment) is None


def test_most_first_sights_of_a_plain_theme_take_the_fused_path() -> None:
    rows = [("", "Heide", "active", "active", 3)] * 12
    snapshot = snapshot_with(rows, {"strategy": "fair-exchange"})
    spy = Spy()
    with mock.patch.object(blocks, "fused_slots", spy):
        for n, placement in enumerate(snapshot.placements.values()):
            got = blocks.select_slots(snapshot, placement, NOW + 60 * n, KEY, 0)
            assert spy.returned[-1] == got[0] and len(got[0]) == 3
            assert got == drawn_before(snapshot, placement, NOW + 60 * n, 0)
    assert len(spy.returned) == len(rows)


@pytest.mark.parametrize(
    ("theme", "period"),
    [
        ({}, {}),
        ({}, {"rotation": {"granularity": "request"}}),
        (
            {"rotation": {"granularity": "request", "bucket_seconds": 3_600}},
            {"rotation": {"granularity": "bucket"}},
        ),
    ],
)
def test_a_period_starting_inside_a_bucket_draws_with_the_rules_of_its_start(
    theme: dict[str, Any], period: dict[str, Any]
) -> None:
    # Hourly buckets; from 12:10 (Berlin) a period lowers the partners to two.  A first
    # sight at 12:15 is drawn with the rules of its bucket's start (12:00) and rotates
    # as the rules of 12:15 say, as before the fused path.
    document = {
        "strategy": "weighted",
        "rotation": {"bucket_seconds": 3_600},
        **theme,
        "periods": [
            {
                "schedule": {"hours": ["12:10-13:00"]},
                "rules": {"partners": {"max": 2}, **period},
            }
        ],
    }
    rows = [("", "Heide", "active", "active", 3)] * 10
    snapshot = snapshot_with(rows, document)
    pool = snapshot.pools[1]
    now = NOW + 900  # NOW is 12:00 in Berlin, the start of an hour's bucket
    spy = Spy()
    with mock.patch.object(blocks, "fused_slots", spy):
        for nonce, placement in enumerate(snapshot.placements.values()):
            got = selected_as_before(spy, snapshot, placement, now, nonce)
            rules = pool.rules.at(now)
            assert rules is pool.rules.periods[0][1]
            moment = blocks.plan_moment(rules, now)
            in_force = pool.rules.at(moment)
            if in_force.granularity == "request":
                assert not spy.returned and got[1] is in_force
            else:
                assert moment == NOW and in_force is pool.rules
                assert spy.returned == [got[0]] and got[1] is pool.rules
                assert len(got[0]) == 3


def test_a_bucket_across_midnight_draws_with_the_orders_of_its_start() -> None:
    # Buckets of 7,000 s do not divide a day: the one holding a midnight (UTC, where the
    # day's orders change) began the day before, and its first sights are drawn with
    # that day's orders, as before the fused path.
    midnight = (int(NOW // DAY) + 1) * DAY
    snapshot = snapshot_with(
        [("", "Heide", "active", "active", 3)] * 12,
        {"strategy": "weighted", "rotation": {"bucket_seconds": 7_000}},
    )
    now = midnight + 60
    assert blocks.plan_moment(snapshot.pools[1].rules, now) < midnight
    spy = Spy()
    with mock.patch.object(blocks, "fused_slots", spy):
        for placement in snapshot.placements.values():
            got = blocks.select_slots(snapshot, placement, now, KEY, 0)
            assert got == drawn_before(snapshot, placement, now, 0)
    assert len(spy.returned) == 12 and None not in spy.returned
