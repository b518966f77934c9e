"""Compiling the network into theme pools: rules, members as selection sees them, balances."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from widget_server.core.models import (
    CounterKind,
    CounterRow,
    Member,
    Membership,
    MembershipStatus,
    MemberStatus,
    RuleSet,
    Theme,
)
from widget_server.rotation import DEFAULT_RULES, parse_rules, plan
from widget_server.rotation.fairness import window_days
from widget_server.serving.snapshot import LedgerInput, build_pools
from widget_server.storage import NetworkData

NOW = 1_800_000_000.0  # 2027-01-15 08:00 UTC
TODAY = date(2027, 1, 15)
DAY = 86_400
KEY = b"pools-test-key"

WEDDINGS = Theme(1, "hochzeit", "Hochzeit", "Wedding")
MARKET = Theme(2, "markt", "Wochenmarkt", "Market")


def member(i: int, status: MemberStatus = "active", **fields: str) -> Member:
    return Member(
        id=i,
        slug=f"member-{i}",
        name=f"Member {i}",
        website=f"https://m{i}.example/",
        status=status,
        category=fields.get("category", "florist"),
        town=fields.get("town", "Heide"),
        postal_code=fields.get("postal_code", "25746"),
    )


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def joined_days_ago(days: float) -> str:
    return iso(NOW - days * DAY)


def network(
    members: Iterable[Member],
    memberships: Iterable[Membership],
    rule_sets: Iterable[RuleSet] = (),
    themes: Iterable[Theme] = (WEDDINGS, MARKET),
) -> NetworkData:
    return NetworkData(7, tuple(themes), tuple(members), tuple(memberships), (), tuple(rule_sets))


def rule_set(theme_id: int, rules: Mapping[str, Any]) -> RuleSet:
    return RuleSet(theme_id, 1, dict(rules), "coordinator", "2027-01-01T00:00:00+00:00")


def viewed(
    days_ago: int,
    host: int,
    partner: int,
    exposure: float,
    *,
    theme: int = 1,
    kind: CounterKind = "viewed",
) -> CounterRow:
    return CounterRow(TODAY - timedelta(days=days_ago), theme, host, partner, kind, 1, exposure)


def in_theme(
    *ids: int, theme: int = 1, joined: str = "2026-01-01T00:00:00+00:00"
) -> list[Membership]:
    return [Membership(i, theme, "active", joined) for i in ids]


# -- rules ----------------------------------------------------------------------------------


def test_stored_rules_are_parsed_per_theme() -> None:
    document = {"strategy": "round-robin", "partners": {"max": 5}, "exclusions": {"pairs": []}}
    data = network(
        [member(1), member(2)],
        in_theme(1, 2),
        rule_sets=[rule_set(1, document)],
    )
    pools = build_pools(data, LedgerInput(), NOW)
    assert pools[1].rules == parse_rules(document)
    assert pools[1].rules.strategy == "round-robin"
    assert pools[2].rules == DEFAULT_RULES  # no rule set: the defaults


def test_a_stored_rule_set_that_no_longer_parses_falls_back_to_defaults(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = network(
        [member(1), member(2)],
        in_theme(1, 2) + in_theme(1, 2, theme=2),
        rule_sets=[
            rule_set(1, {"strategy": "random"}),  # e.g. a strategy since removed
            rule_set(2, {"strategy": "fixed"}),
        ],
    )
    with caplog.at_level(logging.ERROR, logger="widget_server.serving.snapshot"):
        pools = build_pools(data, LedgerInput(), NOW)

    assert pools[1].rules == DEFAULT_RULES
    assert pools[2].rules.strategy == "fixed"  # the other theme is unaffected
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert getattr(errors[0], "theme_id", None) == 1
    assert "strategy" in str(getattr(errors[0], "error", ""))
    # The pool still selects.
    assert plan(pools[1], 1, NOW, KEY, limit=3).tiers[0].order == (2,)


def test_every_theme_gets_a_pool_even_without_members() -> None:
    pools = build_pools(network([], []), LedgerInput(), NOW)
    assert set(pools) == {1, 2}
    assert pools[1].members == {}
    assert pools[1].balances == {}


# -- members --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member_status", "membership_status", "present", "eligible"),
    [
        ("active", "active", True, True),
        ("paused", "active", True, False),
        ("pending", "active", True, False),
        ("active", "paused", True, False),
        ("active", "pending", True, False),
        ("paused", "paused", True, False),
        ("removed", "active", False, False),
        ("active", "left", False, False),
        ("removed", "left", False, False),
    ],
)
def test_member_and_membership_status_decide_presence_and_eligibility(
    member_status: MemberStatus,
    membership_status: MembershipStatus,
    present: bool,
    eligible: bool,
) -> None:
    data = network(
        [member(1), member(2, member_status)],
        [Membership(1, 1, "active", ""), Membership(2, 1, membership_status, "")],
    )
    pool = build_pools(data, LedgerInput(), NOW)[1]
    assert (2 in pool.members) is present
    assert ("member-2" in pool.ids_by_slug) is present
    if present:
        assert pool.members[2].eligible is eligible
    assert (2 in pool.balances) is eligible  # balances are over eligible members only


def test_a_membership_of_an_unknown_member_is_ignored() -> None:
    data = network([member(1)], [Membership(1, 1), Membership(99, 1)])
    pool = build_pools(data, LedgerInput(), NOW)[1]
    assert set(pool.members) == {1}


def test_membership_status_is_per_theme() -> None:
    data = network(
        [member(1), member(2)],
        [
            Membership(1, 1, "active"),
            Membership(2, 1, "paused"),
            Membership(1, 2, "left"),
            Membership(2, 2, "active"),
        ],
    )
    pools = build_pools(data, LedgerInput(), NOW)
    assert {i: m.eligible for i, m in pools[1].members.items()} == {1: True, 2: False}
    assert {i: m.eligible for i, m in pools[2].members.items()} == {2: True}
    assert dict(pools[2].ids_by_slug) == {"member-2": 2}


def test_member_info_carries_category_region_joined_and_last_seen() -> None:
    data = network(
        [member(1, category="caterer", town="Meldorf", postal_code="25704"), member(2)],
        [
            Membership(1, 1, "active", "2026-03-01T12:00:00+00:00"),
            Membership(2, 1, "active", "2026-03-01T12:00:00"),  # no zone: UTC
        ],
    )
    ledger = LedgerInput(last_served={(1, 1): date(2027, 1, 10), (2, 1): date(2027, 1, 1)})
    pool = build_pools(data, ledger, NOW)[1]

    one = pool.members[1]
    assert (one.id, one.slug, one.category, one.town, one.postal_code) == (
        1,
        "member-1",
        "caterer",
        "Meldorf",
        "25704",
    )
    joined = datetime(2026, 3, 1, 12, tzinfo=UTC).timestamp()
    assert one.joined == joined
    assert pool.members[2].joined == joined
    # Served on 10 January: seen until the end of that day.
    assert one.last_seen == datetime(2027, 1, 11, tzinfo=UTC).timestamp()
    # Served only in another theme: not seen in this one.
    assert pool.members[2].last_seen is None


def test_an_unreadable_joined_time_counts_as_long_ago() -> None:
    data = network([member(1), member(2)], [Membership(1, 1, "active", "yesterday")])
    pool = build_pools(data, LedgerInput(), NOW)[1]
    assert pool.members[1].joined == 0.0
    assert not pool.balances[1].newcomer


# -- balances -------------------------------------------------------------------------------


def test_balances_are_computed_from_the_ledger_rows_over_eligible_members() -> None:
    data = network(
        [member(1), member(2), member(3), member(4, "paused")],
        in_theme(1, 2, 3, 4),
    )
    rows = (
        viewed(0, 1, 2, 4.0),  # member 1 showed member 2 today
        viewed(14, 2, 1, 2.0),  # member 2 showed member 1 one half-life ago: counts 1.0
        viewed(0, 4, 3, 10.0),  # paused member 4 showed member 3
        viewed(0, 3, 1, 50.0, kind="clicked"),  # clicks do not count
        viewed(0, 3, 1, 50.0, theme=2),  # nor does another theme
        viewed(-1, 3, 1, 50.0),  # nor a day after today
    )
    pool = build_pools(data, LedgerInput(rows=rows), NOW)[1]

    assert set(pool.balances) == {1, 2, 3}
    given = {m: b.given for m, b in pool.balances.items()}
    received = {m: b.received for m, b in pool.balances.items()}
    assert given == pytest.approx({1: 4.0, 2: 1.0, 3: 0.0})
    assert received == pytest.approx({1: 1.0, 2: 4.0, 3: 10.0})

    # Shares over the three eligible members (the paused one's 10 is left out):
    # s = .8 * given / 5 + .2 / 3; targets share the 15 received by them.
    window = window_days(14.0)
    for m in (1, 2, 3):
        share = 0.8 * given[m] / 5 + 0.2 / 3
        target = share * 15.0
        debt = (target - received[m]) / (target / window + 1.0)
        assert pool.balances[m].share == pytest.approx(share)
        assert pool.balances[m].entitlement == pytest.approx(target)
        assert pool.balances[m].debt == pytest.approx(debt)
        multiplier = 3 * share * math.exp(max(-4, min(4, debt)))
        assert pool.balances[m].multiplier == pytest.approx(multiplier)
    assert pool.balances[1].debt > 0 > pool.balances[3].debt  # 1 is owed, 3 received too much


def test_the_ledger_decays_with_each_themes_own_half_life() -> None:
    data = network(
        [member(1), member(2)],
        in_theme(1, 2) + in_theme(1, 2, theme=2),
        rule_sets=[rule_set(1, {"fairness": {"half_life_days": 7}})],
    )
    rows = (viewed(7, 1, 2, 8.0, theme=1), viewed(7, 1, 2, 8.0, theme=2))
    pools = build_pools(data, LedgerInput(rows=rows), NOW)
    assert pools[1].balances[1].given == pytest.approx(4.0)  # one half-life of 7 days
    assert pools[2].balances[1].given == pytest.approx(8.0 * 2**-0.5)  # half of one of 14


@pytest.mark.parametrize(
    ("joined", "grace", "newcomer"),
    [
        (joined_days_ago(10), None, True),  # default grace: 30 days
        (joined_days_ago(29.9), None, True),
        (joined_days_ago(30.1), None, False),
        (joined_days_ago(400), None, False),
        (joined_days_ago(10), 5, False),
        (joined_days_ago(10), 0, False),
    ],
)
def test_members_who_joined_within_the_grace_period_are_newcomers(
    joined: str, grace: int | None, newcomer: bool
) -> None:
    rules: dict[str, Any] = {} if grace is None else {"fairness": {"newcomer_grace_days": grace}}
    data = network(
        [member(1), member(2), member(3)],
        in_theme(1, 2) + [Membership(3, 1, "active", joined)],
        rule_sets=[rule_set(1, rules)],
    )
    rows = (viewed(0, 1, 2, 3.0), viewed(0, 2, 1, 3.0))
    pool = build_pools(data, LedgerInput(rows=rows), NOW)[1]
    assert pool.balances[3].newcomer is newcomer
    assert not pool.balances[1].newcomer
    # The grant is a gift on top of the shared target; only newcomers and the
    # recently graduated (whose grant is still decaying out) carry one.
    b = pool.balances[3]
    assert b.entitlement == pytest.approx(b.share * (6.0 - b.grant) + b.grant)
    assert pool.balances[1].grant == 0.0
    if newcomer:
        assert b.grant > 0


def test_the_fairness_of_an_active_period_is_the_fairness_that_weights_use() -> None:
    # During the period the coordinator switched the pull of the ledger off
    # (beta 0): the weights are the feed-forward shares alone, 4 * s.
    document = {
        "periods": [{"schedule": {"from": "2020-01-01"}, "rules": {"fairness": {"beta": 0}}}],
    }
    data = network(
        [member(1), member(2), member(3), member(4)],
        in_theme(1, 2, 3, 4),
        rule_sets=[rule_set(1, document)],
    )
    rows = (viewed(0, 1, 2, 30.0), viewed(0, 1, 3, 20.0))  # 1 gave a lot, got nothing
    pool = build_pools(data, LedgerInput(rows=rows), NOW)[1]

    p = plan(pool, 4, NOW, KEY, limit=3)
    assert p.rules.fairness.beta == 0.0
    assert p.weights == pytest.approx({1: 4 * (0.8 + 0.05), 2: 4 * 0.05, 3: 4 * 0.05})
