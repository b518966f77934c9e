"""The quick weighted plan and draw (``rotation/quick.py``) select exactly what the
general path and the reference select, to the bit.

A host that excludes only itself from a weighted or fair-exchange theme gets its
plan as a view of the theme's shared part (no copied weights or probabilities)
and its draw by bisection over running sums.  These tests hold both to
``sampling`` (the loop they replace) and to ``tests/selection_reference.py`` on
random weights, hosts, caps and buckets, and check that the quick path is the
one taken where it should be.
"""

from __future__ import annotations

from array import array
from typing import Any

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests import selection_reference as reference
from tests.test_selection_shared import KEY, NOW, SLUGS, make_pool, same_plan
from widget_server.rotation import draw, plan
from widget_server.rotation.pipeline import quick_members
from widget_server.rotation.quick import (
    HostOrder,
    Scaled,
    Without,
    host_place,
    owed_first,
    quick_sample,
    quick_scale,
)
from widget_server.rotation.sampling import inclusion_probabilities, systematic_sample
from widget_server.rotation.shared import shared_plan
from widget_server.rotation.strategies import DailyOrders, walk_point

properties = hypothesis_settings(database=None, max_examples=300, deadline=None)
# Weights as a ledger makes them (fractions of all sizes) and as coordinators set them.
weights_ = st.floats(1e-6, 1e3, allow_nan=False) | st.sampled_from([0.5, 1.0, 2.0, 7.0])


@properties
@given(
    weights=st.lists(weights_, min_size=1, max_size=40),
    host=st.integers(0, 45),
    k=st.integers(0, 6),
    cap=st.sampled_from([0.2, 0.5, 1.0]),
    u=st.floats(0, 1, exclude_max=True) | st.sampled_from([0.0, 0.5]),
    mix=st.integers(0, 2**64 - 1),
)
def test_the_quick_sample_is_the_systematic_sample_of_the_general_path(
    weights: list[float], host: int, k: int, cap: float, u: float, mix: int
) -> None:
    ids = [3 * n + 1 for n in range(len(weights))]  # sorted, as a shared part's candidates
    shared = dict(zip(ids, weights, strict=True))
    host_id = 3 * host + 1  # a candidate, or (past the end) a host outside the theme
    at = host_place(ids, host_id)
    assert at == (host if host < len(ids) else -1)
    values = array("d", weights)
    own = {i: w for i, w in shared.items() if i != host_id}  # what the general path copies
    take = min(k, len(own))
    scale = quick_scale(values, at, take, cap)
    expected = inclusion_probabilities(own, take, cap=cap)
    if scale is None:
        # Only where the general path's one-pass branch does not apply.
        ws = list(own.values())
        assert take <= 0 or not ws or min(ws) <= 0 or max(ws) * take / sum(ws) >= cap - 1e-12
        return
    probabilities = Scaled(shared, host_id, scale, values, at)
    assert dict(probabilities) == expected and list(probabilities) == list(expected)
    orders = DailyOrders(ids, KEY, ("quick", 7))
    variant, point = mix % orders.count, walk_point(mix)
    for limit in range(0, take + 2):
        got = quick_sample(orders, variant, point, probabilities, u, limit)
        assert got == systematic_sample(orders.walk(variant, point), expected, u, limit)


@st.composite
def plain_documents(draw_: st.DrawFn) -> dict[str, Any]:
    """Rules under which most hosts take the quick path (and some, capped, do not)."""
    high = draw_(st.integers(1, 6))
    doc: dict[str, Any] = {
        "strategy": draw_(st.sampled_from(["weighted", "fair-exchange"])),
        "partners": {"max": high, "min": draw_(st.integers(0, high))},
        "caps": {"max_share": draw_(st.sampled_from([0.2, 0.5, 1.0]))},
    }
    if draw_(st.booleans()):
        slugs = draw_(st.lists(st.sampled_from(SLUGS[:12]), max_size=5, unique=True))
        doc["weights"] = {s: draw_(st.sampled_from([0, 0.5, 2, 7])) for s in slugs}
    return doc


