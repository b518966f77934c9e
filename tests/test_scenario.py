"""The scenario simulator and its report: baselines, themes, events, the band."""

from __future__ import annotations

import random

import pytest

from widget_server.counting.report import judge, strategy_report
from widget_server.counting.scenario import Event, Scenario, member_totals, run_scenario
from widget_server.rotation import MemberInfo, ThemePool
from widget_server.rotation.rules import Fairness, Rules

KEY = b"k" * 32
START = 1_800_000_000.0
STRICT = Rules(fairness=Fairness(alpha=1.0))


def pool(ids: range | list[int], theme: int = 1, rules: Rules = STRICT) -> ThemePool:
    members = {i: MemberInfo(i, f"m{i:02d}") for i in ids}
    return ThemePool(theme, rules, members, {m.slug: m.id for m in members.values()})


def lognormal(n: int, total: float, seed: int, sigma: float = 1.5) -> dict[int, float]:
    rng = random.Random(seed)  # test data only; the engine never uses random
    raw = [rng.lognormvariate(0, sigma) for _ in range(n)]
    return {i + 1: total * r / sum(raw) for i, r in enumerate(raw)}


@pytest.mark.parametrize(
    ("ratio", "bound", "verdict"),
    [
        (1.0, 5.0, None),
        (0.85, 5.0, None),
        (1.4, 5.0, None),
        (0.84, 5.0, "below band"),
        (1.41, 5.0, "above band"),
        (0.5, 0.51, None),  # at its bound
        (0.5, 0.6, "below band"),
        (None, None, "gives nothing"),
    ],
)
def test_judge(ratio: float | None, bound: float | None, verdict: str | None) -> None:
    assert judge(ratio, bound) == verdict


def test_engine_is_never_less_often_in_band_than_the_credit_baseline_on_lognormal_traffic() -> None:
    scenario = Scenario({1: pool(range(1, 26))}, lognormal(25, 1500, seed=3), 45)
    slugs = {m: f"m{m:02d}" for m in range(1, 26)}
    reports = {
        s: strategy_report(s, run_scenario(scenario, s, key=KEY, start=START), 14, slugs, {})
        for s in ("engine", "credit", "equal")
    }
    assert reports["engine"].in_band >= 0.95
    assert reports["engine"].in_band >= reports["credit"].in_band
    assert reports["equal"].in_band < reports["engine"].in_band
    assert reports["engine"].empty_blocks == reports["engine"].short_blocks == 0


def test_at_alpha_one_a_member_that_gives_nothing_receives_nothing() -> None:
    traffic = {i: 40.0 for i in range(1, 7)} | {7: 0.0}
    days = run_scenario(
        Scenario({1: pool(range(1, 8))}, traffic, 20), "engine", key=KEY, start=START
    )
    totals = member_totals(days, 5, 20)
    assert totals["received"].get(7, 0.0) == 0.0
    assert all(totals["received"][m] > 0 for m in range(1, 7))


def test_members_in_several_themes_end_as_close_to_their_target_as_the_others() -> None:
    traffic = lognormal(30, 1500, seed=7, sigma=1.0)
    pools = {1: pool(range(1, 16), 1), 2: pool(range(9, 24), 2), 3: pool([*range(17, 31), 1, 2], 3)}
    themes_of = {m: sum(m in p.members for p in pools.values()) for m in range(1, 31)}
    days = run_scenario(Scenario(pools, traffic, 45), "engine", key=KEY, start=START)
    report = strategy_report("engine", days, 14, {m: f"m{m:02d}" for m in traffic}, themes_of)
    assert report.median_single is not None and report.median_multi is not None
    assert abs(report.median_multi / report.median_single - 1) <= 0.05


def test_events_take_effect_on_their_day() -> None:
    traffic = {i: 30.0 for i in range(1, 6)}
    events = (Event(5, "join", 5), Event(8, "pause", 1), Event(12, "resume", 1))
    days = run_scenario(
        Scenario({1: pool(range(1, 6))}, traffic, 15, events=events), "engine", key=KEY, start=START
    )
    assert all(days[d].received.get(5, 0.0) == 0 for d in range(5))
    assert days[6].received[5] > 0  # the newcomer's grant shows it at once
    assert all(days[d].given.get(1, 0.0) == 0 and 1 not in days[d].active for d in range(8, 12))
    assert days[13].given[1] > 0
