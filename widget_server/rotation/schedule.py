"""Schedule windows: dates, weekdays and hours in a time zone.

A schedule is active when any of its windows contains the moment.  A window
restricts by date range (inclusive), weekdays and hours of the day (end
exclusive); a part that is left out does not restrict.  Pure: the moment is
passed in as a Unix timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from widget_server.core.errors import ValidationError

DEFAULT_TIMEZONE = "Europe/Berlin"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Window:
    start: date | None = None  # inclusive
    until: date | None = None  # inclusive
    weekdays: frozenset[int] = frozenset()  # 0 = Monday; empty = every day
    hours: tuple[tuple[time, time], ...] = ()  # [from, to) local time; empty = all day

    def contains(self, moment: datetime) -> bool:
        day = moment.date()
        if self.start is not None and day < self.start:
            return False
        if self.until is not None and day > self.until:
            return False
        if self.weekdays and moment.weekday() not in self.weekdays:
            return False
        if not self.hours:
            return True
        clock = moment.time().replace(tzinfo=None)
        return any(begin <= clock < end for begin, end in self.hours)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.start:
            out["from"] = self.start.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        if self.weekdays:
            out["weekdays"] = [WEEKDAYS[d] for d in sorted(self.weekdays)]
        if self.hours:
            out["hours"] = [f"{b:%H:%M}-{_end_text(e)}" for b, e in self.hours]
        return out


@dataclass(frozen=True)
class Schedule:
    windows: tuple[Window, ...]
    timezone: str = DEFAULT_TIMEZONE

    def active(self, timestamp: float) -> bool:
        moment = datetime.fromtimestamp(timestamp, ZoneInfo(self.timezone))
        return any(w.contains(moment) for w in self.windows)

    def as_dict(self) -> dict[str, Any]:
        return {"timezone": self.timezone, "windows": [w.as_dict() for w in self.windows]}


END_OF_DAY = time(23, 59, 59, 999999)
WEEKDAY_NAMES = {name: i for i, name in enumerate(WEEKDAYS)} | {
    name: i
    for i, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}


def _end_text(end: time) -> str:
    return "24:00" if end == END_OF_DAY else f"{end:%H:%M}"


def _clock(text: str) -> time:
    value = time.fromisoformat(text.strip())
    if value.tzinfo is not None:  # local time of the schedule's time zone only
        raise ValueError(text)
    return value


def _date(path: str, value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(path, f"{value!r} is not a date (YYYY-MM-DD)") from None


def _hours(path: str, value: Any) -> tuple[time, time]:
    text = str(value)
    begin_text, sep, end_text = text.partition("-")
    try:
        if not sep:
            raise ValueError(text)
        begin = _clock(begin_text)
        end = END_OF_DAY if end_text.strip() in ("24:00", "24") else _clock(end_text)
    except ValueError:
        raise ValidationError(
            path, f"{value!r} is not a range of hours like '10:00-18:00'"
        ) from None
    if not begin < end:
        raise ValidationError(path, f"{value!r} ends before it begins")
    return begin, end


def parse_window(path: str, raw: Any) -> Window:
    if not isinstance(raw, dict):
        raise ValidationError(path, "must be an object with from, until, weekdays or hours")
    unknown = set(raw) - {"from", "until", "weekdays", "hours"}
    if unknown:
        raise ValidationError(f"{path}.{sorted(unknown)[0]}", "is not a window field")
    start = _date(f"{path}.from", raw["from"]) if raw.get("from") is not None else None
    until = _date(f"{path}.until", raw["until"]) if raw.get("until") is not None else None
    if start and until and until < start:
        raise ValidationError(f"{path}.until", f"{until} is before {start}")
    days = raw.get("weekdays") or []
    if not isinstance(days, list):
        raise ValidationError(f"{path}.weekdays", "must be a list such as [sat, sun]")
    weekdays = set()
    for i, day in enumerate(days):
        number = WEEKDAY_NAMES.get(str(day).strip().lower())
        if number is None:
            raise ValidationError(
                f"{path}.weekdays[{i}]",
                f"{day!r} is not a weekday (mon ... sun; list each day, e.g. [mon, tue, wed])",
            )
        weekdays.add(number)
    hours = raw.get("hours") or []
    if not isinstance(hours, list):
        raise ValidationError(f"{path}.hours", "must be a list such as ['10:00-18:00']")
    return Window(
        start=start,
        until=until,
        weekdays=frozenset(weekdays),
        hours=tuple(_hours(f"{path}.hours[{i}]", h) for i, h in enumerate(hours)),
    )


def parse_schedule(path: str, raw: Any) -> Schedule:
    """``{timezone?, windows: [...]}``, or a single window's fields directly."""
    if not isinstance(raw, dict):
        raise ValidationError(path, "must be an object")
    timezone = str(raw.get("timezone") or DEFAULT_TIMEZONE)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{path}.timezone", f"{timezone!r} is not a time zone") from None
    if "windows" in raw:
        unknown = set(raw) - {"timezone", "windows"}
        if unknown:
            raise ValidationError(f"{path}.{sorted(unknown)[0]}", "is not a schedule field")
        windows = raw["windows"]
        if not isinstance(windows, list) or not windows:
            raise ValidationError(f"{path}.windows", "must be a non-empty list")
        parsed = tuple(parse_window(f"{path}.windows[{i}]", w) for i, w in enumerate(windows))
    else:
        parsed = (parse_window(path, {k: v for k, v in raw.items() if k != "timezone"}),)
    return Schedule(parsed, timezone)
