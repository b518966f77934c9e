"""The ledger job: the deployment's fairness ledger, kept in the database per theme.

One computation reads what does not grow with the history: each theme's base
(the closed days, decayed), the sums of yesterday and today, and on the first
computation of a day the sums of the day that closed and of the day that left
the window.  A theme is rebuilt from its rows only when it has no base yet or
its half-life (or the window) changed.  It publishes a new version of a theme
only when the theme's figures or last-served days changed, and prunes versions
older than ``RETENTION_DAYS`` (the replay's reach).

A theme's first version of a day is stored whole (a checkpoint); a later one
that day only as the members and hosts that changed against the version
before it (exactly: no threshold, what is served is what is stored), so
under steady traffic the stored history grows with the members counted, not
with the theme's size.  The version before is the one the computing process
has installed, else read from the database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from widget_server.network.rules import theme_rules
from widget_server.rotation.ledger import (
    Base,
    Figures,
    ThemeLedger,
    base_from_days,
    current_figures,
    delta_document,
    roll_base,
    theme_document,
    window_days,
)
from widget_server.storage import NetworkData, Storage
from widget_server.storage.base import LedgerHead, LedgerUpdate, Publication
from widget_server.storage.ledger import digest

# Published versions are kept this long for `explain --at` (docs/rotation.md).
RETENTION_DAYS = 400
DAY = 86_400


def day_of(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).date()


class DaySums:
    """One day's summed exposure per theme and member, read once per computation."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._days: dict[date, dict[int, dict[int, tuple[float, float]]]] = {}

    async def of(self, day: date, theme_id: int) -> Figures:
        if day not in self._days:
            self._days[day] = await self._storage.day_exposure(day)
        return self._days[day].get(theme_id, {})


async def rolled_bases(
    storage: Storage,
    today: date,
    half_lives: Mapping[int, float],
    window: int,
    sums: DaySums,
) -> tuple[dict[int, Base], dict[int, Base]]:
    """Every theme's base as of ``today``, and those of them that changed (to store)."""
    stored = await storage.ledger_bases()
    bases: dict[int, Base] = {}
    changed: dict[int, Base] = {}
    rebuild = []
    for theme_id, half_life in half_lives.items():
        base = stored.get(theme_id)
        if (
            base is None
            or base.half_life_days != half_life
            or base.window != window
            or base.day > today
            or (today - base.day).days > window
        ):
            rebuild.append(theme_id)
            continue
        while base.day < today:
            closed = await sums.of(base.day - timedelta(days=1), theme_id)
            leaving = await sums.of(base.day - timedelta(days=window), theme_id)
            base = roll_base(base, closed, leaving)
            changed[theme_id] = base
        bases[theme_id] = base
    if rebuild:
        # Only a theme without a base, or whose half-life or window changed, reads the
        # daily sums of its whole window: once, not at every computation.
        first = today - timedelta(days=window)
        only = rebuild[0] if len(rebuild) == 1 else None
        days = await storage.exposure_days(first, today - timedelta(days=2), only)
        for theme_id in rebuild:
            theme_days = {d: themes.get(theme_id, {}) for d, themes in days.items()}
            base = base_from_days(theme_days, today, half_lives[theme_id], window)
            bases[theme_id] = changed[theme_id] = base
    return bases, changed


async def compute_ledger_update(
    storage: Storage,
    now: float,
    data: NetworkData,
    installed: Mapping[int, ThemeLedger] | None = None,
) -> LedgerUpdate:
    """The ledger as of ``now`` for every theme of ``data``, as one update to store.

    ``installed``: the versions this process holds (theme -> ledger), the ones a
    delta is computed against when they are the latest stored.
    """
    today = day_of(now)
    rule_sets = {r.theme_id: r for r in data.rule_sets}
    half_lives = {
        t.id: theme_rules(rule_sets.get(t.id)).fairness.half_life_days for t in data.themes
    }
    window = window_days(max(half_lives.values(), default=14.0))
    sums = DaySums(storage)
    bases, changed = await rolled_bases(storage, today, half_lives, window, sums)
    served: dict[int, dict[int, date]] = {}
    for (theme_id, host_id), day in (await storage.last_served()).items():
        served.setdefault(theme_id, {})[host_id] = day
    heads = await storage.ledger_heads()
    new: dict[int, tuple[Figures, dict[int, date], str]] = {}
    yesterday = today - timedelta(days=1)
    for theme_id, base in bases.items():
        figures = current_figures(
            base, await sums.of(yesterday, theme_id), await sums.of(today, theme_id)
        )
        document = theme_document(figures, served.get(theme_id, {}), today)
        head = heads.get(theme_id)
        if head is None or head.digest != digest(document):
            new[theme_id] = (figures, served.get(theme_id, {}), document)
    previous = await _previous(storage, heads, new, installed or {})
    documents = {}
    for theme_id, (figures, theme_served, document) in new.items():
        before = previous.get(theme_id)
        if before is None or before.day != today:
            documents[theme_id] = Publication(digest(document), document)
        else:
            delta = delta_document(before, figures, theme_served, today)
            documents[theme_id] = Publication(digest(document), delta, heads[theme_id].checkpoint)
    return LedgerUpdate(changed, documents, keep_since=now - RETENTION_DAYS * DAY)


async def _previous(
    storage: Storage,
    heads: Mapping[int, LedgerHead],
    themes: Mapping[int, object],
    installed: Mapping[int, ThemeLedger],
) -> dict[int, ThemeLedger]:
    """The latest stored version of each of ``themes`` (that has one), as a delta's
    starting point: the installed one when it is that version, else read (all at once)."""
    found = {
        t: installed[t]
        for t in themes
        if t in heads and t in installed and installed[t].version == heads[t].version
    }
    if all(t in found for t in themes if t in heads):
        return found
    stored = await storage.get_ledger()
    for t, version in (stored.themes if stored else {}).items():
        if t in themes and t not in found and version.version == heads[t].version:
            # Unreadable: the theme's next version is a new checkpoint.
            with contextlib.suppress(ValueError):
                found[t] = version.read()
    return found
