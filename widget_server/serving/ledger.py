"""The ledger job: the deployment's fairness ledger, kept in the database per theme.

One computation reads what does not grow with the history: each theme's base
(the closed days, decayed), the sums of yesterday and today, and on the first
computation of a day the sums of the day that closed and of the day that left
the window.  A theme is rebuilt from its rows only when it has no base yet or
its half-life (or the window) changed.  It publishes a new version of a theme
only when the theme's figures or last-served days changed, and prunes versions
older than ``RETENTION_DAYS`` (the replay's reach).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from widget_server.network.rules import theme_rules
from widget_server.rotation.ledger import (
    Base,
    Figures,
    base_from_days,
    current_figures,
    roll_base,
    theme_document,
    window_days,
)
from widget_server.storage import NetworkData, Storage
from widget_server.storage.base import LedgerUpdate
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


async def compute_ledger_update(storage: Storage, now: float, data: NetworkData) -> LedgerUpdate:
    """The ledger as of ``now`` for every theme of ``data``, as one update to store."""
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
    digests = await storage.ledger_digests()
    documents = {}
    yesterday = today - timedelta(days=1)
    for theme_id, base in bases.items():
        figures = current_figures(
            base, await sums.of(yesterday, theme_id), await sums.of(today, theme_id)
        )
        document = theme_document(figures, served.get(theme_id, {}), today)
        if digests.get(theme_id) != digest(document):
            documents[theme_id] = document
    return LedgerUpdate(changed, documents, keep_since=now - RETENTION_DAYS * DAY)
