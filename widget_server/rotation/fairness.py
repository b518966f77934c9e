"""Fair exchange: target shares of received exposure, tracked by a credit integral.

Exposure of position r (1-based) is e(r) = 1 / log2(1 + r).  Per theme, with
exponential decay of half-life H, G_j is the exposure member j gave (partners
shown on its own pages) and R_j the exposure it received.

**Target.**  Each active member j has a target share of the received exposure

    s_j = alpha * G_j / sum(G) + (1 - alpha) * phi_j / sum(phi)

where phi_j is 1 / (the number of themes j is active in), so a member in three
themes holds one equal share across the network, not three.  Its target is
T_j = s_j * (sum(R) - sum(grants)) + grant_j: a newcomer's grant is a gift on
top, taken from everyone else in proportion to their shares.

**Tracking.**  The credit c_j = T_j - R_j is an integral (decayed like the
ledger) of the gap between the target rate and the received rate, measured
in days of the member's own target rate.  The weight factor is

    multiplier_j = N * s_j * exp(beta * clip(c_j, -delta, delta))

The first part is feed-forward: with equal weights elsewhere, a member is
drawn in proportion to its target share.  The second part is the integral
correction: a persistent shortfall keeps accumulating credit until the draw
makes up for it, so the received share converges to the target instead of
settling at a fixed offset.  Because credit is counted in days of a member's
own target, a small member is corrected as fast, relative to its size, as a
large one.  At alpha = 1 a member that gives nothing has s_j = 0: it is never
drawn except through its newcomer grant.

**Newcomer grant.**  During the grace period the target rate gets an extra
``newcomer_grant`` equal shares, fading linearly to zero.  The grant enters
T_j as a decayed integral over the days it applied, exactly as the exposure
it bought enters R_j, so nothing is clawed back when the grace period ends.

All of this runs when a ledger is installed, never per request.
"""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from widget_server.rotation.packed import PackedFigures
from widget_server.rotation.rules import Fairness

DAY = 86_400  # seconds
# Rows older than this many half-lives weigh less than 0.4 % and are not read.
HALF_LIVES_KEPT = 8


def exposure(position: int) -> float:
    """e(r): what being shown at 1-based position r is worth (1, 0.63, 0.5, 0.43, ...)."""
    return 1.0 / math.log2(1 + position)


def block_exposure(slots: int) -> float:
    """Exposure one view of a block with ``slots`` partners gives away in total."""
    return sum(exposure(r) for r in range(1, slots + 1))


def decay(age_days: float, half_life_days: float) -> float:
    return float(0.5 ** (max(age_days, 0.0) / half_life_days))


# Slots: a snapshot holds one Balance per membership (200,000 at 100,000 members).
@dataclass(frozen=True, slots=True)
class Balance:
    given: float  # G_j, decayed exposure given
    received: float  # R_j, decayed exposure received
    entitlement: float  # T_j, the decayed target (grant included)
    debt: float  # c_j in days of the member's target rate (positive: the network owes j)
    multiplier: float  # the weight factor N * s_j * exp(beta * clip(c_j))
    newcomer: bool
    share: float = 0.0  # s_j, the target share of received exposure
    grant: float = 0.0  # the decayed newcomer grant inside T_j


def window_days(half_life_days: float) -> float:
    """How many days of traffic a decayed sum holds: sum of 2^(-k/H) over the rows kept."""
    q = 0.5 ** (1.0 / half_life_days)
    kept = math.ceil(HALF_LIVES_KEPT * half_life_days)
    return float((1.0 - q ** (kept + 1)) / (1.0 - q))


def grant_days(age_days: float, fairness: Fairness) -> float:
    """The decayed integral of the fading grant, in days of an equal share.

    The grant rate is ``newcomer_grant`` equal shares on the day of joining,
    falling linearly to zero at the end of the grace period; each past day
    weighs as its ledger rows do.  Bounded by newcomer_grant * grace / 2.
    """
    grace = fairness.newcomer_grace_days
    if grace <= 0 or fairness.newcomer_grant <= 0 or age_days < 0:
        return 0.0
    if age_days - grace > HALF_LIVES_KEPT * fairness.half_life_days:
        return 0.0  # its days have left the ledger window, as their rows have
    q = 0.5 ** (1.0 / fairness.half_life_days)
    total = 0.0
    for day, fade in enumerate(_fades(grace)[: min(int(age_days), grace - 1) + 1]):
        total += fade * q ** (age_days - day)
    return fairness.newcomer_grant * total


@functools.lru_cache(maxsize=16)
def _fades(grace: int) -> tuple[float, ...]:
    """The grant's mid-day values on the days of the grace period: they sum to grace / 2."""
    return tuple(1.0 - (day + 0.5) / grace for day in range(grace))


_FIELDS = ("given", "received", "entitlement", "debt", "multiplier", "share", "grant")


