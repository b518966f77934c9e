"""What a simulated scenario means to a coordinator: per strategy, the figures that decide trust.

For each strategy (the engine and the two baselines of ``scenario.py``) over
the measured days: min/max received/given ratio, the share of members within
the band 0.85-1.4 *or at their bound* (a member cannot receive more than its
rule-aware reach), the Gini coefficient of received exposure, every member out
of band with its reason, empty and short blocks, the median ratio of members in
one theme and in several, and for each event the days until every member is
back in band over a trailing 7 days.

**In band over a trailing 7 days** (the settling check) means, for every
member active on the last day that gave something in the window:
received / given within 0.85-1.4, or at least 97 % of its rule-aware bound,
with two allowances stated here because they are part of the definition:

* *counting noise*: a week's total of a small member is a handful of
  placements, so received may miss the band by up to sqrt(given) exposure
  (one standard deviation of a count of that many unit placements; 4.4 for a
  member that gave 19, 1 % of a member that gave 10,000);
* *newcomers on their grant*: during its grace period a newcomer above the
  band is receiving its grant, a gift by design, not an imbalance; the lower
  edge still applies.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from widget_server.counting.scenario import Day, Event, member_totals

BAND = (0.85, 1.4)
AT_BOUND = 0.97  # within 3 % of its bound counts as at its bound
TRAILING_DAYS = 7
GRACE_DAYS = 30  # the default newcomer grace period


def gini(values: Sequence[float]) -> float:
    """The Gini coefficient: 0 when all are equal, towards 1 when one holds everything."""
    n = len(values)
    total = sum(values)
    if n == 0 or total <= 0:
        return 0.0
    ordered = sorted(values)
    weighted = sum((2 * (i + 1) - n - 1) * x for i, x in enumerate(ordered))
    return weighted / (n * total)


def in_window(received: float, given: float, reach: float, *, newcomer: bool = False) -> bool:
    """In band over a short window: the band, the bound, counting noise, the grant."""
    slack = math.sqrt(given)
    if received >= BAND[0] * given - slack and (newcomer or received <= BAND[1] * given + slack):
        return True
    return received >= AT_BOUND * reach


def judge(ratio: float | None, bound: float | None) -> str | None:
    """None when in band (or at its bound); else why not."""
    if ratio is None:
        return "gives nothing"
    if BAND[0] <= ratio <= BAND[1]:
        return None
    if ratio < BAND[0] and bound is not None and ratio >= AT_BOUND * bound:
        return None  # at its structural, rule-aware bound: in band by definition
    return "below band" if ratio < BAND[0] else "above band"


@dataclass(frozen=True)
class StrategyReport:
    strategy: str
    min_ratio: float | None
    max_ratio: float | None
    in_band: float  # share of members that gave something
    gini: float
    out_of_band: tuple[tuple[str, float | None, str], ...]  # (member, ratio, reason)
    # (member, ratio, bound, why: "structural bound" or "cap"): in band by definition
    at_bound: tuple[tuple[str, float | None, float, str], ...]
    blocks: int
    short_blocks: int
    empty_blocks: int
    median_single: float | None  # median ratio of members in one theme
    median_multi: float | None  # ... and in several
    settle_days: tuple[tuple[str, int | None], ...]  # (event, days until back in band)

    def as_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "strategy": self.strategy,
            "min_ratio": r(self.min_ratio),
            "max_ratio": r(self.max_ratio),
            "in_band": r(self.in_band),
            "gini": r(self.gini),
            "out_of_band": [
                {"member": m, "ratio": r(x), "reason": why} for m, x, why in self.out_of_band
            ],
            "at_bound": [
                {"member": m, "ratio": r(x), "bound": r(b), "reason": why}
                for m, x, b, why in self.at_bound
            ],
            "blocks": self.blocks,
            "short_blocks": self.short_blocks,
            "empty_blocks": self.empty_blocks,
            "median_ratio_one_theme": r(self.median_single),
            "median_ratio_several_themes": r(self.median_multi),
            "days_until_in_band": [{"event": e, "days": d} for e, d in self.settle_days],
        }


def _all_in_band(days: Sequence[Day], last: int, joins: Mapping[int, int]) -> bool:
    totals = member_totals(days, max(0, last - TRAILING_DAYS + 1), last + 1)
    for m, given in totals["given"].items():
        if given <= 0 or m not in days[last].active:
            continue
        newcomer = m in joins and last - joins[m] < GRACE_DAYS
        if not in_window(totals["received"][m], given, totals["reach"][m], newcomer=newcomer):
            return False
    return True


def settle_days(
    days: Sequence[Day],
    event_day: int,
    joins: Mapping[int, int] | None = None,
    verdicts: dict[int, bool] | None = None,
) -> int | None:
    """Days after ``event_day`` until every member is in band over the trailing 7 days.

    ``joins`` maps members to the day they joined (newcomers on their grant).
    ``verdicts`` (day -> all in band), kept by a caller asking for several events
    with the same ``days`` and ``joins``, spares judging a day twice.
    """
    known = {} if verdicts is None else verdicts
    for t in range(1, len(days) - event_day):
        last = event_day + t
        if last not in known:
            known[last] = _all_in_band(days, last, joins or {})
        if known[last]:
            return t
    return None


def _reason(
    m: int, totals: Mapping[str, Mapping[int, float]], net_giver: bool
) -> tuple[str | None, str | None]:
    """(why out of band, why at its bound): None where it does not apply."""
    g = totals["given"].get(m, 0.0)
    if g <= 0:
        return "gives nothing", None
    received, reach = totals["received"].get(m, 0.0), totals["reach"].get(m, 0.0)
    verdict = judge(received / g, reach / g)
    if received >= AT_BOUND * reach and reach / g < BAND[1]:
        capped = totals["reach_uncapped"].get(m, 0.0) > reach * (1 + 1e-9)
        return verdict, "cap" if capped else "structural bound"
    if verdict == "above band":
        if received - totals["pinned"].get(m, 0.0) <= BAND[1] * g:
            return "pin", None
        if net_giver:
            return "forced surplus from a net giver at its bound", None
    return verdict, None


def strategy_report(
    strategy: str,
    days: Sequence[Day],
    warmup: int,
    slugs: Mapping[int, str],
    themes_of: Mapping[int, int],
    events: Sequence[Event] = (),
) -> StrategyReport:
    totals = member_totals(days, warmup, len(days))
    given, received, reach = totals["given"], totals["received"], totals["reach"]
    members = sorted(set(given) | set(received), key=lambda m: slugs[m])
    ratios: dict[int, float | None] = {}
    out = []
    at_bound = []
    net_giver = any(
        given[m] > 0 and reach[m] / given[m] < BAND[0] and received[m] >= AT_BOUND * reach[m]
        for m in members
    )
    for m in members:
        g = given.get(m, 0.0)
        ratios[m] = received.get(m, 0.0) / g if g > 0 else None
        reason, bound_reason = _reason(m, totals, net_giver)
        if reason is not None:
            out.append((slugs[m], ratios[m], reason))
        if bound_reason is not None:
            at_bound.append((slugs[m], ratios[m], reach[m] / g, bound_reason))
    valid = [r for r in ratios.values() if r is not None]
    single = [r for m, r in ratios.items() if r is not None and themes_of.get(m, 1) == 1]
    multi = [r for m, r in ratios.items() if r is not None and themes_of.get(m, 1) > 1]
    measured = days[warmup:]
    joins = {e.member: e.day for e in events if e.kind == "join"}
    verdicts: dict[int, bool] = {}  # the days judged, shared by the events
    return StrategyReport(
        strategy=strategy,
        min_ratio=min(valid) if valid else None,
        max_ratio=max(valid) if valid else None,
        in_band=(len(valid) - sum(1 for _, x, _ in out if x is not None)) / len(valid)
        if valid
        else 0.0,
        gini=gini([received.get(m, 0.0) for m in members]),
        out_of_band=tuple(out),
        at_bound=tuple(at_bound),
        blocks=sum(d.blocks for d in measured),
        short_blocks=sum(d.short for d in measured),
        empty_blocks=sum(d.empty for d in measured),
        median_single=statistics.median(single) if single else None,
        median_multi=statistics.median(multi) if multi else None,
        settle_days=tuple(
            (f"day {e.day} {e.kind} {slugs[e.member]}", settle_days(days, e.day, joins, verdicts))
            for e in events
        ),
    )
