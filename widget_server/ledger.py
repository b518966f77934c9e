"""The fair-exchange ledger: decayed exposure given and received, from daily aggregates.

No visitor data goes in: only the daily ``viewed`` rows (day, theme, host,
partner, exposure).  The ledger is recomputed from them, so it can be rebuilt
at any time and replayed as of any day.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from .models import CounterRow
from .rotation.fairness import decay

# Rows older than this many half-lives weigh less than 0.4 % and are not read.
HALF_LIVES_KEPT = 8

Ledger = Mapping[int, Mapping[int, tuple[float, float]]]  # theme -> member -> (given, received)


def window_start(today: date, half_life_days: float) -> date:
    return today - timedelta(days=math.ceil(HALF_LIVES_KEPT * half_life_days))


def compute_ledger(
    rows: Iterable[CounterRow], today: date, half_life_days: Mapping[int, float]
) -> dict[int, dict[int, tuple[float, float]]]:
    """Decayed (given, received) exposure per theme and member, as of ``today``.

    A row of day D weighs 2^-((today - D) / H); today's own counts weigh 1.
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
