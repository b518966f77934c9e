"""The fair-exchange ledger: decayed exposure given and received, from daily aggregates.

No visitor data goes in: only the daily ``viewed`` sums (day, theme, host,
partner, exposure).  :func:`compute_ledger` is the definition: as of day D,
a row of day d weighs 2^-((D - d) / H) and rows older than the window (eight
of the longest half-life, at least 112 days) are left out.

A running deployment keeps the same figures incrementally, so the cost of a
computation does not grow with the history (docs/rotation.md, "The ledger in
the database"): a per-theme **base** holds the closed days (D - window up to
D - 2) as of D; once a day it rolls forward by one day (:func:`roll_base`:
decay it by a day, add the day that closed, drop the day that left the
window), and every computation adds yesterday's and today's sums to it
(:func:`current_figures`).  Each theme's published figures are a small JSON
document (:func:`theme_document`); its first version of a day is stored whole
(a checkpoint), later ones as what changed (:func:`delta_document`), so the
history kept for the replay grows with what changes, not with the theme.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from widget_server.core.models import CounterRow
from widget_server.rotation.fairness import HALF_LIVES_KEPT, decay
from widget_server.rotation.packed import PackedDays, PackedFigures

Figures = Mapping[int, tuple[float, float]]  # member -> (given, received)
Ledger = Mapping[int, Figures]  # theme -> member -> (given, received)

# Sums this small are what is left of rows that decayed and left the window
# (floating-point remainders of adding and later subtracting them): zero.
NEGLIGIBLE = 1e-9
MIN_HALF_LIFE_WINDOW = 14.0  # days: the window is at least 8 x 14 = 112 days


def window_days(longest_half_life: float) -> int:
    """How many days before today the ledger reaches back (for every theme alike)."""
    return math.ceil(HALF_LIVES_KEPT * max(longest_half_life, MIN_HALF_LIFE_WINDOW))


def window_start(today: date, half_life_days: float) -> date:
    return today - timedelta(days=math.ceil(HALF_LIVES_KEPT * half_life_days))


def compute_ledger(
    rows: Iterable[CounterRow], today: date, half_life_days: Mapping[int, float]
) -> dict[int, dict[int, tuple[float, float]]]:
    """Decayed (given, received) exposure per theme and member, as of ``today``.

    A row of day D weighs 2^-((today - D) / H); today's own counts weigh 1.
    The caller chooses the rows of the window.
    """
    given: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    received: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        if row.kind != "viewed" or row.day > today:
            continue
        weight = decay((today - row.day).days, half_life_days.get(row.theme_id, 14.0))
        given[row.theme_id][row.host_id] += row.exposure * weight
        received[row.theme_id][row.partner_id] += row.exposure * weight
    ledger: dict[int, dict[int, tuple[float, float]]] = {}
    for theme_id in set(given) | set(received):
        members = set(given[theme_id]) | set(received[theme_id])
        ledger[theme_id] = {
            m: (given[theme_id].get(m, 0.0), received[theme_id].get(m, 0.0)) for m in members
        }
    return ledger


def day_sums(rows: Iterable[CounterRow]) -> dict[int, dict[int, tuple[float, float]]]:
    """Per theme and member the (given, received) exposure of the ``viewed`` rows, undecayed."""
    out: dict[int, dict[int, tuple[float, float]]] = defaultdict(dict)
    for row in rows:
        if row.kind != "viewed":
            continue
        members = out[row.theme_id]
        g, r = members.get(row.host_id, (0.0, 0.0))
        members[row.host_id] = (g + row.exposure, r)
        g, r = members.get(row.partner_id, (0.0, 0.0))
        members[row.partner_id] = (g, r + row.exposure)
    return dict(out)


def _add(
    into: dict[int, tuple[float, float]], figures: Figures | None, weight: float
) -> dict[int, tuple[float, float]]:
    for m, (g, r) in (figures or {}).items():
        og, orr = into.get(m, (0.0, 0.0))
        into[m] = (og + g * weight, orr + r * weight)
    return into


def _cleaned(figures: Mapping[int, tuple[float, float]]) -> dict[int, tuple[float, float]]:
    return {
        m: (g if g > NEGLIGIBLE else 0.0, r if r > NEGLIGIBLE else 0.0)
        for m, (g, r) in figures.items()
        if g > NEGLIGIBLE or r > NEGLIGIBLE
    }


@dataclass(frozen=True)
class Base:
    """A theme's closed days as of ``day``: the days ``day - window`` .. ``day - 2``."""

    day: date
    half_life_days: float
    window: int
    figures: Figures = field(default_factory=dict)


