"""The render cache: what the hot path made once and serves again, least recently used out first.

Each entry belongs to one theme (a shared plan part, a plan, a block as JSON
or as the iframe page, an API block), so a change to a theme drops only that
theme's entries (``invalidate_theme``) and the rest of the network keeps its
warm entries.  The cache is bounded by its number of entries
(``WIDGET_RENDER_CACHE_SIZE``): when it is full the entry used longest ago goes.

Beside it, ``ready`` holds whole ``/w/`` responses (web/ready.py) by request
key, at most as many as the entries: a ready response may only be sent while
everything it was made from is unchanged, so any invalidation empties it, and
a copy for a new snapshot starts without it.  Its order is the order kept
(``keep_ready`` moves a key to the end), the oldest goes first; a hot URL is
kept again every bucket, so that is close to least-recently-used at no cost
per hit.

A change makes a new snapshot whose cache is ``without(themes)``: it shares
the entries with the cache it came from (no copy: at 10,000 entries a copy
held the event loop for each write) and drops those of the changed themes,
so a change costs what it changed.  The older snapshot may still be finishing
a request; its cache is then *behind* on the changed themes (a newer cache
changed them since) and neither reads nor keeps their entries, so an entry
made from the old data is never served by the new snapshot, nor the other
way round.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Hashable
from typing import Any

DEFAULT_SIZE = 10_000  # entries; at 2–4 kB a block or page, 20–40 MB


class _Changes:
    """What the caches sharing one set of entries know of the changes made since: how
    many, and each changed theme's latest generation (that count at its last change)."""

    __slots__ = ("count", "latest")

    def __init__(self) -> None:
        self.count = 0
        self.latest: dict[int, int] = {}


class RenderCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError(f"a render cache holds at least one entry, not {size}")
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._by_theme: dict[int, set[Hashable]] = {}
        self.ready: dict[Hashable, Any] = {}  # read directly by the hot path
        self._changes = _Changes()  # shared with the caches ``without`` makes from this one
        self._generation: dict[int, int] = {}  # this cache's generation of each changed theme
        self._behind: frozenset[int] = frozenset()  # themes a newer cache changed
        self._checked = 0  # the changes counted when ``_behind`` was worked out

    def _recheck(self) -> None:
        """Which themes a newer cache changed since this one was made (rare: only a
        cache that is no longer the newest gets here, once per change)."""
        latest, mine = self._changes.latest, self._generation
        self._behind = frozenset(t for t, g in latest.items() if mine.get(t, 0) != g)
        self._checked = self._changes.count

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Any:
        """The value kept under ``key``, or None; a hit makes it the most recently used."""
        found = self._entries.get(key)
        if found is None:
            return None
        if self._checked != self._changes.count:
            self._recheck()
        if self._behind and found[0] in self._behind:
            return None  # made from a newer snapshot's data
        self._entries.move_to_end(key)
        return found[1]

    def put(self, theme_id: int, key: Hashable, value: Any) -> Any:
        """Keep ``value`` under ``key`` as part of ``theme_id``; returns ``value``."""
        if self._checked != self._changes.count:
            self._recheck()
        if theme_id in self._behind:
            return value  # made from data a newer snapshot has changed: not kept
        entries = self._entries
        old = entries.pop(key, None)
        if old is not None and old[0] != theme_id:
            self._forget(old[0], key)
        entries[key] = (theme_id, value)
        self._by_theme.setdefault(theme_id, set()).add(key)
        while len(entries) > self.size:
            gone, (theme, _) = entries.popitem(last=False)
            self._forget(theme, gone)
        return value

    def keep_ready(self, key: Hashable, response: Any) -> None:
        """Keep a whole response under its request key; the oldest goes when full."""
        ready = self.ready
        ready.pop(key, None)
        ready[key] = response
        if len(ready) > self.size:
            del ready[next(iter(ready))]

    def invalidate_theme(self, theme_id: int) -> int:
        """Drop every entry of ``theme_id`` (its rules, pool or members changed); how many.
        The ready responses all go: they are not filed by theme."""
        self.ready.clear()
        keys = self._by_theme.pop(theme_id, set())
        for key in keys:
            del self._entries[key]
        return len(keys)

    def without(self, themes: Collection[int]) -> RenderCache:
        """The cache of a snapshot that changes only ``themes``: it shares this one's
        entries but those of ``themes``, which are dropped, and starts without ready
        responses; this one (the old snapshot may still serve) is behind on ``themes``
        from now on.  Costs the entries of ``themes``, not the cache's size."""
        copy = RenderCache.__new__(RenderCache)
        copy.size = self.size
        copy._entries, copy._by_theme = self._entries, self._by_theme
        copy.ready = {}
        copy._changes = changes = self._changes
        if self._checked != changes.count:
            self._recheck()
        themes = set(themes)
        changes.count += 1
        generation = changes.count
        copy._generation = {**self._generation, **dict.fromkeys(themes, generation)}
        changes.latest.update(dict.fromkeys(themes, generation))
        copy._behind = self._behind - themes
        copy._checked = generation
        for theme_id in themes:
            for key in self._by_theme.pop(theme_id, ()):
                del self._entries[key]
        return copy

    def clear(self) -> None:
        self.ready.clear()
        self._entries.clear()
        self._by_theme.clear()

    def _forget(self, theme_id: int, key: Hashable) -> None:
        keys = self._by_theme.get(theme_id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_theme[theme_id]
