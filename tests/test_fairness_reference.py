"""The balances are the same, bit for bit, as the straightforward formulas give them.

``fairness.balances`` is written for speed (columns, the grant's integral once
per distinct age); the reference below is the plain member-by-member version it
replaced.  The server's ledger and the simulator both rely on the two agreeing
exactly, not approximately: a changed last bit can change a draw.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from widget_server.rotation.fairness import (
    HALF_LIVES_KEPT,
    Balance,
    balances,
    grant_days,
    window_days,
)
from widget_server.rotation.rules import Fairness

properties = hypothesis_settings(database=None, max_examples=300, deadline=None)


def reference_grant_days(age_days: float, fairness: Fairness) -> float:
    grace = fairness.newcomer_grace_days
    if grace <= 0 or fairness.newcomer_grant <= 0 or age_days < 0:
        return 0.0
    if age_days - grace > HALF_LIVES_KEPT * fairness.half_life_days:
        return 0.0
    q = 0.5 ** (1.0 / fairness.half_life_days)
    total = 0.0
    for day in range(min(int(age_days), grace - 1) + 1):
        fade = 1.0 - (day + 0.5) / grace
        total += fade * q ** (age_days - day)
    return fairness.newcomer_grant * total


def reference_balances(
    ledger: Mapping[int, tuple[float, float]],
    members: Iterable[int],
    fairness: Fairness,
    ages: Mapping[int, float] | None = None,
    themes_of: Mapping[int, int] | None = None,
) -> dict[int, Balance]:
    ids = list(members)
    known = set(ids)
    ages = {m: a for m, a in (ages or {}).items() if m in known}
    given = {m: ledger.get(m, (0.0, 0.0))[0] for m in ids}
    received = {m: ledger.get(m, (0.0, 0.0))[1] for m in ids}
    total_given = sum(given.values())
    total_received = sum(received.values())
    phi = {m: 1.0 / max(1, (themes_of or {}).get(m, 1)) for m in ids}
    total_phi = sum(phi.values())
    alpha = fairness.alpha if total_given > 1e-9 else 0.0
    share = {
        m: alpha * given[m] / max(total_given, 1e-9) + (1 - alpha) * phi[m] / total_phi for m in ids
    }
    window = window_days(fairness.half_life_days)
    daily = total_received / window
    grace = fairness.newcomer_grace_days
    grants = {m: reference_grant_days(ages[m], fairness) * daily * phi[m] / total_phi for m in ages}
    shared = max(total_received - sum(grants.values()), 0.0)
    n = len(ids)
    out = {}
    for m in ids:
        grant = grants.get(m, 0.0)
        target = share[m] * shared + grant
        rate = target / window + fairness.kappa
        credit = (target - received[m]) / rate
        clipped = max(-fairness.delta, min(fairness.delta, credit))
        fading = grace > 0 and m in ages and ages[m] < grace
        now_grant = fairness.newcomer_grant * (1 - max(ages[m], 0.0) / grace) if fading else 0.0
        feed = n * (share[m] + now_grant * phi[m] / total_phi)
        out[m] = Balance(
            given=given[m],
            received=received[m],
            entitlement=target,
            debt=credit,
            multiplier=feed * math.exp(fairness.beta * clipped),
            newcomer=fading,
            share=share[m],
            grant=grant,
        )
    return out


amounts = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)
fairnesses = st.builds(
    Fairness,
    alpha=st.floats(min_value=0.0, max_value=1.0),
    beta=st.floats(min_value=0.0, max_value=3.0),
    delta=st.floats(min_value=0.5, max_value=10.0),
    kappa=st.floats(min_value=0.01, max_value=5.0),
    half_life_days=st.floats(min_value=1.0, max_value=60.0),
    newcomer_grace_days=st.integers(min_value=0, max_value=60),
    newcomer_grant=st.floats(min_value=0.0, max_value=2.0),
)
# A few distinct join moments shared by many members, as after an import.
ages_pool = st.lists(st.floats(min_value=-2.0, max_value=500.0), min_size=1, max_size=4)


@properties
@given(
    st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=40),
    st.dictionaries(st.integers(min_value=1, max_value=70), st.tuples(amounts, amounts)),
    fairnesses,
    ages_pool,
    st.data(),
)
def test_balances_are_bit_for_bit_the_reference(
    ids: list[int],
    ledger: dict[int, tuple[float, float]],
    fairness: Fairness,
    moments: list[float],
    data: st.DataObject,
) -> None:
    ages = {
        m: data.draw(st.sampled_from(moments))
        for m in data.draw(st.lists(st.integers(min_value=1, max_value=70), max_size=40))
    }
    themes_of = data.draw(
        st.none() | st.dictionaries(st.integers(min_value=1, max_value=70), st.integers(0, 4))
    )
    got = balances(ledger, ids, fairness, ages, themes_of)
    want = reference_balances(ledger, ids, fairness, ages, themes_of)
    assert list(got) == list(want)
    for m, b in want.items():
        assert repr(got[m]) == repr(b), m  # repr: the same bits (and signs of zeros)


@properties
@given(st.floats(min_value=-5.0, max_value=1000.0), fairnesses)
def test_the_grant_integral_is_bit_for_bit_the_reference(age: float, fairness: Fairness) -> None:
    assert repr(grant_days(age, fairness)) == repr(reference_grant_days(age, fairness))
