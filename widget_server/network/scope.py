"""A few themes' part of the network, for the commands that show only those themes.

``simulate THEME`` and ``explain`` build the pools of one or a few themes; at
thousands of themes reading the whole network (``load_network``) costs tens of
seconds, while a theme's part (``Storage.load_theme_network``: the theme, its
members with their memberships in every theme, its placements, the current
rule sets) is a few hundred rows.  Pools built from it are the ones the
snapshot builds for those themes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from widget_server.storage import NetworkData, Storage


def merge(parts: Iterable[NetworkData]) -> NetworkData:
    """Several themes' parts as one, each member, membership and placement once."""
    parts = list(parts)
    members = {m.id: m for part in parts for m in part.members}
    memberships = {(ms.member_id, ms.theme_id): ms for part in parts for ms in part.memberships}
    placements = {p.id: p for part in parts for p in part.placements}
    rule_sets = {r.theme_id: r for part in parts for r in part.rule_sets}
    return NetworkData(
        version=max((part.version for part in parts), default=0),
        themes=tuple(t for part in parts for t in part.themes),
        members=tuple(members[k] for k in sorted(members)),
        memberships=tuple(memberships.values()),
        placements=tuple(placements.values()),
        rule_sets=tuple(rule_sets.values()),
    )


async def load_themes_network(storage: Storage, theme_ids: Iterable[int]) -> NetworkData:
    """The part of the network the given themes' pools are built from."""
    return merge([await storage.load_theme_network(t) for t in dict.fromkeys(theme_ids)])


async def last_served_in(storage: Storage, theme_ids: Iterable[int]) -> dict[tuple[int, int], date]:
    """(theme id, host id) -> the last day served, for the given themes only."""
    found: dict[tuple[int, int], date] = {}
    for theme_id in dict.fromkeys(theme_ids):
        found.update(await storage.last_served(theme_id))
    return found
