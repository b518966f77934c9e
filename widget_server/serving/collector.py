"""Keeping the cyclic collector's passes off the event loop while a lot is made at once.

A pass of generation *n* walks every tracked object of generations 0..n, in
whichever thread allocated past the threshold, holding the GIL: the event
loop waits for it even when a worker thread pays.  Two kinds of work made
passes of 50-400 ms at 100,000 members:

* a full load makes the network's million objects (each pass walks all made
  so far);
* a bulk import keeps its request's rows, checked members and written rows
  alive for seconds, and every fourth of them promoted to the oldest
  generation starts a full pass over all of them (the network itself is
  frozen, so they are most of what the collector sees).

Both are acyclic data freed by reference counting, so they run with the
collector ``paused()``.  What a serving process keeps of a full load is then
frozen (``gc.freeze``, serving/holder.py) before the collector is back on;
otherwise the million objects would be the young generation its next pass
walks.  Cycles other code makes meanwhile wait for the collector's return.

A third kind made a young generation of 70,000-90,000 objects with no pass
at all: a full render cache.  Each first sight keeps a new block (a handful
of tracked objects) and frees the oldest one.  The collector counts
allocations *less deallocations* of tracked objects, old ones included, so
the count stays near zero while every new block waits in the youngest
generation, until an allocation elsewhere tips it: then a pass walked all of
them (20-42 ms, often in a ledger install's worker thread or the database
driver's), and one of the next generation followed (17-26 ms).  ``replaced()``
counts what such a cache replaces and passes over the young generations
every ``YOUNG_EVERY`` of them, as the collector would have.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG_EVERY = 64  # entries replaced in a full cache between two passes over the young

_pauses = 0  # pauses in progress (a full load and a bulk import may overlap)
_replaced = 0  # entries replaced since the last pass ``replaced()`` made
_freeze = False  # one of them asked for what survives to be frozen at the end


@contextlib.contextmanager
def paused(*, freeze: bool = False) -> Iterator[None]:
    """No cyclic collection inside; nested and overlapping uses (two holders of one
    process, as in tests; a reload during a bulk import) turn it on after the last.

    ``freeze`` (a serving process): what is alive when the last pause ends, whoever
    made it meanwhile (a ledger computation in a worker thread, requests), is frozen
    before the collector is back on: else it is all the young generation, and the
    first pass walks it (300 ms seen after a bulk import).  Cycles made during the
    pause are frozen with it and never collected: a pause is a rare, bounded event.
    """
    global _pauses, _freeze
    if _pauses == 0 and not gc.isenabled():
        yield  # turned off by someone else: theirs to turn back on
        return
    _pauses += 1
    _freeze = _freeze or freeze
    gc.disable()
    try:
        yield
    finally:
        _pauses -= 1
        if _pauses == 0:
            if _freeze:
                gc.freeze()
            _freeze = False
            gc.enable()


def replaced() -> None:
    """A full cache freed an old entry for a new one: every ``YOUNG_EVERY`` of them, a
    pass over the youngest generation (the next one too when it is due, as in the
    collector's own schedule; the oldest is left to the collector and its rule of a
    quarter grown).  A pass then walks some hundreds of objects, not tens of
    thousands.  Nothing while the collector is off (``paused``, or by someone else)."""
    global _replaced
    _replaced += 1
    if _replaced < YOUNG_EVERY:
        return
    _replaced = 0
    if not gc.isenabled():
        return
    generation = 1 if gc.get_count()[1] >= gc.get_threshold()[1] else 0
    gc.collect(generation)