@properties
@given(
    eligible=st.lists(st.booleans() | st.just(True), min_size=2, max_size=12),
    document=plain_documents(),
    limit=st.integers(1, 6),
)
def test_quick_plans_match_the_reference(
    eligible: list[bool], document: dict[str, Any], limit: int
) -> None:
    infos = [("", "Heide", "25746", e, 30.0, None) for e in eligible]
    pool = make_pool(infos, document)
    rules = pool.rules.at(NOW)
    shared = shared_plan(pool, rules, NOW, NOW)
    first = int(NOW // 300)
    for host in [*pool.members, 99]:
        made = plan(pool, host, NOW, KEY, limit=limit, shared=shared)
        old = reference.plan(pool, host, NOW, KEY, limit=limit)
        same_plan(made, old, range(first, first + 12))
        quick = isinstance(made.tiers[0].probabilities, Scaled) if made.tiers else False
        if quick:
            assert isinstance(made.weights, Without)
            assert isinstance(made.tiers[0].order, HostOrder)
            assert made.weights.keys_list() == list(made.weights)
        for bucket in range(first, first + 12):
            members = quick_members(made, bucket, KEY)
            if not quick:
                assert members is None
                continue
            # The draw of a quick plan: the slots' members (of the reference's draw, as
            # ``draw`` itself goes through it), and nothing else to say (positions
            # 1, 2, ..., none pinned, every one counted).
            slots = draw(made, bucket, KEY)
            assert members == [s.member_id for s in reference.draw(old, bucket, KEY)]
            assert [(s.position, s.pinned, s.counts) for s in slots] == [
                (n, False, True) for n in range(1, len(slots) + 1)
            ]


@properties
@given(
    weights=st.lists(st.sampled_from([0.5, 1.0, 2.0]) | weights_, min_size=1, max_size=30),
    picks=st.data(),
)
def test_owed_first_orders_as_the_general_draw_with_and_without_ties(
    weights: list[float], picks: st.DataObject
) -> None:
    ids = [2 * n + 5 for n in range(len(weights))]
    orders = DailyOrders(ids, KEY, ("owed", 3))
    values = array("d", weights)
    chosen = picks.draw(st.lists(st.integers(0, len(ids) - 1), max_size=6, unique=True))
    got = list(chosen)
    owed_first(got, values, orders)
    # The general draw's key: the heaviest first, ties by the day's first order.
    expected = sorted(chosen, key=lambda j: (-weights[j], orders.first_place(ids[j])))
    assert got == expected


def test_a_host_less_view_lists_its_keys_as_iterating_does() -> None:
    base = {4: 1.0, 9: 2.0, 1: 0.5}
    assert Without(base, 9).keys_list() == list(Without(base, 9)) == [4, 1]
    assert Without(base, 7).keys_list() == list(Without(base, 7)) == [4, 9, 1]
    assert Without(base, 9, True).keys_list() == [4, 1]


def test_the_quick_path_is_taken_by_a_plain_weighted_theme() -> None:
    infos = [("", "Heide", "25746", True, 30.0, None)] * 9
    document = {"strategy": "weighted", "partners": {"max": 3}, "weights": {"m2": 2, "m6": 0.5}}
    pool = make_pool(infos, document)
    made = plan(pool, 4, NOW, KEY, limit=3)
    (tier,) = made.tiers
    assert isinstance(tier.probabilities, Scaled)
    assert 4 not in tier.probabilities and 4 not in made.weights and 4 not in tier.order
    assert len(tier.order) == len(tier.probabilities) == len(made.weights) == 8
    assert abs(sum(tier.probabilities.values()) - 3) < 1e-9  # every block is full
    first = int(NOW // 300)
    same_plan(made, reference.plan(pool, 4, NOW, KEY, limit=3), range(first, first + 48))
    # Blocks are full and never show the host.
    for bucket in range(first, first + 48):
        slots = draw(made, bucket, KEY)
        assert len(slots) == 3 and 4 not in {s.member_id for s in slots}


def test_a_host_order_reads_as_the_theme_order_without_the_host() -> None:
    order = (5, 2, 9, 7)
    view = HostOrder(order, 9)
    assert view == (5, 2, 7) and tuple(view) == (5, 2, 7) and len(view) == 3
    assert view[1] == 2 and view.index(7) == 2 and bool(view)
    assert HostOrder(order, 1) == order
    assert not HostOrder((3,), 3) and HostOrder((3,), 4)
    assert view != (5, 2, 9, 7)