class Balances(Mapping[int, Balance]):
    """A theme's balances by member, kept as columns of floats.

    A snapshot holds one balance per membership (200,000 at 100,000 members):
    as Balance objects with their seven floats that is about 260 bytes each,
    as columns about 60.  A Balance is made when one is read; the hot path
    reads only the multipliers (``multipliers``).
    """

    __slots__ = ("_columns", "_index", "_newcomers")

    def __init__(
        self,
        rows: Mapping[int, tuple[float, ...]],
        newcomers: frozenset[int],
        index: Mapping[int, int] | None = None,
    ) -> None:
        # ``index``: member -> place, the same keys in the same order as ``rows`` (a
        # pool's index of its members, shared rather than made again for each theme).
        if index is not None and len(index) == len(rows) and list(index) == list(rows):
            self._index = index
        else:
            self._index = {m: n for n, m in enumerate(rows)}
        self._columns = tuple(array("d", column) for column in zip(*rows.values(), strict=True))
        if not self._columns:
            self._columns = tuple(array("d") for _ in _FIELDS)
        # A flag per member, not a set: after an import every member is a newcomer.
        self._newcomers = bytes(m in newcomers for m in rows) if newcomers else b""

    def __getitem__(self, member: int) -> Balance:
        n = self._index[member]
        given, received, entitlement, debt, multiplier, share, grant = (c[n] for c in self._columns)
        return Balance(
            given=given,
            received=received,
            entitlement=entitlement,
            debt=debt,
            multiplier=multiplier,
            newcomer=bool(self._newcomers) and bool(self._newcomers[n]),
            share=share,
            grant=grant,
        )

    def __contains__(self, member: object) -> bool:
        return member in self._index

    def __iter__(self) -> Iterator[int]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def multipliers(self) -> dict[int, float]:
        """Each member's multiplier (what the weights of the draw need)."""
        return dict(zip(self._index, self._columns[4], strict=True))


def multipliers(fair: Mapping[int, Balance]) -> Mapping[int, float]:
    """The multipliers of ``fair``, from the columns when it keeps them so."""
    if isinstance(fair, Balances):
        return fair.multipliers()
    return {m: b.multiplier for m, b in fair.items()}


def balances(
    ledger: Mapping[int, tuple[float, float]],
    members: Iterable[int],
    fairness: Fairness,
    ages: Mapping[int, float] | None = None,
    themes_of: Mapping[int, int] | None = None,
    index: Mapping[int, int] | None = None,
) -> Balances:
    """Each active member's balance; ``ledger`` maps member -> (given, received).

    ``ages`` are days since each member joined the theme (newcomers get the
    grant); ``themes_of`` counts the themes each member is active in (one
    equal share across the network).  Both default to "old, one theme".
    ``index`` (member -> place, in the order of ``members``) is kept rather than
    made again when it fits.
    """
    ids = list(members)
    if not ids:
        return Balances({}, frozenset())
    known = set(ids)
    n = len(ids)
    unique = ids if len(known) == n else list(dict.fromkeys(ids))
    ages = {m: a for m, a in (ages or {}).items() if m in known}
    # Columns in the order of ``unique`` (summed in that order, as the dicts were).
    if isinstance(ledger, PackedFigures):
        given, received = ledger.columns(unique)
    else:
        nothing = (0.0, 0.0)
        figures = [ledger.get(m, nothing) for m in unique]
        given = [g for g, _ in figures]
        received = [r for _, r in figures]
    total_given = sum(given)
    total_received = sum(received)
    counts = themes_of or {}
    phi = [1.0 / max(1, counts.get(m, 1)) for m in unique] if counts else [1.0] * len(unique)
    total_phi = sum(phi)
    alpha = fairness.alpha if total_given > 1e-9 else 0.0  # next to nothing given: equal
    most, rest = max(total_given, 1e-9), 1 - alpha
    share = [alpha * g / most + rest * p / total_phi for g, p in zip(given, phi, strict=True)]
    window = window_days(fairness.half_life_days)
    daily = total_received / window  # the theme's received exposure per day, about
    grace = fairness.newcomer_grace_days
    # The grant stays in the target after the grace period and decays out of
    # it exactly as the exposure it bought decays out of R: never clawed back.
    # Members who joined at the same moment (an import) share the integral: made once.
    integral: dict[float, float] = {}
    for age in ages.values():
        if age not in integral:
            integral[age] = grant_days(age, fairness)
    phi_of = dict(zip(unique, phi, strict=True)) if ages else {}
    grants = {m: integral[a] * daily * phi_of[m] / total_phi for m, a in ages.items()}
    shared = max(total_received - sum(grants.values()), 0.0)
    kappa, delta, beta, rate_now = (
        fairness.kappa,
        fairness.delta,
        fairness.beta,
        fairness.newcomer_grant,
    )
    exp = math.exp
    rows: dict[int, tuple[float, ...]] = {}
    newcomers = set()
    for m, g, r, s, p in zip(unique, given, received, share, phi, strict=True):
        grant = grants.get(m, 0.0)
        target = s * shared + grant
        # Credit in days of the member's own target rate; kappa (exposure per
        # day) keeps a member with a near-zero target from dividing by ~0.
        rate = target / window + kappa
        credit = (target - r) / rate
        clipped = max(-delta, min(delta, credit))
        # A grace period of 0 days has no newcomers.  A negative age (a join time
        # after ``now``: another process's clock, or a join while this ran) is the
        # day of joining, never more than the full grant.
        fading = grace > 0 and m in ages and ages[m] < grace
        # Feed-forward: the target share now, with today's value of the fading grant.
        now_grant = rate_now * (1 - max(ages[m], 0.0) / grace) if fading else 0.0
        feed = n * (s + now_grant * p / total_phi)
        rows[m] = (g, r, target, credit, feed * exp(beta * clipped), s, grant)  # _FIELDS
        if fading:
            newcomers.add(m)
    return Balances(rows, frozenset(newcomers), index)


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
