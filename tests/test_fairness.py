"""Fair exchange: exposure, balances by the formula of ARCHITECTURE.md §5, decay, the ledger."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from widget_server.core.models import CounterKind, CounterRow
from widget_server.rotation.fairness import (
    balances,
    block_exposure,
    decay,
    exposure,
    structural_bound,
)
from widget_server.rotation.ledger import compute_ledger, window_start
from widget_server.rotation.rules import Fairness

properties = hypothesis_settings(database=None, max_examples=200, deadline=None)

TODAY = date(2027, 1, 15)


# -- exposure -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "value"),
    [
        (1, 1.0),
        (2, 1 / math.log2(3)),  # 0.6309...
        (3, 0.5),
        (7, 1 / 3),
    ],
)
def test_exposure_of_a_position_is_one_over_log2_of_one_plus_it(
    position: int, value: float
) -> None:
    assert exposure(position) == pytest.approx(value, abs=1e-15)


def test_exposure_falls_with_the_position() -> None:
    values = [exposure(r) for r in range(1, 13)]
    assert values == sorted(values, reverse=True)
    assert len(set(values)) == len(values)


def test_block_exposure_is_the_sum_over_its_positions() -> None:
    assert block_exposure(3) == pytest.approx(1.0 + 0.6309297535714575 + 0.5, abs=1e-15)
    assert block_exposure(1) == 1.0
    assert block_exposure(0) == 0.0


# -- balances -------------------------------------------------------------------------------

DEFAULTS = Fairness()  # alpha .8, beta 4, delta 2, kappa 1, grant .5


def test_balances_follow_the_formula_for_three_members() -> None:
    # given / received: member 1 gave 6 and got 1, member 2 gave 3 and got 3,
    # member 3 gave nothing and got 2.  Mean given G = (6 + 3 + 0) / 3 = 3.
    #   T1 = .8 * 6 + .2 * 3 = 5.4   d1 = (5.4 - 1) / (3 + 1) =  1.1    m1 = e^(4 * 1.1)
    #   T2 = .8 * 3 + .2 * 3 = 3.0   d2 = (3.0 - 3) / 4       =  0      m2 = 1
    #   T3 = .8 * 0 + .2 * 3 = 0.6   d3 = (0.6 - 2) / 4       = -0.35   m3 = e^(4 * -0.35)
    result = balances({1: (6.0, 1.0), 2: (3.0, 3.0), 3: (0.0, 2.0)}, [1, 2, 3], DEFAULTS)

    assert set(result) == {1, 2, 3}
    one, two, three = result[1], result[2], result[3]
    assert (one.given, one.received) == (6.0, 1.0)
    assert one.entitlement == pytest.approx(5.4)
    assert one.debt == pytest.approx(1.1)
    assert one.multiplier == pytest.approx(math.exp(4.4))
    assert two.entitlement == pytest.approx(3.0)
    assert two.debt == pytest.approx(0.0)
    assert two.multiplier == pytest.approx(1.0)
    assert three.entitlement == pytest.approx(0.6)
    assert three.debt == pytest.approx(-0.35)
    assert three.multiplier == pytest.approx(math.exp(-1.4))
    assert not any(b.newcomer for b in result.values())


def test_kappa_damps_debts_in_a_network_that_has_given_little() -> None:
    # The same table with kappa 5: d1 = (5.4 - 1) / (3 + 5) = 0.55, d3 = -1.4 / 8.
    result = balances({1: (6.0, 1.0), 2: (3.0, 3.0), 3: (0.0, 2.0)}, [1, 2, 3], Fairness(kappa=5.0))
    assert result[1].debt == pytest.approx(0.55)
    assert result[3].debt == pytest.approx(-0.175)
    assert result[1].multiplier == pytest.approx(math.exp(2.2))


def test_a_member_missing_from_the_ledger_has_given_and_received_nothing() -> None:
    # Mean given (4 + 0) / 2 = 2; member 2: T = .2 * 2 = .4, d = .4 / (2 + 1).
    result = balances({1: (4.0, 0.0)}, [1, 2], DEFAULTS)
    assert (result[2].given, result[2].received) == (0.0, 0.0)
    assert result[2].debt == pytest.approx(0.4 / 3)


def test_ledger_entries_of_members_not_listed_are_left_out_of_the_mean() -> None:
    # Member 9 (paused, say) gave 100; the mean over the active members 1 and 2 is 1.
    result = balances({1: (2.0, 0.0), 2: (0.0, 0.0), 9: (100.0, 0.0)}, [1, 2], DEFAULTS)
    assert set(result) == {1, 2}
    assert result[2].entitlement == pytest.approx(0.2 * 1.0)
    assert result[1].debt == pytest.approx((0.8 * 2 + 0.2 * 1) / (1 + 1))


def test_no_members_have_no_balances() -> None:
    assert balances({1: (1.0, 1.0)}, [], DEFAULTS) == {}


def test_with_alpha_one_each_entitlement_is_exactly_what_it_gave() -> None:
    ledger = {1: (6.0, 1.0), 2: (3.0, 3.0), 3: (0.0, 2.0)}
    result = balances(ledger, [1, 2, 3], Fairness(alpha=1.0))
    assert {m: b.entitlement for m, b in result.items()} == {1: 6.0, 2: 3.0, 3: 0.0}


def test_with_alpha_zero_everyones_entitlement_is_the_mean_given() -> None:
    ledger = {1: (6.0, 1.0), 2: (3.0, 3.0), 3: (0.0, 2.0)}
    result = balances(ledger, [1, 2, 3], Fairness(alpha=0.0))
    assert all(b.entitlement == pytest.approx(3.0) for b in result.values())
    # Equal entitlements: who received least is owed most.
    assert result[1].multiplier > result[3].multiplier > result[2].multiplier


def test_a_newcomer_grant_raises_entitlement_by_the_grant_times_the_mean() -> None:
    ledger = {1: (6.0, 1.0), 2: (3.0, 3.0), 3: (0.0, 2.0)}
    plain = balances(ledger, [1, 2, 3], DEFAULTS)
    granted = balances(ledger, [1, 2, 3], DEFAULTS, newcomers=frozenset({3}))

    # T3 = 0.6 + .5 * 3 = 2.1, d3 = (2.1 - 2) / 4 = 0.025
    assert granted[3].newcomer
    assert granted[3].entitlement == pytest.approx(2.1)
    assert granted[3].debt == pytest.approx(0.025)
    assert granted[3].multiplier > plain[3].multiplier
    # The others are unchanged.
    assert granted[1] == plain[1]
    assert granted[2] == plain[2]


def test_debts_are_clipped_so_multipliers_stay_within_e_to_plus_minus_beta_delta() -> None:
    fairness = Fairness(beta=3.0, delta=1.0)
    # Member 1 gave 100 and got nothing, member 2 got 100 and gave nothing.
    result = balances({1: (100.0, 0.0), 2: (0.0, 100.0), 3: (0.0, 0.0)}, [1, 2, 3], fairness)
    assert result[1].debt > 1.0  # unclipped debt is kept for display ...
    assert result[2].debt < -1.0
    assert result[1].multiplier == pytest.approx(math.exp(3.0))  # ... the multiplier is clipped
    assert result[2].multiplier == pytest.approx(math.exp(-3.0))


@given(
    ledger=st.dictionaries(
        st.integers(1, 20),
        st.tuples(st.floats(0, 1e6), st.floats(0, 1e6)),
        max_size=20,
    ),
    alpha=st.floats(0, 1),
    beta=st.floats(0, 20),
    delta=st.floats(0, 10),
    newcomers=st.frozensets(st.integers(1, 20)),
)
@properties
def test_every_multiplier_is_within_the_clipping_bounds(
    ledger: dict[int, tuple[float, float]],
    alpha: float,
    beta: float,
    delta: float,
    newcomers: frozenset[int],
) -> None:
    fairness = Fairness(alpha=alpha, beta=beta, delta=delta)
    members = sorted(set(ledger) | {1})
    for b in balances(ledger, members, fairness, newcomers).values():
        assert math.exp(-beta * delta) * (1 - 1e-12) <= b.multiplier
        assert b.multiplier <= math.exp(beta * delta) * (1 + 1e-12)
        assert b.multiplier == pytest.approx(
            math.exp(beta * max(-delta, min(delta, b.debt))), rel=1e-12
        )


@given(
    received=st.dictionaries(st.integers(1, 20), st.integers(0, 10_000).map(float), min_size=2),
)
@properties
def test_among_members_who_gave_the_same_the_one_who_received_less_is_owed_more(
    received: dict[int, float],
) -> None:
    members = sorted(received)
    even = {m: (50.0, r) for m, r in received.items()}
    result = balances(even, members, DEFAULTS)
    for a in members:
        for b in members:
            if even[a][1] < even[b][1]:
                assert result[a].debt > result[b].debt
                assert result[a].multiplier >= result[b].multiplier


# -- structural bound -----------------------------------------------------------------------


def test_structural_bound_is_the_top_position_on_every_other_members_views_over_given() -> None:
    views = {1: 100.0, 2: 50.0, 3: 30.0}
    # Member 1 gave 200: at most (50 + 30) * e(1) = 80 can come back.
    assert structural_bound(views, 1, 200.0) == pytest.approx(0.4)
    # Member 3 gave 30: it could receive up to 150.
    assert structural_bound(views, 3, 30.0) == pytest.approx(5.0)


def test_structural_bound_is_none_for_a_member_that_gave_nothing() -> None:
    assert structural_bound({1: 10.0, 2: 5.0}, 1, 0.0) is None


# -- decay ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "half_life", "weight"),
    [
        (0, 14, 1.0),
        (14, 14, 0.5),
        (28, 14, 0.25),
        (7, 14, 2**-0.5),
        (1, 0.5, 0.25),
        (-3, 14, 1.0),  # a day in the future does not weigh more than today
    ],
)
def test_decay_halves_with_every_half_life(age: float, half_life: float, weight: float) -> None:
    assert decay(age, half_life) == pytest.approx(weight, abs=1e-15)


# -- the ledger from daily rows -------------------------------------------------------------


def row(
    days_ago: int,
    host: int,
    partner: int,
    exposure_: float,
    *,
    theme: int = 1,
    kind: CounterKind = "viewed",
) -> CounterRow:
    return CounterRow(
        day=TODAY - timedelta(days=days_ago),
        theme_id=theme,
        host_id=host,
        partner_id=partner,
        kind=kind,
        count=1,
        exposure=exposure_,
    )


def test_the_ledger_sums_given_per_host_and_received_per_partner() -> None:
    rows = [row(0, 1, 2, 1.0), row(0, 1, 3, 0.5), row(0, 2, 1, 2.0), row(0, 3, 2, 0.25)]
    ledger = compute_ledger(rows, TODAY, {1: 14.0})
    assert ledger == {1: {1: (1.5, 2.0), 2: (2.0, 1.25), 3: (0.25, 0.5)}}


def test_the_ledger_decays_rows_by_their_age() -> None:
    rows = [row(0, 1, 2, 8.0), row(7, 1, 2, 8.0), row(14, 1, 2, 8.0), row(28, 2, 1, 8.0)]
    ledger = compute_ledger(rows, TODAY, {1: 7.0})
    # Host 1 gave 8 + 4 + 2; member 2 received the same; host 2's 8 is four half-lives old.
    assert ledger[1][1] == pytest.approx((14.0, 0.5))
    assert ledger[1][2] == pytest.approx((0.5, 14.0))


@pytest.mark.parametrize("kind", ["served", "clicked"])
def test_the_ledger_counts_only_viewed_rows(kind: CounterKind) -> None:
    rows = [row(0, 1, 2, 1.0), row(0, 1, 2, 5.0, kind=kind), row(0, 3, 4, 5.0, kind=kind)]
    assert compute_ledger(rows, TODAY, {}) == {1: {1: (1.0, 0.0), 2: (0.0, 1.0)}}


def test_the_ledger_ignores_days_after_today() -> None:
    rows = [row(0, 1, 2, 1.0), row(-1, 1, 2, 100.0), row(-30, 2, 1, 100.0)]
    assert compute_ledger(rows, TODAY, {}) == {1: {1: (1.0, 0.0), 2: (0.0, 1.0)}}


def test_the_ledger_keeps_themes_apart_with_their_own_half_lives() -> None:
    rows = [row(10, 1, 2, 1.0, theme=1), row(10, 1, 2, 1.0, theme=2), row(0, 2, 3, 1.0, theme=2)]
    ledger = compute_ledger(rows, TODAY, {1: 10.0, 2: 5.0})
    assert set(ledger) == {1, 2}
    assert ledger[1] == {1: (0.5, 0.0), 2: (0.0, 0.5)}
    assert ledger[2] == {1: (0.25, 0.0), 2: (1.0, 0.25), 3: (0.0, 1.0)}


def test_a_theme_without_its_own_half_life_decays_over_fourteen_days() -> None:
    assert compute_ledger([row(14, 1, 2, 1.0, theme=5)], TODAY, {1: 3.0})[5][1] == (0.5, 0.0)


def test_no_rows_give_an_empty_ledger() -> None:
    assert compute_ledger([], TODAY, {1: 14.0}) == {}


def test_the_ledger_window_reaches_back_eight_half_lives() -> None:
    assert window_start(TODAY, 14.0) == TODAY - timedelta(days=112)
    assert window_start(TODAY, 0.5) == TODAY - timedelta(days=4)
    assert window_start(TODAY, 1.3) == TODAY - timedelta(days=11)  # rounded up
