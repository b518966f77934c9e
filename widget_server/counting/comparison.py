"""The coordinator's question: the engine beside equal rotation and a 1:1 credit exchange.

``compare`` plays one scenario (several themes, traffic per day, events)
with each strategy of :mod:`~widget_server.counting.scenario` on the same
traffic and reports, per strategy, :class:`~widget_server.counting.report.StrategyReport`
and, per member, the views, exposure given and received and the rule-aware
bound under the engine, with the baselines' ratios beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from widget_server.counting.report import StrategyReport, strategy_report
from widget_server.counting.scenario import STRATEGIES, Scenario, member_totals, run_scenario
from widget_server.rotation.rules import Rules


@dataclass(frozen=True)
class MemberRow:
    member: str
    views: int
    given: float
    received: float
    ratio: float | None
    bound: float | None
    baseline_ratios: Mapping[str, float | None]  # strategy -> ratio

    def as_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "member": self.member,
            "views": self.views,
            "given": round(self.given, 3),
            "received": round(self.received, 3),
            "ratio": r(self.ratio),
            "bound": r(self.bound),
            "net_giver": self.bound is not None and self.bound < 1.0,
            "ratio_by_strategy": {s: r(x) for s, x in self.baseline_ratios.items()},
        }


@dataclass(frozen=True)
class Comparison:
    days: int
    warmup: int
    rules: Rules  # the first theme's rules (what --set changed)
    members: tuple[MemberRow, ...]  # most views first
    reports: tuple[StrategyReport, ...]  # engine, equal, credit

    def report(self, strategy: str) -> StrategyReport:
        return next(r for r in self.reports if r.strategy == strategy)

    def as_dict(self) -> dict[str, Any]:
        engine = self.report("engine")
        return {
            "days": self.days,
            "warmup": self.warmup,
            "members": [m.as_dict() for m in self.members],
            "network": {
                "min_ratio": None if engine.min_ratio is None else round(engine.min_ratio, 4),
                "max_ratio": None if engine.max_ratio is None else round(engine.max_ratio, 4),
                "gini": round(engine.gini, 4),
            },
            "strategies": [r.as_dict() for r in self.reports],
        }


def _ratio(totals: Mapping[str, Mapping[int, float]], m: int) -> float | None:
    g = totals["given"].get(m, 0.0)
    return totals["received"].get(m, 0.0) / g if g > 0 else None


def compare(
    scenario: Scenario,
    *,
    key: bytes,
    start: float,
    warmup: int,
    slugs: Mapping[int, str],
    limit: int = 3,
    strategies: Sequence[str] = STRATEGIES,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Play ``scenario`` with every strategy on the same traffic and compare them.

    ``progress`` is told (days played, days to play) over all strategies.
    """
    if not 0 <= warmup < scenario.days:
        raise ValueError(f"warmup must be between 0 and {scenario.days - 1} days, got {warmup}")
    themes_of = {
        m: sum(m in p.members and p.members[m].eligible for p in scenario.pools.values())
        for p in scenario.pools.values()
        for m in p.members
    }
    reports = []
    totals = {}
    total = scenario.days * len(strategies)
    for n, strategy in enumerate(strategies):
        done = n * scenario.days
        tell = None if progress is None else lambda d, done=done: progress(done + d, total)
        days = run_scenario(scenario, strategy, key=key, start=start, limit=limit, progress=tell)
        totals[strategy] = member_totals(days, warmup, scenario.days)
        reports.append(strategy_report(strategy, days, warmup, slugs, themes_of, scenario.events))
    engine = totals[strategies[0]]
    shown = sorted(
        set(engine["given"]) | set(engine["received"]),
        key=lambda m: (-engine["views"].get(m, 0.0), slugs[m]),
    )
    members = tuple(
        MemberRow(
            member=slugs[m],
            views=int(engine["views"].get(m, 0)),
            given=engine["given"].get(m, 0.0),
            received=engine["received"].get(m, 0.0),
            ratio=_ratio(engine, m),
            bound=engine["reach"].get(m, 0.0) / engine["given"][m]
            if engine["given"].get(m, 0.0) > 0
            else None,
            baseline_ratios={s: _ratio(totals[s], m) for s in strategies},
        )
        for m in shown
    )
    first = next(iter(scenario.pools.values()))
    return Comparison(scenario.days, warmup, first.rules, members, tuple(reports))
