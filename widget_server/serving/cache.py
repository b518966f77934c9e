"""The render cache: what the hot path made once and serves again, least recently used out first.

Each entry belongs to one theme (a shared plan part, a plan, a block as JSON
or as the iframe page, an API block), so a change to a theme drops only that
theme's entries (``invalidate_theme``) and the rest of the network keeps its
warm entries.

The cache is bounded by **bytes** (``WIDGET_RENDER_CACHE_MB``): entries differ
a hundredfold (a block of 1-3 kB, a theme's shared plan part with its orders of
the day some 8 kB per 100 members), so a count of entries said little about
the memory they take.  Each entry's size is estimated when it is kept
(``footprint``: a value's own estimate, else its body's length, else 1 kB) and
the entries together take at most two thirds of the budget; when a new one does
not fit, the rendered entry used longest ago goes (a value that estimates its own
size, a plan part, is kept before any rendered one).  The number of entries is
bounded too (``WIDGET_RENDER_CACHE_SIZE``).  Each theme's parts (its shared plan
part, its blocks' frames: ``keep_part``) are kept beside the entries, outside
their order and budget, at most ``PARTS_PER_THEME`` a theme, so the long tail of
first sights never pushes out what every host of a theme is drawn from.

Beside it, ``ready`` holds whole ``/w/`` responses (web/ready.py) by request
key, within the rest of the budget (their bodies and headers counted) and at
most as many as the entries: a ready response may only be sent while
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

from widget_server.serving import collector

DEFAULT_SIZE = 10_000  # entries at most
MB = 1 << 20
DEFAULT_BYTES = 48 * MB  # entries and kept answers together (WIDGET_RENDER_CACHE_MB)
# What an entry costs beyond its value: its key, the entry's tuple, the ordered dict's
# links and the theme's set; a kept answer adds its headers, key and Ready object.
ENTRY_BYTES = 250
READY_BYTES = 700
UNKNOWN_BYTES = 1024  # a value that says nothing of its size (a plan, an API block)


def footprint(value: Any) -> int:
    """About how many bytes ``value`` holds: its own estimate (``footprint()``), else
    its body's length, else ``UNKNOWN_BYTES``."""
    estimate = getattr(value, "footprint", None)
    if callable(estimate):
        return int(estimate())
    return _body_bytes(value)


def _body_bytes(value: Any) -> int:
    """``footprint`` of a value without an estimate of its own: its body's length, else
    ``UNKNOWN_BYTES``."""
    body = getattr(value, "body", None)
    if isinstance(body, (bytes, str)):
        return len(body) + 100
    return UNKNOWN_BYTES


class _Changes:
    """What the caches sharing one set of entries know of the changes made since: how
    many, and each changed theme's latest generation (that count at its last change)."""

    __slots__ = ("count", "latest", "entry_bytes")

    def __init__(self) -> None:
        self.count = 0
        self.latest: dict[int, int] = {}
        self.entry_bytes = 0  # the shared entries' estimated bytes, as kept (footprint)


PARTS_PER_THEME = 16  # a theme's parts kept (displays, base URLs); the first kept goes first


