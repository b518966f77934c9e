"""The fair-exchange ledger: decayed exposure given and received, from daily aggregates.

No visitor data goes in: only the daily ``viewed`` rows (day, theme, host,
partner, exposure).  The ledger is recomputed from them, so it can be rebuilt
at any time and replayed as of any day.

A running deployment computes it once per interval in one process and stores
it as a JSON document (``ledger_document``); every process installs that.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from widget_server.core.models import CounterRow
from widget_server.rotation.fairness import HALF_LIVES_KEPT, decay

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


DOCUMENT_FORMAT = 1


def ledger_document(
    ledger: Ledger, last_served: Mapping[tuple[int, int], date], today: date
) -> str:
    """The computed ledger and last-served days as JSON (floats round-trip exactly)."""
    return json.dumps(
        {
            "format": DOCUMENT_FORMAT,
            "day": today.isoformat(),
            "themes": {
                str(theme): {str(m): list(pair) for m, pair in members.items()}
                for theme, members in ledger.items()
            },
            "last_served": [[t, h, d.isoformat()] for (t, h), d in sorted(last_served.items())],
        },
        separators=(",", ":"),
    )


def read_ledger_document(
    text: str,
) -> tuple[dict[int, dict[int, tuple[float, float]]], dict[tuple[int, int], date]]:
    """The ledger and last-served days of a ``ledger_document``; ``ValueError`` if unreadable."""
    try:
        data = json.loads(text)
        if data.get("format") != DOCUMENT_FORMAT:
            raise ValueError(f"unknown ledger document format {data.get('format')!r}")
        ledger = {
            int(theme): {int(m): (float(g), float(r)) for m, (g, r) in members.items()}
            for theme, members in data["themes"].items()
        }
        served = {(int(t), int(h)): date.fromisoformat(d) for t, h, d in data["last_served"]}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"unreadable ledger document: {exc}") from exc
    return ledger, served
