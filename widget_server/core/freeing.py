"""Letting go of large structures without holding the event loop.

When the last reference to a large structure goes, CPython frees everything
under it at once, in the thread that dropped it, in one piece the interpreter
never interrupts: no other thread runs meanwhile.  Dropped on the event loop,
the rows of a read of 200,000 memberships are 30-40 ms of it, the figures of
a ledger computation 70-100 ms (at 100,000 members), and a replaced snapshot
more.

``held(...)`` takes a reference to each of the many small objects under a
structure (the values of its large mappings, the rows of its sequences) into
one list before the structure goes; dropping the structure then frees only
its containers, and ``release(list)`` frees the objects a slice at a time, in
a worker thread, between slices of which the event loop gets the GIL.  It never changes the
structure: whatever else still refers to one of the objects keeps it, and
freeing it is then only a count going down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SLICE = 200  # objects freed per step: a pool frees some 500 under it, a member a few


def held(parts: Iterable[Mapping[Any, Any] | Iterable[Any]]) -> list[object]:
    """A reference to every value of each mapping and every item of each other part."""
    found: list[object] = []
    for part in parts:
        found.extend(part.values() if isinstance(part, Mapping) else part)
    return found


def release(objects: list[Any]) -> None:
    """Empty ``objects`` a slice at a time (in a worker thread: the GIL can pass to the
    event loop between two slices)."""
    while objects:
        del objects[-SLICE:]
