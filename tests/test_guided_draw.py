"""A large theme's draw by its guide (``rotation/guide.py``) takes the places the loop
takes, to the bit, and leaves the loop to decide where a point lies too near an edge.

``quick.take_places`` walks a theme's whole order per draw; from 300 candidates on
it asks ``guide.guided_places`` first, which reads block sums of the weights and
answers only where its estimate is farther from each of the loop's decisions than
the rounding of both can be.  These tests hold the guided places to the loop on
random and structured weights, hosts, points and limits (including points put
exactly on the loop's edges, where it must step aside), check that random draws
never need the loop, and hold a large theme's quick plans and draws to
``tests/selection_reference.py``.
"""

from __future__ import annotations

import math
import random
from array import array
from itertools import accumulate
from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests import selection_reference as reference
from tests.test_selection_shared import DAY, KEY, NOW, pool_of
from widget_server.rotation import MemberInfo, ThemePool, draw, parse_rules, plan, quick
from widget_server.rotation.guide import GUIDED_FROM, Guide, guided_places
from widget_server.rotation.pipeline import quick_members
from widget_server.rotation.quick import Extremes, quick_scale, take_places
from widget_server.rotation.sampling import EPSILON
from widget_server.rotation.shared import shared_plan
from widget_server.rotation.strategies import DailyOrders

properties = hypothesis_settings(database=None, max_examples=200, deadline=None)


def loop_places(*args: object) -> list[int]:
    """``take_places`` as the loop alone takes them (no guide at any size)."""
    with mock.patch.object(quick, "GUIDED_FROM", math.inf):
        return take_places(*args)  # type: ignore[arg-type]


weights_ = st.floats(1e-6, 1e3, allow_nan=False) | st.sampled_from([0.5, 1.0, 2.0, 7.0])


@st.composite
def draws(draw_: st.DrawFn, sizes: st.SearchStrategy[int]) -> tuple[object, ...]:
    n = draw_(sizes)
    kind = draw_(st.sampled_from(["equal", "few", "any"]))
    if kind == "equal":
        weights = [1.0] * n
    elif kind == "few":
        weights = draw_(st.lists(st.sampled_from([0.5, 1.0, 2.0, 7.0]), min_size=n, max_size=n))
    else:
        seed = draw_(st.integers(0, 2**32))
        rng = random.Random(seed)
        weights = [rng.uniform(1e-6, 1e3) if rng.random() < 0.9 else 1.0 for _ in range(n)]
    values = array("d", weights)
    at = draw_(st.integers(-1, n - 1))
    limit = draw_(st.integers(1, 6))
    take = min(limit, n - (at >= 0))
    scale = quick_scale(values, at, take, 1.0)
    orders = DailyOrders(tuple(range(3, 3 + 2 * n, 2)), KEY, ("guided", draw_(st.integers(0, 9))))
    variant = draw_(st.integers(0, orders.count - 1))
    point = draw_(st.integers(0, 2**61 - 2))
    u = draw_(st.floats(0, 1, exclude_max=True) | st.sampled_from([0.0, 0.25, 0.5]))
    return orders, variant, point, values, scale, at, u, limit


@properties
@given(case=draws(st.integers(1, 700)))
def test_guided_places_are_the_loops_places(case: tuple[object, ...]) -> None:
    orders, variant, point, values, scale, at, u, limit = case
    if scale is None:  # not a quick plan: no draw of this kind
        return
    guided = guided_places(*case)  # type: ignore[arg-type]
    if guided is not None:
        assert guided == loop_places(*case)


@hypothesis_settings(database=None, max_examples=10, deadline=None)
@given(case=draws(st.integers(2_000, 12_000)))
def test_guided_places_of_a_theme_of_thousands_are_the_loops_places(
    case: tuple[object, ...],
) -> None:
    if case[4] is None:
        return
    assert take_places(*case) == loop_places(*case)  # type: ignore[arg-type]


def test_random_draws_never_need_the_loop() -> None:
    rng = random.Random(14)
    for n in (300, 1_000, 5_000):
        values = array("d", [rng.uniform(0.01, 50.0) for _ in range(n)])
        orders = DailyOrders(tuple(range(n)), KEY, ("random", n))
        for _ in range(300):
            at, limit = rng.randrange(-1, n), rng.randint(1, 6)
            scale = quick_scale(values, at, limit, 1.0)
            assert scale is not None
            case = (orders, rng.randrange(16), rng.getrandbits(61), values, scale, at)
            u = rng.random()
            guided = guided_places(*case, u, limit)
            assert guided is not None
            assert guided == loop_places(*case, u, limit)