def base_from_days(
    days: Mapping[date, Figures], day: date, half_life_days: float, window: int
) -> Base:
    """A theme's base computed from scratch from its daily sums (day -> member -> sums)."""
    first, last = day - timedelta(days=window), day - timedelta(days=2)
    figures: dict[int, tuple[float, float]] = {}
    for d in sorted(days):
        if first <= d <= last:
            _add(figures, days[d], decay((day - d).days, half_life_days))
    return Base(day, half_life_days, window, _cleaned(figures))


def base_from_rows(
    rows: Iterable[CounterRow], day: date, half_life_days: float, window: int
) -> Base:
    """A theme's base computed from scratch from its counter rows."""
    by_day: dict[date, list[CounterRow]] = defaultdict(list)
    for row in rows:
        by_day[row.day].append(row)
    days = {d: next(iter(day_sums(r).values()), {}) for d, r in by_day.items()}
    return base_from_days(days, day, half_life_days, window)


def roll_base(base: Base, closed: Figures | None, leaving: Figures | None) -> Base:
    """The base one day later: decayed by a day, with the day that closed (``base.day - 1``)
    added and the day that left the window (``base.day - window``) taken out."""
    h, w = base.half_life_days, base.window
    rolled = _add({}, base.figures, decay(1, h))
    _add(rolled, closed, decay(2, h))
    _add(rolled, leaving, -decay(w + 1, h))
    return Base(base.day + timedelta(days=1), h, w, _cleaned(rolled))


def current_figures(base: Base, yesterday: Figures | None, today: Figures | None) -> Figures:
    """The ledger as of ``base.day``: the closed days plus yesterday's and today's sums."""
    return _cleaned(_add(closed_figures(base, yesterday), today, 1.0))


def closed_figures(base: Base, yesterday: Figures | None) -> dict[int, tuple[float, float]]:
    """The closed days plus yesterday's sums: the part of the ledger fixed for a whole day.

    Whoever computes the ledger many times a day (the simulator) keeps this and
    adds each moment's sums with :func:`with_today`; the figures are exactly
    :func:`current_figures`'.
    """
    return _add(dict(base.figures), yesterday, decay(1, base.half_life_days))


def with_today(closed: Figures, today: Figures | None) -> Figures:
    """The ledger from :func:`closed_figures` and today's sums (``closed`` is not changed)."""
    figures = dict(closed)
    nothing = (0.0, 0.0)
    for m, (g, r) in (today or {}).items():
        og, orr = figures.get(m, nothing)
        figures[m] = (og + g, orr + r)  # today's weight is 1: x * 1.0 is x, bit for bit
    return _cleaned(figures)


# -- the published figures of one theme ------------------------------------------------------

DOCUMENT_FORMAT = 2


@dataclass(frozen=True)
class ThemeLedger:
    """One published version of a theme's ledger, as every process installs it (read
    from the database: its figures and days as columns, ``rotation/packed.py``)."""

    version: int
    computed_at: float  # unix seconds; ages (the newcomer grant) are taken at this moment
    day: date
    figures: Figures = field(default_factory=dict)
    served: Mapping[int, date] = field(default_factory=dict)  # host -> last day served


