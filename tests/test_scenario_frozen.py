"""The simulator plays exactly what it played before it was made faster.

``run_scenario`` was reworked for speed (issue 14) with the promise that every
figure stays the same to the last bit.  These digests were made with the code
before that rework (repr of every value of every Day of all three
strategies): a change to the simulator's results, however small, shows here.
A deliberate change of results updates them (``python -m tests.test_scenario_frozen``
prints the new ones).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from widget_server.counting.scenario import STRATEGIES, Day, Event, Scenario, run_scenario
from widget_server.rotation import MemberInfo, ThemePool, parse_rules

KEY = b"frozen-key".ljust(32, b"k")
START = 1_796_256_000.0  # 2026-12-03 00:00 UTC
BIG = 70_000  # ids from here on: two of them share the credit baseline's shuffle key
TOWNS = ("Heide", "heide", "Meldorf", "")


def _members(ids: Sequence[int], joined: float = START - 90 * 86_400) -> dict[int, MemberInfo]:
    out = {}
    for n, i in enumerate(ids):
        out[i] = MemberInfo(
            i,
            f"m{i}",
            "abc"[n % 3] if n % 4 else "",
            TOWNS[n % 4],
            f"25{n % 7}00",
            eligible=n % 9 != 8,
            joined=joined + (n % 3) * 86_400 * 7,
            last_seen=START - (n % 5) * 86_400 if n % 2 else None,
        )
    return out


def _pool(theme: int, ids: Sequence[int], rules: Mapping[str, Any] | None = None) -> ThemePool:
    members = _members(ids)
    return ThemePool(
        theme, parse_rules(rules or {}), members, {m.slug: i for i, m in members.items()}
    )


def _traffic(ids: Sequence[int], total: float) -> dict[int, float]:
    return {i: total / (k + 1) for k, i in enumerate(ids)}


def _defaults() -> tuple[Scenario, int]:
    ids = list(range(1, 13))
    return Scenario({1: _pool(1, ids)}, _traffic(ids, 600.0), 6), 4


def _two_themes_and_events() -> tuple[Scenario, int]:
    a, b = list(range(1, 10)), [*range(6, 14), BIG, BIG + 65_521]
    pools = {1: _pool(1, a, {"fairness": {"alpha": 1}}), 2: _pool(2, b, {"partners": {"max": 4}})}
    events = (
        Event(1, "join", 7),
        Event(2, "pause", 3),
        Event(4, "resume", 3),
        Event(3, "leave", 12),
        Event(2, "traffic", 6, 3.0),
    )
    schedule = {3: {1: 5.0, BIG: 90.0}}
    traffic = _traffic(sorted(set(a) | set(b)), 900.0)
    return Scenario(pools, traffic, 7, schedule=schedule, events=events), 3


def _weighted_pins_caps_per_request() -> tuple[Scenario, int]:
    ids = [*range(1, 9), BIG, BIG + 65_521]
    rules = {
        "strategy": "weighted",
        "partners": {"max": 4, "min": 2},
        "weights": {"m2": 2.5, "m3": 0, "m5": 0.5},
        "pins": [
            {"member": "m4", "position": 2, "hosts": ["m1", "m2"], "counts_in_ledger": False},
            {"member": "m1", "position": 1},
        ],
        "caps": {"max_share": 0.5},
        "rotation": {"granularity": "request"},
    }
    return Scenario({1: _pool(1, ids, rules)}, _traffic(ids, 120.0), 4), 3


def _fair_gate_periods_regions() -> tuple[Scenario, int]:
    ids = [*range(1, 12), BIG, BIG + 65_521]
    rules = {
        "fairness": {"alpha": 0.6, "beta": 1.5, "half_life_days": 5, "newcomer_grace_days": 120},
        "exclusions": {"same_category": True, "one_per_category": True, "pairs": [["m1", "m2"]]},
        "caps": {"max_share": 0.4},
        "activity": {"inactive_after_days": 2, "exempt": ["m3"]},
        "region": {"mode": "boost", "by": "town", "boost": 2},
        "rotation": {"bucket_seconds": 900},
        "periods": [
            {
                "schedule": {"windows": [{"from": "2026-12-05", "until": "2026-12-06"}]},
                "rules": {"partners": {"max": 4, "min": 1}, "fairness": {"alpha": 1}},
            }
        ],
    }
    traffic = _traffic(ids, 500.0) | {5: 0.0, 9: 0.4}
    return Scenario({1: _pool(1, ids, rules)}, traffic, 6, events=(Event(2, "join", 4),)), 4


def _fixed_and_round_robin() -> tuple[Scenario, int]:
    ids = list(range(1, 10))
    fixed = {"strategy": "fixed", "order": ["m3", "m1"], "pins": [{"member": "m2", "position": 3}]}
    rr = {"strategy": "round-robin", "partners": {"max": 2}, "rotation": {"bucket_seconds": 60}}
    pools = {1: _pool(1, ids, fixed), 2: _pool(2, ids[2:], rr)}
    return Scenario(pools, _traffic(ids, 400.0), 4), 3


SCENARIOS = {
    "defaults": (
        _defaults,
        {
            "engine": "2c559e6a37c1ba0dc5476bda6c6c5ac4",
            "equal": "575e1148ef1922874e5f48bc18482a50",
            "credit": "0dc62d3c253f12b01d187adf561f86ff",
        },
    ),
    "two themes and events": (
        _two_themes_and_events,
        {
            "engine": "3776ebb57c21c80b8309183b6e1686a6",
            "equal": "2f4603dbac4c4b1d907811a54df75e6f",
            "credit": "f2822d7230a0304b156f3ec847ca53e4",
        },
    ),
    "weighted, pins, caps, per request": (
        _weighted_pins_caps_per_request,
        {
            "engine": "320afb27a858a923b3c14121224c4561",
            "equal": "170144762f06d2c77aa01e2819e3dd3e",
            "credit": "0085697ea13e45e9df4198fe7048e4fd",
        },
    ),
    "fair, activity gate, periods, regions": (
        _fair_gate_periods_regions,
        {
            "engine": "dc8c84ec1cec555d41f10c1a0d021c15",
            "equal": "c89c099c007b6dc520afd90b405f173d",
            "credit": "edcd1bcfd76377c4f51a01a0be1a4051",
        },
    ),
    "fixed and round-robin": (
        _fixed_and_round_robin,
        {
            "engine": "a295c319b46816669e54f060ef41468b",
            "equal": "c4bcf21dadb5be36e154113e2d158508",
            "credit": "8e9dec02476bcca0b3e86c597fcc83ab",
        },
    ),
}


def digest(days: Sequence[Day]) -> str:
    h = hashlib.sha256()
    for day in days:
        for name in ("given", "received", "reach", "reach_uncapped", "pinned", "views", "flows"):
            h.update(repr((name, sorted(getattr(day, name).items()))).encode())
        h.update(repr((day.blocks, day.short, day.empty, sorted(day.active))).encode())
    return h.hexdigest()[:32]


def played(name: str) -> dict[str, str]:
    scenario, ticks = SCENARIOS[name][0]()
    return {
        s: digest(run_scenario(scenario, s, key=KEY, start=START, ticks=ticks)) for s in STRATEGIES
    }


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_simulator_plays_what_it_played_before(name: str) -> None:
    assert played(name) == SCENARIOS[name][1]


if __name__ == "__main__":
    for name in SCENARIOS:
        print(repr(name), played(name))
