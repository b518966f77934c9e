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
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Hashable
from typing import Any

DEFAULT_SIZE = 10_000  # entries; at 2–4 kB a block or page, 20–40 MB
PARTS_PER_THEME = 16  # a theme's parts kept (displays, base URLs); the first kept goes first


class RenderCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError(f"a render cache holds at least one entry, not {size}")
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._by_theme: dict[int, set[Hashable]] = {}
        self.ready: dict[Hashable, Any] = {}  # read directly by the hot path
        # Small parts every block of a theme is made from (serving/fragments.py, page.py),
        # beside the entries: the theme's first sights must not push them out.
        self._parts: dict[int, dict[Hashable, Any]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Any:
        """The value kept under ``key``, or None; a hit makes it the most recently used."""
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[1]

    def put(self, theme_id: int, key: Hashable, value: Any) -> Any:
        """Keep ``value`` under ``key`` as part of ``theme_id``; returns ``value``."""
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

    def part(self, theme_id: int, key: Hashable) -> Any:
        """A part kept for ``theme_id`` under ``key``, or None."""
        parts = self._parts.get(theme_id)
        return None if parts is None else parts.get(key)

    def keep_part(self, theme_id: int, key: Hashable, value: Any) -> Any:
        """Keep a part every block of ``theme_id`` may use (a block's frame, a page's
        head): not in the entries' order, so blocks never push it out, and at most
        ``PARTS_PER_THEME`` per theme; dropped with the theme's entries.  Returns it."""
        parts = self._parts.setdefault(theme_id, {})
        parts.pop(key, None)
        parts[key] = value
        if len(parts) > PARTS_PER_THEME:
            del parts[next(iter(parts))]
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
        self._parts.pop(theme_id, None)
        keys = self._by_theme.pop(theme_id, set())
        for key in keys:
            del self._entries[key]
        return len(keys)

    def without(self, themes: Collection[int]) -> RenderCache:
        """A copy holding every entry but those of ``themes``, in the same order: what a
        snapshot that changes only ``themes`` takes over (the old one may still serve)."""
        copy = RenderCache(self.size)
        themes = set(themes)
        gone = {key for t in themes for key in self._by_theme.get(t, ())}
        copy._entries = OrderedDict(
            (key, entry) for key, entry in self._entries.items() if key not in gone
        )
        copy._by_theme = {t: set(keys) for t, keys in self._by_theme.items() if t not in themes}
        copy._parts = {t: dict(p) for t, p in self._parts.items() if t not in themes}
        return copy

    def clear(self) -> None:
        self.ready.clear()
        self._parts.clear()
        self._entries.clear()
        self._by_theme.clear()

    def _forget(self, theme_id: int, key: Hashable) -> None:
        keys = self._by_theme.get(theme_id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_theme[theme_id]
