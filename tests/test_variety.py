"""Variety and slots: pairs of partners over a day, exact probabilities, caps with categories."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from widget_server.rotation import MemberInfo, ThemePool, draw, parse_rules, plan
from widget_server.rotation.sampling import inclusion_probabilities, systematic_sample
from widget_server.rotation.strategies import VARIANTS, daily_orders

DAY = 86_400
MIDNIGHT = 1_800_028_800.0 // DAY * DAY
BUCKET = 300


def pool(document: dict[str, object], categories: dict[int, str] | None = None) -> ThemePool:
    members = {i: MemberInfo(i, f"m{i}", (categories or {}).get(i, "")) for i in range(1, 8)}
    return ThemePool(1, parse_rules(document), members, {m.slug: i for i, m in members.items()})


def day_of_blocks(p: ThemePool, key: bytes, host: int = 1, limit: int = 3) -> list[list[int]]:
    blocks = []
    for b in range(DAY // BUCKET):
        now = MIDNIGHT + b * BUCKET
        selection = plan(p, host, now, key, limit=limit)
        blocks.append([s.member_id for s in draw(selection, int(now // BUCKET), key)])
    return blocks


@pytest.mark.parametrize("strategy", ["weighted", "fair-exchange"])
@pytest.mark.parametrize("key", [b"a" * 32, b"partnerkreis", b"\x00" * 16, b"other key"])
def test_every_pair_of_six_equal_partners_meets_in_some_block_over_a_day(
    strategy: str, key: bytes
) -> None:
    blocks = day_of_blocks(pool({"strategy": strategy}), key)
    pairs = {pair for block in blocks for pair in combinations(sorted(block), 2)}
    assert pairs == set(combinations(range(2, 8), 2))  # all 15


def test_the_days_orders_are_permutations_of_the_group_and_differ() -> None:
    group = [3, 5, 8, 13, 21, 34]
    first, variants = daily_orders(group, b"k", (1, 2, 3))
    assert len(variants) == VARIANTS and variants[0] == first
    assert all(sorted(v) == group for v in variants)
    assert len(set(variants)) > VARIANTS // 2


@hypothesis_settings(database=None, max_examples=60, deadline=None)
@given(
    weights=st.lists(st.floats(0.05, 20), min_size=2, max_size=9),
    k=st.integers(1, 4),
    key=st.binary(min_size=1, max_size=8),
)
def test_every_order_the_draw_may_walk_keeps_each_probability_exact(
    weights: list[float], k: int, key: bytes
) -> None:
    pi = inclusion_probabilities(dict(enumerate(weights)), min(k, len(weights)))
    _, variants = daily_orders(list(pi), key, ("seed",))
    steps = 2000  # u on a grid: each member's hit frequency is pi within 1/steps per edge
    for order in variants:
        for shift in (0, len(order) // 2):
            walked = order[shift:] + order[:shift]
            hits = Counter[int]()
            for n in range(steps):
                hits.update(systematic_sample(walked, pi, (n + 0.5) / steps))
            for i, p in pi.items():
                assert abs(hits[i] / steps - p) <= 2.5 / steps


def test_inclusion_frequencies_over_a_day_match_the_weights() -> None:
    weights = {"m2": 4, "m3": 2, "m4": 1, "m5": 1, "m6": 1, "m7": 1}
    counts = Counter[int]()
    days = 6
    for d in range(days):
        p = pool({"strategy": "weighted", "weights": weights})
        for block in day_of_blocks(p, f"day {d}".encode()):
            counts.update(block)
    expected = inclusion_probabilities({i: weights[f"m{i}"] for i in range(2, 8)}, 3)
    n = days * DAY // BUCKET
    for i, p in expected.items():
        # binomial sigma <= sqrt(.25 / 1728) = .012; allow about 4 of them
        assert abs(counts[i] / n - p) <= 0.05, (i, counts[i] / n, p)


# -- caps with one per category -------------------------------------------------------------

CATEGORIES = {2: "florist", 3: "florist", 4: "florist", 5: "caterer", 6: "caterer", 7: "caterer"}


@pytest.mark.parametrize("strategy", ["weighted", "fair-exchange"])
def test_a_cap_with_one_per_category_leaves_no_slot_empty_that_a_partner_could_fill(
    strategy: str,
) -> None:
    # Two places, two categories of three, each member in at most 40 % of the blocks:
    # a florist and a caterer can be shown in every block without breaking either
    # rule (each member 1/3 of the blocks).  Capping the one representative of the
    # minute instead of its category left more than half the places empty.
    rules = {
        "strategy": strategy,
        "partners": {"max": 2, "min": 1},
        "exclusions": {"one_per_category": True},
        "caps": {"max_share": 0.4},
    }
    blocks = day_of_blocks(pool(rules, CATEGORIES), b"caps", limit=2)
    assert all(len(block) == 2 for block in blocks)
    shares = Counter(m for block in blocks for m in block)
    for m in range(2, 8):
        assert shares[m] / len(blocks) <= 0.4 + 0.08  # the cap, with sampling noise
    for block in blocks:
        assert len({CATEGORIES[m] for m in block}) == len(block)


@pytest.mark.parametrize(
    ("weights", "caps", "k", "expected"),
    [
        ({1: 1, 2: 1, 3: 1}, {1: 0.2}, 2, {1: 0.2, 2: 0.9, 3: 0.9}),
        ({1: 5, 2: 1}, {1: 0.5, 2: 0.5}, 2, {1: 0.5, 2: 0.5}),
        ({1: 1, 2: 3}, {}, 1, {1: 0.25, 2: 0.75}),
    ],
)
def test_inclusion_probabilities_with_a_cap_per_member(
    weights: dict[int, float], caps: dict[int, float], k: int, expected: dict[int, float]
) -> None:
    got = inclusion_probabilities(weights, k, caps=caps)
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("strategy", ["weighted", "fair-exchange"])
def test_hosts_of_a_theme_walk_the_themes_order_of_the_day_without_themselves(
    strategy: str,
) -> None:
    # The day's orders are the theme's: a host's is the theme's minus the host, and
    # they change from one day to the next.
    p = pool({"strategy": strategy})
    key = b"shared orders"
    orders = {host: plan(p, host, MIDNIGHT, key, limit=3).tiers[0].order for host in range(1, 8)}
    for host, order in orders.items():
        for other, theirs in orders.items():
            assert [i for i in order if i != other] == [i for i in theirs if i != host]
    tomorrow = plan(p, 1, MIDNIGHT + DAY, key, limit=3).tiers[0].order
    assert sorted(tomorrow) == sorted(orders[1]) and tomorrow != orders[1]


def test_hosts_of_a_theme_show_different_blocks_in_the_same_bucket() -> None:
    # Shared orders, but each host starts its walk at its own keyed point.
    p = pool({"strategy": "weighted"})
    key = b"own points"
    now = MIDNIGHT + 7 * BUCKET
    blocks = {
        tuple(sorted(s.member_id for s in draw(plan(p, host, now, key, limit=3), 7, key)))
        for host in range(1, 8)
    }
    assert len(blocks) >= 4