def theme_document(figures: Figures, served: Mapping[int, date], day: date) -> str:
    """A theme's figures and last-served days as JSON (floats round-trip exactly)."""
    return json.dumps(
        {
            "format": DOCUMENT_FORMAT,
            "day": day.isoformat(),
            "members": [[m, *figures[m]] for m in sorted(figures)],
            "served": [[h, served[h].isoformat()] for h in sorted(served)],
        },
        separators=(",", ":"),
    )


def read_theme_document(version: int, computed_at: float, text: str) -> ThemeLedger:
    """The ``ThemeLedger`` of a stored document; ``ValueError`` if unreadable."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != DOCUMENT_FORMAT:
            raise ValueError("unknown ledger document format")
        figures = PackedFigures.from_rows(data["members"])
        served = PackedDays.from_rows(data["served"])
        return ThemeLedger(version, computed_at, date.fromisoformat(data["day"]), figures, served)
    except (KeyError, TypeError, AttributeError, OverflowError, json.JSONDecodeError) as exc:
        raise ValueError(f"unreadable ledger document: {exc}") from exc


# -- later versions of a day: what changed ---------------------------------------------------

Stored = tuple[int, float, str]  # (version, computed_at, document) of one stored version


def delta_document(
    previous: ThemeLedger, figures: Figures, served: Mapping[int, date], day: date
) -> str:
    """What changed from ``previous`` to these figures: the members whose figures differ
    (exactly: what is applied is what was computed), those gone, likewise the hosts'
    last-served days."""
    # As dicts, whatever the installed version holds (one lookup a member below).
    before, last = dict(previous.figures.items()), dict(previous.served.items())
    moved = [h for h in sorted(served) if last.get(h) != served[h]]
    return json.dumps(
        {
            "format": DOCUMENT_FORMAT,
            "after": previous.version,
            "day": day.isoformat(),
            "members": [[m, *figures[m]] for m in sorted(figures) if before.get(m) != figures[m]],
            "gone": sorted(m for m in before if m not in figures),
            "served": [[h, served[h].isoformat()] for h in moved],
            "unserved": sorted(h for h in last if h not in served),
        },
        separators=(",", ":"),
    )


def apply_delta(ledger: ThemeLedger, version: int, computed_at: float, text: str) -> ThemeLedger:
    """The version a delta document makes of ``ledger`` (the version it was written
    after); ``ValueError`` if it is unreadable or follows another version."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != DOCUMENT_FORMAT:
            raise ValueError("unknown ledger document format")
        if data["after"] != ledger.version:
            raise ValueError(f"delta follows version {data['after']}, not {ledger.version}")
        figures = dict(ledger.figures.items())
        for m in data["gone"]:
            figures.pop(int(m), None)
        figures.update({int(m): (float(g), float(r)) for m, g, r in data["members"]})
        served = dict(ledger.served.items())
        for h in data["unserved"]:
            served.pop(int(h), None)
        served.update({int(h): date.fromisoformat(d) for h, d in data["served"]})
        return ThemeLedger(
            version,
            computed_at,
            date.fromisoformat(data["day"]),
            PackedFigures.of(figures),
            PackedDays.of(served),
        )
    except (KeyError, TypeError, AttributeError, OverflowError, json.JSONDecodeError) as exc:
        raise ValueError(f"unreadable ledger delta: {exc}") from exc


def read_theme_chain(
    checkpoint: Stored | None, deltas: Sequence[Stored], onto: ThemeLedger | None = None
) -> ThemeLedger:
    """A theme's ledger from its checkpoint (or ``onto``, a version already read) and the
    deltas after it, oldest first; ``ValueError`` if a document is unreadable or missing."""
    if checkpoint is not None:
        onto = read_theme_document(*checkpoint)
    if onto is None:
        raise ValueError("ledger delta without the version it follows")
    for version, computed_at, text in deltas:
        onto = apply_delta(onto, version, computed_at, text)
    return onto
