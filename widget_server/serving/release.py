"""Letting go of a whole network without holding the event loop.

When the last reference to a large structure goes, CPython frees everything
under it at once, in the thread that dropped it, in one piece the interpreter
never interrupts: no other thread runs meanwhile.  At 100,000 members a
replaced snapshot is some two million objects (60-300 ms), the rows of a full
load that the network does not keep (a membership becomes a tuple) some
400,000 (30-70 ms), and both went where the holder dropped them: on the event
loop.

``held(...)`` takes a reference to each of the many small objects under a
structure (the values of its large mappings, the rows of its sequences) into
one list before the structure goes; dropping the structure then frees only
its containers, and ``release(list)`` frees the objects a slice at a time, in
a worker thread, between slices of which the event loop gets the GIL.  It
never changes the structure: whatever else still refers to one of the
objects keeps it, and freeing it is then only a count going down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from widget_server.serving.indexed import Network
from widget_server.storage import NetworkData

SLICE = 200  # objects freed per step: a pool frees some 500 under it, a member a few


def held(parts: Iterable[Mapping[Any, Any] | Iterable[Any]]) -> list[object]:
    """A reference to every value of each mapping and every item of each other part."""
    found: list[object] = []
    for part in parts:
        found.extend(part.values() if isinstance(part, Mapping) else part)
    return found


def network_parts(network: Network) -> list[Mapping[Any, Any]]:
    """The large mappings of ``network`` (members, placements, memberships, ...)."""
    return [
        network.members,
        network.placements,
        network.memberships,
        network.member_themes,
        network.themes,
        network.rules,
    ]


def release(objects: list[Any]) -> None:
    """Empty ``objects`` a slice at a time (in a worker thread: the GIL can pass to the
    event loop between two slices)."""
    while objects:
        del objects[-SLICE:]


def index(box: list[NetworkData]) -> Network:
    """The network of the full load in ``box`` (taken out of it: the caller keeps no
    reference); the rows it does not keep are freed here, a slice at a time.  For a
    worker thread."""
    data = box.pop()
    network = Network.of(data)
    rows = held([data.themes, data.members, data.memberships, data.placements, data.rule_sets])
    del data  # frees the tuples only: each row is still in `rows`
    release(rows)
    return network
