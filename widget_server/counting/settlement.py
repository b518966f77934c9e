"""The flush's half of the checks: waiting events settled against the shared visitor state.

A view or click that passed the request's checks (``intake.py``) waits here as
a ``PendingView`` or ``PendingClick`` holding only salted keys.  At the flush,
``settle`` checks a batch in one round trip to the visitor state
(``visitors.py``): the view token's one use, one view per visitor, theme and
day, a click only after a view, and the daily caps per network address.  The
batch is settled in arrival order, so the outcome is the same as checking each
event on its own; what passes goes into the counter buffer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date

from widget_server.counting.events import CounterBuffer, ViewedSlot, credit_view
from widget_server.counting.visitors import VisitorStore, expiry_of

CLICK_TRIES = 2  # flushes a click waits for its view (which another process may hold)
SETTLE_BATCH = 1000  # events settled in one round trip; the event loop is free between them


@dataclass(frozen=True)
class PendingView:
    day: date
    nonce: bytes  # claim: the view token's one use
    seen: bytes  # tally: views of this block by this visitor (a click needs one)
    credit: bytes  # claim: one view per visitor, theme and day
    caps: tuple[tuple[bytes, int], ...]  # (tally, limit): the daily caps of the address
    theme_id: int
    host_id: int
    slots: tuple[ViewedSlot, ...]


@dataclass(frozen=True)
class PendingClick:
    day: date
    seen: bytes
    credit: bytes  # claim: one click per visitor, block and partner and day
    caps: tuple[tuple[bytes, int], ...]
    theme_id: int
    host_id: int
    partner_id: int
    tries: int = 1
    # A joint slot's click (serving/slots.py): each receiver is credited one click.
    receivers: tuple[int, ...] = ()


Pending = PendingView | PendingClick


class Settlement:
    """The waiting events and their settling, as part of ``intake.Counting``.

    Counting holds the state (its fields); the request's checks append to
    ``_pending``, the flush calls ``settle``.  What is refused is tallied by
    reason in ``rejected``, what passes credited to ``buffer``.
    """

    store: VisitorStore
    buffer: CounterBuffer
    rejected: dict[str, int]  # reason -> count, for /healthz
    credited: dict[str, int]  # "viewed"/"clicked" -> credited since the start
    capped: dict[tuple[date, int, int], int]  # (day, theme, host) -> refused by a daily cap
    _pending: list[Pending]

    def _tally_rejected(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    async def settle(self) -> int:
        """Check the waiting events against the shared visitor state; credit those that pass.

        In parts of ``SETTLE_BATCH`` events, oldest first, with the event loop free
        between parts, so a second of busy traffic never holds up the requests.
        On failure the events wait for the next try.  Returns the events settled.
        """
        pending, self._pending = self._pending, []
        retry: list[Pending] = []
        done = 0
        while done < len(pending):
            part = pending[done : done + SETTLE_BATCH]
            try:
                retry += await self._settle_part(part)
            except BaseException:
                self._pending[:0] = retry  # the part has put itself back
                self._pending.extend(pending[done + len(part) :])
                raise
            done += len(part)
            if done < len(pending):
                try:
                    await asyncio.sleep(0)  # requests between the parts of a big batch
                except BaseException:
                    self._pending[:0] = retry
                    self._pending.extend(pending[done:])
                    raise
        self._pending[:0] = retry
        return len(pending) - len(retry)

    async def _settle_part(self, pending: list[Pending]) -> list[Pending]:
        """One round trip for the part (two when it holds clicks: a click claims its
        credit only once its view is known, so a click too early burns nothing).

        Returns the clicks that wait for their view.  If the store fails, the part
        is put back before anything was decided and the error raised.
        """
        first_claim: dict[bytes, int] = {}  # claim -> the first event of the batch making it
        adds: dict[bytes, int] = {}  # tally -> what this batch adds
        ranks: list[list[int]] = []  # per event, per cap: its place among this batch's adds
        first_view: dict[bytes, int] = {}  # seen tally -> the first view of the batch adding to it
        for i, event in enumerate(pending):
            if isinstance(event, PendingView):
                first_claim.setdefault(event.nonce, i)
                first_claim.setdefault(event.credit, i)
                first_view.setdefault(event.seen, i)
                adds[event.seen] = adds.get(event.seen, 0) + 1
            else:
                adds.setdefault(event.seen, 0)  # read its total, add nothing
            rank = []
            for tally, _ in event.caps:
                rank.append(adds.get(tally, 0))
                adds[tally] = adds.get(tally, 0) + 1
            ranks.append(rank)
        expires = expiry_of(max(event.day for event in pending))  # later days expire later
        try:
            settled = await self.store.settle(first_claim.keys(), adds, expires)
        except BaseException:
            self._pending[:0] = pending  # nothing was decided: try the same batch again
            raise

        def capped(i: int) -> bool:
            return any(
                settled.totals[tally] - adds[tally] + rank + 1 > limit
                for (tally, limit), rank in zip(pending[i].caps, ranks[i], strict=True)
            )

        def fresh(key: bytes, i: int) -> bool:
            return key in settled.new and first_claim[key] == i

        retry: list[Pending] = []
        clicks: list[PendingClick] = []
        for i, event in enumerate(pending):
            if capped(i):
                self._tally_rejected("capped")
                where = (event.day, event.theme_id, event.host_id)
                self.capped[where] = self.capped.get(where, 0) + 1
            elif isinstance(event, PendingView):
                if not fresh(event.nonce, i):
                    self._tally_rejected("replayed")
                elif not fresh(event.credit, i):
                    self._tally_rejected("already-counted")
                else:
                    credit_view(self.buffer, event.day, event.theme_id, event.host_id, event.slots)
                    self.credited["viewed"] += 1
            elif (
                settled.totals[event.seen] - adds[event.seen] > 0
                or first_view.get(event.seen, i) < i
            ):
                clicks.append(event)
            elif event.tries < CLICK_TRIES:
                # The view may still wait in another process: give it another flush,
                # without counting the click against the caps a second time.
                retry.append(replace(event, tries=event.tries + 1, caps=()))
            else:
                self._tally_rejected("no-view")
        if clicks:
            try:
                await self._credit_clicks(clicks, expires)  # puts its clicks back on failure
            except BaseException:
                self._pending[:0] = retry
                raise
        return retry

    async def _credit_clicks(self, clicks: list[PendingClick], expires: float) -> None:
        order = {c.credit: i for i, c in reversed(list(enumerate(clicks)))}
        try:
            settled = await self.store.settle(order.keys(), {}, expires)
        except BaseException:
            # They passed once and will again; their caps are already counted.
            self._pending[:0] = [replace(c, caps=()) for c in clicks]
            raise
        for i, click in enumerate(clicks):
            if click.credit in settled.new and order[click.credit] == i:
                # A slot's click is one clicked row per receiver, so what is stored
                # still adds up to what is credited here.
                for partner_id in click.receivers or (click.partner_id,):
                    key = (click.day, click.theme_id, click.host_id, partner_id, "clicked")
                    self.buffer.add(key)  # type: ignore[arg-type]
                    self.credited["clicked"] += 1
            else:
                self._tally_rejected("already-counted")
