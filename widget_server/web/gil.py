"""The interpreter's switch interval while an app serves.

A worker thread computing in Python (a ledger install, a large write's rebuild)
keeps the GIL from the event loop for up to the switch interval at each
hand-over, and a request takes several: at CPython's 5 ms, answers of 19-33 ms
during an install at 100,000 members, 16-24 ms at 1 ms (bench/README.md,
session 13).  The app's lifespan calls ``switch_in`` and ``switch_out``.

A long call into C keeps the GIL whatever the interval: ``sorted_slice`` sorts
a long list a part at a time, for the admin's lists of 100,000 members.
"""

from __future__ import annotations

import heapq
import sys
from itertools import islice
from typing import Any

# Seconds a thread may hold the GIL while another waits for it, while the app serves
# (CPython's default is 5 ms).
SWITCH_INTERVAL = 0.001
_serving = 0  # apps of this process between their start and their end
_interval_before = 0.005


def switch_in() -> None:
    """An app starts: the first one sets ``SWITCH_INTERVAL``."""
    global _serving, _interval_before
    if _serving == 0:
        _interval_before = sys.getswitchinterval()
        sys.setswitchinterval(min(_interval_before, SWITCH_INTERVAL))
    _serving += 1


def switch_out() -> None:
    """An app ends: the last one gives back the interval the first one found, in
    whatever order they end (each giving back its own left the last one's)."""
    global _serving
    _serving -= 1
    if _serving == 0:
        sys.setswitchinterval(_interval_before)


# Items a worker thread sorts in one call of ``list.sort``: the sort runs in C and keeps
# the GIL throughout (100,000 index rows of a network whose names are in no order:
# 280 ms that no request could be answered in); 4,096 take a few milliseconds.
SORT_PART = 4_096


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
