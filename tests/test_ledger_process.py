"""A large network's ledger is computed in a child process (serving/ledger_process.py),
on the same database, and installed as another process's computation would be."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.conftest import Clock
from tests.test_ledger_history import big_theme, everyone
from widget_server.core.models import CounterRow
from widget_server.rotation.ledger import compute_ledger
from widget_server.serving import holder as holder_module
from widget_server.serving.holder import SnapshotHolder
from widget_server.serving.ledger import compute_ledger_update, day_of
from widget_server.serving.ledger_process import (
    LedgerProcessError,
    compute_in_child,
    database_url,
)
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio


def assert_is_the_ledger_of(
    installed: dict[int, tuple[float, float]], rows: list[CounterRow], theme: int, clock: Clock
) -> None:
    scratch = compute_ledger(rows, day_of(clock.now), {theme: 14.0})[theme]
    assert installed.keys() == scratch.keys()
    for member, figures in scratch.items():
        assert installed[member] == pytest.approx(figures, rel=1e-12)


async def test_a_large_networks_ledger_is_computed_in_a_child_and_installed(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(holder_module, "LARGE", 1)  # the test's 40 memberships are many
    theme, members = await big_theme(storage)
    clock = Clock()
    rows = everyone(day_of(clock.now), theme, members)
    await storage.add_counts(rows)
    children: list[float] = []

    async def in_child(now: float, stale_before: float) -> None:
        children.append(now)
        await compute_in_child(database_url(storage), now, stale_before)

    holder = SnapshotHolder(storage, 3600, 60, clock)
    holder.compute_elsewhere = in_child
    await holder.start()  # nothing stored yet: computed at start, in the child
    assert children == [clock.now]
    assert holder._ledger_version == await storage.ledger_version() == 1
    assert_is_the_ledger_of(dict(holder.current.pools[theme].ledger), rows, theme, clock)

    # Later counts: the child, with no version installed, reads the stored one to make
    # its delta against, and the server installs that delta.
    clock.advance(60)
    later = [CounterRow(day_of(clock.now), theme, members[0], members[-1], "viewed", 1, 2.5)]
    await storage.add_counts(later)
    await holder.refresh_ledger()
    assert children == [clock.now - 60, clock.now]
    version = await storage.ledger_at(theme, clock.now)
    assert version is not None and len(version.deltas) == 1
    assert_is_the_ledger_of(dict(holder.current.pools[theme].ledger), rows + later, theme, clock)


async def test_a_small_networks_ledger_is_computed_in_the_serving_process(
    storage: Storage,
) -> None:
    theme, members = await big_theme(storage)
    clock = Clock()
    rows = everyone(day_of(clock.now), theme, members)
    await storage.add_counts(rows)

    async def in_child(now: float, stale_before: float) -> None:
        raise AssertionError("a network of 40 memberships started a child process")

    holder = SnapshotHolder(storage, 3600, 60, clock)
    holder.compute_elsewhere = in_child
    await holder.start()
    assert_is_the_ledger_of(dict(holder.current.pools[theme].ledger), rows, theme, clock)


async def test_a_failed_child_is_reported_and_tried_again_an_interval_later(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(holder_module, "LARGE", 1)
    await big_theme(storage)
    clock = Clock()
    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()  # computed here: no child process set yet
    served = holder.current

    async def in_child(now: float, stale_before: float) -> None:
        await compute_in_child("sqlite:////nonexistent/partnerkreis.db", now, stale_before)

    holder.compute_elsewhere = in_child
    before = time.monotonic()
    with pytest.raises(LedgerProcessError, match="status 2: no database to compute"):
        await holder.refresh_ledger()
    # The poller logs the error and keeps serving; its next try is an interval away.
    assert holder.current is served
    assert holder._ledger_checked >= before


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["x", "y"], "usage: python -m widget_server.serving.ledger_process"),
        (["nan", "inf"], "NOW must be a finite time"),
        (["1", "inf"], "no database to compute the ledger on"),
    ],
)
async def test_the_child_refuses_bad_arguments_and_a_missing_database(
    arguments: list[str],
    said: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from widget_server.serving import ledger_process

    monkeypatch.setenv("WIDGET_DATABASE_URL", "sqlite:////nonexistent/partnerkreis.db")
    assert ledger_process.main(arguments) == 2
    assert said in capsys.readouterr().err


async def test_the_server_computes_a_large_networks_ledger_in_a_child_on_its_database(
    app: Starlette, storage: Storage
) -> None:
    elsewhere = app.state.runtime.snapshots.compute_elsewhere
    assert elsewhere is not None and elsewhere.func is compute_in_child
    assert elsewhere.args == (database_url(storage),)


async def test_no_child_is_started_when_another_process_has_computed_or_is_computing(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    monkeypatch.setattr(holder_module, "LARGE", 1)
    theme, members = await big_theme(storage)
    clock = Clock()
    rows = everyone(day_of(clock.now), theme, members)
    await storage.add_counts(rows)
    started: dict[str, list[float]] = {"first": [], "second": []}

    def child_of(name: str) -> Callable[[float, float], Awaitable[None]]:
        async def in_child(now: float, stale_before: float) -> None:
            started[name].append(now)
            await compute_in_child(database_url(storage), now, stale_before)

        return in_child

    # Two serving processes of one deployment (two workers), each with its child.
    first, second = (SnapshotHolder(storage, 3600, 60, clock) for _ in range(2))
    first.compute_elsewhere, second.compute_elsewhere = child_of("first"), child_of("second")
    await first.start(compute_ledger=False)  # nothing stored yet: computed, in its child
    await second.start(compute_ledger=False)  # installs what is stored
    assert started == {"first": [clock.now], "second": []}

    # The second process's poll finds the first's ledger fresh: no child, and it
    # installs that ledger.
    clock.advance(10)
    await second.refresh_ledger(force=False)
    assert started["second"] == []
    assert second._ledger_version == first._ledger_version == await storage.ledger_version()
    assert_is_the_ledger_of(dict(second.current.pools[theme].ledger), rows, theme, clock)

    # An interval later, while another process computes (it holds the claim), none.
    clock.advance(60)
    assert await storage.ledger_due(stale_before=clock.now - 60, now=clock.now)
    computing, release = asyncio.Event(), asyncio.Event()

    async def slow() -> Any:
        computing.set()
        await release.wait()
        return await compute_ledger_update(storage, clock.now, first._network_data())

    other = asyncio.create_task(
        storage.publish_ledger(slow, stale_before=clock.now - 60, now=clock.now)
    )
    await computing.wait()
    assert not await storage.ledger_due(stale_before=clock.now - 60, now=clock.now)
    await second.refresh_ledger(force=False)
    assert started["second"] == []
    release.set()
    assert (await other) is not None
    # Stored now, and fresh: still nothing to compute.
    assert not await storage.ledger_due(stale_before=clock.now - 60, now=clock.now)


async def test_the_child_computes_at_a_lower_priority_than_the_server(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from widget_server.serving import ledger_process

    # The computation is background work: on a machine of two cores it must not take
    # the CPU from the server's answers (nor from the database's).
    theme, members = await big_theme(storage)
    clock = Clock()
    await storage.add_counts(everyone(day_of(clock.now), theme, members))
    niced: list[int] = []
    monkeypatch.setattr(ledger_process.os, "nice", niced.append)
    monkeypatch.setenv("WIDGET_DATABASE_URL", database_url(storage))
    assert await asyncio.to_thread(ledger_process.main, [repr(clock.now), "inf"]) == 0
    assert niced == [ledger_process.NICENESS] and ledger_process.NICENESS > 0
    assert await storage.ledger_version() == 1  # and it computed
