"""The snapshot holder: one process per interval computes the deployment's ledger."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
import pytest_asyncio

from tests.conftest import Clock, reopened
from widget_server.core.models import CounterRow
from widget_server.rotation.ledger import Base, read_theme_document, theme_document
from widget_server.serving.holder import SnapshotHolder
from widget_server.storage import Storage
from widget_server.storage.records import LedgerUpdate

LEDGER_INTERVAL = 60.0


class SlowStorage:
    """A real storage whose ledger reads take a while and are counted."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.ledger_reads = 0

    async def ledger_bases(self) -> dict[int, Base]:
        # read once by every computation of the ledger
        self.ledger_reads += 1
        await asyncio.sleep(0.2)  # long enough for the other process to ask meanwhile
        return await self.inner.ledger_bases()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest_asyncio.fixture
async def processes(
    storage: Storage, network: dict[str, int], clock: Clock
) -> AsyncIterator[tuple[SlowStorage, SlowStorage]]:
    """Two processes' storages on the test database, with views already counted."""
    theme = (await storage.get_theme("hochzeit")).id
    members = [m.id for m in await storage.list_members()]
    day = date.fromtimestamp(clock.now)
    await storage.add_counts(
        [CounterRow(day, theme, members[0], p, "viewed", 3, 2.5) for p in members[1:]]
    )
    pair = (SlowStorage(reopened(storage)), SlowStorage(reopened(storage)))
    for s in pair:
        await s.open()
    yield pair
    for s in pair:
        await s.close()


def holder(storage: Any, clock: Clock) -> SnapshotHolder:
    return SnapshotHolder(storage, 0.2, LEDGER_INTERVAL, clock)


@pytest.mark.asyncio
async def test_two_processes_starting_at_once_compute_the_ledger_once(
    processes: tuple[SlowStorage, SlowStorage], clock: Clock
) -> None:
    a, b = holder(processes[0], clock), holder(processes[1], clock)
    await asyncio.gather(a.start(), b.start())
    assert processes[0].ledger_reads + processes[1].ledger_reads == 1
    assert await processes[0].ledger_version() == 1
    # The one that lost the race installs the stored ledger at its next poll.
    await asyncio.gather(a.poll_ledger(), b.poll_ledger())
    assert a.current.pools == b.current.pools
    balances = a.current.pools[min(a.current.themes)].balances.values()
    assert sum(b.given for b in balances) == pytest.approx(2.5 * 4)  # the counted views


@pytest.mark.asyncio
async def test_the_ledger_is_computed_once_per_interval_for_the_deployment(
    processes: tuple[SlowStorage, SlowStorage], clock: Clock
) -> None:
    a, b = holder(processes[0], clock), holder(processes[1], clock)
    await a.start()
    await b.start()  # finds a fresh ledger: loads it, computes nothing
    assert (processes[0].ledger_reads, processes[1].ledger_reads) == (1, 0)
    for round_ in range(1, 4):
        clock.advance(LEDGER_INTERVAL / 2)  # not due yet: nobody computes
        await asyncio.gather(a.refresh_ledger(force=False), b.refresh_ledger(force=False))
        assert await processes[0].ledger_version() == round_
        clock.advance(LEDGER_INTERVAL / 2 + 1)  # due: exactly one of them computes
        await asyncio.gather(a.refresh_ledger(force=False), b.refresh_ledger(force=False))
        assert await processes[0].ledger_version() == round_ + 1
        assert processes[0].ledger_reads + processes[1].ledger_reads == round_ + 1
        await asyncio.gather(a.poll_ledger(), b.poll_ledger())
        assert a.current.pools == b.current.pools


@pytest.mark.asyncio
async def test_a_ledger_stored_by_another_process_is_installed_at_the_next_poll(
    processes: tuple[SlowStorage, SlowStorage], storage: Storage, clock: Clock
) -> None:
    a, b = holder(processes[0], clock), holder(processes[1], clock)
    await a.start()
    await b.start()
    theme = (await storage.get_theme("hochzeit")).id
    host = min(a.current.members)
    before = b.current.pools[theme].balances[host].given
    await storage.add_counts(
        [CounterRow(date.fromtimestamp(clock.now), theme, host, host + 1, "viewed", 1, 1.0)]
    )
    await a.refresh_ledger()  # forced: a recomputes now
    assert a.current.pools[theme].balances[host].given == pytest.approx(before + 1)
    assert b.current.pools[theme].balances[host].given == before
    assert await b.poll_ledger()
    assert b.current.pools[theme].balances[host].given == pytest.approx(before + 1)
    assert not await b.poll_ledger()  # nothing new


@pytest.mark.asyncio
async def test_a_failed_computation_lets_the_next_process_compute(
    storage: Storage, network: dict[str, int], clock: Clock
) -> None:
    calls = 0

    async def broken() -> LedgerUpdate:
        nonlocal calls
        calls += 1
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        await storage.publish_ledger(broken, stale_before=clock.now, now=clock.now)

    async def good() -> LedgerUpdate:
        return LedgerUpdate({}, {}, keep_since=0.0)

    stored = await storage.publish_ledger(good, stale_before=clock.now, now=clock.now)
    assert stored is not None
    assert (stored.version, await storage.ledger_version(), calls) == (1, 1, 1)
    assert await storage.get_ledger() == stored


def test_ledger_documents_round_trip_exactly() -> None:
    figures = {1: (0.1 + 0.2, 1e-300), 2: (0.0, 12345.678901234567)}
    served = {1: date(2027, 1, 14), 9: date(2026, 12, 31)}
    text = theme_document(figures, served, date(2027, 1, 15))
    ledger = read_theme_document(4, 1.8e9, text)
    assert (ledger.version, ledger.computed_at, ledger.day) == (4, 1.8e9, date(2027, 1, 15))
    assert (ledger.figures, ledger.served) == (figures, served)


@pytest.mark.parametrize(
    "text", ["", "[]", '{"format": 99}', '{"format": 2, "members": 3}', '{"format": 2}']
)
def test_an_unreadable_ledger_document_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        read_theme_document(1, 0.0, text)
