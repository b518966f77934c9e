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

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from widget_server.core.freeing import held, release
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
from widget_server.storage.ledger import digest
from widget_server.storage.records import LedgerHead, LedgerUpdate, Publication

# Published versions are kept this long for `explain --at` (docs/rotation.md).
RETENTION_DAYS = 400
DAY = 86_400


def day_of(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).date()


Days = Mapping[date, Mapping[int, Figures]]  # day -> theme -> member -> (given, received)
# theme -> figures, served, document and its digest
New = dict[int, tuple[Figures, Mapping[int, date], str, str]]


def _stale(base: Base | None, half_life: float, window: int, today: date) -> bool:
    """Whether a theme's stored base must be rebuilt from its daily sums."""
    return (
        base is None
        or base.half_life_days != half_life
        or base.window != window
        or base.day > today
        or (today - base.day).days > window
    )


async def _read_days(
    storage: Storage,
    today: date,
    half_lives: Mapping[int, float],
    window: int,
    stored: Mapping[int, Base],
) -> tuple[Days, Days]:
    """The daily sums the computation needs: today's, yesterday's and those the bases roll
    over (once a day); and, only for themes whose base is rebuilt, their whole window."""
    wanted = {today, today - timedelta(days=1)}
    rebuild = []
    for theme_id, half_life in half_lives.items():
        base = stored.get(theme_id)
        if base is None or _stale(base, half_life, window, today):
            rebuild.append(theme_id)
            continue
        day = base.day
        while day < today:
            wanted |= {day - timedelta(days=1), day - timedelta(days=window)}
            day += timedelta(days=1)
    sums = {day: await storage.day_exposure(day) for day in sorted(wanted)}
    whole: Days = {}
    if rebuild:
        # Only a theme without a base, or whose half-life or window changed, reads the
        # daily sums of its whole window: once, not at every computation.
        only = rebuild[0] if len(rebuild) == 1 else None
        whole = await storage.exposure_days(
            today - timedelta(days=window), today - timedelta(days=2), only
        )
    return sums, whole


def _rolled(
    stored: Mapping[int, Base],
    today: date,
    half_lives: Mapping[int, float],
    window: int,
    sums: Days,
    whole: Days,
) -> tuple[dict[int, Base], dict[int, Base]]:
    """Every theme's base as of ``today``, and those of them that changed (to store)."""
    bases: dict[int, Base] = {}
    changed: dict[int, Base] = {}
    for theme_id, half_life in half_lives.items():
        base = stored.get(theme_id)
        if base is None or _stale(base, half_life, window, today):
            theme_days = {d: themes.get(theme_id, {}) for d, themes in whole.items()}
            bases[theme_id] = changed[theme_id] = base_from_days(
                theme_days, today, half_life, window
            )
            continue
        while base.day < today:
            closed = sums[base.day - timedelta(days=1)].get(theme_id)
            leaving = sums[base.day - timedelta(days=window)].get(theme_id)
            base = roll_base(base, closed, leaving)
            changed[theme_id] = base
        bases[theme_id] = base
    return bases, changed


def _documents(
    bases: Mapping[int, Base],
    sums: Days,
    today: date,
    served: Mapping[int, Mapping[int, date]],
    heads: Mapping[int, LedgerHead],
) -> New:
    """The themes whose figures or last-served days differ from their latest version."""
    new: New = {}
    yesterday = today - timedelta(days=1)
    for theme_id, base in bases.items():
        figures = current_figures(base, sums[yesterday].get(theme_id), sums[today].get(theme_id))
        theme_served = served.get(theme_id, {})
        document = theme_document(figures, theme_served, today)
        head = heads.get(theme_id)
        hashed = digest(document)
        if head is None or head.digest != hashed:
            new[theme_id] = (figures, theme_served, document, hashed)
    return new


def _publications(
    new: New, previous: Mapping[int, ThemeLedger], heads: Mapping[int, LedgerHead], today: date
) -> dict[int, Publication]:
    """Each changed theme's version to store: whole as the day's first, else a delta."""
    documents = {}
    for theme_id, (figures, served, document, hashed) in new.items():
        before = previous.get(theme_id)
        if before is None or before.day != today:
            documents[theme_id] = Publication(hashed, document)
        else:
            delta = delta_document(before, figures, served, today)
            documents[theme_id] = Publication(hashed, delta, heads[theme_id].checkpoint)
    return documents


async def compute_ledger_update(
    storage: Storage,
    now: float,
    data: NetworkData,
    installed: Mapping[int, ThemeLedger] | None = None,
) -> LedgerUpdate:
    """The ledger as of ``now`` for every theme of ``data``, as one update to store.

    ``installed``: the versions this process holds (theme -> ledger), the ones a
    delta is computed against when they are the latest stored.  The reads run on
    the event loop (the driver waits off it); the arithmetic and the documents run
    in a worker thread, so a serving process keeps answering meanwhile.
    """
    today = day_of(now)
    rule_sets = {r.theme_id: r for r in data.rule_sets}
    half_lives = {
        t.id: theme_rules(rule_sets.get(t.id)).fairness.half_life_days for t in data.themes
    }
    window = window_days(max(half_lives.values(), default=14.0))
    stored = await storage.ledger_bases()
    sums, whole = await _read_days(storage, today, half_lives, window, stored)
    served = await storage.served_days()
    heads = await storage.ledger_heads()

    bases, changed = await asyncio.to_thread(
        _rolled, stored, today, half_lives, window, sums, whole
    )
    new = await asyncio.to_thread(_documents, bases, sums, today, served, heads)
    previous = await _previous(storage, heads, new, installed or {})
    documents = await asyncio.to_thread(_publications, new, previous, heads, today)
    # What was read and made (a membership each, several times over) is freed in a
    # worker thread, a theme at a time, not where it goes: on the event loop, 70-100 ms
    # at 100,000 members (core/freeing.py).  The installed versions are not freed.
    objects = held([stored, bases, served, new, *sums.values(), *whole.values()])
    del stored, bases, served, new, sums, whole, previous
    await asyncio.to_thread(release, objects)
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
    wanted = {
        t: version
        for t, version in (stored.themes if stored else {}).items()
        if t in themes and t not in found and version.version == heads[t].version
    }

    def read() -> None:
        for t, version in wanted.items():
            # Unreadable: the theme's next version is a new checkpoint.
            with contextlib.suppress(ValueError):
                found[t] = version.read()

    await asyncio.to_thread(read)
    return found
