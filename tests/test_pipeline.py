"""The selection pipeline: every rule through plan and draw, the strategies, and explain.

Pools are built by hand: ten members of a wedding network around Heide with
categories, towns and postal codes.  Rules are written as documents and parsed,
as a coordinator would write them.  The only clock is the ``now`` passed in.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from widget_server.rotation import MemberInfo, Slot, ThemePool, draw, explain, parse_rules, plan
from widget_server.rotation.fairness import Balance, balances
from widget_server.rotation.rules import Fairness

KEY = b"pipeline-test-key"
DAY = 86_400
BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = datetime(2025, 6, 4, 12, 0, tzinfo=BERLIN).timestamp()
SATURDAY = datetime(2025, 6, 7, 12, 0, tzinfo=BERLIN).timestamp()
NOW = WEDNESDAY

properties = hypothesis_settings(database=None, max_examples=150, deadline=None)

MEMBERS = (
    MemberInfo(1, "anna-blumen", "florist", "Heide", "25746"),
    MemberInfo(2, "bernd-blumen", "florist", "Heide", "25746"),
    MemberInfo(3, "clara-catering", "caterer", "Meldorf", "25704"),
    MemberInfo(4, "dora-deko", "decorator", "heide", "25746"),  # same town, other spelling
    MemberInfo(5, "emil-events", "venue", "Husum", "25813"),
    MemberInfo(6, "fritz-foto", "photographer", "Meldorf", "25704"),
    MemberInfo(7, "greta-gold", "jeweller", "Kiel", "24103"),
    MemberInfo(8, "hans-haare", "hairdresser", "Heide", "25746"),
    MemberInfo(9, "ida-ideen", "", "Büsum", "25761"),  # no category
    MemberInfo(10, "jan-jazz", ""),  # no category, no town
)
ALL = frozenset(m.id for m in MEMBERS)
HEIDE = frozenset({1, 2, 4, 8})
SLUG = {m.id: m.slug for m in MEMBERS}


def make_pool(
    document: Mapping[str, Any] | None = None,
    *,
    changes: Mapping[int, Mapping[str, Any]] | None = None,
    balances_: Mapping[int, Balance] | None = None,
    members: Iterable[MemberInfo] = MEMBERS,
) -> ThemePool:
    infos = {m.id: replace(m, **(changes or {}).get(m.id, {})) for m in members}
    return ThemePool(
        theme_id=1,
        rules=parse_rules(dict(document or {})),
        members=infos,
        ids_by_slug={m.slug: m.id for m in infos.values()},
        balances=dict(balances_ or {}),
    )


def block(
    pool: ThemePool,
    host: int,
    *,
    bucket: int = 0,
    now: float = NOW,
    limit: int = 3,
    key: bytes = KEY,
) -> tuple[Slot, ...]:
    return draw(plan(pool, host, now, key, limit=limit), bucket, key)


def ids(slots: Iterable[Slot]) -> list[int]:
    return [s.member_id for s in slots]


def blocks(
    pool: ThemePool,
    host: int,
    *,
    buckets: Iterable[int] = range(60),
    now: float = NOW,
    limit: int = 3,
    key: bytes = KEY,
) -> list[tuple[Slot, ...]]:
    p = plan(pool, host, now, key, limit=limit)
    return [draw(p, b, key) for b in buckets]


def over_days(
    pool: ThemePool, host: int, *, days: int, per_day: int, limit: int = 3
) -> list[tuple[Slot, ...]]:
    """Blocks over ``days`` days with ``per_day`` buckets each, a plan per day."""
    out: list[tuple[Slot, ...]] = []
    for d in range(days):
        now = NOW + d * DAY
        first = int(now // 300)
        out += blocks(pool, host, buckets=range(first, first + per_day), now=now, limit=limit)
    return out


def assert_well_formed(slots: tuple[Slot, ...], host: int) -> None:
    members = ids(slots)
    assert host not in members
    assert len(members) == len(set(members)), f"a partner twice in {members}"
    assert [s.position for s in slots] == list(range(1, len(slots) + 1))


SAMPLING = ["round-robin", "weighted", "fair-exchange"]


# -- hard filters ---------------------------------------------------------------------------

PAIR = {"exclusions": {"pairs": [["anna-blumen", "clara-catering"]]}}
BLOCK = {"exclusions": {"blocklists": {"anna-blumen": ["bernd-blumen", "greta-gold"]}}}
SAME = {"exclusions": {"same_category": True}}
GRETA_ON_SATURDAYS = {"availability": [{"member": "greta-gold", "schedule": {"weekdays": ["sat"]}}]}

FILTERS: list[Any] = [
    # id, rules, member changes, host, now, never shown, shown at some point
    ("status", {}, {2: {"eligible": False}}, 1, NOW, {2}, ALL - {1, 2}),
    ("pair exclusion on the first", PAIR, {}, 1, NOW, {3}, ALL - {1, 3}),
    ("pair exclusion on the second", PAIR, {}, 3, NOW, {1}, ALL - {1, 3}),
    ("pair exclusion elsewhere", PAIR, {}, 8, NOW, set(), ALL - {8}),
    ("blocklist on its host", BLOCK, {}, 1, NOW, {2, 7}, ALL - {1, 2, 7}),
    ("blocklist not on other hosts", BLOCK, {}, 3, NOW, set(), ALL - {3}),
    ("blocklist is one-way", BLOCK, {}, 2, NOW, set(), ALL - {2}),
    ("same category", SAME, {}, 1, NOW, {2}, ALL - {1, 2}),
    ("same category on another host", SAME, {}, 3, NOW, set(), ALL - {3}),
    ("no category is no category", SAME, {}, 9, NOW, set(), ALL - {9}),
    ("region only, by town", {"region": {"mode": "only"}}, {}, 1, NOW, ALL - HEIDE, HEIDE - {1}),
    (
        "region only, by postal area",
        {"region": {"mode": "only", "by": "postal", "postal_digits": 3}},
        {},
        3,
        NOW,
        {5, 7, 10},  # 258.., 241.. and no postal code
        {1, 2, 4, 6, 8, 9},  # 257..
    ),
    ("region only, host without a town", {"region": {"mode": "only"}}, {}, 10, NOW, ALL, set()),
    ("availability outside", GRETA_ON_SATURDAYS, {}, 1, WEDNESDAY, {7}, ALL - {1, 7}),
    ("availability inside", GRETA_ON_SATURDAYS, {}, 1, SATURDAY, set(), ALL - {1}),
]


@pytest.mark.parametrize("strategy", SAMPLING)
@pytest.mark.parametrize(
    ("document", "changes", "host", "now", "never", "seen"),
    [pytest.param(*row[1:], id=row[0]) for row in FILTERS],
)
def test_a_filtered_member_is_never_shown_and_the_others_still_are(
    strategy: str,
    document: dict[str, Any],
    changes: dict[int, dict[str, Any]],
    host: int,
    now: float,
    never: set[int],
    seen: set[int],
) -> None:
    pool = make_pool({"strategy": strategy, **document}, changes=changes)
    union = {m for b in blocks(pool, host, now=now, buckets=range(90)) for m in ids(b)}
    assert not union & never
    assert union == seen


def test_an_ineligible_member_is_not_shown_by_the_fixed_strategy_either() -> None:
    pool = make_pool({"strategy": "fixed"}, changes={2: {"eligible": False}})
    assert ids(block(pool, 1, limit=3)) == [3, 4, 5]


# -- activity gate --------------------------------------------------------------------------

GATE = {"activity": {"inactive_after_days": 30, "exempt": ["fritz-foto"]}}


@pytest.mark.parametrize(
    ("member", "changes", "kept"),
    [
        pytest.param(3, {"last_seen": NOW - 1 * DAY}, True, id="seen yesterday"),
        pytest.param(3, {"last_seen": NOW - 30 * DAY}, True, id="seen exactly 30 days ago"),
        pytest.param(3, {"last_seen": NOW - 31 * DAY}, False, id="not seen for 31 days"),
        pytest.param(3, {"last_seen": None}, False, id="never seen, joined long ago"),
        pytest.param(3, {"last_seen": None, "joined": NOW - 5 * DAY}, True, id="recent joiner"),
        pytest.param(
            3, {"last_seen": NOW - 90 * DAY, "joined": NOW - 2 * DAY}, True, id="rejoined"
        ),
        pytest.param(6, {"last_seen": NOW - 90 * DAY}, True, id="exempt"),
        pytest.param(6, {"last_seen": None}, True, id="exempt, never seen"),
    ],
)
def test_the_activity_gate_drops_members_whose_widget_was_not_seen_for_n_days(
    member: int, changes: dict[str, Any], kept: bool
) -> None:
    everyone_seen = {m: {"last_seen": NOW - DAY} for m in ALL}
    pool = make_pool(GATE, changes={**everyone_seen, member: changes})
    report = {c.member_id: c for c in explain(pool, 1, NOW, 0, KEY, limit=3).candidates}
    assert report[member].eligible is kept
    activity = [c for c in report[member].checks if c.name == "activity"]
    assert len(activity) == (0 if member == 6 else 1)  # exempt members are not checked
    assert all(c.passed for c in activity) is kept
    shown = {m for b in blocks(pool, 1, limit=12) for m in ids(b)}
    assert (member in shown) is kept


def test_without_an_activity_gate_members_never_seen_are_shown() -> None:
    pool = make_pool({"strategy": "round-robin", "partners": {"max": 12}})
    assert set(ids(block(pool, 1, limit=12))) == ALL - {1}


# -- pins -----------------------------------------------------------------------------------


def test_a_pin_holds_its_position_in_every_block() -> None:
    for strategy in [*SAMPLING, "fixed"]:
        pool = make_pool({"strategy": strategy, "pins": [{"member": "greta-gold", "position": 2}]})
        for slots in blocks(pool, 1):
            assert len(slots) == 3
            assert slots[1] == Slot(7, 2, pinned=True, counts=True)
            assert ids(slots).count(7) == 1
            assert not slots[0].pinned and not slots[2].pinned


@pytest.mark.parametrize(
    ("host", "pinned"),
    [(1, True), (8, True), (3, False), (5, False)],
)
def test_a_pin_with_hosts_applies_only_on_those_hosts(host: int, pinned: bool) -> None:
    pool = make_pool(
        {"pins": [{"member": "greta-gold", "position": 1, "hosts": ["anna-blumen", "hans-haare"]}]}
    )
    for slots in blocks(pool, host):
        assert (slots[0] == Slot(7, 1, pinned=True)) is pinned
        assert any(s.pinned for s in slots) is pinned


@pytest.mark.parametrize(("now", "pinned"), [(SATURDAY, True), (WEDNESDAY, False)])
def test_a_pin_with_a_schedule_applies_only_while_it_is_active(now: float, pinned: bool) -> None:
    pool = make_pool(
        {"pins": [{"member": "greta-gold", "position": 1, "schedule": {"weekdays": ["sat"]}}]}
    )
    for slots in blocks(pool, 1, now=now):
        assert (slots[0] == Slot(7, 1, pinned=True)) is pinned


def test_a_pin_that_does_not_count_in_the_ledger_is_marked_so() -> None:
    pool = make_pool({"pins": [{"member": "greta-gold", "position": 3, "counts_in_ledger": False}]})
    for slots in blocks(pool, 1):
        assert slots[2] == Slot(7, 3, pinned=True, counts=False)
        assert all(s.counts for s in slots[:2])


@pytest.mark.parametrize(
    ("document", "changes"),
    [
        pytest.param({}, {7: {"eligible": False}}, id="paused"),
        pytest.param(
            {"exclusions": {"pairs": [["anna-blumen", "greta-gold"]]}}, {}, id="pair-excluded"
        ),
        pytest.param(
            {"exclusions": {"blocklists": {"anna-blumen": ["greta-gold"]}}}, {}, id="blocked"
        ),
        pytest.param(GRETA_ON_SATURDAYS, {}, id="outside its schedule"),
    ],
)
def test_a_pinned_member_that_fails_a_filter_is_neither_pinned_nor_shown(
    document: dict[str, Any], changes: dict[int, dict[str, Any]]
) -> None:
    pool = make_pool(
        {**document, "pins": [{"member": "greta-gold", "position": 1}]}, changes=changes
    )
    for slots in blocks(pool, 1, now=WEDNESDAY):
        assert 7 not in ids(slots)
        assert not any(s.pinned for s in slots)
        assert len(slots) == 3


def test_a_pin_beyond_the_placements_limit_is_not_pinned() -> None:
    pool = make_pool({"strategy": "fixed", "pins": [{"member": "greta-gold", "position": 3}]})
    assert block(pool, 1, limit=2) == (Slot(2, 1), Slot(3, 2))
    assert block(pool, 1, limit=3)[2] == Slot(7, 3, pinned=True)


def test_a_pinned_member_is_not_shown_twice_and_the_rest_fill_the_free_positions() -> None:
    pool = make_pool(
        {
            "strategy": "fixed",
            "pins": [
                {"member": "greta-gold", "position": 1},
                {"member": "greta-gold", "position": 3},  # the same member again: ignored
                {"member": "emil-events", "position": 1},  # a taken position: ignored
            ],
        }
    )
    assert block(pool, 1) == (Slot(7, 1, pinned=True), Slot(2, 2), Slot(3, 3))


# -- region ---------------------------------------------------------------------------------


def test_region_boost_multiplies_the_weight_of_members_in_the_hosts_town() -> None:
    pool = make_pool({"strategy": "weighted", "region": {"mode": "boost", "boost": 5}})
    p = plan(pool, 1, NOW, KEY, limit=1)
    assert p.weights == {i: 5.0 if i in HEIDE else 1.0 for i in ALL - {1}}


def test_region_boost_shows_members_of_the_same_town_more_often() -> None:
    # Limit 1: each block shows one member with probability weight / total;
    # Heide's three (2, 4, 8) weigh 5 each, the six others 1: 5/21 against 1/21.
    pool = make_pool({"strategy": "weighted", "region": {"mode": "boost", "boost": 5}})
    counts = Counter(m for b in over_days(pool, 1, days=10, per_day=200, limit=1) for m in ids(b))
    near = min(counts[i] for i in HEIDE - {1})
    far = max(counts[i] for i in ALL - HEIDE)
    assert near > 2.5 * far


@pytest.mark.parametrize("strategy", [*SAMPLING, "fixed"])
def test_tiered_region_fills_from_the_hosts_town_first(strategy: str) -> None:
    pool = make_pool({"strategy": strategy, "region": {"mode": "tiered"}, "partners": {"max": 5}})
    far_seen: set[int] = set()
    for slots in blocks(pool, 1, limit=3):
        assert set(ids(slots)) == {2, 4, 8}
    for slots in blocks(pool, 1, limit=5):
        assert set(ids(slots)[:3]) == {2, 4, 8}
        assert len(set(ids(slots)[3:]) - HEIDE) == 2
        far_seen |= set(ids(slots)[3:])
    if strategy == "fixed":
        assert far_seen == {3, 5}  # by slug: clara, emil
    else:
        assert far_seen == ALL - HEIDE


def test_tiered_region_with_nobody_near_draws_from_everyone() -> None:
    pool = make_pool({"strategy": "round-robin", "region": {"mode": "tiered"}})
    union = {m for b in blocks(pool, 7) for m in ids(b)}
    assert union == ALL - {7}


# -- availability ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "available"),
    [
        (datetime(2025, 6, 7, 0, 0, tzinfo=BERLIN).timestamp(), True),
        (datetime(2025, 6, 6, 23, 59, tzinfo=BERLIN).timestamp(), False),
        (datetime(2025, 6, 8, 0, 0, tzinfo=BERLIN).timestamp(), False),
        (SATURDAY, True),
    ],
)
def test_a_member_with_an_availability_schedule_is_shown_only_inside_it(
    now: float, available: bool
) -> None:
    pool = make_pool({"strategy": "round-robin", **GRETA_ON_SATURDAYS})
    union = {m for b in blocks(pool, 1, now=now) for m in ids(b)}
    assert (7 in union) is available


# -- one per category -----------------------------------------------------------------------


@pytest.mark.parametrize("strategy", [*SAMPLING, "round-robin"])
def test_one_per_category_never_shows_two_of_one_category_and_over_time_shows_each(
    strategy: str,
) -> None:
    pool = make_pool(
        {
            "strategy": strategy,
            "exclusions": {"one_per_category": True},
            "partners": {"max": 12},
        }
    )
    seen: set[int] = set()
    for slots in over_days(pool, 8, days=40, per_day=3, limit=12):
        shown = ids(slots)
        categories = [MEMBERS[m - 1].category for m in shown if MEMBERS[m - 1].category]
        assert len(categories) == len(set(categories)), shown
        # Eight groups: florists, six single categories, and each uncategorised member alone.
        assert len(shown) == 8
        assert {9, 10} <= set(shown)
        seen |= set(shown)
    assert {1, 2} <= seen


def test_one_per_category_with_fixed_order_keeps_the_coordinators_first_choice() -> None:
    pool = make_pool(
        {
            "strategy": "fixed",
            "order": ["bernd-blumen", "anna-blumen"],
            "exclusions": {"one_per_category": True},
            "partners": {"max": 12},
        }
    )
    for slots in over_days(pool, 8, days=10, per_day=3, limit=12):
        shown = set(ids(slots))
        assert 2 in shown and 1 not in shown  # bernd is ranked above anna


@pytest.mark.parametrize("strategy", SAMPLING)
def test_one_per_category_with_a_small_block_never_pairs_the_florists(strategy: str) -> None:
    pool = make_pool({"strategy": strategy, "exclusions": {"one_per_category": True}})
    for slots in over_days(pool, 8, days=20, per_day=10, limit=3):
        assert not {1, 2} <= set(ids(slots))


def test_one_per_category_chooses_within_a_category_in_proportion_to_weight() -> None:
    pool = make_pool(
        {
            "strategy": "weighted",
            "partners": {"max": 12},
            "exclusions": {"one_per_category": True},
            "weights": {"anna-blumen": 9, "bernd-blumen": 1, "clara-catering": 0},
        }
    )
    days = 400
    florists = Counter[int]()
    for d in range(days):
        shown = ids(block(pool, 8, now=NOW + d * DAY, limit=12))
        assert 3 not in shown  # weight 0: never the one of its category
        florists.update(m for m in shown if m in (1, 2))
    assert florists.total() == days
    # anna is chosen on a day with probability 9/10: sigma = sqrt(.09 / 400) = .015.
    assert abs(florists[1] / days - 0.9) <= 4.5 * 0.015


def test_one_per_category_treats_members_deep_in_debt_alike() -> None:
    # Both florists received much and gave nothing: both have the multiplier e^-8,
    # so each should represent the category on about half of the days.  (Raising
    # u to the power 1/w = 2981 underflows to 0.0 for most u, and ties go to the
    # lower id.)
    pool = make_pool(
        {
            "strategy": "fair-exchange",
            "partners": {"max": 12},
            "exclusions": {"one_per_category": True},
        },
        balances_=balances({1: (0.0, 50.0), 2: (0.0, 50.0)}, sorted(ALL), Fairness()),
    )
    days = 400
    florists = Counter[int]()
    for d in range(days):
        shown = ids(block(pool, 8, now=NOW + d * DAY, limit=12))
        florists.update(m for m in shown if m in (1, 2))
    assert florists.total() == days
    # sigma = sqrt(.25 / 400) = .025; allow 4.5 of them.
    assert abs(florists[1] / days - 0.5) <= 4.5 * 0.025


# -- caps -----------------------------------------------------------------------------------

CAPPED = {
    "strategy": "weighted",
    "partners": {"max": 1},
    "weights": {"greta-gold": 1000},
    "caps": {"max_share": 0.2},
}


def test_a_capped_member_has_exactly_the_cap_as_its_probability() -> None:
    p = plan(make_pool(CAPPED), 1, NOW, KEY, limit=1)
    (tier,) = p.tiers
    assert tier.probabilities[7] == 0.2
    # The other eight share the remaining 0.8 equally.
    assert tier.probabilities == pytest.approx({i: 0.2 if i == 7 else 0.1 for i in ALL - {1}})
    uncapped = plan(make_pool({**CAPPED, "caps": {}}), 1, NOW, KEY, limit=1)
    assert uncapped.tiers[0].probabilities[7] == pytest.approx(1000 / 1008)


def test_a_capped_member_appears_in_no_more_than_its_share_of_blocks() -> None:
    shown = over_days(make_pool(CAPPED), 1, days=10, per_day=300, limit=1)
    n = len(shown)
    share = sum(7 in ids(b) for b in shown) / n
    # Each block shows greta with probability 0.2: the share is binomial with a
    # standard deviation of sqrt(.2 * .8 / 3000) = 0.0073; allow four of them.
    assert share <= 0.2 + 4 * math.sqrt(0.16 / n)
    assert share >= 0.2 - 4 * math.sqrt(0.16 / n)  # capped, not dropped


# -- fallback -------------------------------------------------------------------------------

FEW = {m: {"eligible": False} for m in (3, 4, 5, 6, 7, 8, 9, 10)}  # leaves 1 and 2


@pytest.mark.parametrize(
    ("fallback", "expected"), [({}, "directory"), ({"fallback": "hide"}, "hide")]
)
def test_fewer_eligible_than_the_minimum_gives_an_empty_block_and_the_fallback(
    fallback: dict[str, str], expected: str
) -> None:
    pool = make_pool({"partners": {"max": 3, "min": 2}, **fallback}, changes=FEW)
    assert block(pool, 1) == ()
    explanation = explain(pool, 1, NOW, 0, KEY, limit=3)
    assert explanation.slots == ()
    assert explanation.fallback == expected
    # Host 1 has one eligible partner left (2); host 8 has two (1 and 2): enough.
    assert sorted(ids(block(pool, 8))) == [1, 2]
    assert explain(pool, 8, NOW, 0, KEY, limit=3).fallback is None


def test_a_placement_showing_fewer_partners_than_the_minimum_still_shows_partners() -> None:
    # The theme wants at least 4 of up to 6 partners; this placement shows 3
    # (PlacementOptions.max_partners may be anything from 1 to 12).  Nine members
    # are eligible, so there is no reason to fall back to the directory.
    pool = make_pool({"strategy": "round-robin", "partners": {"max": 6, "min": 4}})
    assert len(block(pool, 1, limit=6)) == 6
    assert len(block(pool, 1, limit=3)) == 3


def test_gaps_left_by_positions_nobody_fills_are_closed() -> None:
    pool = make_pool(
        {"strategy": "round-robin", "pins": [{"member": "greta-gold", "position": 3}]},
        changes={m: {"eligible": False} for m in (2, 3, 4, 5, 6, 9, 10)},
    )
    # Eligible for host 1: 7 (pinned at 3) and 8.  Position 2 stays empty.
    assert block(pool, 1) == (Slot(8, 1), Slot(7, 2, pinned=True))


# -- strategies -----------------------------------------------------------------------------


def test_fixed_follows_the_coordinators_order_then_the_rest_by_slug() -> None:
    pool = make_pool(
        {
            "strategy": "fixed",
            "partners": {"max": 6},
            "order": ["greta-gold", "emil-events", "clara-catering"],
        }
    )
    for slots in blocks(pool, 1, limit=6):
        assert ids(slots) == [7, 5, 3, 2, 4, 6]
    # An ordered member that is filtered out leaves its place to the next.
    paused = make_pool(
        {"strategy": "fixed", "order": ["greta-gold", "emil-events", "clara-catering"]},
        changes={5: {"eligible": False}},
    )
    assert ids(block(paused, 1)) == [7, 3, 2]


@given(
    eligible=st.sets(st.sampled_from(sorted(ALL)), min_size=1),
    host=st.sampled_from(sorted(ALL)) | st.just(99),
    limit=st.integers(1, 12),
    key=st.binary(min_size=1, max_size=64),
    start=st.integers(0, 2**40),
)
@properties
def test_round_robin_gives_each_partner_each_position_once_per_cycle(
    eligible: set[int], host: int, limit: int, key: bytes, start: int
) -> None:
    pool = make_pool(
        {"strategy": "round-robin", "partners": {"max": 12, "min": 0}},
        changes={m: {"eligible": False} for m in ALL - eligible},
    )
    partners = sorted(eligible - {host})
    n = len(partners)
    shown = min(limit, n)
    p = plan(pool, host, NOW, key, limit=limit)
    cycle = [ids(draw(p, b, key)) for b in range(start, start + n)]
    for chosen in cycle:
        assert len(chosen) == shown
        assert len(set(chosen)) == shown
    for position in range(shown):
        assert Counter(chosen[position] for chosen in cycle) == Counter(partners)


WEIGHTED = {
    "strategy": "weighted",
    "weights": {
        "anna-blumen": 4,
        "bernd-blumen": 2,
        "greta-gold": 3,
        "emil-events": 0.5,
        "fritz-foto": 0.5,
        "jan-jazz": 0,
    },
}


def test_weighted_probabilities_are_proportional_to_the_weights() -> None:
    p = plan(make_pool(WEIGHTED), 8, NOW, KEY, limit=3)
    (tier,) = p.tiers
    # Weights: 1: 4, 2: 2, 3: 1, 4: 1, 5: .5, 6: .5, 7: 3, 9: 1, 10: 0 (total 13).
    # 3 * 4 / 13 < 1, so nobody is capped: pi = 3 * w / 13.
    weights = {1: 4, 2: 2, 3: 1, 4: 1, 5: 0.5, 6: 0.5, 7: 3, 9: 1, 10: 0}
    assert tier.probabilities == pytest.approx({i: 3 * w / 13 for i, w in weights.items()})


def test_weighted_shows_each_member_about_as_often_as_its_probability() -> None:
    pool = make_pool(WEIGHTED)
    pi = plan(pool, 8, NOW, KEY, limit=3).tiers[0].probabilities
    shown = over_days(pool, 8, days=10, per_day=400, limit=3)
    n = len(shown)
    counts = Counter(m for b in shown for m in ids(b))
    assert all(len(b) == 3 for b in shown)  # sum(pi) = 3 exactly: every block is full
    assert counts[10] == 0  # weight 0: never
    for member, p in pi.items():
        # Each block includes the member with probability p (exactly, see
        # test_sampling); over n blocks the count is binomial: allow 4.5 sigma.
        sigma = math.sqrt(p * (1 - p) / n)
        assert abs(counts[member] / n - p) <= 4.5 * sigma + 1e-9, (member, counts[member], p)


FAIR_LEDGER = {3: (50.0, 0.0), 5: (0.0, 50.0)}  # clara gave much, emil received much


def fair_pool(document: Mapping[str, Any] | None = None) -> ThemePool:
    return make_pool(
        {"strategy": "fair-exchange", **(document or {})},
        balances_=balances(FAIR_LEDGER, sorted(ALL), Fairness()),
    )


def test_fair_exchange_weights_are_the_balance_multipliers() -> None:
    # clara gave all 50: share .8 + .2 / 10, far more than the others' .02;
    # emil received 50 against a target of 1: his credit is clipped at -4 days.
    fair = balances(FAIR_LEDGER, sorted(ALL), Fairness())
    p = plan(fair_pool(), 1, NOW, KEY, limit=3)
    for i in ALL - {1}:
        assert p.weights[i] == pytest.approx(fair[i].multiplier)
    assert p.weights[3] == pytest.approx(10 * 0.82 * math.exp(4))
    assert p.weights[5] == pytest.approx(10 * 0.02 * math.exp(-4))


def test_fair_exchange_multiplies_base_weight_region_boost_and_multiplier() -> None:
    p = plan(
        fair_pool({"weights": {"clara-catering": 2}, "region": {"mode": "boost", "boost": 3}}),
        1,
        NOW,
        KEY,
        limit=3,
    )
    fair = fair_pool().balances
    assert p.weights[3] == pytest.approx(2 * fair[3].multiplier)
    assert p.weights[4] == pytest.approx(3 * fair[4].multiplier)  # dora is in Heide
    # The weighted strategy ignores the ledger.
    weighted = plan(
        make_pool({"strategy": "weighted"}, balances_=fair_pool().balances), 1, NOW, KEY, limit=3
    )
    assert set(weighted.weights.values()) == {1.0}


def test_fair_exchange_shows_whom_the_network_owes_first_and_far_more_often() -> None:
    shown = over_days(fair_pool(), 1, days=5, per_day=200, limit=3)
    counts = Counter(m for b in shown for m in ids(b))
    assert all(b[0].member_id == 3 for b in shown)  # the highest multiplier leads every block
    assert counts[3] == len(shown)
    assert counts[5] < len(shown) / 100


def test_fair_exchange_orders_every_block_by_weight() -> None:
    pool = make_pool(
        {"strategy": "fair-exchange", "partners": {"max": 5}},
        balances_=balances(
            {2: (9.0, 0.0), 3: (6.0, 1.0), 4: (3.0, 2.0), 6: (1.0, 4.0)}, sorted(ALL), Fairness()
        ),
    )
    p = plan(pool, 1, NOW, KEY, limit=5)
    for b in range(100):
        weights = [p.weights[m] for m in ids(draw(p, b, KEY))]
        assert weights == sorted(weights, reverse=True)


# -- invariants -----------------------------------------------------------------------------

slugs = st.sampled_from([m.slug for m in MEMBERS])


@st.composite
def rule_documents(draw_: st.DrawFn) -> dict[str, Any]:
    most = draw_(st.integers(1, 12))
    return {
        "strategy": draw_(st.sampled_from(["fixed", *SAMPLING])),
        "partners": {"max": most, "min": draw_(st.integers(0, most))},
        "exclusions": {
            "same_category": draw_(st.booleans()),
            "one_per_category": draw_(st.booleans()),
            "pairs": draw_(st.lists(st.lists(slugs, min_size=2, max_size=2, unique=True))),
        },
        "pins": [
            {"member": m, "position": pos, "counts_in_ledger": c}
            for m, pos, c in draw_(
                st.lists(st.tuples(slugs, st.integers(1, most), st.booleans()), max_size=3)
            )
        ],
        "region": {"mode": draw_(st.sampled_from(["off", "boost", "tiered", "only"]))},
        "weights": draw_(st.dictionaries(slugs, st.sampled_from([0, 0.5, 1, 3, 100]))),
        "caps": {"max_share": draw_(st.sampled_from([1.0, 0.5, 0.2]))},
    }


@given(
    document=rule_documents(),
    paused=st.sets(st.sampled_from(sorted(ALL))),
    host=st.sampled_from(sorted(ALL)) | st.just(99),
    limit=st.integers(1, 12),
    bucket=st.integers(0, 2**40),
    day=st.integers(0, 3650),
    key=st.binary(min_size=1, max_size=64),
)
@properties
def test_a_block_never_shows_the_host_nor_a_partner_twice_and_numbers_positions_from_one(
    document: dict[str, Any],
    paused: set[int],
    host: int,
    limit: int,
    bucket: int,
    day: int,
    key: bytes,
) -> None:
    pool = make_pool(document, changes={m: {"eligible": False} for m in paused})
    rules = pool.rules
    slots = block(pool, host, bucket=bucket, now=NOW + day * DAY, limit=limit, key=key)
    assert_well_formed(slots, host)
    assert len(slots) <= min(limit, rules.max_partners)
    assert not set(ids(slots)) & paused
    if slots:
        assert len(slots) >= min(rules.min_partners, limit)
    pinned_members = {pool.ids_by_slug[p.member] for p in rules.pins}
    assert {s.member_id for s in slots if s.pinned} <= pinned_members
    assert all(s.counts for s in slots if not s.pinned)


# -- determinism ----------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", [*SAMPLING, "fixed"])
def test_the_same_inputs_give_the_same_blocks(strategy: str) -> None:
    document = {"strategy": strategy, "exclusions": {"one_per_category": True}}
    first = blocks(make_pool(document), 1)
    again = blocks(make_pool(document), 1)
    reversed_members = blocks(make_pool(document, members=reversed(MEMBERS)), 1)
    assert first == again == reversed_members


@pytest.mark.parametrize("strategy", SAMPLING)
def test_a_different_key_gives_different_blocks_somewhere(strategy: str) -> None:
    pool = make_pool({"strategy": strategy})
    assert blocks(pool, 1, key=b"key-a") != blocks(pool, 1, key=b"key-b")


@pytest.mark.parametrize("strategy", SAMPLING)
def test_blocks_rotate_between_buckets_and_between_days(strategy: str) -> None:
    pool = make_pool({"strategy": strategy})
    within_a_day = {tuple(ids(b)) for b in blocks(pool, 1)}
    assert len(within_a_day) >= 3
    if strategy != "round-robin":  # a cycle of nine partners has nine blocks at most
        # The systematic sample walks a permutation that changes daily.
        over_ten_days = {tuple(ids(b)) for b in over_days(pool, 1, days=10, per_day=6)}
        assert len(over_ten_days) > 10


# -- explain --------------------------------------------------------------------------------

EXPLAINED = {
    "strategy": "weighted",
    "exclusions": {
        "pairs": [["anna-blumen", "clara-catering"]],
        "blocklists": {"anna-blumen": ["dora-deko"]},
        "same_category": True,
    },
    "availability": [{"member": "greta-gold", "schedule": {"weekdays": ["sat"]}}],
    "activity": {"inactive_after_days": 30},
    "pins": [{"member": "hans-haare", "position": 1}],
    "weights": {"fritz-foto": 2},
}
EXPLAINED_CHANGES = {
    # bernd fails two checks: paused and the host's category.
    2: {"eligible": False, "last_seen": NOW - DAY},
    3: {"last_seen": NOW - DAY},
    4: {"last_seen": NOW - DAY},
    5: {"last_seen": NOW - 40 * DAY},  # inactive
    6: {"last_seen": NOW - DAY},
    7: {"last_seen": NOW - DAY},
    8: {"last_seen": NOW - DAY},
    9: {"last_seen": NOW - DAY},
    10: {"last_seen": NOW - DAY},
}
CHECK_NAMES = ["status", "pair-exclusion", "blocklist", "same-category", "schedule", "activity"]


def test_explain_reports_every_candidate_but_the_host_with_every_check() -> None:
    pool = make_pool(EXPLAINED, changes=EXPLAINED_CHANGES)
    explanation = explain(pool, 1, WEDNESDAY, 7, KEY, limit=3)

    assert [c.member_id for c in explanation.candidates] == sorted(ALL - {1})  # by slug
    assert [c.slug for c in explanation.candidates] == sorted(SLUG[i] for i in ALL - {1})
    failed = {}
    for c in explanation.candidates:
        assert [ch.name for ch in c.checks] == CHECK_NAMES, c.slug
        failed[c.member_id] = [ch.name for ch in c.checks if not ch.passed]
        assert c.eligible is (not failed[c.member_id])
    assert failed == {
        2: ["status", "same-category"],  # checked on after the first failure
        3: ["pair-exclusion"],
        4: ["blocklist"],
        5: ["activity"],
        6: [],
        7: ["schedule"],
        8: [],
        9: [],
        10: [],
    }


def test_explain_gives_reasons_for_failed_checks() -> None:
    pool = make_pool(EXPLAINED, changes=EXPLAINED_CHANGES)
    report = {c.member_id: c for c in explain(pool, 1, WEDNESDAY, 7, KEY, limit=3).candidates}
    detail = {(m, ch.name): ch.detail for m, c in report.items() for ch in c.checks}
    assert detail[(2, "status")]
    assert "florist" in detail[(2, "same-category")]
    assert detail[(3, "pair-exclusion")]
    assert detail[(4, "blocklist")]
    assert "30" in detail[(5, "activity")]
    assert detail[(7, "schedule")]


def test_explain_gives_weights_probabilities_and_the_shown_positions() -> None:
    pool = make_pool(EXPLAINED, changes=EXPLAINED_CHANGES)
    for bucket in range(20):
        explanation = explain(pool, 1, WEDNESDAY, bucket, KEY, limit=3)
        assert explanation.slots == block(pool, 1, bucket=bucket, now=WEDNESDAY)
        assert explanation.bucket == bucket
        assert explanation.fallback is None
        assert explanation.rules == pool.rules
        report = {c.member_id: c for c in explanation.candidates}
        # Free for the sample: 6 (weight 2), 9 and 10 (weight 1), for two positions.
        assert report[6].weight == 2.0
        assert report[6].probability == pytest.approx(1.0)
        assert report[9].probability == pytest.approx(0.5)
        assert report[10].probability == pytest.approx(0.5)
        for m in (2, 3, 4, 5, 7):
            assert report[m].weight is None
            assert report[m].probability is None
            assert report[m].position is None
        assert report[8].pinned and report[8].position == 1
        positions = {s.member_id: s.position for s in explanation.slots}
        for c in explanation.candidates:
            assert c.position == positions.get(c.member_id)
            assert c.pinned is (c.member_id == 8)


def test_explain_reports_the_multiplier_of_fair_exchange() -> None:
    explanation = explain(fair_pool(), 1, NOW, 0, KEY, limit=3)
    report = {c.member_id: c for c in explanation.candidates}
    assert report[3].multiplier == pytest.approx(10 * 0.82 * math.exp(4))
    assert report[3].weight == pytest.approx(10 * 0.82 * math.exp(4))
    assert report[3].position == 1


def test_explain_includes_the_region_check_when_only_the_region_is_shown() -> None:
    pool = make_pool({"region": {"mode": "only"}})
    report = {c.member_id: c for c in explain(pool, 1, NOW, 0, KEY, limit=3).candidates}
    assert [ch.name for ch in report[3].checks][-1] == "region"
    assert not report[3].eligible
    assert report[2].eligible
