"""Fair exchange: exposure, target shares and credit (docs/rotation.md §5), decay, the ledger."""

from __future__ import annotations

import itertools
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
    grant_days,
    structural_bound,
    window_days,
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


# -- balances: target shares tracked by a credit integral -------------------------------------

DEFAULTS = Fairness()  # alpha .8, beta 1, delta 4, kappa 1, grant .5 over 30 days
STRICT = Fairness(alpha=1.0)
W = window_days(14.0)  # about 20.7 days of traffic in a decayed sum


@pytest.mark.parametrize(
    ("alpha", "ledger", "shares"),
    [
        # given / received: a gave 6, b 3, c nothing; 9 exposure given in all.
        (1.0, {1: (6.0, 1.0), 2: (3.0, 3.0), 3: (0.0, 5.0)}, {1: 6 / 9, 2: 3 / 9, 3: 0.0}),
        (0.0, {1: (6.0, 1.0), 2: (3.0, 3.0), 3: (0.0, 5.0)}, {1: 1 / 3, 2: 1 / 3, 3: 1 / 3}),
        (0.5, {1: (6.0, 1.0), 2: (3.0, 3.0), 3: (0.0, 5.0)}, {1: 1 / 2, 2: 1 / 3, 3: 1 / 6}),
        # an empty ledger: equal shares whatever alpha says
        (1.0, {}, {1: 1 / 3, 2: 1 / 3, 3: 1 / 3}),
    ],
)
def test_target_share_is_alpha_times_giving_share_plus_an_equal_share(
    alpha: float, ledger: dict[int, tuple[float, float]], shares: dict[int, float]
) -> None:
    result = balances(ledger, [1, 2, 3], Fairness(alpha=alpha))
    received = sum(r for _, r in ledger.values())
    for m, share in shares.items():
        assert result[m].share == pytest.approx(share)
        assert result[m].entitlement == pytest.approx(share * received)


def test_credit_is_counted_in_days_of_the_members_own_target() -> None:
    # Both are 10 % short of their target: the small one is owed as many days as the big one.
    ledger = {1: (1000.0, 900.0), 2: (10.0, 9.0), 3: (0.0, 101.0)}
    result = balances(ledger, [1, 2, 3], Fairness(alpha=1.0, kappa=0.001))
    assert result[1].debt == pytest.approx(result[2].debt, rel=1e-2)
    target = result[1].entitlement
    assert result[1].debt == pytest.approx((target - 900.0) / (target / W + 0.001))


def test_multiplier_is_feed_forward_share_times_the_credit_correction() -> None:
    ledger = {1: (6.0, 1.0), 2: (3.0, 3.0), 3: (3.0, 8.0)}
    for m, b in balances(ledger, [1, 2, 3], DEFAULTS).items():
        clipped = max(-4.0, min(4.0, b.debt))
        assert b.multiplier == pytest.approx(3 * b.share * math.exp(clipped)), m


def test_at_alpha_one_a_member_that_gives_nothing_is_never_drawn() -> None:
    result = balances({1: (5.0, 5.0), 2: (5.0, 5.0), 3: (0.0, 0.0)}, [1, 2, 3], STRICT)
    assert result[3].multiplier == 0.0
    assert result[1].multiplier > 0


def test_one_equal_share_across_the_network_for_a_member_in_several_themes() -> None:
    # Member 1 is active in three themes: its equal part here is a third of the others'.
    result = balances({}, [1, 2, 3], Fairness(alpha=0.0), themes_of={1: 3, 2: 1, 3: 1})
    assert result[1].share == pytest.approx(1 / 7)
    assert result[2].share == pytest.approx(3 / 7)


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (-1.0, 0.0),
        (0.0, 0.5 * (1 - 0.5 / 30)),  # the first day: the grant at full strength
        (29.0, None),
        (400.0, None),
    ],
)
def test_grant_days_are_a_bounded_decayed_integral(age: float, expected: float | None) -> None:
    value = grant_days(age, DEFAULTS)
    if expected is not None:
        assert value == pytest.approx(expected)
    assert 0 <= value <= 0.5 * 30 / 2  # never more than grant * grace / 2


