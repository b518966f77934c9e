"""The in-memory snapshot that the widget hot path reads instead of the database.

A :class:`Snapshot` is an immutable, indexed copy of the network.  The
:class:`SnapshotHolder` replaces it when the storage's data version changes:
at once after a write made through this process (``refresh()``), and every
``interval`` seconds for writes made by other processes (the CLI, other
workers).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .models import Member, Placement, RuleSet, Theme
from .rotation import Candidate
from .storage import NetworkData, Storage

log = logging.getLogger(__name__)

# Entries kept in a snapshot's render cache before it is emptied; each entry
# is one rendered block (a few hundred bytes).
CACHE_LIMIT = 20_000


@dataclass(frozen=True)
class Snapshot:
    version: int
    themes: Mapping[int, Theme]
    themes_by_slug: Mapping[str, Theme]
    members: Mapping[int, Member]
    placements: Mapping[int, Placement]
    candidates: Mapping[int, tuple[Candidate, ...]]  # theme id -> eligible members
    active_members: Mapping[int, tuple[Member, ...]]  # theme id -> for the directory page
    rule_sets: Mapping[int, RuleSet]
    # Rendered blocks of this version, keyed by whatever the renderer needs.
    # Emptied wholesale when full; a new snapshot starts with an empty one.
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def empty(cls) -> Snapshot:
        return cls.from_network(NetworkData(0, (), (), (), (), ()))

    @classmethod
    def from_network(cls, data: NetworkData) -> Snapshot:
        members = {m.id: m for m in data.members}
        active_ids: dict[int, list[int]] = {t.id: [] for t in data.themes}
        for ms in data.memberships:
            member = members.get(ms.member_id)
            if ms.status == "active" and member is not None and member.status == "active":
                active_ids.setdefault(ms.theme_id, []).append(ms.member_id)
        active = {
            theme_id: tuple(sorted((members[i] for i in ids), key=lambda m: m.name.casefold()))
            for theme_id, ids in active_ids.items()
        }
        return cls(
            version=data.version,
            themes={t.id: t for t in data.themes},
            themes_by_slug={t.slug: t for t in data.themes},
            members=members,
            placements={p.id: p for p in data.placements},
            candidates={
                theme_id: tuple(Candidate(m.id, m.category) for m in sorted(ms, key=lambda m: m.id))
                for theme_id, ms in active.items()
            },
            active_members=active,
            rule_sets={r.theme_id: r for r in data.rule_sets},
        )

    def cached(self, key: Any) -> Any:
        return self.cache.get(key)

    def remember(self, key: Any, value: Any) -> Any:
        if len(self.cache) >= CACHE_LIMIT:
            self.cache.clear()
        self.cache[key] = value
        return value


class SnapshotHolder:
    """Holds the current snapshot and keeps it in step with the storage."""

    def __init__(self, storage: Storage, interval: float) -> None:
        self._storage = storage
        self._interval = interval
        self._lock = asyncio.Lock()
        self.current = Snapshot.empty()

    async def refresh(self) -> bool:
        """Reload if the data version moved; True when a new snapshot was installed."""
        async with self._lock:
            version = await self._storage.data_version()
            if version == self.current.version:
                return False
            data = await self._storage.load_network()
            self.current = Snapshot.from_network(data)
            log.info("snapshot loaded", extra={"version": data.version})
            return True

    async def run(self) -> None:
        """Poll for changes by other processes until cancelled."""
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.refresh()
            except Exception:
                # Keep serving the last good snapshot; the next poll tries again.
                log.exception("snapshot refresh failed")
