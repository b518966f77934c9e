"""Traffic and events for the simulator, from a file and from ``--event`` arguments.

Formats (docs/rotation.md, section 7, has examples):

* JSON, steady: ``{"scheune": 680, "blumen": 140}`` (block views per day).
* JSON, a scenario: ``{"views": {...}, "days": {"30": {"blumen": 420}},
  "events": [{"day": 10, "kind": "join", "member": "neu"}]}``; ``days`` maps a
  0-based day to the views per day members have from that day on.
* CSV ``member,views`` (steady) or ``day,member,views`` (day 0 is the start;
  a later row changes the member's views from that day on).

Every error names the file, line (or key) and value.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from widget_server.core.errors import ValidationError
from widget_server.counting.scenario import EVENT_KINDS
from widget_server.counting.simulation import parse_traffic, views_value


@dataclass(frozen=True)
class EventSpec:
    day: int
    kind: str
    member: str  # slug
    factor: float = 1.0


@dataclass(frozen=True)
class TrafficPlan:
    views: dict[str, float]  # block views per day from day 0
    schedule: dict[int, dict[str, float]] = field(default_factory=dict)  # day -> changes
    events: tuple[EventSpec, ...] = ()


def _day(where: str, value: Any) -> int:
    text = value.strip() if isinstance(value, str) else value
    try:
        day = int(text)
    except (TypeError, ValueError):
        raise ValidationError(where, f"day {text!r} is not a whole number") from None
    if day < 0 or str(day) != str(text).strip():
        raise ValidationError(where, f"day {text!r} is not a whole number >= 0")
    return day


def parse_event(
    text: str, known: Collection[str] | None = None, where: str = "--event"
) -> EventSpec:
    """``DAY:KIND:MEMBER[:FACTOR]``, e.g. ``30:pause:blumen`` or ``20:traffic:fotos:3``."""
    parts = text.split(":")
    if len(parts) not in (3, 4):
        raise ValidationError(where, f"{text!r} is not DAY:KIND:MEMBER[:FACTOR]")
    return event_spec(
        where, parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else None, known
    )


def event_spec(
    where: str, day: Any, kind: Any, member: Any, factor: Any, known: Collection[str] | None
) -> EventSpec:
    d = _day(where, day)
    if kind not in EVENT_KINDS:
        raise ValidationError(where, f"kind {kind!r} is not one of {', '.join(EVENT_KINDS)}")
    if not isinstance(member, str) or (known is not None and member not in known):
        raise ValidationError(where, f"unknown member {member!r} (not in the themes)")
    if kind == "traffic":
        if factor is None:
            raise ValidationError(where, "a traffic event needs a FACTOR (e.g. 3 for triple)")
        f = views_value(where, member, factor)
        return EventSpec(d, kind, member, f)
    if factor is not None:
        raise ValidationError(where, f"only a traffic event takes a factor, not {kind!r}")
    return EventSpec(d, kind, member)


def _member_views(
    where: str, raw: Any, known: Collection[str] | None, out: dict[str, float]
) -> None:
    if not isinstance(raw, dict):
        raise ValidationError(where, 'must be an object such as {"blumen": 120}')
    for slug, value in raw.items():
        if known is not None and slug not in known:
            raise ValidationError(
                f"{where}: {slug}", f"unknown member {slug!r} (not in the themes)"
            )
        out[slug] = views_value(f"{where}: {slug}", slug, value)


def _scenario_json(raw: dict[str, Any], name: str, known: Collection[str] | None) -> TrafficPlan:
    unknown_keys = sorted(set(raw) - {"views", "days", "events"})
    if unknown_keys:
        raise ValidationError(name, f"unknown key {unknown_keys[0]!r} (views, days, events)")
    views: dict[str, float] = {}
    _member_views(f"{name}: views", raw.get("views", {}), known, views)
    schedule: dict[int, dict[str, float]] = {}
    days = raw.get("days", {})
    if not isinstance(days, dict):
        raise ValidationError(f"{name}: days", 'must be an object such as {"30": {"blumen": 50}}')
    for day, changes in days.items():
        d = _day(f"{name}: days", day)
        _member_views(f"{name}: days: {day}", changes, known, schedule.setdefault(d, {}))
    events = []
    listed = raw.get("events", [])
    if not isinstance(listed, list):
        raise ValidationError(f"{name}: events", "must be a list")
    for n, ev in enumerate(listed):
        where = f"{name}: events[{n}]"
        if not isinstance(ev, dict):
            raise ValidationError(where, "must be an object with day, kind, member")
        args = (ev.get("day"), ev.get("kind"), ev.get("member"), ev.get("factor"))
        events.append(event_spec(where, *args, known))
    return TrafficPlan(views, schedule, tuple(events))


def parse_traffic_plan(text: str, name: str, known: Collection[str] | None = None) -> TrafficPlan:
    """A traffic file in any of the formats of the module docstring."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(name, f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if isinstance(raw, dict) and set(raw) & {"views", "days", "events"}:
            return _scenario_json(raw, name, known)
    header = (
        next(csv.reader(io.StringIO(text)), None) if not stripped.startswith(("{", "[")) else None
    )
    if header is None or [h.strip().lower() for h in header[:3]] != ["day", "member", "views"]:
        return TrafficPlan(parse_traffic(text, name, known))
    reader = csv.reader(io.StringIO(text))
    next(reader)
    views: dict[str, float] = {}
    schedule: dict[int, dict[str, float]] = {}
    for row in reader:
        line = f"{name} line {reader.line_num}"
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 3:
            raise ValidationError(line, f"expected 3 columns (day,member,views), got {len(row)}")
        d, slug = _day(line, row[0]), row[1].strip()
        if known is not None and slug not in known:
            raise ValidationError(line, f"unknown member {slug!r} (not in the themes)")
        target = views if d == 0 else schedule.setdefault(d, {})
        if slug in target:
            raise ValidationError(line, f"member {slug!r} is listed twice for day {d}")
        target[slug] = views_value(line, slug, row[2])
    return TrafficPlan(views, schedule)


def by_id(
    plan: TrafficPlan, ids: Mapping[str, int]
) -> tuple[dict[int, float], dict[int, dict[int, float]]]:
    """The plan's views and schedule keyed by member id."""
    views = {ids[s]: v for s, v in plan.views.items()}
    schedule = {d: {ids[s]: v for s, v in ch.items()} for d, ch in plan.schedule.items()}
    return views, schedule


def load_traffic_plan(path: str | Path, known: Collection[str] | None = None) -> TrafficPlan:
    """Read a traffic file (any format above); ``known`` (member slugs) rejects other slugs."""
    try:
        text = Path(path).read_text("utf-8-sig")  # spreadsheets often write a BOM
    except OSError as exc:
        raise ValueError(f"cannot read traffic file {str(path)!r}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValueError(f"traffic file {str(path)!r} is not UTF-8 text") from None
    return parse_traffic_plan(text, Path(path).name, known)
