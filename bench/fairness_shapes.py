"""The acceptance shapes of fair exchange, measured with the scenario simulator.

Usage: python bench/fairness_shapes.py [--days 60] [--warmup 14] [--jobs 2] [--json]

Each shape is played with the engine and both baselines (equal random
rotation, 1:1 credit exchange) on the same traffic, as ``widget-server
simulate`` does; the figures in docs/rotation.md section 8 come from here.
Traffic is drawn with Python's ``random`` seeded per shape: test data only,
the engine itself never uses it.
"""

from __future__ import annotations

import argparse
import json
import random
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from widget_server.counting.comparison import compare
from widget_server.counting.scenario import Event, Scenario
from widget_server.rotation import MemberInfo, ThemePool
from widget_server.rotation.rules import Fairness, Rules

KEY = b"fairness-shapes" * 2
START = 1_800_000_000.0


def _pool(theme: int, ids: list[int], alpha: float) -> ThemePool:
    members = {i: MemberInfo(i, f"m{i:03d}") for i in ids}
    rules = Rules(fairness=Fairness(alpha=alpha))
    return ThemePool(theme, rules, members, {m.slug: i for i, m in members.items()})


def _lognormal(ids: list[int], total: float, seed: int, sigma: float) -> dict[int, float]:
    rng = random.Random(seed)
    raw = [rng.lognormvariate(0, sigma) for _ in ids]
    return {i: total * r / sum(raw) for i, r in zip(ids, raw, strict=True)}


def shape(name: str, alpha: float, seed: int, days: int) -> Scenario:
    ids = list(range(1, 41))
    if name == "lognormal":
        return Scenario({1: _pool(1, ids, alpha)}, _lognormal(ids, 3000, seed, 1.5), days)
    if name == "big-small":
        ids = list(range(1, 36))
        traffic = {i: 400.0 if i <= 5 else 12.0 for i in ids}
        return Scenario({1: _pool(1, ids, alpha)}, traffic, days)
    if name == "themes":
        everyone = list(range(1, 81))
        rng = random.Random(seed)
        pools = {t: _pool(t, sorted(rng.sample(everyone, 40)), alpha) for t in (1, 2, 3)}
        active = sorted({m for p in pools.values() for m in p.members})
        return Scenario(pools, _lognormal(active, 4000, seed, 1.0), days)
    if name == "events":
        traffic = _lognormal(ids, 3000, seed, 1.5)
        order = sorted(ids, key=traffic.__getitem__)
        small, middle = order[5], order[20]
        events = (
            Event(20, "join", 40),
            Event(30, "pause", middle),
            Event(37, "resume", middle),
            Event(45, "traffic", small, 3.0),
        )
        return Scenario({1: _pool(1, ids, alpha)}, traffic, days, events=events)
    raise ValueError(name)


def measure(job: tuple[str, float, int, int, int]) -> dict[str, Any]:
    name, alpha, seed, days, warmup = job
    scenario = shape(name, alpha, seed, days)
    slugs = {m: f"m{m:03d}" for p in scenario.pools.values() for m in p.members}
    result = compare(scenario, key=KEY, start=START, warmup=warmup, slugs=slugs)
    return {
        "shape": name,
        "alpha": alpha,
        "seed": seed,
        "strategies": [r.as_dict() for r in result.reports],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=14)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    jobs = [("lognormal", 1.0, s, args.days, args.warmup) for s in (1, 2, 3)]
    jobs += [("big-small", 1.0, 1, args.days, args.warmup)]
    jobs += [("themes", 1.0, s, args.days, args.warmup) for s in (1, 2)]
    jobs += [("events", 1.0, 1, args.days, args.warmup)]
    jobs += [("lognormal", 0.8, 1, args.days, args.warmup)]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(measure, jobs))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        print(f"{r['shape']} alpha {r['alpha']:g} seed {r['seed']}")
        for s in r["strategies"]:
            settle = ", ".join(f"{e['event']}: {e['days']}" for e in s["days_until_in_band"])
            print(
                f"  {s['strategy']:<7} in band {s['in_band']:.1%}  ratio "
                f"{s['min_ratio']}-{s['max_ratio']}  Gini {s['gini']}  "
                f"short {s['short_blocks']} empty {s['empty_blocks']}  "
                f"medians {s['median_ratio_one_theme']}/{s['median_ratio_several_themes']}"
                + (f"  settle: {settle}" if settle else "")
            )


if __name__ == "__main__":
    main()
