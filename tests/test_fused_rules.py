"""The fused draw under the rules that drop members or weigh them per host: the same
blocks as the general plan (``tests/test_fused_draw.py``'s ``check_host``) for a host
that drops its category, a blocklist, a pair or pinned members, that keeps or weighs
its region, under a tiered region and in a fixed theme, and from a group's weights
with their guides in a large theme (``rotation/drops.py``)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests import test_selection_shared
from tests.test_fused_draw import PLAIN, check_host, theme_of
from tests.test_selection_shared import DAY, KEY, NOW, make_pool
from widget_server.rotation import MemberInfo, draw, parse_rules, pipeline, plan
from widget_server.rotation.fused import fused_slots
from widget_server.rotation.guide import GUIDED_FROM
from widget_server.rotation.shared import shared_plan


@pytest.mark.parametrize(
    ("document", "applies"),
    [
        ({"strategy": "weighted", "exclusions": {"same_category": True}}, True),
        (
            {
                "strategy": "fair-exchange",
                "partners": {"max": 1},
                "exclusions": {"same_category": True},
            },
            True,
        ),
        ({"strategy": "weighted", "exclusions": {"blocklists": {"m2": ["m5", "m6"]}}}, True),
        ({"strategy": "weighted", "exclusions": {"pairs": [["m2", "m7"]]}}, True),
        # The greatest weight binds the cap, but the host drops its member: what is
        # kept does not bind, and the general plan takes the one-pass branch too.
        (
            {
                "strategy": "weighted",
                "caps": {"max_share": 0.5},
                "weights": {"m4": 9},
                "exclusions": {"blocklists": {"m2": ["m4"]}},
            },
            True,
        ),
        (
            {
                "strategy": "weighted",
                "caps": {"max_share": 0.5},
                "weights": {"m5": 9},
                "exclusions": {"blocklists": {"m2": ["m4"]}},
            },
            False,
        ),
        # 3 of the 5 kept: 0.6 each, over the cap.
        (
            {
                "strategy": "weighted",
                "caps": {"max_share": 0.5},
                "exclusions": {"same_category": True, "blocklists": {"m2": ["m8", "m9"]}},
            },
            False,
        ),
        (
            {"strategy": "weighted", "weights": {"m5": 0}, "exclusions": {"same_category": True}},
            False,
        ),
        # Nobody left to show.
        (
            {
                "strategy": "weighted",
                "exclusions": {
                    "blocklists": {"m2": ["m1", "m3", "m4", "m5", "m6", "m7", "m8", "m9"]}
                },
            },
            False,
        ),
        ({"strategy": "round-robin", "exclusions": {"same_category": True}}, False),
        # Pins: the pinned member's place is its own, the draw fills the others.
        (
            {
                "strategy": "weighted",
                "pins": [{"member": "m5", "position": 1}],
                "exclusions": {"same_category": True},
            },
            True,
        ),
        (
            {
                "strategy": "fair-exchange",
                "partners": {"max": 2},
                "pins": [{"member": "m6", "position": 1}],
            },
            True,
        ),
        # A pin of the host's own category, of another host, a second on a taken
        # position, outside its schedule, or not counted in the ledger (and with a
        # block of 1, beyond it).
        (
            {
                "strategy": "weighted",
                "exclusions": {"same_category": True},
                "pins": [
                    {"member": "m3", "position": 1},
                    {"member": "m4", "position": 1, "hosts": ["m7"]},
                    {"member": "m6", "position": 2, "counts_in_ledger": False},
                    {"member": "m7", "position": 2},
                    {"member": "m8", "position": 3, "schedule": {"weekdays": ["sun"]}},
                ],
            },
            True,
        ),
        # Every position pinned: nothing is drawn.
        (
            {
                "strategy": "weighted",
                "pins": [
                    {"member": "m4", "position": 1},
                    {"member": "m5", "position": 2},
                    {"member": "m6", "position": 3},
                ],
            },
            False,
        ),
    ],
)
def test_a_host_that_drops_others_is_drawn_by_the_fused_path(
    document: dict[str, Any], applies: bool
) -> None:
    # Hosts m2 and m3 are florists: under the same-category rule each drops the other.
    infos = [("florist" if n in (1, 2) else "", *PLAIN[n][1:]) for n in range(len(PLAIN))]
    pool = make_pool(infos, document)
    rules = pool.rules.at(NOW)
    shared = shared_plan(pool, rules, NOW, NOW)
    first = int(NOW // 300)
    for limit in (1, 3, 6):  # the same slots as the general plan's wherever it answers
        assert not check_host(pool, shared, 2, NOW, limit, range(first, first + 24))
    got = fused_slots(pool, shared, rules, 2, NOW, first, KEY, limit=3)
    assert (got is not None) is applies
    if got and document.get("exclusions", {}).get("same_category"):  # the other florist
        assert 3 not in {s.member_id for s in got}


@pytest.mark.parametrize("by", ["town", "postal"])
def test_a_host_drawn_from_its_region_only_by_the_fused_path(by: str) -> None:
    # Towns differ in case only (one region), postal codes in their last digits.
    towns = ["Heide", "HEIDE", "heide", "Husum", "", "Heide", "Husum", "hEIDE", "Büsum"]
    postals = ["25746", "25748", "25813", "", "25746", "25761", "25899", "25746", "25761"]
    infos = [("", towns[n], postals[n], True, 30.0, None) for n in range(9)]
    for document in (
        {
            "strategy": "weighted",
            "caps": {"max_share": 1.0},
            "region": {"mode": "only", "by": by, "postal_digits": 3},
        },
        {
            "strategy": "fair-exchange",
            "partners": {"max": 2},
            "caps": {"max_share": 1.0},
            "region": {"mode": "only", "by": by, "postal_digits": 3},
            "exclusions": {"blocklists": {"m1": ["m6"]}},
        },
    ):
        # Fair exchange balanced: nobody's weight binds the cap.
        balanced = document["strategy"] == "fair-exchange"
        pool, rules, shared, first = theme_of(infos, document, balanced=balanced)
        drawn = 0
        for host in [*pool.members, 99]:
            for limit in (1, 2, 3):
                check_host(pool, shared, host, NOW, limit, range(first, first + 12))
            got = fused_slots(pool, shared, rules, host, NOW, first, KEY, limit=3)
            drawn += bool(got)
            near = pipeline._same_region
            assert not got or all(
                near(rules, pool.members[host], pool.members[s.member_id]) for s in got
            )
        assert drawn >= 4  # hosts with neighbours take the fused path
        # A host without a town (m5) or postal code (m4) has no region: nobody to show.
        nowhere = 5 if by == "town" else 4
        assert fused_slots(pool, shared, rules, nowhere, NOW, first, KEY, limit=3) is None
        assert draw(plan(pool, nowhere, NOW, KEY, limit=3, shared=shared), first, KEY) == ()


@pytest.mark.parametrize("by", ["town", "postal"])
def test_a_host_weighing_its_region_more_is_drawn_by_the_fused_path(by: str) -> None:
    towns = ["Heide", "HEIDE", "heide", "Husum", "", "Heide", "Husum", "hEIDE", "Büsum"] * 2
    postals = ["25746", "25748", "25813", "", "25746", "25761", "25899", "25746", "25761"] * 2
    infos = [("", towns[n], postals[n], True, 30.0, None) for n in range(18)]
    for document in (
        {"strategy": "weighted", "region": {"mode": "boost", "by": by, "boost": 1.7}},
        {
            "strategy": "fair-exchange",
            "weights": {"m2": 0.5, "m9": 3.0},
            "region": {"mode": "boost", "by": by, "postal_digits": 3, "boost": 2.5},
            "exclusions": {"pairs": [["m1", "m10"]]},
        },
    ):
        for balanced in (False, True):
            pool, rules, shared, first = theme_of(infos, document, balanced=balanced)
            drawn = 0
            for host in [*pool.members, 99]:
                for limit in (1, 3, 5):
                    check_host(pool, shared, host, NOW, limit, range(first, first + 12))
                drawn += (
                    fused_slots(pool, shared, rules, host, NOW, first, KEY, limit=3) is not None
                )
            if balanced or document["strategy"] == "weighted":  # no weight binds the cap
                assert drawn >= 9, (document, balanced)  # most hosts take the fused path


@pytest.mark.parametrize("by", ["town", "postal"])
def test_a_tiered_region_is_drawn_by_the_fused_path(by: str) -> None:
    """A host with enough neighbours fills its block from its region (tier 0); one
    alone in its region, or without a town, from the others (tier 1, its own keyed
    walk); one with too few neighbours to fill it takes the general path (each of
    them is certain: the plan's probabilities take their other branch)."""
    towns = ["Heide", "HEIDE", "Husum", "", "Heide", "Husum", "Büsum", "heide", "Heide"]
    towns += ["Meldorf", "heide", "Husum", "Wesselburen", "", "Heide", "Lunden"]
    postals = ["25746", "25746", "25813", "", "25746", "25813", "25761", "25746", "25746"]
    postals += ["25704", "25746", "25813", "25764", "", "25746", "25774"]
    infos = [
        ("florist" if n % 5 == 0 else "", towns[n], postals[n], True, 30.0, None)
        for n in range(len(towns))
    ]
    region = {"mode": "tiered", "by": by, "postal_digits": 5}
    for document in (
        {"strategy": "weighted", "region": region},
        {
            "strategy": "fair-exchange",
            "region": region,
            "weights": {"m3": 2.0, "m8": 0.5},
            "pins": [{"member": "m4", "position": 2}],
            "exclusions": {"same_category": True, "pairs": [["m2", "m5"]]},
        },
    ):
        for balanced in (False, True):
            pool, rules, shared, first = theme_of(infos, document, balanced=balanced)
            kinds = set()
            for host in [*pool.members, 99]:
                for limit in (1, 3, 5):
                    check_host(pool, shared, host, NOW, limit, range(first, first + 12))
                got = fused_slots(pool, shared, rules, host, NOW, first, KEY, limit=3)
                if got and host != 99:
                    same = pipeline._same_region
                    near = {
                        same(rules, pool.members[host], pool.members[s.member_id])
                        for s in got
                        if not s.pinned
                    }
                    kinds.add(tuple(sorted(near)))
            if balanced or document["strategy"] == "weighted":
                assert kinds == {(True,), (False,)}  # from the region, and from the others


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"exclusions": {"same_category": True}},
        {"exclusions": {"blocklists": {"m2": ["m9", "m4"]}, "pairs": [["m2", "m1"]]}},
        {"pins": [{"member": "m9", "position": 2}, {"member": "m3", "position": 1}]},
        {"region": {"mode": "only", "by": "town"}, "pins": [{"member": "m6", "position": 1}]},
        {"region": {"mode": "boost", "by": "town"}},
        {"region": {"mode": "tiered", "by": "town"}},
        {"exclusions": {"one_per_category": True}},
    ],
)
def test_a_fixed_theme_is_drawn_by_the_fused_path(extra: dict[str, Any]) -> None:
    # The coordinator's order puts m9, m4, m7 first; the rest follow by slug.
    infos = [
        ("florist" if n % 3 == 0 else "", "Heide" if n % 2 else "Husum", "", True, 30.0, None)
        for n in range(12)
    ]
    document = {"strategy": "fixed", "order": ["m9", "m4", "m7"], **extra}
    pool = make_pool(infos, document)
    rules = pool.rules.at(NOW)
    shared = shared_plan(pool, rules, NOW, NOW)
    first = int(NOW // 300)
    tiered = extra.get("region", {}).get("mode") == "tiered" or "one_per_category" in str(extra)
    for host in [*pool.members, 99]:
        for limit in (1, 2, 3, 6):
            check_host(pool, shared, host, NOW, limit, range(first, first + 3))
            got = fused_slots(pool, shared, rules, host, NOW, first, KEY, limit=limit)
            assert (got is None) is tiered
    if not extra:  # host m1: the order's first three, none of them the host
        got = fused_slots(pool, shared, rules, 1, NOW, first, KEY, limit=3)
        assert got is not None and [s.member_id for s in got] == [9, 4, 7]


def test_a_host_whose_category_leaves_fewer_than_its_block_is_drawn_as_planned() -> None:
    # Three florists of five: a florist's block of three can hold the two others only,
    # each certain (the plan's other branch: the general path draws it).
    infos = [("florist" if n < 3 else "", "Heide", "", True, 30.0, None) for n in range(5)]
    pool, rules, shared, first = theme_of(
        infos, {"strategy": "weighted", "exclusions": {"same_category": True}}
    )
    for host in (1, 2, 3):
        check_host(pool, shared, host, NOW, 3, range(first, first + 6))
        assert fused_slots(pool, shared, rules, host, NOW, first, KEY, limit=3) is None
        made = plan(pool, host, NOW, KEY, limit=3, shared=shared)
        assert sorted(s.member_id for s in draw(made, first, KEY)) == [4, 5]


@pytest.mark.parametrize(
    "rules_of",
    [
        {"exclusions": {"same_category": True}},
        {"region": {"mode": "only", "by": "town"}},
        {"region": {"mode": "boost", "by": "town", "boost": 1.6}},
        {"region": {"mode": "only", "by": "postal", "postal_digits": 4}},
    ],
)
def test_the_guided_draw_of_a_category_or_a_region_in_a_large_theme(
    rules_of: dict[str, Any],
) -> None:
    """A theme of 600 in 7 categories and 5 towns, weights of every size: a host that drops
    its category, or keeps or weighs its region, is drawn from its group's weights and
    their guides (``drops.group_weights``) as the general plan draws it; and never a
    member of its category, or of another region (``only``)."""
    rnd = random.Random(20261205)
    n = 600
    slugs = [f"g{i}" for i in range(1, n + 1)]
    towns = ["Heide", "Husum", "Büsum", "Meldorf", ""]
    members = {
        i: MemberInfo(
            i,
            slugs[i - 1],
            f"c{i % 7}" if i % 11 else "",
            towns[i % 5],
            f"257{i % 4}{i % 10}",
            joined=NOW - 40 * DAY,
        )
        for i in range(1, n + 1)
    }
    weights = {s: rnd.choice([0.5, 1.0, 2.0, rnd.uniform(0.2, 3.0)]) for s in slugs[::3]}
    for strategy in ("weighted", "fair-exchange"):
        rules = parse_rules({"strategy": strategy, "weights": weights, **rules_of})
        ledger = {i: (float(i % 13), float(i % 5)) for i in members}
        pool = test_selection_shared.pool_of(members, rules, ledger, {i: 1 for i in members})
        shared = shared_plan(pool, rules, NOW, NOW)
        assert len(shared.candidates) >= GUIDED_FROM
        first = int(NOW // 300)
        drawn = 0
        for host in rnd.sample(sorted(members), 40):
            made = plan(pool, host, NOW, KEY, limit=4, shared=shared)
            for bucket in range(first, first + 5):
                got = fused_slots(pool, shared, rules, host, NOW, bucket, KEY, limit=4)
                if got is None:
                    continue
                drawn += 1
                assert got == draw(made, bucket, KEY)
                shown = [members[s.member_id] for s in got]
                if rules.exclude_same_category and members[host].category:
                    assert all(m.category != members[host].category for m in shown)
                if rules.region.mode == "only":
                    assert all(pipeline._same_region(rules, members[host], m) for m in shown)
        assert drawn >= 120  # most hosts take the fused path
        groups = [k for k in shared.memo if k.startswith("group:")]
        assert groups  # drawn from their groups' weights, made once per group
