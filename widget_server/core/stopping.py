"""Background loops that stop when asked, never in the middle of their work."""

from __future__ import annotations

import asyncio


async def stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` or until ``stop`` is set; whether it is set.

    A loop that sleeps through this instead of ``asyncio.sleep`` can be stopped
    without being cancelled, so a write it is doing always finishes.
    """
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
