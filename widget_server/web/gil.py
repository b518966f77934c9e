"""The interpreter's switch interval while an app serves.

A worker thread computing in Python (a ledger install, a large write's rebuild)
keeps the GIL from the event loop for up to the switch interval at each
hand-over, and a request takes several: at CPython's 5 ms, answers of 19-33 ms
during an install at 100,000 members, 16-24 ms at 1 ms (bench/README.md,
session 13).  The app's lifespan calls ``switch_in`` and ``switch_out``.

A long call into C keeps the GIL whatever the interval: ``core/sorting.py``
sorts a long list a part at a time.
"""

from __future__ import annotations

import sys

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
