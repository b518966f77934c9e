"""Exact weighted sampling: water-filling inclusion probabilities and systematic sampling.

The systematic sample is a deterministic function of u in [0, 1): the chosen set
only changes where a point u + j crosses the end of a member's interval, i.e. at
the fractional parts of the cumulative sums.  Evaluating it once inside each
piece between those breakpoints gives the exact measure of the u that choose a
member, which must be its inclusion probability.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from widget_server.rotation.sampling import inclusion_probabilities, systematic_sample

properties = hypothesis_settings(database=None, max_examples=300, deadline=None)

TOLERANCE = 1e-9


# -- helpers --------------------------------------------------------------------------------


def pieces(order: Sequence[int], pi: Mapping[int, float]) -> list[tuple[float, float]]:
    """The intervals of [0, 1) on which the systematic sample does not change."""
    cuts = {0.0, 1.0}
    cumulative = 0.0
    for i in order:  # the same additions in the same order as the sampler
        p = pi.get(i, 0.0)
        if p <= 0:
            continue
        cumulative += p
        cuts.add(cumulative - math.floor(cumulative))
    edges = sorted(cuts)
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]


def exact_inclusion(order: Sequence[int], pi: Mapping[int, float]) -> dict[int, float]:
    """The measure of u in [0, 1) for which each member is chosen."""
    measure = dict.fromkeys(order, 0.0)
    for a, b in pieces(order, pi):
        for i in systematic_sample(order, pi, (a + b) / 2):
            measure[i] += b - a
    return measure


weight = st.one_of(st.just(0.0), st.floats(0.01, 100.0), st.integers(1, 5).map(float))


@st.composite
def weighted_pools(draw: st.DrawFn) -> tuple[dict[int, float], int, float]:
    ids = draw(st.lists(st.integers(1, 1000), min_size=1, max_size=15, unique=True))
    weights = {i: draw(weight) for i in ids}
    k = draw(st.integers(0, len(ids) + 2))
    cap = draw(st.sampled_from([1.0, 0.5, 0.3, 0.2, 0.05]) | st.floats(0.01, 1.0))
    return weights, k, cap


# -- inclusion probabilities ----------------------------------------------------------------


def test_probabilities_below_the_cap_are_proportional_to_the_weights_and_sum_to_k() -> None:
    pi = inclusion_probabilities({1: 1.0, 2: 2.0, 3: 3.0, 4: 4.0}, 2)
    assert pi == pytest.approx({1: 0.2, 2: 0.4, 3: 0.6, 4: 0.8}, abs=1e-12)
    assert sum(pi.values()) == pytest.approx(2.0, abs=1e-12)


def test_a_member_whose_share_would_exceed_one_is_certain_and_the_rest_is_shared_again() -> None:
    # k = 2: weight 8 of 11 would give 16/11 > 1, so it is fixed at 1 and the
    # remaining 1 is shared by 1 : 2.
    pi = inclusion_probabilities({1: 8.0, 2: 1.0, 3: 2.0}, 2)
    assert pi == pytest.approx({1: 1.0, 2: 1 / 3, 3: 2 / 3}, abs=1e-12)


def test_capped_members_get_exactly_the_cap_and_water_fills_in_rounds() -> None:
    # k = 1, cap 0.3: 10 is capped in the first round (10/16 > 0.3); then 3 of
    # the remaining 6 would get 0.7 * 3/6 = 0.35 > 0.3 and is capped in the
    # second; 1, 1, 1 share the last 0.4.
    pi = inclusion_probabilities({1: 10.0, 2: 3.0, 3: 1.0, 4: 1.0, 5: 1.0}, 1, cap=0.3)
    assert pi[1] == 0.3
    assert pi[2] == 0.3
    assert pi == pytest.approx({1: 0.3, 2: 0.3, 3: 0.4 / 3, 4: 0.4 / 3, 5: 0.4 / 3}, abs=1e-12)


def test_zero_and_negative_weights_get_probability_zero() -> None:
    pi = inclusion_probabilities({1: 0.0, 2: -3.0, 3: 1.0, 4: 1.0}, 1)
    assert pi[1] == 0.0
    assert pi[2] == 0.0
    assert pi[3] == pytest.approx(0.5)
    assert pi[4] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("weights", "k", "cap", "total"),
    [
        ({1: 1.0, 2: 1.0}, 5, 1.0, 2.0),  # k larger than the pool: everyone is certain
        ({1: 1.0, 2: 1.0, 3: 0.0}, 3, 1.0, 2.0),  # zero weights do not count
        ({1: 1.0, 2: 9.0, 3: 1.0}, 2, 0.5, 1.5),  # the cap limits the total
        ({1: 1.0, 2: 1.0}, 0, 1.0, 0.0),  # nobody asked for
        ({}, 3, 1.0, 0.0),
        ({1: 0.0, 2: 0.0}, 1, 1.0, 0.0),
    ],
)
def test_probabilities_sum_to_k_or_to_what_the_cap_allows(
    weights: dict[int, float], k: int, cap: float, total: float
) -> None:
    pi = inclusion_probabilities(weights, k, cap)
    assert set(pi) == set(weights)
    assert sum(pi.values()) == pytest.approx(total, abs=1e-12)


def test_a_cap_above_one_means_one() -> None:
    assert inclusion_probabilities({1: 9.0, 2: 1.0}, 1.5, cap=3.0) == pytest.approx(
        {1: 1.0, 2: 0.5}
    )


@given(pool=weighted_pools())
@properties
def test_inclusion_probabilities_are_water_filled(
    pool: tuple[dict[int, float], int, float],
) -> None:
    weights, k, cap = pool
    pi = inclusion_probabilities(weights, k, cap)
    positive = [i for i, w in weights.items() if w > 0]

    assert set(pi) == set(weights)
    assert all(pi[i] == 0.0 for i, w in weights.items() if w <= 0)
    assert all(0.0 <= p <= cap + TOLERANCE for p in pi.values())
    assert sum(pi.values()) == pytest.approx(min(k, cap * len(positive)), abs=TOLERANCE)

    # One scale c with pi_i = min(cap, c * w_i) for every member.
    uncapped = [i for i in positive if pi[i] < cap - TOLERANCE]
    capped = [i for i in positive if i not in uncapped]
    if uncapped:
        c = pi[uncapped[0]] / weights[uncapped[0]]
        for i in uncapped:
            assert pi[i] == pytest.approx(c * weights[i], rel=1e-9, abs=1e-12)
        for i in capped:
            assert c * weights[i] >= cap - TOLERANCE  # capped only because it would exceed
    if capped and uncapped:
        assert min(weights[i] for i in capped) >= max(weights[i] for i in uncapped)


# -- systematic sampling --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("u", "expected"),
    [
        (0.0, [1, 3]),  # points 0 and 1: in [0, .5) and [1, 1.6)
        (0.49, [1, 3]),
        (0.5, [2, 3]),  # points .5 and 1.5
        (0.6, [2, 4]),  # points .6 and 1.6
        (0.99, [2, 4]),
    ],
)
def test_systematic_sample_takes_the_members_under_u_and_u_plus_one(
    u: float, expected: list[int]
) -> None:
    # The line: 1 on [0, .5), 2 on [.5, 1), 3 on [1, 1.6), 4 on [1.6, 2).
    pi = {1: 0.5, 2: 0.5, 3: 0.6, 4: 0.4}
    assert systematic_sample([1, 2, 3, 4], pi, u) == expected


def test_systematic_sample_skips_members_without_probability_and_unknown_members() -> None:
    pi = {1: 0.0, 2: 1.0, 3: 1.0}
    assert systematic_sample([1, 2, 9, 3], pi, 0.3) == [2, 3]


def test_the_exact_inclusion_of_a_small_example_is_its_probability() -> None:
    pi = {1: 0.5, 2: 0.5, 3: 0.6, 4: 0.4}
    edges = [edge for piece in pieces([1, 2, 3, 4], pi) for edge in piece]
    assert edges == pytest.approx([0.0, 0.5, 0.5, 0.6, 0.6, 1.0])
    assert exact_inclusion([1, 2, 3, 4], pi) == pytest.approx(pi, abs=TOLERANCE)


@pytest.mark.parametrize("u", [0.0, 0.5, 1 - 1e-13, math.nextafter(1.0, 0.0)])
def test_members_with_probability_one_are_chosen_for_every_u(u: float) -> None:
    # With pi = 1 for everyone, every u in [0, 1) must choose all of them.
    pi = {1: 1.0, 2: 1.0, 3: 1.0}
    assert systematic_sample([1, 2, 3], pi, u) == [1, 2, 3]


@given(pool=weighted_pools(), data=st.data())
@properties
def test_systematic_sample_includes_each_member_with_exactly_its_probability(
    pool: tuple[dict[int, float], int, float], data: st.DataObject
) -> None:
    weights, k, cap = pool
    pi = inclusion_probabilities(weights, k, cap)
    order = data.draw(st.permutations(sorted(weights)), label="order")
    measure = exact_inclusion(order, pi)
    for i in order:
        assert measure[i] == pytest.approx(pi[i], abs=TOLERANCE), i


@given(pool=weighted_pools(), data=st.data())
@properties
def test_a_systematic_sample_has_no_duplicates_keeps_the_order_and_has_floor_or_ceil_members(
    pool: tuple[dict[int, float], int, float], data: st.DataObject
) -> None:
    weights, k, cap = pool
    pi = inclusion_probabilities(weights, k, cap)
    order = data.draw(st.permutations(sorted(weights)), label="order")
    total = sum(pi.values())
    sizes = {math.floor(total + TOLERANCE), math.ceil(total - TOLERANCE)}
    # Pieces narrower than 1e-9 sit at rounding noise of the cumulative sums (and at
    # u close to 1, see test_members_with_probability_one_are_chosen_for_every_u).
    midpoints = [(a + b) / 2 for a, b in pieces(order, pi) if b - a > TOLERANCE]
    # A total within TOLERANCE below an integer n counts as n (sizes), so u stays below
    # the sliver [total - n + 1, 1) narrower than TOLERANCE, where the sample truly has
    # n - 1 members (seen: one member at pi = 1 - 1e-9 and u = 1 - 1e-9).
    for u in [*midpoints, data.draw(st.floats(0.0, 1 - 2 * TOLERANCE), label="u")]:
        chosen = systematic_sample(order, pi, u)
        assert len(chosen) == len(set(chosen))
        assert all(pi[i] > 0 for i in chosen)
        assert chosen == [i for i in order if i in chosen]  # in the order walked
        assert len(chosen) in sizes, (u, chosen, total)
