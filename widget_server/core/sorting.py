"""Sorting a long list in a worker thread without holding the GIL for long.

``list.sort`` runs in C and keeps the GIL until it is done, whatever the switch
interval (web/gil.py): one sort of 100,000 rows in no particular order held it
for 280 ms, in which the event loop answered no widget request (the admin's
member list did so once; the database sorts it now).  ``sorted_slice`` sorts a
part at a time and merges the parts in Python, where the GIL passes between
steps; the daily mail check sorts with it.
"""

from __future__ import annotations

import heapq
from itertools import islice
from typing import Any

# Items sorted in one call of ``list.sort``, which keeps the GIL throughout: 1,024 rows
# of short tuples take about 1 ms on a slow machine (4,096 took 6-8 ms there).
SORT_PART = 1_024


def sorted_slice(items: list[Any], start: int, stop: int) -> list[Any]:
    """``sorted(items)[start:stop]`` for a worker thread, without holding the GIL for
    long: ``items`` (reordered in place) is sorted ``SORT_PART`` at a time, and the
    parts are merged in Python (the loop gets the GIL between its steps) only as far
    as ``stop``.  Items that compare equal keep their order, as ``sorted`` keeps it."""
    if len(items) <= SORT_PART:
        items.sort()
        return items[start:stop]
    parts = [_sorted_part(items[i : i + SORT_PART]) for i in range(0, len(items), SORT_PART)]
    return list(islice(heapq.merge(*parts), start, stop))


def _sorted_part(part: list[Any]) -> list[Any]:
    part.sort()
    return part