def test_points_on_the_loops_edges_are_left_to_the_loop() -> None:
    """u put exactly where the loop's running sum minus EPSILON meets a point, and one
    float either side: the guide answers the loop's places or steps aside, and on an
    edge it steps aside (it cannot tell which side the loop's floats fall)."""
    rng = random.Random(3)
    stepped_aside = 0
    for trial in range(40):
        n = rng.choice([300, 1_000, 3_000])
        weights = [1.0] * n if trial % 2 else [rng.uniform(0.1, 10.0) for _ in range(n)]
        values = array("d", weights)
        orders = DailyOrders(tuple(range(n)), KEY, ("edge", trial))
        at, variant, point = rng.randrange(n), rng.randrange(16), rng.getrandbits(61)
        scale = quick_scale(values, at, 3, 1.0)
        assert scale is not None
        # The loop's running sums over its walk, as it makes them.
        walk = [j for j in orders.places(variant, point) if j != at]
        sums = list(accumulate(values[j] * scale for j in walk))
        edge = sums[rng.randrange(len(sums) // 4)] - EPSILON  # under the first point
        for u in (math.nextafter(edge, 0.0), edge, math.nextafter(edge, 1.0)):
            if not 0.0 <= u < 1.0:
                continue
            case = (orders, variant, point, values, scale, at, u, 3)
            guided = guided_places(*case)
            if guided is None:
                stepped_aside += 1
            else:
                assert guided == loop_places(*case)
        guided = guided_places(orders, variant, point, values, scale, at, edge, 3)
        assert guided is None
    assert stepped_aside >= 40


def test_a_guide_sums_as_the_running_sum_does() -> None:
    rng = random.Random(8)
    values = array("d", [rng.uniform(1e-3, 1e3) for _ in range(1_000)])
    order = memoryview(array("H", rng.sample(range(1_000), 1_000)))
    guide = Guide(values, order)
    running = list(accumulate((values[j] for j in order), initial=0.0))
    assert [guide.at(x) for x in range(1_001)] == running
    assert guide.total == running[-1]
    assert len(guide.blocks) == 1_000 // 32 + 1  # 4 bytes a candidate for 16 variants


@properties
@given(
    weights=st.lists(weights_ | st.just(0.0) | st.just(-1.0), min_size=1, max_size=30),
    k=st.integers(0, 6),
    cap=st.sampled_from([0.2, 0.5, 1.0]),
)
def test_extremes_give_the_scale_two_passes_give(weights: list[float], k: int, cap: float) -> None:
    values = array("d", weights)
    extremes = Extremes(values)
    for at in range(-1, len(weights)):
        rest = [w for n, w in enumerate(weights) if n != at]
        if rest:
            assert extremes.without(at) == (min(rest), max(rest))
        assert quick_scale(values, at, k, cap, extremes) == quick_scale(values, at, k, cap)


def large_pool(n: int, document: dict[str, Any], seed: int) -> ThemePool:
    rng = random.Random(seed)
    members = {
        i: MemberInfo(i, f"m{i}", "", "Heide", "25746", rng.random() < 0.95, NOW - 40 * DAY)
        for i in range(1, n + 1)
    }
    active = sorted(m.id for m in members.values() if m.eligible)
    ledger = {m: (float(rng.randrange(50)), float(rng.randrange(50))) for m in active}
    return pool_of(members, parse_rules(document), ledger, {m: 1 + m % 3 for m in active})


def test_a_large_themes_quick_draws_are_the_references() -> None:
    """A theme past ``GUIDED_FROM``: its quick plans draw through the guide, and the
    blocks are those of ``tests/selection_reference.py`` (the loop of old)."""
    for strategy, seed in (("weighted", 1), ("fair-exchange", 2)):
        document: dict[str, Any] = {"strategy": strategy, "partners": {"max": 4, "min": 1}}
        if strategy == "weighted":
            document["weights"] = {f"m{i}": 1 + i % 4 for i in range(1, 60)}
        pool = large_pool(GUIDED_FROM + 200, document, seed)
        shared = shared_plan(pool, pool.rules.at(NOW), NOW, NOW)
        first = int(NOW // 300)
        hosts = random.Random(seed).sample(sorted(pool.members), 12)
        with mock.patch(f"{quick.__name__}.guided_places", wraps=guided_places) as guided:
            for host in hosts:
                made = plan(pool, host, NOW, KEY, limit=4, shared=shared)
                old = reference.plan(pool, host, NOW, KEY, limit=4)
                for bucket in range(first, first + 6):
                    expected = [s.member_id for s in reference.draw(old, bucket, KEY)]
                    assert quick_members(made, bucket, KEY) == expected
                    assert [s.member_id for s in draw(made, bucket, KEY)] == expected
        assert guided.call_count >= 12 * 6
