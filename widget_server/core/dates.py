"""Days and times as people read them: one format for every page, mail and feed.

An offer's days and an event's time are shown in the admin, the portal, the
public pages, mails and the demo; they all call these functions, so a reader
sees the same "Sa., 14. März 2027, 10:00–18:00 Uhr" everywhere.  Babel's
CLDR data does the work (``format_date``, ``format_interval``), in the
network's time zone, in German or (British) English with a 24-hour clock:

- a day: ``Sa., 14. März 2027`` / ``Sat, 14 March 2027``;
- days: ``Sa., 13. – Mo., 15. März 2027`` (what both ends share is said once);
  without an end ``ab Sa., 13. März 2027``, without a start ``bis ...``;
- an event on one day: its day once, then ``10:00–18:00 Uhr``; one that ends
  at midnight is still that day's evening (``18:00–24:00 Uhr``);
- an event over several days: each end with its day and time.

Times are aware datetimes (UTC in storage); naive ones are refused, because
a time without a zone would be shown as if it were the network's.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_interval, format_skeleton

from widget_server.core.i18n import translator

# Babel locales: English as in Britain (day before month, 24-hour clock), as the
# theme page's Open Graph locale says.
LOCALES = {"de": "de_DE", "en": "en_GB"}
DAY = "yMMMMEd"  # CLDR skeleton: weekday, day, month in full, year
CLOCK = "Hm"  # 24-hour clock, minutes
# What follows a time of day where CLDR's own interval pattern does not add it.
AFTER_TIME = {"de": " Uhr", "en": ""}


def _locale(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["de"])


def day_text(day: date, lang: str) -> str:
    """``Sa., 14. März 2027`` / ``Sat, 14 March 2027``."""
    return format_skeleton(DAY, day, locale=_locale(lang))


def days_text(first: date | None, last: date | None, lang: str) -> str:
    """An offer's days, both inclusive; either end may be open (``None``)."""
    t = translator(lang)
    if first is None and last is None:
        return ""
    if last is None:
        assert first is not None
        return t.gettext("from %(day)s", day=day_text(first, lang))
    if first is None:
        return t.gettext("until %(day)s", day=day_text(last, lang))
    if first == last:
        return day_text(first, lang)
    return format_interval(first, last, DAY, locale=_locale(lang))


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone")
    return moment.astimezone(zone)


def clock_text(moment: datetime, zone: ZoneInfo, lang: str) -> str:
    """``10:00 Uhr`` / ``10:00``: a time of day in the network's zone."""
    shown = format_skeleton(CLOCK, _local(moment, zone), locale=_locale(lang))
    return shown + AFTER_TIME.get(lang, "")


def moment_text(moment: datetime, zone: ZoneInfo, lang: str) -> str:
    """``Sa., 14. März 2027, 10:00 Uhr``: one moment with its day."""
    local = _local(moment, zone)
    return f"{day_text(local.date(), lang)}, {clock_text(local, zone, lang)}"


def event_text(start: datetime, end: datetime | None, zone: ZoneInfo | str, lang: str) -> str:
    """An event's time: its day once when it starts and ends on one day (in ``zone``)."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    first = _local(start, tz)
    if end is None:
        return moment_text(first, tz, lang)
    last = _local(end, tz)
    day = first.date()
    if last.date() == day:
        hours = format_interval(first.time(), last.time(), CLOCK, locale=_locale(lang))
        return f"{day_text(day, lang)}, {hours}"
    if (
        last.date() == day + timedelta(days=1)
        and last.time() == time(0)
        and first.time() != time(0)
    ):
        # Until midnight: the evening of the first day, not a second day.
        hours = format_interval(first.time(), time(23, 59), CLOCK, locale=_locale(lang))
        return f"{day_text(day, lang)}, {hours.replace('23:59', '24:00')}"
    return f"{moment_text(first, tz, lang)} – {moment_text(last, tz, lang)}"
