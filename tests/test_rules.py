"""Rule documents: defaults, a full document, one invalid document per field, periods."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from widget_server.core.errors import ValidationError
from widget_server.rotation import DEFAULT_RULES, Rules, parse_rules, referenced_members
from widget_server.rotation.rules import Availability, Fairness, Links, Pin, Region
from widget_server.rotation.schedule import Schedule, Window

BERLIN = ZoneInfo("Europe/Berlin")


def moment(year: int, month: int, day: int, hour: int, minute: int) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).timestamp()


# -- defaults -------------------------------------------------------------------------------


@pytest.mark.parametrize("document", [None, {}])
def test_an_empty_document_gives_the_default_rules(document: dict[str, Any] | None) -> None:
    rules = parse_rules(document)
    assert rules == DEFAULT_RULES
    assert rules == Rules()


def test_the_default_rules_are_fair_exchange_with_three_partners_and_the_directory() -> None:
    assert DEFAULT_RULES.strategy == "fair-exchange"
    assert (DEFAULT_RULES.max_partners, DEFAULT_RULES.min_partners) == (3, 1)
    assert DEFAULT_RULES.fairness == Fairness(0.8, 1.0, 4.0, 1.0, 14.0, 30, 0.5)
    assert DEFAULT_RULES.fallback == "directory"
    assert DEFAULT_RULES.links.rel == "sponsored nofollow noopener"
    assert (DEFAULT_RULES.granularity, DEFAULT_RULES.bucket_seconds) == ("bucket", 300)
    assert DEFAULT_RULES.max_share == 1.0
    assert DEFAULT_RULES.inactive_after_days is None
    assert DEFAULT_RULES.periods == ()


@pytest.mark.parametrize(
    "document",
    [
        {"partners": None, "fairness": None, "exclusions": None, "region": None},
        {"caps": {}, "activity": {}, "links": {}, "rotation": {}, "pins": None},
        {"availability": None, "periods": None, "exclusions": {"pairs": None}},
    ],
)
def test_empty_or_null_sections_mean_their_defaults(document: dict[str, Any]) -> None:
    assert parse_rules(document) == DEFAULT_RULES


# -- a full document ------------------------------------------------------------------------

FULL: dict[str, Any] = {
    "strategy": "weighted",
    "partners": {"max": 5, "min": 2},
    "order": ["bakery-a", "florist-b"],
    "weights": {"bakery-a": 2.5, "florist-b": 0},
    "fairness": {
        "alpha": 0.5,
        "beta": 2,
        "delta": 1.5,
        "kappa": 3,
        "half_life_days": 7,
        "newcomer_grace_days": 10,
        "newcomer_grant": 0.25,
    },
    "exclusions": {
        "pairs": [["bakery-a", "bakery-c"]],
        "blocklists": {"florist-b": ["venue-d", "bakery-c"]},
        "same_category": True,
        "one_per_category": True,
    },
    "pins": [
        {
            "member": "venue-d",
            "position": 2,
            "hosts": ["bakery-a"],
            "schedule": {"weekdays": ["sat", "Sunday"]},
            "counts_in_ledger": False,
        },
        {"member": "bakery-c"},
    ],
    "region": {"mode": "boost", "by": "postal", "postal_digits": 3, "boost": 4},
    "availability": [
        {
            "member": "caterer-e",
            "schedule": {
                "timezone": "UTC",
                "windows": [
                    {"from": "2025-05-01", "until": "2025-05-31", "hours": ["10:00-18:00"]},
                    {"weekdays": ["mon"], "hours": ["08:00-09:30", "20:00-24:00"]},
                ],
            },
        }
    ],
    "caps": {"max_share": 0.4},
    "activity": {"inactive_after_days": 14, "exempt": ["venue-d"]},
    "fallback": "hide",
    "links": {
        "rel": "sponsored noopener sponsored",
        "label": "  Anzeige \n ",
        "utm": {"utm_source": "partnerkreis", "utm_campaign": "{theme}-{host}"},
    },
    "rotation": {"granularity": "request", "bucket_seconds": 600},
    "periods": [
        {
            "schedule": {"from": "2025-12-01", "until": "2025-12-24"},
            "rules": {"strategy": "fixed", "partners": {"max": 4, "min": 2}},
        }
    ],
}

FULL_WITHOUT_PERIODS = Rules(
    strategy="weighted",
    max_partners=5,
    min_partners=2,
    order=("bakery-a", "florist-b"),
    weights={"bakery-a": 2.5, "florist-b": 0.0},
    fairness=Fairness(
        alpha=0.5,
        beta=2.0,
        delta=1.5,
        kappa=3.0,
        half_life_days=7.0,
        newcomer_grace_days=10,
        newcomer_grant=0.25,
    ),
    exclude_pairs=frozenset({frozenset({"bakery-a", "bakery-c"})}),
    blocklists={"florist-b": frozenset({"venue-d", "bakery-c"})},
    exclude_same_category=True,
    one_per_category=True,
    pins=(
        Pin(
            member="venue-d",
            position=2,
            hosts=("bakery-a",),
            schedule=Schedule((Window(weekdays=frozenset({5, 6})),), "Europe/Berlin"),
            counts_in_ledger=False,
        ),
        Pin(member="bakery-c", position=1),
    ),
    region=Region(mode="boost", by="postal", postal_digits=3, boost=4.0),
    availability=(
        Availability(
            "caterer-e",
            Schedule(
                (
                    Window(
                        start=date(2025, 5, 1),
                        until=date(2025, 5, 31),
                        hours=((time(10), time(18)),),
                    ),
                    Window(
                        weekdays=frozenset({0}),
                        hours=(
                            (time(8), time(9, 30)),
                            (time(20), time(23, 59, 59, 999999)),
                        ),
                    ),
                ),
                "UTC",
            ),
        ),
    ),
    max_share=0.4,
    inactive_after_days=14,
    activity_exempt=frozenset({"venue-d"}),
    fallback="hide",
    links=Links(
        rel="sponsored noopener",
        label="Anzeige",
        utm={"utm_source": "partnerkreis", "utm_campaign": "{theme}-{host}"},
    ),
    granularity="request",
    bucket_seconds=600,
)


def test_a_full_document_parses_into_the_expected_rules() -> None:
    christmas = Schedule((Window(start=date(2025, 12, 1), until=date(2025, 12, 24)),))
    # A period's rules are the top level's with the period's sections put over them.
    in_advent = replace(FULL_WITHOUT_PERIODS, strategy="fixed", max_partners=4)
    expected = replace(FULL_WITHOUT_PERIODS, periods=((christmas, in_advent),))

    rules = parse_rules(FULL)

    assert rules == expected


def test_parsing_does_not_change_the_document() -> None:
    before = repr(FULL)
    parse_rules(FULL)
    assert repr(FULL) == before


def test_rules_accept_dates_as_yaml_gives_them() -> None:
    document = {
        "availability": [
            {"member": "a", "schedule": {"from": date(2025, 5, 1), "until": date(2025, 5, 2)}}
        ]
    }
    window = parse_rules(document).availability[0].schedule.windows[0]
    assert (window.start, window.until) == (date(2025, 5, 1), date(2025, 5, 2))


# -- invalid documents: one per field and failure -------------------------------------------

PERIOD_SCHEDULE = {"weekdays": ["sat"]}

INVALID: list[tuple[str, Any, str, str | None]] = [
    # (id, document, field path, the bad value the reason must mention)
    ("not an object", ["strategy"], "rules", None),
    ("unknown top-level key", {"colour": "red"}, "colour", None),
    ("unknown strategy", {"strategy": "random"}, "strategy", "random"),
    ("partners not an object", {"partners": 3}, "partners", None),
    ("partners.max 0", {"partners": {"max": 0}}, "partners.max", "0"),
    ("partners.max 13", {"partners": {"max": 13}}, "partners.max", "13"),
    ("partners.max text", {"partners": {"max": "3"}}, "partners.max", "'3'"),
    ("partners.max fraction", {"partners": {"max": 2.5}}, "partners.max", "2.5"),
    ("partners.min negative", {"partners": {"min": -1}}, "partners.min", "-1"),
    ("partners.min > max", {"partners": {"max": 2, "min": 3}}, "partners.min", "3"),
    ("unknown partners key", {"partners": {"most": 3}}, "partners.most", None),
    ("order not a list", {"order": "bakery-a"}, "order", None),
    ("order bad slug", {"order": ["ok", "Not OK"]}, "order[1]", "Not OK"),
    ("weights not a mapping", {"weights": ["a"]}, "weights", None),
    ("weight negative", {"weights": {"a": -1}}, "weights.a", "-1"),
    ("weight not a number", {"weights": {"a": "heavy"}}, "weights.a", "heavy"),
    ("weight a boolean", {"weights": {"a": True}}, "weights.a", "True"),
    ("weight NaN", {"weights": {"a": float("nan")}}, "weights.a", "nan"),
    ("weight too large", {"weights": {"a": 1001}}, "weights.a", "1001"),
    ("weight bad slug", {"weights": {"Bad Slug": 1}}, "weights.Bad Slug", "Bad Slug"),
    ("fairness.alpha 1.5", {"fairness": {"alpha": 1.5}}, "fairness.alpha", "1.5"),
    ("fairness.beta -1", {"fairness": {"beta": -1}}, "fairness.beta", "-1"),
    ("fairness.delta 11", {"fairness": {"delta": 11}}, "fairness.delta", "11"),
    ("fairness.kappa 0", {"fairness": {"kappa": 0}}, "fairness.kappa", "0"),
    (
        "fairness.half_life_days 0",
        {"fairness": {"half_life_days": 0}},
        "fairness.half_life_days",
        "0",
    ),
    (
        "fairness.newcomer_grace_days fraction",
        {"fairness": {"newcomer_grace_days": 1.5}},
        "fairness.newcomer_grace_days",
        "1.5",
    ),
    ("unknown fairness key", {"fairness": {"gamma": 1}}, "fairness.gamma", None),
    ("pairs not a list", {"exclusions": {"pairs": "a"}}, "exclusions.pairs", None),
    ("pair with one member", {"exclusions": {"pairs": [["a"]]}}, "exclusions.pairs[0]", None),
    (
        "pair with the same member twice",
        {"exclusions": {"pairs": [["a", "b"], ["c", "c"]]}},
        "exclusions.pairs[1]",
        None,
    ),
    (
        "pair with three members",
        {"exclusions": {"pairs": [["a", "b", "c"]]}},
        "exclusions.pairs[0]",
        None,
    ),
    (
        "pair with a bad slug",
        {"exclusions": {"pairs": [["a", "B"]]}},
        "exclusions.pairs[0][1]",
        "B",
    ),
    (
        "blocklists not a mapping",
        {"exclusions": {"blocklists": ["a", "b"]}},
        "exclusions.blocklists",
        None,
    ),
    (
        "blocklist not a list",
        {"exclusions": {"blocklists": {"a": "b"}}},
        "exclusions.blocklists.a",
        None,
    ),
    (
        "blocklist bad slug",
        {"exclusions": {"blocklists": {"a": ["b", "C!"]}}},
        "exclusions.blocklists.a[1]",
        "C!",
    ),
    (
        "same_category not a boolean",
        {"exclusions": {"same_category": "yes"}},
        "exclusions.same_category",
        "yes",
    ),
    ("pins not a list", {"pins": {"member": "a"}}, "pins", None),
    ("pin without member", {"pins": [{"position": 1}]}, "pins[0].member", None),
    ("pin bad member", {"pins": [{"member": "A"}]}, "pins[0].member", "A"),
    ("pin position 0", {"pins": [{"member": "a", "position": 0}]}, "pins[0].position", "0"),
    (
        "pin position > max",
        {"partners": {"max": 2}, "pins": [{"member": "a"}, {"member": "b", "position": 3}]},
        "pins[1].position",
        "3",
    ),
    ("pin hosts not a list", {"pins": [{"member": "a", "hosts": "b"}]}, "pins[0].hosts", None),
    (
        "pin hosts bad slug",
        {"pins": [{"member": "a", "hosts": ["b", "no way"]}]},
        "pins[0].hosts[1]",
        "no way",
    ),
    (
        "pin bad schedule",
        {"pins": [{"member": "a", "schedule": {"weekdays": ["caturday"]}}]},
        "pins[0].schedule.weekdays[0]",
        "caturday",
    ),
    (
        "pin counts_in_ledger not a boolean",
        {"pins": [{"member": "a", "counts_in_ledger": "no"}]},
        "pins[0].counts_in_ledger",
        "no",
    ),
    ("unknown pin key", {"pins": [{"member": "a", "slot": 1}]}, "pins[0].slot", None),
    ("region.mode near", {"region": {"mode": "near"}}, "region.mode", "near"),
    ("region.by country", {"region": {"by": "country"}}, "region.by", "country"),
    ("region.postal_digits 9", {"region": {"postal_digits": 9}}, "region.postal_digits", "9"),
    ("region.boost 0.5", {"region": {"boost": 0.5}}, "region.boost", "0.5"),
    ("availability without schedule", {"availability": [{"member": "a"}]}, "availability[0]", None),
    (
        "availability bad schedule",
        {"availability": [{"member": "a", "schedule": {"hours": ["9-5"]}}]},
        "availability[0].schedule.hours[0]",
        "9-5",
    ),
    ("caps.max_share 0", {"caps": {"max_share": 0}}, "caps.max_share", "0"),
    ("caps.max_share 2", {"caps": {"max_share": 2}}, "caps.max_share", "2"),
    (
        "activity.inactive_after_days 0",
        {"activity": {"inactive_after_days": 0}},
        "activity.inactive_after_days",
        "0",
    ),
    ("activity.exempt bad slug", {"activity": {"exempt": ["ok", 7]}}, "activity.exempt[1]", "7"),
    ("fallback nothing", {"fallback": "nothing"}, "fallback", "nothing"),
    ("links.rel follow", {"links": {"rel": "sponsored follow"}}, "links.rel", "follow"),
    ("links.label too long", {"links": {"label": "x" * 31}}, "links.label", None),
    ("links.utm not a mapping", {"links": {"utm": ["utm_source"]}}, "links.utm", None),
    ("links.utm key source", {"links": {"utm": {"source": "x"}}}, "links.utm.source", None),
    (
        "links.utm value with <",
        {"links": {"utm": {"utm_source": "a<script>"}}},
        "links.utm.utm_source",
        "a<script>",
    ),
    (
        "rotation.granularity hourly",
        {"rotation": {"granularity": "hourly"}},
        "rotation.granularity",
        "hourly",
    ),
    (
        "rotation.bucket_seconds 5",
        {"rotation": {"bucket_seconds": 5}},
        "rotation.bucket_seconds",
        "5",
    ),
    ("periods not a list", {"periods": {"schedule": {}}}, "periods", None),
    ("period without schedule", {"periods": [{"rules": {}}]}, "periods[0]", None),
    ("period without rules", {"periods": [{"schedule": PERIOD_SCHEDULE}]}, "periods[0]", None),
    (
        "period rules not an object",
        {"periods": [{"schedule": PERIOD_SCHEDULE, "rules": "fixed"}]},
        "periods[0].rules",
        None,
    ),
    (
        "period with invalid rules",
        {"periods": [{"schedule": PERIOD_SCHEDULE, "rules": {"partners": {"max": 0}}}]},
        "periods[0].rules.partners.max",
        "0",
    ),
    (
        "second period with invalid pin",
        {
            "periods": [
                {"schedule": PERIOD_SCHEDULE, "rules": {}},
                {"schedule": PERIOD_SCHEDULE, "rules": {"pins": [{"member": "a", "position": 9}]}},
            ]
        },
        "periods[1].rules.pins[0].position",
        "9",
    ),
    (
        "periods inside a period",
        {"periods": [{"schedule": PERIOD_SCHEDULE, "rules": {"periods": []}}]},
        "periods[0].rules.periods",
        None,
    ),
    (
        "period with a bad schedule",
        {"periods": [{"schedule": {"weekdays": ["caturday"]}, "rules": {}}]},
        "periods[0].schedule.weekdays[0]",
        "caturday",
    ),
    (
        "unknown period key",
        {"periods": [{"schedule": {}, "rules": {}, "x": 1}]},
        "periods[0].x",
        None,
    ),
]


@pytest.mark.parametrize(
    ("document", "field", "mentions"),
    [pytest.param(doc, f, m, id=name) for name, doc, f, m in INVALID],
)
def test_an_invalid_document_is_rejected_naming_the_field(
    document: Any, field: str, mentions: str | None
) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_rules(document)
    assert caught.value.field == field
    if mentions is not None:
        assert mentions in caught.value.reason


def test_a_whole_number_too_large_for_a_float_is_a_validation_error() -> None:
    # JSON has no limit on the size of integers, and Python's json parses them exactly:
    # json.loads('{"fairness": {"alpha": 1e400}}') is inf, but 1 followed by 400 zeros is an int.
    with pytest.raises(ValidationError) as caught:
        parse_rules({"fairness": {"alpha": 10**400}})
    assert caught.value.field == "fairness.alpha"


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("sponsored", "sponsored"),
        ("nofollow  ugc", "nofollow ugc"),
        ("noopener noopener noreferrer", "noopener noreferrer"),
    ],
)
def test_link_rel_keeps_each_allowed_token_once(rel: str, expected: str) -> None:
    assert parse_rules({"links": {"rel": rel}}).links.rel == expected


# -- periods --------------------------------------------------------------------------------

WEEKEND_DOCUMENT: dict[str, Any] = {
    "strategy": "round-robin",
    "partners": {"max": 4, "min": 2},
    "periods": [
        {
            "schedule": {"weekdays": ["sat", "sun"]},
            "rules": {"strategy": "fixed", "order": ["fair-venue"]},
        },
        {"schedule": {"weekdays": ["sun", "mon"]}, "rules": {"strategy": "weighted"}},
    ],
}


@pytest.mark.parametrize(
    ("when", "period", "strategy", "order"),
    [
        (moment(2025, 6, 7, 12, 0), 0, "fixed", ("fair-venue",)),  # Saturday: the first period
        (moment(2025, 6, 8, 12, 0), 0, "fixed", ("fair-venue",)),  # Sunday: the first of two
        (moment(2025, 6, 9, 12, 0), 1, "weighted", ()),  # Monday: the second period
        (moment(2025, 6, 10, 12, 0), None, "round-robin", ()),  # Tuesday: no period
        (moment(2025, 6, 6, 23, 59), None, "round-robin", ()),  # Friday night, just before
    ],
)
def test_rules_at_picks_the_first_active_period_and_falls_back_outside(
    when: float, period: int | None, strategy: str, order: tuple[str, ...]
) -> None:
    rules = parse_rules(WEEKEND_DOCUMENT)
    current = rules.at(when)
    if period is None:
        assert current is rules
    else:
        assert current is rules.periods[period][1]
        assert current.periods == ()
    assert current.strategy == strategy
    assert current.order == order
    # What the period does not set is inherited from the top level.
    assert (current.max_partners, current.min_partners) == (4, 2)


def test_rules_without_periods_are_in_force_at_every_moment() -> None:
    rules = parse_rules({"strategy": "fixed"})
    assert rules.at(0.0) is rules
    assert rules.at(moment(2030, 1, 1, 0, 0)) is rules


# -- referenced members ---------------------------------------------------------------------


def test_referenced_members_collects_every_slug_named_anywhere() -> None:
    document = {
        "order": ["o-1"],
        "weights": {"w-1": 2},
        "exclusions": {"pairs": [["p-1", "p-2"]], "blocklists": {"b-host": ["b-1", "b-2"]}},
        "pins": [{"member": "pin-1", "hosts": ["pin-host"]}],
        "availability": [{"member": "a-1", "schedule": {"weekdays": ["sat"]}}],
        "activity": {"inactive_after_days": 10, "exempt": ["x-1"]},
        "periods": [
            {
                "schedule": {"weekdays": ["sun"]},
                "rules": {
                    "order": ["period-o"],
                    "pins": [{"member": "period-pin", "hosts": ["period-host"]}],
                    "exclusions": {"blocklists": {"period-b": ["period-x"]}},
                },
            }
        ],
    }
    assert referenced_members(parse_rules(document)) == {
        "o-1",
        "w-1",
        "p-1",
        "p-2",
        "b-host",
        "b-1",
        "b-2",
        "pin-1",
        "pin-host",
        "a-1",
        "x-1",
        "period-o",
        "period-pin",
        "period-host",
        "period-b",
        "period-x",
    }


def test_default_rules_reference_no_members() -> None:
    assert referenced_members(DEFAULT_RULES) == set()