class RenderCache:
    def __init__(self, size: int = DEFAULT_SIZE, max_bytes: int = DEFAULT_BYTES) -> None:
        if size < 1:
            raise ValueError(f"a render cache holds at least one entry, not {size}")
        if max_bytes < 1:
            raise ValueError(f"a render cache holds at least one byte, not {max_bytes}")
        self.size = size
        self.max_bytes = max_bytes
        # Entries take at most two thirds of the bytes, kept answers the rest.
        self._entry_budget = max_bytes * 2 // 3
        self._ready_budget = max_bytes - self._entry_budget
        self.ready_bytes = 0
        self._entries: OrderedDict[Hashable, tuple[int, Any, int]] = OrderedDict()
        # The entries that are not plan parts, least recently used first: they go first.
        self._rendered: OrderedDict[Hashable, None] = OrderedDict()
        self._by_theme: dict[int, set[Hashable]] = {}
        # Read directly by the hot path.  Ordered: a plain dict's oldest entry is found by
        # a walk over the slots its earlier removals left, thousands of them when full.
        self.ready: OrderedDict[Hashable, Any] = OrderedDict()
        # Small parts every block of a theme is made from (serving/fragments.py, page.py),
        # beside the entries: the theme's first sights must not push them out.
        self._parts: dict[int, dict[Hashable, Any]] = {}
        self._changes = _Changes()  # shared with the caches ``without`` makes from this one
        self._generation: dict[int, int] = {}  # this cache's generation of each changed theme
        self._behind: frozenset[int] = frozenset()  # themes a newer cache changed
        self._checked = 0  # the changes counted when ``_behind`` was worked out

    @property
    def entry_bytes(self) -> int:
        """The entries' estimated bytes (shared with the caches sharing the entries)."""
        return self._changes.entry_bytes

    @entry_bytes.setter
    def entry_bytes(self, value: int) -> None:
        self._changes.entry_bytes = value

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
        if key in self._rendered:
            self._rendered.move_to_end(key)
        return found[1]

    def put(self, theme_id: int, key: Hashable, value: Any) -> Any:
        """Keep ``value`` under ``key`` as part of ``theme_id``; returns ``value``.

        While there are too many entries or they take too much, the rendered entry
        used longest ago goes; plan parts (values that estimate their own size, a
        theme's shared part: a pool's worth of work to make again, and one per theme)
        go only when they alone fill the cache, the one used longest ago first.
        """
        changes = self._changes  # its entry_bytes directly: the property costs two calls
        if self._checked != changes.count:
            self._recheck()
        if theme_id in self._behind:
            return value  # made from data a newer snapshot has changed: not kept
        entries, rendered = self._entries, self._rendered
        old = entries.pop(key, None)
        if old is not None:
            changes.entry_bytes -= old[2]
            rendered.pop(key, None)
            if old[0] != theme_id:
                self._forget(old[0], key)
        estimate = getattr(value, "footprint", None)
        if callable(estimate):
            cost = int(estimate()) + ENTRY_BYTES
        else:
            cost = _body_bytes(value) + ENTRY_BYTES
            rendered[key] = None
        entries[key] = (theme_id, value, cost)
        changes.entry_bytes += cost
        keys = self._by_theme.get(theme_id)
        if keys is None:
            keys = self._by_theme[theme_id] = set()
        keys.add(key)
        size, budget = self.size, self._entry_budget
        while len(entries) > size or (changes.entry_bytes > budget and len(entries) > 1):
            if rendered:
                gone, _ = rendered.popitem(last=False)
                theme, _, cost = entries.pop(gone)
            else:
                gone, (theme, _, cost) = entries.popitem(last=False)
            changes.entry_bytes -= cost
            self._forget(theme, gone)
            collector.replaced()  # the collector does not see this churn by itself
        return value

    def part(self, theme_id: int, key: Hashable) -> Any:
        """A part kept for ``theme_id`` under ``key``, or None."""
        if self._checked != self._changes.count:
            self._recheck()
        if theme_id in self._behind:
            return None  # a newer snapshot changed the theme: its parts are not this one's
        parts = self._parts.get(theme_id)
        return None if parts is None else parts.get(key)

    def keep_part(self, theme_id: int, key: Hashable, value: Any) -> Any:
        """Keep a part every block of ``theme_id`` may use (a block's frame, a page's
        head): not in the entries' order, so blocks never push it out, and at most
        ``PARTS_PER_THEME`` per theme; dropped with the theme's entries.  Returns it."""
        if self._checked != self._changes.count:
            self._recheck()
        if theme_id in self._behind:
            return value  # made from data a newer snapshot has changed: not kept
        parts = self._parts.setdefault(theme_id, {})
        parts.pop(key, None)
        parts[key] = value
        if len(parts) > PARTS_PER_THEME:
            del parts[next(iter(parts))]
        return value

    def keep_ready(self, key: Hashable, response: Any) -> None:
        """Keep a whole response under its request key; the oldest go when full."""
        ready = self.ready
        old = ready.pop(key, None)
        if old is not None:
            self.ready_bytes -= footprint(old) + READY_BYTES
        ready[key] = response
        self.ready_bytes += footprint(response) + READY_BYTES
        while len(ready) > self.size or (self.ready_bytes > self._ready_budget and len(ready) > 1):
            _, gone = ready.popitem(last=False)
            self.ready_bytes -= footprint(gone) + READY_BYTES
            collector.replaced()

    def invalidate_theme(self, theme_id: int) -> int:
        """Drop every entry of ``theme_id`` (its rules, pool or members changed); how many.
        The ready responses all go: they are not filed by theme."""
        self.ready.clear()
        self.ready_bytes = 0
        self._parts.pop(theme_id, None)
        keys = self._by_theme.pop(theme_id, set())
        for key in keys:
            self.entry_bytes -= self._entries.pop(key)[2]
            self._rendered.pop(key, None)
        return len(keys)

    def without(self, themes: Collection[int], freed: list[object] | None = None) -> RenderCache:
        """The cache of a snapshot that changes only ``themes``: it shares this one's
        entries but those of ``themes``, which are dropped, and starts without ready
        responses; this one (the old snapshot may still serve) is behind on ``themes``
        from now on.  Costs the entries of ``themes``, not the cache's size.

        ``freed``: the dropped entries and parts go into it, for the caller to free
        off the event loop (``core.freeing.release``).  A ledger install changes
        every theme: freeing a full cache's plans and blocks where they are dropped
        held the loop 44-100 ms at 100,000 members."""
        copy = RenderCache.__new__(RenderCache)
        copy.size, copy.max_bytes = self.size, self.max_bytes
        copy._entry_budget, copy._ready_budget = self._entry_budget, self._ready_budget
        copy._entries, copy._by_theme = self._entries, self._by_theme
        copy._rendered, copy._parts = self._rendered, self._parts
        copy.ready, copy.ready_bytes = OrderedDict(), 0
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
        entries, rendered, by_theme = self._entries, self._rendered, self._by_theme
        keep = freed.append if freed is not None else None
        for theme_id in themes:
            keys = by_theme.pop(theme_id, ())
            for key in keys:
                entry = entries.pop(key)
                changes.entry_bytes -= entry[2]
                rendered.pop(key, None)
                if keep is not None:
                    keep(entry)
            dropped = self._parts.pop(theme_id, None)
            if keep is not None:
                if keys:
                    keep(keys)
                if dropped is not None:
                    keep(dropped)
        return copy

    def clear(self) -> None:
        self.ready.clear()
        self._parts.clear()
        self._entries.clear()
        self._rendered.clear()
        self._by_theme.clear()
        self.entry_bytes = self.ready_bytes = 0

    def _forget(self, theme_id: int, key: Hashable) -> None:
        keys = self._by_theme.get(theme_id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_theme[theme_id]
