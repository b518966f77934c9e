"""core/dates.py: the one format of an offer's days and an event's time, as tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from widget_server.core.dates import day_text, days_text, event_text, moment_text

BERLIN = "Europe/Berlin"
T = "\u2009"  # CLDR's thin space round the dash of a range


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "lang", "shown"),
    [
        (date(2027, 3, 13), "de", "Sa., 13. März 2027"),
        (date(2027, 3, 13), "en", "Sat, 13 March 2027"),
        (date(2027, 12, 1), "de", "Mi., 1. Dezember 2027"),
        (date(2027, 12, 1), "en", "Wed, 1 December 2027"),
        (date(2027, 3, 13), "fr", "Sa., 13. März 2027"),  # unknown languages read German
    ],
)
def test_a_day(day: date, lang: str, shown: str) -> None:
    assert day_text(day, lang) == shown


@pytest.mark.parametrize(
    ("first", "last", "lang", "shown"),
    [
        # one day: the day once
        (date(2027, 3, 13), date(2027, 3, 13), "de", "Sa., 13. März 2027"),
        # one month: the month and year once
        (date(2027, 3, 13), date(2027, 3, 15), "de", f"Sa., 13.{T}–{T}Mo., 15. März 2027"),
        (date(2027, 3, 13), date(2027, 3, 15), "en", f"Sat, 13{T}Mar –{T}Mon, 15 Mar 2027"),
        # months apart, years apart
        (date(2027, 1, 10), date(2027, 2, 28), "de", f"So., 10. Jan.{T}–{T}So., 28. Feb. 2027"),
        (
            date(2027, 12, 30),
            date(2028, 1, 2),
            "de",
            f"Do., 30. Dez. 2027{T}–{T}So., 2. Jan. 2028",
        ),
        (date(2027, 12, 30), date(2028, 1, 2), "en", f"Thu, 30 Dec 2027{T}–{T}Sun, 2 Jan 2028"),
        # open-ended
        (date(2027, 3, 13), None, "de", "ab Sa., 13. März 2027"),
        (date(2027, 3, 13), None, "en", "from Sat, 13 March 2027"),
        (None, date(2027, 3, 15), "de", "bis Mo., 15. März 2027"),
        (None, date(2027, 3, 15), "en", "until Mon, 15 March 2027"),
        (None, None, "de", ""),
    ],
)
def test_an_offers_days(first: date | None, last: date | None, lang: str, shown: str) -> None:
    assert days_text(first, last, lang) == shown


@pytest.mark.parametrize(
    ("start", "end", "lang", "shown"),
    [
        # one day (winter time, UTC+1): the date once, the hours as a range
        (utc(2027, 3, 13, 9), utc(2027, 3, 13, 17), "de", "Sa., 13. März 2027, 10:00–18:00 Uhr"),
        (utc(2027, 3, 13, 9), utc(2027, 3, 13, 17), "en", "Sat, 13 March 2027, 10:00–18:00"),
        # summer time (UTC+2)
        (utc(2027, 7, 3, 8), utc(2027, 7, 3, 16, 30), "de", "Sa., 3. Juli 2027, 10:00–18:30 Uhr"),
        # the night the clocks go forward (28 March 2027, 02:00 → 03:00): still one day
        (utc(2027, 3, 28, 0), utc(2027, 3, 28, 2), "de", "So., 28. März 2027, 01:00–04:00 Uhr"),
        # the night they go back (31 October 2027): the local hours the visitor reads
        (
            utc(2027, 10, 30, 23),
            utc(2027, 10, 31, 3),
            "de",
            "So., 31. Oktober 2027, 01:00–04:00 Uhr",
        ),
        # a late evening until midnight is that day's evening
        (utc(2027, 3, 13, 17), utc(2027, 3, 13, 23), "de", "Sa., 13. März 2027, 18:00–24:00 Uhr"),
        (utc(2027, 3, 13, 17), utc(2027, 3, 13, 23), "en", "Sat, 13 March 2027, 18:00–24:00"),
        # several days: each end with its day and time
        (
            utc(2027, 3, 13, 9),
            utc(2027, 3, 14, 16),
            "de",
            "Sa., 13. März 2027, 10:00 Uhr – So., 14. März 2027, 17:00 Uhr",
        ),
        (
            utc(2027, 3, 13, 9),
            utc(2027, 3, 14, 16),
            "en",
            "Sat, 13 March 2027, 10:00 – Sun, 14 March 2027, 17:00",
        ),
        # a day in UTC that is two in Berlin
        (
            utc(2027, 3, 13, 22, 30),
            utc(2027, 3, 13, 23, 30),
            "de",
            "Sa., 13. März 2027, 23:30 Uhr – So., 14. März 2027, 00:30 Uhr",
        ),
        # no end: the start alone
        (utc(2027, 3, 13, 9), None, "de", "Sa., 13. März 2027, 10:00 Uhr"),
    ],
)
def test_an_events_time(start: datetime, end: datetime | None, lang: str, shown: str) -> None:
    assert event_text(start, end, BERLIN, lang) == shown


def test_the_same_moment_reads_the_same_from_any_offset() -> None:
    berlin_summer = timezone(timedelta(hours=2))
    start = datetime(2027, 7, 3, 10, tzinfo=berlin_summer)
    assert event_text(start, start + timedelta(hours=2), BERLIN, "de") == event_text(
        start.astimezone(UTC), (start + timedelta(hours=2)).astimezone(UTC), BERLIN, "de"
    )
    assert moment_text(start, ZoneInfo(BERLIN), "en") == ("Sat, 3 July 2027, 10:00")


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        event_text(datetime(2027, 3, 13, 10), None, BERLIN, "de")