def test_the_grant_fades_smoothly_and_is_never_clawed_back() -> None:
    """Day by day after joining, the newcomer's weight never falls off a cliff."""
    ledger = {1: (50.0, 50.0), 2: (50.0, 50.0), 3: (0.0, 20.0)}
    weights = [
        balances(ledger, [1, 2, 3], STRICT, ages={1: 400, 2: 400, 3: age})[3]
        for age in [a / 2 for a in range(0, 80)]
    ]
    grants = [b.grant for b in weights]
    assert all(b.newcomer for b in weights[:60]) and not weights[60].newcomer
    # the grant inside the target rises, then decays with the ledger: no step down at the end
    steps = [b - a for a, b in itertools.pairwise(grants)]
    assert max(abs(s) for s in steps) < 0.15 * max(grants)
    # past the grace period the grant only decays, at the ledger's own pace
    assert all(-0.03 * a <= b - a <= 0 for a, b in itertools.pairwise(grants[60:]))


@given(
    st.dictionaries(
        st.integers(1, 8),
        st.tuples(st.floats(0, 1e6), st.floats(0, 1e6)),
        min_size=1,
    ),
    st.floats(0, 1),
)
@properties
def test_shares_add_up_to_one_and_multipliers_stay_within_the_clip(
    ledger: dict[int, tuple[float, float]], alpha: float
) -> None:
    fairness = Fairness(alpha=alpha)
    result = balances(ledger, sorted(ledger), fairness)
    assert sum(b.share for b in result.values()) == pytest.approx(1.0)
    n = len(ledger)
    for b in result.values():
        assert max(-4.0, min(4.0, b.debt)) >= -4.0 - 1e-9
        assert b.multiplier <= n * b.share * math.exp(4.0) * (1 + 1e-9)
        assert b.multiplier >= n * b.share * math.exp(-4.0) * (1 - 1e-9)


@given(st.floats(0, 1e5), st.floats(0, 1e5), st.floats(1, 1e5))
@properties
def test_among_members_who_gave_the_same_the_one_who_received_less_is_owed_more(
    low: float, high: float, given_: float
) -> None:
    low, high = sorted((low, high))
    result = balances({1: (given_, low), 2: (given_, high), 3: (1.0, 1.0)}, [1, 2, 3], DEFAULTS)
    assert result[1].debt >= result[2].debt
    assert result[1].multiplier >= result[2].multiplier


def test_without_a_grace_period_nobody_is_a_newcomer_even_joined_after_now() -> None:
    # A join time after `now` (another process's clock, or a join during a
    # computation) is a negative age; with a grace period of 0 days it once
    # divided by zero and failed the theme's balances.
    fairness = Fairness(newcomer_grace_days=0)
    result = balances({1: (5.0, 1.0), 2: (1.0, 5.0)}, [1, 2], fairness, {1: -0.5, 2: 3.0})
    assert not result[1].newcomer and not result[2].newcomer
    assert result[1].grant == result[2].grant == 0.0


def test_a_member_joined_after_now_gets_the_grant_of_its_first_day_not_more() -> None:
    # Nothing received yet: no grant in any target, only the feed-forward's grant.
    ledger = {1: (5.0, 0.0), 2: (1.0, 0.0), 3: (2.0, 0.0)}
    early = balances(ledger, [1, 2, 3], DEFAULTS, {1: -0.5})
    joined = balances(ledger, [1, 2, 3], DEFAULTS, {1: 0.0})
    assert early[1].newcomer and joined[1].newcomer and not early[2].newcomer
    assert early[1].multiplier == joined[1].multiplier


def test_no_members_have_no_balances() -> None:
    assert balances({1: (1.0, 1.0)}, [], DEFAULTS) == {}


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
