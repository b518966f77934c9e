"""The demo network's past: simulated visitors through the real serving and counting code.

``play_history`` walks the clock through the last ``days`` days.  Twice a
simulated day it builds the snapshot the server would hold then (the network
and the fair-exchange ledger computed from what has been counted so far, with
the server's own functions), and each visitor of a member's demo site gets a
block drawn by the real selection (``select_slots``), sends the view beacon
through ``Counting.view`` and sometimes follows a partner link through
``Counting.click``; the intake settles and writes them like a server's flush.
No counter row is written around that code, so every figure the admin and the
portal show is one the product itself counted.

The traffic is uneven on purpose: the bakery and the venue have many more
visitors than the others, so their sites show the others far more often than
the others' small sites can show them back; the charts show them as net
givers, and the rules preview shows why (the bound on what they can receive).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from widget_server.core.signing import Signer
from widget_server.counting.intake import Counting
from widget_server.counting.visitors import MemoryStore
from widget_server.rotation import draw
from widget_server.serving.blocks import host_plan, rotation_at
from widget_server.serving.snapshot import Snapshot, load_ledger
from widget_server.storage import Storage

DAY = 86_400
DAYS = 60
TICKS_PER_DAY = 1  # snapshot and ledger rebuilt, counts flushed, once a simulated day
CLICK_EVERY = 17  # about one visitor in 17 follows a partner link
# Views of the partner block per day on each member's site (over all its themes).
VISITORS_PER_DAY: Mapping[str, int] = {
    "baeckerei-claussen": 40,  # the busiest shop on the market square
    "festscheune-wulfshof": 24,  # the venue every couple looks at first
    "blumenhaus-am-markt": 8,
    "konditorei-rathje": 8,
    "goldschmiede-peters": 6,
    "brautmoden-carstens": 6,
    "fotografie-brandt": 5,
    "modehaus-wittmaack": 6,
    "heider-buecherstube": 5,
    "kuestenkueche-boie": 4,
    "optik-ehlers": 4,
    "feinkost-kroeger": 4,
    "spielkiste-heide": 3,
    "hochzeitsautos-thiessen": 3,
    "haarwerk-heide": 3,
}
DEFAULT_VISITORS = 3
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

Progress = Callable[[int, int], None]  # (days done, days in all)


@dataclass(frozen=True)
class History:
    days: int
    views: int  # beacons sent
    clicks: int  # partner links followed
    rows: int  # counter rows written (summed over the flushes)


def _address(n: int) -> str:
    # Visitor n's network address: only its salted hash is ever kept, for one day.
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


async def play_history(
    storage: Storage,
    keys: list[str],
    key: bytes,
    *,
    days: int = DAYS,
    now: float | None = None,
    progress: Progress | None = None,
) -> History:
    """Play ``days`` days of visitors up to ``now`` into ``storage`` (a seeded demo)."""
    end = time.time() if now is None else now
    start = end - days * DAY
    clock = [start]
    signer = Signer(keys, clock=lambda: clock[0])
    counting = Counting(signer, lambda: clock[0], store=MemoryStore())
    data = await storage.load_network()
    placements = sorted(data.placements, key=lambda p: p.id)
    members = {m.id: m for m in data.members}
    themes_of: dict[int, int] = {}
    for p in placements:
        themes_of[p.member_id] = themes_of.get(p.member_id, 0) + 1
    tick = DAY / TICKS_PER_DAY
    visitor = views = clicks = rows = 0
    carry: dict[int, float] = {}
    for step in range(days * TICKS_PER_DAY):
        at = start + step * tick
        clock[0] = at
        snapshot = Snapshot.build(data, await load_ledger(storage, at, data), at)
        # This tick's visitors of every placement, interleaved over the tick.
        arrivals: list[tuple[float, int]] = []
        for p in placements:
            host = members[p.member_id]
            per_day = VISITORS_PER_DAY.get(host.slug, DEFAULT_VISITORS) / themes_of[p.member_id]
            carry[p.id] = carry.get(p.id, 0.0) + per_day / TICKS_PER_DAY
            n = int(carry[p.id])
            carry[p.id] -= n
            arrivals += [((i + 0.5) / n, p.id) for i in range(n)]
        arrivals.sort()
        for fraction, placement_id in arrivals:
            placement = snapshot.placements[placement_id]
            host = members[placement.member_id]
            clock[0] = at + fraction * tick
            visitor += 1
            # The plan of the tick (the server's is per minute), the draw of the moment.
            plan = host_plan(snapshot, placement, at, key)
            rotation = rotation_at(plan.rules, clock[0], visitor)
            slots = draw(plan, rotation.bucket, key)
            counting.served(placement.theme_id, placement.member_id, slots, USER_AGENT)
            if not slots:
                continue
            token = counting.view_token(counting.view_prefix(placement.id, rotation.bucket, slots))
            address = _address(visitor)
            await counting.view(
                token, snapshot, address=address, user_agent=USER_AGENT, origin=host.website
            )
            views += 1
            if visitor % CLICK_EVERY == 0:
                partner = slots[visitor % len(slots)].member_id
                claim = signer.read_click_token(
                    signer.click_token(placement.id, partner, rotation.bucket), DAY
                )
                await counting.click(claim, snapshot, address=address, user_agent=USER_AGENT)
                clicks += 1
        clock[0] = at + tick
        rows += await counting.flush(storage)
        if progress is not None and (step + 1) % TICKS_PER_DAY == 0:
            progress((step + 1) // TICKS_PER_DAY, days)
    return History(days, views, clicks, rows)
