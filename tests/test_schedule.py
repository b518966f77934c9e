"""Schedule windows: date ranges, weekdays, hours, time zones, and invalid schedules."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from widget_server.core.errors import ValidationError
from widget_server.rotation.schedule import DEFAULT_TIMEZONE, Schedule, parse_schedule

BERLIN = ZoneInfo("Europe/Berlin")


def at(
    year: int,
    month: int,
    day: int,
    hour: int = 12,
    minute: int = 0,
    second: int = 0,
    *,
    zone: tzinfo = BERLIN,
) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=zone).timestamp()


def schedule(raw: dict[str, Any]) -> Schedule:
    return parse_schedule("schedule", raw)


# -- windows --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "active"),
    [
        (at(2025, 5, 31, 23, 59, 59), False),  # the evening before
        (at(2025, 6, 1, 0, 0), True),  # the first day, from its first second
        (at(2025, 6, 2, 12, 0), True),
        (at(2025, 6, 3, 23, 59, 59), True),  # the last day, to its last second
        (at(2025, 6, 4, 0, 0), False),  # the morning after
        (at(2024, 6, 2, 12, 0), False),  # the same days a year earlier
    ],
)
def test_a_date_range_includes_both_of_its_ends(moment: float, active: bool) -> None:
    assert schedule({"from": "2025-06-01", "until": "2025-06-03"}).active(moment) is active


@pytest.mark.parametrize(
    ("raw", "moment", "active"),
    [
        ({"from": "2025-06-01"}, at(2025, 5, 31, 23, 59), False),
        ({"from": "2025-06-01"}, at(2099, 1, 1), True),  # open end
        ({"until": "2025-06-01"}, at(1999, 1, 1), True),  # open start
        ({"until": "2025-06-01"}, at(2025, 6, 2, 0, 0), False),
        ({"from": "2025-06-01", "until": "2025-06-01"}, at(2025, 6, 1, 18, 0), True),  # one day
    ],
)
def test_a_date_range_may_be_open_at_either_end(
    raw: dict[str, Any], moment: float, active: bool
) -> None:
    assert schedule(raw).active(moment) is active


@pytest.mark.parametrize(
    ("day", "active"),
    [
        (2, False),  # Monday 2 June 2025
        (3, False),
        (4, True),  # Wednesday
        (5, False),
        (6, False),
        (7, True),  # Saturday
        (8, True),  # Sunday
    ],
)
def test_weekdays_restrict_to_the_named_days(day: int, active: bool) -> None:
    weekend_and_wednesday = schedule({"weekdays": ["sat", "Sunday", "WED"]})
    assert weekend_and_wednesday.active(at(2025, 6, day, 0, 0)) is active
    assert weekend_and_wednesday.active(at(2025, 6, day, 23, 59, 59)) is active


@pytest.mark.parametrize(
    ("hour", "minute", "second", "active"),
    [
        (9, 59, 59, False),
        (10, 0, 0, True),  # the start is included
        (13, 30, 0, True),
        (17, 59, 59, True),
        (18, 0, 0, False),  # the end is not
        (18, 0, 1, False),
    ],
)
def test_hours_include_their_start_and_exclude_their_end(
    hour: int, minute: int, second: int, active: bool
) -> None:
    shop_hours = schedule({"hours": ["10:00-18:00"]})
    assert shop_hours.active(at(2025, 6, 4, hour, minute, second)) is active


@pytest.mark.parametrize(
    ("hour", "minute", "second", "active"),
    [
        (21, 59, 59, False),
        (22, 0, 0, True),
        (23, 59, 0, True),
        (23, 59, 59, True),  # up to midnight
    ],
)
def test_an_end_of_24_00_runs_to_midnight(
    hour: int, minute: int, second: int, active: bool
) -> None:
    for raw in ({"hours": ["22:00-24:00"]}, {"hours": ["22:00-24"]}):
        assert schedule(raw).active(at(2025, 6, 4, hour, minute, second)) is active
    # ... and not into the next day
    assert not schedule({"hours": ["22:00-24:00"]}).active(at(2025, 6, 5, 0, 0))


@pytest.mark.parametrize(
    ("moment", "active"),
    [
        (at(2025, 6, 7, 10, 0), True),  # Saturday in range, in hours
        (at(2025, 6, 7, 9, 59), False),  # ... before the hours
        (at(2025, 6, 7, 14, 30), True),  # ... in the second range of hours
        (at(2025, 6, 7, 13, 0), False),  # ... at lunch
        (at(2025, 6, 6, 10, 0), False),  # Friday: not a chosen weekday
        (at(2025, 5, 31, 10, 0), False),  # Saturday before the range
        (at(2025, 6, 14, 10, 0), True),  # the last Saturday of the range
        (at(2025, 6, 21, 10, 0), False),  # a Saturday after it
    ],
)
def test_a_window_requires_dates_weekdays_and_hours_together(moment: float, active: bool) -> None:
    fair = schedule(
        {
            "from": "2025-06-01",
            "until": "2025-06-15",
            "weekdays": ["sat"],
            "hours": ["10:00-13:00", "14:00-18:00"],
        }
    )
    assert fair.active(moment) is active


@pytest.mark.parametrize(
    ("moment", "active"),
    [
        (at(2025, 6, 7, 12, 0), True),  # Saturday: the first window
        (at(2025, 6, 4, 19, 0), True),  # Wednesday evening: the second window
        (at(2025, 6, 4, 12, 0), False),  # Wednesday noon: neither
    ],
)
def test_a_schedule_is_active_when_any_window_is(moment: float, active: bool) -> None:
    two = schedule({"windows": [{"weekdays": ["sat"]}, {"hours": ["18:00-20:00"]}]})
    assert two.active(moment) is active


def test_a_window_without_restrictions_is_always_active() -> None:
    always = schedule({})
    assert all(always.active(at(2025, 1, d, h)) for d in range(1, 29) for h in (0, 12, 23))


def test_one_window_may_be_written_without_the_windows_list() -> None:
    short = schedule({"timezone": "UTC", "weekdays": ["sat"], "hours": ["10:00-12:00"]})
    long = schedule(
        {"timezone": "UTC", "windows": [{"weekdays": ["sat"], "hours": ["10:00-12:00"]}]}
    )
    assert short == long


# -- time zones -----------------------------------------------------------------------------


def test_the_default_time_zone_is_berlin() -> None:
    assert DEFAULT_TIMEZONE == "Europe/Berlin"
    assert schedule({"weekdays": ["sat"]}).timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("moment", "berlin", "utc"),
    [
        # Saturday 23:30 in Berlin in winter (CET) is Saturday 22:30 UTC.
        (at(2025, 1, 11, 23, 30), True, False),
        (at(2025, 1, 11, 22, 30, zone=UTC), True, False),  # the same moment
        # In summer (CEST) Saturday 23:30 in Berlin is Saturday 21:30 UTC.
        (at(2025, 7, 12, 23, 30), True, False),
        # Saturday 23:30 UTC is already Sunday 00:30 in Berlin in winter.
        (at(2025, 1, 11, 23, 30, zone=UTC), False, True),
        # ... and Sunday 01:30 in summer.
        (at(2025, 7, 12, 23, 30, zone=UTC), False, True),
    ],
)
def test_the_hours_and_weekday_are_read_in_the_schedules_time_zone(
    moment: float, berlin: bool, utc: bool
) -> None:
    late_saturday = {"weekdays": ["sat"], "hours": ["23:00-24:00"]}
    assert schedule(late_saturday).active(moment) is berlin
    assert schedule({**late_saturday, "timezone": "Europe/Berlin"}).active(moment) is berlin
    assert schedule({**late_saturday, "timezone": "UTC"}).active(moment) is utc


@pytest.mark.parametrize(
    ("utc_hour", "winter", "summer"),
    [
        (10, False, True),  # 11:00 CET / 12:00 CEST
        (11, True, False),  # 12:00 CET / 13:00 CEST
    ],
)
def test_local_hours_follow_summer_and_winter_time(
    utc_hour: int, winter: bool, summer: bool
) -> None:
    noon = schedule({"hours": ["12:00-13:00"]})
    assert noon.active(at(2025, 1, 15, utc_hour, 30, zone=UTC)) is winter
    assert noon.active(at(2025, 7, 15, utc_hour, 30, zone=UTC)) is summer


def test_a_date_range_ends_at_local_midnight_not_at_utc_midnight() -> None:
    one_day = schedule({"from": "2025-06-01", "until": "2025-06-01"})
    # 22:30 UTC on 1 June is already 00:30 on 2 June in Berlin (CEST, UTC+2).
    assert not one_day.active(at(2025, 6, 1, 22, 30, zone=UTC))
    # 22:30 UTC on 31 May is 00:30 on 1 June in Berlin.
    assert one_day.active(at(2025, 5, 31, 22, 30, zone=UTC))


# -- invalid schedules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field", "mentions"),
    [
        pytest.param("sat", "schedule", None, id="not an object"),
        pytest.param({"from": "2025-02-30"}, "schedule.from", "2025-02-30", id="bad date"),
        pytest.param({"until": "soon"}, "schedule.until", "soon", id="bad until"),
        pytest.param(
            {"from": "2025-06-10", "until": "2025-06-09"},
            "schedule.until",
            "2025-06-09",
            id="until before from",
        ),
        pytest.param(
            {"weekdays": ["sat", "caturday"]}, "schedule.weekdays[1]", "caturday", id="bad weekday"
        ),
        pytest.param({"weekdays": [6]}, "schedule.weekdays[0]", "6", id="weekday number"),
        pytest.param({"weekdays": "sat"}, "schedule.weekdays", None, id="weekdays not a list"),
        pytest.param(
            {"hours": ["18:00-10:00"]}, "schedule.hours[0]", "18:00-10:00", id="hours backwards"
        ),
        pytest.param(
            {"hours": ["10:00-12:00", "12:00-12:00"]},
            "schedule.hours[1]",
            "12:00-12:00",
            id="empty hours",
        ),
        pytest.param({"hours": ["10:00"]}, "schedule.hours[0]", "10:00", id="hours without end"),
        pytest.param({"hours": ["10-late"]}, "schedule.hours[0]", "10-late", id="hours not times"),
        pytest.param({"hours": ["25:00-26:00"]}, "schedule.hours[0]", "25:00", id="hour 25"),
        pytest.param({"hours": "10:00-18:00"}, "schedule.hours", None, id="hours not a list"),
        pytest.param(
            {"timezone": "Mars/Olympus_Mons", "weekdays": ["sat"]},
            "schedule.timezone",
            "Mars/Olympus_Mons",
            id="unknown time zone",
        ),
        pytest.param(
            {"timezone": "../../etc/passwd"}, "schedule.timezone", None, id="time zone path"
        ),
        pytest.param({"windows": []}, "schedule.windows", None, id="empty windows list"),
        pytest.param(
            {"windows": {"weekdays": ["sat"]}}, "schedule.windows", None, id="windows map"
        ),
        pytest.param(
            {"windows": [{"weekdays": ["sat"]}, "sun"]},
            "schedule.windows[1]",
            None,
            id="window not an object",
        ),
        pytest.param(
            {"windows": [{"days": ["sat"]}]},
            "schedule.windows[0].days",
            None,
            id="unknown window key",
        ),
        pytest.param(
            {"windows": [{"weekdays": ["sat"]}], "weekdays": ["sun"]},
            "schedule.weekdays",
            None,
            id="window key beside windows",
        ),
        pytest.param({"days": ["sat"]}, "schedule.days", None, id="unknown key"),
        pytest.param(
            {"windows": [{}, {"hours": ["9:00-8:00"]}]},
            "schedule.windows[1].hours[0]",
            "9:00-8:00",
            id="bad hours in the second window",
        ),
    ],
)
def test_an_invalid_schedule_is_rejected_naming_the_field(
    raw: Any, field: str, mentions: str | None
) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_schedule("schedule", raw)
    assert caught.value.field == field
    if mentions is not None:
        assert mentions in caught.value.reason


def test_a_weekday_range_is_not_read_as_its_first_day() -> None:
    # A coordinator writing "mon-fri" means five days; taking the first three letters
    # silently turns it into Mondays only.
    with pytest.raises(ValidationError) as caught:
        parse_schedule("schedule", {"weekdays": ["mon-fri"]})
    assert caught.value.field == "schedule.weekdays[0]"


@pytest.mark.parametrize(
    "hours",
    [
        "10:00+01:00-18:00",  # an offset on the start only
        "10:00-18:00+01:00",  # ... on the end only
        "10:00+01:00-18:00+01:00",  # ... on both: parses, then fails on every evaluation
    ],
)
def test_hours_with_a_utc_offset_are_rejected(hours: str) -> None:
    # The schedule's time zone decides; an offset in the hours would make the
    # times "aware", and comparing them with the naive local clock raises TypeError.
    with pytest.raises(ValidationError) as caught:
        parse_schedule("schedule", {"hours": [hours]})
    assert caught.value.field == "schedule.hours[0]"


# -- as_dict --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        {"timezone": "UTC", "windows": [{"weekdays": ["sat", "sun"]}]},
        {
            "timezone": "Europe/Berlin",
            "windows": [
                {"from": "2025-06-01", "until": "2025-06-15", "hours": ["10:00-13:00"]},
                {"weekdays": ["mon"], "hours": ["08:30-09:45"]},
            ],
        },
        {"timezone": "Europe/Berlin", "windows": [{"hours": ["20:00-24:00"]}]},
    ],
    ids=["weekend", "fair", "until midnight"],
)
def test_as_dict_gives_a_document_that_parses_back_to_the_same_schedule(
    raw: dict[str, Any],
) -> None:
    parsed = parse_schedule("schedule", raw)
    assert parse_schedule("schedule", parsed.as_dict()) == parsed
