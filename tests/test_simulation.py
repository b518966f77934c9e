"""The fair-exchange simulator: conservation, the α = 1 target, traffic files, the command."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from pathlib import Path

import pytest

from widget_server.cli.simulate import add_arguments, cmd_simulate
from widget_server.core.errors import ValidationError
from widget_server.core.settings import Settings
from widget_server.counting.simulation import (
    SimulationResult,
    gini,
    load_traffic,
    simulate,
    with_fairness,
    zipf_traffic,
)
from widget_server.rotation import MemberInfo, Rules, ThemePool, parse_rules
from widget_server.rotation.fairness import exposure
from widget_server.rotation.rules import Fairness
from widget_server.storage import SQLiteStorage

KEY = hashlib.sha256(b"simulation-test").digest()
START = 1_799_971_200.0  # 2027-01-15 00:00 UTC
TOL = 1e-6


def make_pool(n: int, rules: Rules | None = None) -> ThemePool:
    members = {i: MemberInfo(i, f"m{i:02d}") for i in range(1, n + 1)}
    return ThemePool(
        theme_id=1,
        rules=rules or Rules(),
        members=members,
        ids_by_slug={m.slug: m.id for m in members.values()},
    )


def alpha_pool(alpha: float, n: int = 10) -> ThemePool:
    return make_pool(n, Rules(fairness=Fairness(alpha=alpha)))


ZIPF = zipf_traffic(list(range(1, 11)), 600)
_cache: dict[float, SimulationResult] = {}


def zipf_run(alpha: float) -> SimulationResult:
    """10 members, Zipf traffic (s = 1, 600 views a day), 60 days, default warm-up."""
    if alpha not in _cache:
        _cache[alpha] = simulate(alpha_pool(alpha), traffic=ZIPF, days=60, key=KEY, start=START)
    return _cache[alpha]


# -- the core -------------------------------------------------------------------------------


def test_exposure_is_conserved_and_matches_the_flows() -> None:
    result = zipf_run(0.8)
    given = sum(m.given for m in result.members)
    received = sum(m.received for m in result.members)
    assert given > 0
    assert math.isclose(given, received, rel_tol=1e-9)
    assert math.isclose(sum(result.flows.values()), given, rel_tol=1e-9)
    for m in result.members:
        out = sum(v for (h, _), v in result.flows.items() if h == m.member_id)
        into = sum(v for (_, p), v in result.flows.items() if p == m.member_id)
        assert math.isclose(out, m.given, rel_tol=1e-9, abs_tol=TOL)
        assert math.isclose(into, m.received, rel_tol=1e-9, abs_tol=TOL)


def test_every_view_fills_three_places_and_gives_their_exposure() -> None:
    result = zipf_run(0.8)
    full_block = exposure(1) + exposure(2) + exposure(3)
    for m in result.members:
        assert m.given == pytest.approx(m.views * full_block)


def test_a_host_is_never_credited_for_itself() -> None:
    result = zipf_run(1.0)
    assert all(host != partner for host, partner in result.flows)
    # Only m01 has traffic: nobody shows m01, so it receives nothing.
    alone = simulate(make_pool(4), traffic={1: 50}, days=5, key=KEY, start=START, warmup=0)
    by_slug = {m.member: m for m in alone.members}
    assert by_slug["m01"].received == 0
    assert by_slug["m01"].given == pytest.approx(250 * (exposure(1) + exposure(2) + exposure(3)))
    assert sum(m.received for m in alone.members) == pytest.approx(by_slug["m01"].given)


def test_fractional_views_carry_over_to_the_next_day() -> None:
    result = simulate(
        make_pool(3), traffic={1: 0.5, 2: 2.25}, days=8, key=KEY, start=START, warmup=0
    )
    views = {m.member: m.views for m in result.members}
    assert views == {"m01": 4, "m02": 18, "m03": 0}
    assert next(m for m in result.members if m.member == "m03").ratio is None


def test_pins_that_do_not_count_give_no_exposure() -> None:
    rules = parse_rules({"pins": [{"member": "m02", "position": 1, "counts_in_ledger": False}]})
    result = simulate(make_pool(5, rules), traffic={1: 40, 3: 40}, days=4, key=KEY, start=START)
    by_slug = {m.member: m for m in result.members}
    assert by_slug["m02"].received == 0
    # The pinned first place counts for nobody; places 2 and 3 do.
    assert by_slug["m01"].given == pytest.approx(by_slug["m01"].views * (exposure(2) + exposure(3)))


def test_hosts_with_traffic_pass_the_activity_gate_and_others_do_not() -> None:
    # Everybody joined at the epoch and was never seen: only simulated traffic makes them active.
    rules = parse_rules({"activity": {"inactive_after_days": 3}, "partners": {"min": 0}})
    result = simulate(
        make_pool(5, rules), traffic={1: 30, 2: 30, 3: 30}, days=4, key=KEY, start=START
    )
    by_slug = {m.member: m for m in result.members}
    assert by_slug["m01"].received > 0 and by_slug["m03"].received > 0
    assert by_slug["m04"].received == 0 and by_slug["m05"].received == 0


def test_the_same_key_replays_the_same_run_and_another_key_does_not() -> None:
    def run(key: bytes) -> SimulationResult:
        return simulate(alpha_pool(1.0), traffic=ZIPF, days=12, key=key, start=START)

    first = run(KEY)
    assert run(KEY) == first
    assert run(b"another key").flows != first.flows


def test_warmup_is_simulated_but_not_measured() -> None:
    result = zipf_run(1.0)
    assert result.warmup == 14
    assert sum(m.views for m in result.members) == pytest.approx(600 * 46, abs=10)
    short = simulate(alpha_pool(1.0), traffic=ZIPF, days=10, key=KEY, start=START)
    assert short.warmup == 5
    with pytest.raises(ValueError, match="warmup"):
        simulate(alpha_pool(1.0), traffic=ZIPF, days=10, key=KEY, start=START, warmup=10)


def test_alpha_one_meets_the_documented_target() -> None:
    """10 members, Zipf traffic, α = 1: every ratio in 0.85-1.4, the largest at its bound."""
    result = zipf_run(1.0)
    ratios = [m.ratio for m in result.members]
    assert all(r is not None and 0.85 <= r <= 1.4 for r in ratios), ratios
    largest = result.members[0]
    assert largest.member == "m01"
    assert largest.bound is not None and largest.ratio is not None
    assert largest.bound < 1  # a structural net giver
    assert largest.net_giver
    assert largest.bound * 0.99 <= largest.ratio <= largest.bound + TOL


def test_no_member_exceeds_its_structural_bound() -> None:
    for alpha in (0.0, 0.8, 1.0):
        for m in zipf_run(alpha).members:
            assert m.ratio is not None and m.bound is not None
            assert m.ratio <= m.bound + TOL


def test_equal_shares_spread_received_exposure_more_evenly_than_reciprocity() -> None:
    equal, reciprocal = zipf_run(0.0), zipf_run(1.0)
    assert equal.gini < 0.05 < 0.3 < reciprocal.gini
    assert equal.gini < zipf_run(0.8).gini < reciprocal.gini
    # With equal shares the small members gain most, the largest least.
    assert equal.members[-1].ratio > reciprocal.members[-1].ratio  # type: ignore[operator]
    assert equal.members[0].ratio < reciprocal.members[0].ratio  # type: ignore[operator]


def test_gini() -> None:
    assert gini([]) == 0
    assert gini([5, 5, 5]) == 0
    assert gini([0, 0, 0, 12]) == pytest.approx(0.75)
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)


# -- traffic --------------------------------------------------------------------------------


def test_zipf_traffic_is_ordered_and_normalised() -> None:
    traffic = zipf_traffic([7, 3, 9, 1], 1000, s=1.0)
    assert list(traffic) == [7, 3, 9, 1]
    assert sum(traffic.values()) == pytest.approx(1000)
    values = list(traffic.values())
    assert values == sorted(values, reverse=True)
    assert traffic[7] / traffic[9] == pytest.approx(3.0)
    flat = zipf_traffic([1, 2, 3], 300, s=0)
    assert flat == pytest.approx({1: 100, 2: 100, 3: 100})
    assert zipf_traffic([], 100) == {}
    with pytest.raises(ValueError, match="-5"):
        zipf_traffic([1], -5)


def test_load_traffic_json_and_csv(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text('{"blumen": 120, "fotos": 7.5}', "utf-8")
    assert load_traffic(tmp_path / "t.json") == {"blumen": 120.0, "fotos": 7.5}
    (tmp_path / "t.csv").write_text("\ufeffmember,views\nblumen,120\n\nfotos, 7.5\n", "utf-8")
    assert load_traffic(tmp_path / "t.csv", known={"blumen", "fotos"}) == {
        "blumen": 120.0,
        "fotos": 7.5,
    }


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("t.json", '{"blumen": -3}', r"t\.json: blumen: views of 'blumen': -3 is negative"),
        ("t.json", '{"blumen": "viele"}', r"'viele' is not a number"),
        ("t.json", '{"blumen": true}', r"True is not a number"),
        ("t.json", '{"niemand": 5}', r"unknown member 'niemand'"),
        ("t.json", '[["blumen", 5]]', r"must be an object"),
        ("t.json", '{"blumen": 5,}', r"not valid JSON \(line 1"),
        ("t.csv", "member,views\nblumen,5\nfotos,abc\n", r"t\.csv line 3: .*'abc' is not a number"),
        (
            "t.csv",
            "member,views\nblumen,-1\n",
            r"t\.csv line 2: views of 'blumen': '-1' is negative",
        ),
        ("t.csv", "member,views\nniemand,1\n", r"line 2: unknown member 'niemand'"),
        ("t.csv", "member,views\nblumen,1,2\n", r"line 2: expected 2 columns"),
        ("t.csv", "member,views\nblumen,1\nblumen,2\n", r"line 3: member 'blumen' is listed twice"),
        ("t.csv", "slug;views\nblumen;1\n", r"line 1: the CSV header must be: member,views"),
        ("t.csv", "member,views\nblumen,nan\n", r"'nan' is not a number"),
    ],
)
def test_load_traffic_errors_name_the_bad_value(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text, "utf-8")
    with pytest.raises(ValidationError, match=message):
        load_traffic(tmp_path / name, known={"blumen", "fotos"})


def test_load_traffic_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read traffic file .*nope.csv"):
        load_traffic(tmp_path / "nope.csv")


def test_with_fairness_changes_only_fairness_and_validates() -> None:
    rules = parse_rules({"partners": {"max": 4}})
    changed = with_fairness(rules, ["alpha=1", "half-life-days=7", "fairness.beta=2.5"])
    assert changed.fairness == Fairness(alpha=1.0, beta=2.5, half_life_days=7.0)
    assert changed.max_partners == 4
    with pytest.raises(ValidationError, match=r"fairness\.alpha: 2 is not between 0 and 1"):
        with_fairness(rules, ["alpha=2"])
    with pytest.raises(ValueError, match="'strategy=fixed'.*KEY one of alpha"):
        with_fairness(rules, ["strategy=fixed"])
    with pytest.raises(ValidationError, match="'viel' is not a number"):
        with_fairness(rules, ["beta=viel"])


# -- the command ----------------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(list(argv))


@pytest.mark.asyncio
async def test_cmd_simulate_prints_the_json_shape(
    storage: SQLiteStorage,
    settings: Settings,
    network: dict[str, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = parse(
        "hochzeit", "--json", "--days", "20", "--views", "150", "--start", "2027-01-15",
        "--set", "alpha=1", "--seed", "s1",
    )  # fmt: skip
    assert await cmd_simulate(args, storage, settings) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["theme"] == "hochzeit"
    assert data["fairness"]["alpha"] == 1
    assert data["days"] == 20 and data["warmup"] == 10
    members = data["members"]
    assert {m["member"] for m in members} == {
        "brautmoden",
        "catering",
        "blumen",
        "scheune",
        "fotos",
    }
    assert members[0]["member"] == "brautmoden"  # registered first: the most traffic
    for m in members:
        assert set(m) >= {"member", "given", "received", "ratio", "bound"}
        assert m["net_giver"] == (m["bound"] < 1)
        assert m["ratio"] == pytest.approx(m["received"] / m["given"], abs=1e-3)
        assert m["bound"] >= m["ratio"] - 1e-3
    network = data["network"]
    assert set(network) == {"min_ratio", "max_ratio", "gini"}
    assert network["min_ratio"] == min(m["ratio"] for m in members)
    assert network["max_ratio"] == max(m["ratio"] for m in members)
    assert 0 <= network["gini"] < 1
    # The same seed and start give the same output.
    assert await cmd_simulate(args, storage, settings) == 0
    assert json.loads(capsys.readouterr().out) == data


@pytest.mark.asyncio
async def test_cmd_simulate_with_traffic_and_rules_files_prints_a_table(
    storage: SQLiteStorage,
    settings: Settings,
    network: dict[str, int],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    traffic = tmp_path / "traffic.csv"
    traffic.write_text("member,views\nscheune,400\nblumen,20\nfotos,20\n", "utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text("fairness:\n  alpha: 1\npartners:\n  max: 2\n", "utf-8")
    args = parse("hochzeit", "--traffic", str(traffic), "--rules", str(rules), "--days", "10")
    assert await cmd_simulate(args, storage, settings) == 0
    out = capsys.readouterr().out
    assert "alpha 1," in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert lines["scheune"].endswith("*")  # the one large member: a structural net giver
    assert not lines["blumen"].endswith("*")
    assert "Gini of received exposure" in out


@pytest.mark.asyncio
async def test_cmd_simulate_rejects_unknown_members_in_the_inputs(
    storage: SQLiteStorage, settings: Settings, network: dict[str, int], tmp_path: Path
) -> None:
    traffic = tmp_path / "traffic.json"
    traffic.write_text('{"scheune": 10, "baeckerei": 5}', "utf-8")
    with pytest.raises(ValidationError, match="unknown member 'baeckerei'"):
        await cmd_simulate(parse("hochzeit", "--traffic", str(traffic)), storage, settings)
    rules = tmp_path / "rules.json"
    rules.write_text('{"pins": [{"member": "baeckerei"}]}', "utf-8")
    with pytest.raises(ValidationError, match="unknown member 'baeckerei'"):
        await cmd_simulate(parse("hochzeit", "--rules", str(rules)), storage, settings)
    with pytest.raises(ValueError, match="--warmup 5 must be less than --days 5"):
        await cmd_simulate(parse("hochzeit", "--days", "5", "--warmup", "5"), storage, settings)
