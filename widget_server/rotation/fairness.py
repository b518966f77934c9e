"""Fair exchange: who has given how much exposure, who is owed some.

Exposure of position r (1-based) is e(r) = 1 / log2(1 + r).  Per theme, with
exponential decay: G_j is the exposure member j gave (partners shown on its
own pages), R_j the exposure it received, and G-bar the mean G over the
active members.  Entitlement T_j = alpha * G_j + (1 - alpha) * G-bar, plus a
newcomer grant during the grace period; debt d_j = (T_j - R_j) / (G-bar + kappa);
weight multiplier m_j = exp(beta * clip(d_j, -delta, delta)).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from widget_server.rotation.rules import Fairness

DAY = 86_400  # seconds


def exposure(position: int) -> float:
    """e(r): what being shown at 1-based position r is worth (1, 0.63, 0.5, 0.43, ...)."""
    return 1.0 / math.log2(1 + position)


def block_exposure(slots: int) -> float:
    """Exposure one view of a block with ``slots`` partners gives away in total."""
    return sum(exposure(r) for r in range(1, slots + 1))


def decay(age_days: float, half_life_days: float) -> float:
    return float(0.5 ** (max(age_days, 0.0) / half_life_days))


@dataclass(frozen=True)
class Balance:
    given: float  # G_j, decayed exposure given
    received: float  # R_j, decayed exposure received
    entitlement: float  # T_j
    debt: float  # d_j (positive: the network owes j)
    multiplier: float  # m_j
    newcomer: bool


def balances(
    ledger: Mapping[int, tuple[float, float]],
    members: Iterable[int],
    fairness: Fairness,
    newcomers: frozenset[int] = frozenset(),
) -> dict[int, Balance]:
    """Each active member's balance; ``ledger`` maps member -> (given, received)."""
    ids = list(members)
    if not ids:
        return {}
    given = {m: ledger.get(m, (0.0, 0.0))[0] for m in ids}
    mean_given = sum(given.values()) / len(ids)
    out = {}
    for m in ids:
        received = ledger.get(m, (0.0, 0.0))[1]
        entitlement = fairness.alpha * given[m] + (1 - fairness.alpha) * mean_given
        if m in newcomers:
            entitlement += fairness.newcomer_grant * mean_given
        debt = (entitlement - received) / (mean_given + fairness.kappa)
        clipped = max(-fairness.delta, min(fairness.delta, debt))
        out[m] = Balance(
            given=given[m],
            received=received,
            entitlement=entitlement,
            debt=debt,
            multiplier=math.exp(fairness.beta * clipped),
            newcomer=m in newcomers,
        )
    return out


def structural_bound(views: Mapping[int, float], member: int, given: float) -> float | None:
    """The highest received/given ratio ``member`` can reach.

    It cannot receive more than the top position (e(1) = 1) on every view of
    every other member's pages, so a member much larger than the rest is a
    structural net giver.  None when it gave nothing.
    """
    if given <= 0:
        return None
    most = sum(v for m, v in views.items() if m != member) * exposure(1)
    return most / given
