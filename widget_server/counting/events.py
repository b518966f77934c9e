"""Counting served, viewed and clicked blocks: honestly, privately, in memory first.

Privacy by construction (docs/privacy.md):

* no cookie, no localStorage, no fingerprinting; a visitor is recognised for
  one day only, by ``BLAKE2b(daily salt, IP, user agent, host)``; only such
  salted hashes reach the shared visitor state (``visitors.py``), and salts
  are random per day and forgotten after two days, so no stored key can be
  linked to an address or across days;
* bots (by user agent) are not counted;
* views need a one-time, short-lived view token from a served block and an
  ``Origin``/``Referer`` on one of the host member's domains; clicks count only
  after a credited view of the same block by the same visitor;
* per-address limits (per minute in each process, per day across all of
  them) stop a member inflating its own figures.

Counts are added up in a :class:`CounterBuffer` and written by ``flush`` in one
transaction per interval (and on shutdown).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources

from widget_server.core.models import CounterKind, CounterRow
from widget_server.rotation.fairness import exposure

DAY = 86_400
BLOCK = 0  # partner id of the row that counts whole block views of a host


def day_of(timestamp: float) -> date:
    return datetime.fromtimestamp(timestamp, UTC).date()


def _load_bot_patterns() -> tuple[str, ...]:
    text = (resources.files("widget_server") / "data" / "bots.txt").read_text("utf-8")
    return tuple(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


BOT_PATTERNS = _load_bot_patterns()
_BOTS = re.compile("|".join(re.escape(p) for p in BOT_PATTERNS))


@functools.lru_cache(maxsize=4096)  # the same few user agents over and over; the hot path asks
def is_bot(user_agent: str) -> bool:
    """Known crawlers, monitors, link previews and automation, or no user agent at all."""
    ua = user_agent.lower()
    return not ua.strip() or _BOTS.search(ua) is not None


HEADLESS = re.compile(r"headlesschrome/", re.IGNORECASE)


def is_bot_in_demo(user_agent: str) -> bool:
    """``is_bot`` for the demo network only: a headless Chromium is a visitor there.

    Someone trying the demo through a headless browser (or our browser tests)
    should see the network at work; every other automation stays a bot, and a
    real deployment never uses this.
    """
    return is_bot(HEADLESS.sub("Chrome/", user_agent))


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (fixed windows, in memory)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._counts: dict[bytes, tuple[int, int]] = {}

    def allow(self, key: bytes, now: float) -> bool:
        slot = int(now // self.window)
        current, count = self._counts.get(key, (slot, 0))
        if current != slot:
            count = 0
            if len(self._counts) > 100_000:  # drop old windows wholesale
                self._counts = {k: v for k, v in self._counts.items() if v[0] == slot}
        if count >= self.limit:
            self._counts[key] = (slot, count)
            return False
        self._counts[key] = (slot, count + 1)
        return True


CounterKey = tuple[date, int, int, int, CounterKind]


class CounterBuffer:
    """Counts waiting to be written: (day, theme, host, partner, kind) -> [count, exposure]."""

    def __init__(self) -> None:
        self._rows: dict[CounterKey, list[float]] = {}

    def add(self, key: CounterKey, count: int = 1, weight: float = 0.0) -> None:
        row = self._rows.get(key)
        if row is None:
            self._rows[key] = [count, weight]
        else:
            row[0] += count
            row[1] += weight

    def __len__(self) -> int:
        return len(self._rows)

    def drain(self) -> list[CounterRow]:
        rows, self._rows = self._rows, {}
        return [
            CounterRow(day, theme, host, partner, kind, int(v[0]), v[1])
            for (day, theme, host, partner, kind), v in rows.items()
        ]

    def restore(self, rows: Iterable[CounterRow]) -> None:
        """Put back rows a failed flush could not write, so nothing is lost."""
        for r in rows:
            self.add((r.day, r.theme_id, r.host_id, r.partner_id, r.kind), r.count, r.exposure)


@dataclass(frozen=True)
class ViewedSlot:
    partner_id: int
    position: int
    # Its share of the position's exposure in the fairness ledger: 0 none (pinned slots
    # may not count), 1 whole, n one n-th (a joint slot's n receivers, serving/slots.py).
    counts: int


def credit_view(
    buffer: CounterBuffer, day: date, theme_id: int, host_id: int, slots: Iterable[ViewedSlot]
) -> int:
    """Count one credited view of a block; returns the number of partner rows touched."""
    n = 0
    for slot in slots:
        weight = exposure(slot.position) / slot.counts if slot.counts else 0.0
        buffer.add((day, theme_id, host_id, slot.partner_id, "viewed"), 1, weight)
        n += 1
    buffer.add((day, theme_id, host_id, BLOCK, "viewed"), 1, 0.0)
    return n
