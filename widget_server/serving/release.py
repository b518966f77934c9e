"""Letting go of a whole network without holding the event loop (``core/freeing.py``).

At 100,000 members a replaced snapshot is some two million objects (60-300
ms), the rows of a full load that the network does not keep (a membership
becomes a tuple) some 400,000 (30-70 ms); both are handed to ``release`` in a
worker thread instead of being dropped on the event loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from widget_server.core.freeing import held, release
from widget_server.serving.indexed import Network
from widget_server.storage import NetworkData

# held and release are the general tools, here beside the network's own parts.
__all__ = ["held", "index", "network_parts", "release"]


def network_parts(network: Network) -> list[Mapping[Any, Any]]:
    """The large mappings of ``network`` (members, placements, memberships, ...)."""
    return [
        network.members.records,  # not the members: reading one makes a ``Member``
        network.placements,
        network.memberships,
        network.member_themes,
        network.themes,
        network.rules,
    ]


def index(box: list[NetworkData]) -> Network:
    """The network of the full load in ``box`` (taken out of it: the caller keeps no
    reference); the rows it does not keep are freed here, a slice at a time.  For a
    worker thread."""
    data = box.pop()
    network = Network.of(data)
    rows = held(
        [
            data.themes,
            data.members,
            data.memberships,
            data.joined,
            data.placements,
            data.placement_rows,
            data.rule_sets,
        ]
    )
    del data  # frees the tuples only: each row is still in `rows`
    release(rows)
    return network
