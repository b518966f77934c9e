"""The ledger's stored history grows with what changes: a checkpoint a day, then deltas.

Under steady traffic each computation changes the figures of the few members
counted since the last one; what is stored for it names those members only,
and every version read back (checkpoint + deltas) is exactly the version that
was served.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from tests.conftest import Clock, reopened
from widget_server.core.models import CounterRow, Member
from widget_server.network.services import add_theme
from widget_server.rotation.ledger import compute_ledger, theme_document
from widget_server.serving.holder import SnapshotHolder
from widget_server.serving.ledger import DAY, RETENTION_DAYS, compute_ledger_update, day_of
from widget_server.storage import Storage
from widget_server.storage import chunks as storage_chunks
from widget_server.storage import ledger as storage_ledger
from widget_server.storage.ledger import digest

MEMBERS = 40
ROUNDS = 8


async def big_theme(storage: Storage) -> tuple[int, list[int]]:
    await add_theme(storage, slug="markt", name_de="Markt")
    theme = (await storage.get_theme("markt")).id
    await storage.import_members(
        [
            (Member(0, f"m{i}", f"Betrieb {i}", f"https://m{i}.example/", status="active"), [theme])
            for i in range(MEMBERS)
        ]
    )
    return theme, sorted(m.id for m in await storage.list_members())


def everyone(day: date, theme: int, members: list[int]) -> list[CounterRow]:
    """A morning's views: every member hosts its neighbour once."""
    rows = []
    for i, host in enumerate(members):
        partner = members[(i + 1) % len(members)]
        rows.append(CounterRow(day, theme, host, 0, "served", 1))
        rows.append(CounterRow(day, theme, host, partner, "viewed", 1, 1.0 + i / 8))
    return rows


def stored_members(document: str) -> set[int]:
    return {m for m, _, _ in json.loads(document)["members"]}


@pytest.mark.asyncio
async def test_steady_traffic_stores_only_the_members_that_changed(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The job's large reads come in chunks: small ones here, so every read takes several.
    monkeypatch.setattr(storage_ledger, "CHUNK", 7)  # its writes
    monkeypatch.setattr(storage_chunks, "CHUNK", 7)  # its reads
    theme, members = await big_theme(storage)
    clock = Clock()  # 2027-01-15 08:00 UTC
    await storage.add_counts(everyone(day_of(clock.now), theme, members))
    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()
    first = await storage.ledger_at(theme, clock.now)
    assert first is not None and first.checkpoint is not None and first.deltas == ()
    checkpoint_bytes = len(first.checkpoint[2])
    assert stored_members(first.checkpoint[2]) == set(members)

    served = {clock.now: dict(holder.current.pools[theme].ledger)}
    rows = everyone(day_of(clock.now), theme, members)
    for n in range(ROUNDS):
        clock.advance(60)
        host, partner = members[n], members[-1 - n]
        counted = [CounterRow(day_of(clock.now), theme, host, partner, "viewed", 1, 0.5 + n)]
        rows += counted
        await storage.add_counts(counted)
        await holder.refresh_ledger()
        served[clock.now] = dict(holder.current.pools[theme].ledger)
        version = await storage.ledger_at(theme, clock.now)
        assert version is not None and version.checkpoint == first.checkpoint
        assert len(version.deltas) == n + 1  # one checkpoint and the day's deltas
        delta = version.deltas[-1][2]
        assert stored_members(delta) == {host, partner}  # only what changed
        assert len(delta) * 10 < checkpoint_bytes
        # Read back, it is the full version: the digest of its whole document.
        ledger = version.read()
        whole = theme_document(ledger.figures, ledger.served, ledger.day)
        assert digest(whole) == (await storage.ledger_heads())[theme].digest

    # Every version in force is read back exactly as it was served ...
    for moment, figures in served.items():
        version = await storage.ledger_at(theme, moment + 30)
        assert version is not None
        assert dict(version.read().figures) == figures
    # ... and is the ledger computed from the counted rows.
    scratch = compute_ledger(rows, day_of(clock.now), {theme: 14.0})[theme]
    assert served[clock.now].keys() == scratch.keys()
    for m, (g, r) in scratch.items():
        assert served[clock.now][m] == pytest.approx((g, r), rel=1e-12)

    # Another process installs the same figures, from the checkpoint and the deltas.
    other = SnapshotHolder(reopened(storage), 3600, 60, clock)
    await other._storage.open()
    try:
        await other.start()
        assert dict(other.current.pools[theme].ledger) == served[clock.now]
    finally:
        await other._storage.close()

    # The next day begins a new chain: the first version is whole again.
    clock.advance(DAY)
    await holder.refresh_ledger()
    next_day = await storage.ledger_at(theme, clock.now)
    assert next_day is not None and next_day.checkpoint is not None and next_day.deltas == ()
    assert next_day.checkpoint[0] == next_day.version


@pytest.mark.asyncio
async def test_a_process_without_the_previous_version_reads_it_for_its_delta(
    storage: Storage,
) -> None:
    theme, members = await big_theme(storage)
    clock = Clock()
    await storage.add_counts(everyone(day_of(clock.now), theme, members))
    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()
    clock.advance(60)
    counted = [CounterRow(day_of(clock.now), theme, members[0], members[1], "viewed", 1, 3.0)]
    await storage.add_counts(counted)
    data = await storage.load_network()

    async def compute():  # type: ignore[no-untyped-def]
        return await compute_ledger_update(storage, clock.now, data)  # nothing installed

    await storage.publish_ledger(compute, stale_before=float("inf"), now=clock.now)
    version = await storage.ledger_at(theme, clock.now)
    assert version is not None and len(version.deltas) == 1
    assert stored_members(version.deltas[0][2]) == {members[0], members[1]}
    # The serving process applies that delta to the version it holds.
    assert await holder.poll_ledger()
    assert dict(holder.current.pools[theme].ledger) == dict(version.read().figures)


@pytest.mark.asyncio
async def test_pruning_keeps_a_chain_whole(storage: Storage) -> None:
    theme, members = await big_theme(storage)
    clock = Clock()
    await storage.add_counts(everyone(day_of(clock.now), theme, members))
    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()
    start = clock.now
    for n in range(4):
        clock.advance(60)
        await storage.add_counts(
            [CounterRow(day_of(clock.now), theme, members[n], members[n + 1], "viewed", 1, 1.0)]
        )
        await holder.refresh_ledger()
    kept = {at: await storage.ledger_at(theme, start + at) for at in (130, 200)}
    # Past the retention by half the chain: the deltas kept need their checkpoint.
    clock.now = start + RETENTION_DAYS * DAY + 150
    await storage.add_counts(
        [CounterRow(day_of(clock.now), theme, members[0], members[2], "viewed", 1, 1.0)]
    )
    await holder.refresh_ledger()
    for at, version in kept.items():  # 130: older than the retention, kept with its chain
        late = await storage.ledger_at(theme, start + at)
        assert late is not None and late == version
        assert late.read().figures == version.read().figures
    # A day later the whole chain is past the retention: gone together.
    clock.advance(DAY)
    await storage.add_counts(
        [CounterRow(day_of(clock.now), theme, members[0], members[3], "viewed", 1, 1.0)]
    )
    await holder.refresh_ledger()
    assert await storage.ledger_at(theme, start + 200) is None


@pytest.mark.asyncio
async def test_deltas_that_do_not_follow_the_installed_version_are_read_whole(
    storage: Storage,
) -> None:
    theme, members = await big_theme(storage)
    clock = Clock()
    await storage.add_counts(everyone(day_of(clock.now), theme, members))
    computing = SnapshotHolder(storage, 3600, 60, clock)
    await computing.start()
    serving = SnapshotHolder(reopened(storage), 3600, 60, clock)
    await serving._storage.open()
    try:
        await serving.start()
        # The serving process holds a version the next delta does not follow (as after a
        # version it could not read): it reads the theme's chain whole instead.
        stale = serving._ledger[theme]
        serving._ledger = {theme: replace(stale, version=stale.version - 1)}
        clock.advance(60)
        await storage.add_counts(
            [CounterRow(day_of(clock.now), theme, members[2], members[3], "viewed", 1, 2.0)]
        )
        await computing.refresh_ledger()
        assert await serving.poll_ledger()
        assert dict(serving.current.pools[theme].ledger) == dict(
            computing.current.pools[theme].ledger
        )
        assert serving._ledger[theme].version == computing._ledger[theme].version
    finally:
        await serving._storage.close()


@pytest.mark.parametrize("size", [0, 1, 2046, 2047, 2048, 4094, 4095, 6000, 70_000])
def test_a_documents_digest_is_its_sha256_hashed_in_pieces_that_keep_the_gil(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest is the SHA-256 of the whole document, as before, but hashlib is never
    handed 2,048 bytes or more at once: it would let go of the GIL for them, and the
    job's thousands of documents a minute would keep the event loop from it."""
    import hashlib

    # Multi-byte characters too: the pieces are bytes, cut wherever they fall.
    document = ("äx€" * size)[:size]
    expected = hashlib.sha256(document.encode()).hexdigest()
    fed: list[int] = []
    real = hashlib.sha256

    class Recording:
        def __init__(self) -> None:
            self.hashed = real()

        def update(self, data: bytes | memoryview) -> None:
            fed.append(len(data))
            self.hashed.update(data)

        def hexdigest(self) -> str:
            return self.hashed.hexdigest()

    monkeypatch.setattr(hashlib, "sha256", Recording)
    assert digest(document) == expected
    assert sum(fed) == len(document.encode())
    assert all(0 < n < 2048 for n in fed)


@pytest.mark.asyncio
async def test_the_jobs_large_reads_page_through_every_row_and_read_arrays_where_they_can(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fetch_in_chunks`` reads every row once, chunk after chunk in key order.  Where the
    dialect reads arrays (PostgreSQL), the rows come as a few column lists of plain
    values: asyncpg decodes on the event loop, and a row object per row there (400,000
    at 100,000 members) set off the cyclic collector's full passes."""
    import gc

    monkeypatch.setattr(storage_chunks, "CHUNK", 3)  # chunks end inside a theme and a day
    theme, members = await big_theme(storage)
    for day in (date(2027, 1, 14), date(2027, 1, 15)):
        await storage.add_counts(everyone(day, theme, members))
    dialect = storage._dialect  # type: ignore[attr-defined]
    reads = [
        ("SELECT theme_id, host_id, day FROM last_served", "1 = 1", (), 2),
        (
            "SELECT day, theme_id, member_id, given, received FROM daily_exposure",
            "day >= ?",
            (dialect.day(date(2027, 1, 14)),),
            3,
        ),
    ]
    async with storage._snapshot() as conn:  # type: ignore[attr-defined]
        for select, where, params, keys in reads:
            order = ", ".join(select.removeprefix("SELECT ").split(", ")[:keys])
            expected = await conn.fetch(f"{select} WHERE {where} ORDER BY {order}", *params)
            # Many chunks, the last one not full.
            assert len(expected) >= MEMBERS and len(expected) % 3 != 0
            rows = await storage_chunks.fetch_in_chunks(conn, dialect, select, where, params, keys)
            assert [tuple(r) for r in storage_chunks.rows_of(rows)] == [tuple(r) for r in expected]
            if dialect.name == "postgres":  # asyncpg: decoded on the event loop
                assert isinstance(rows, storage_chunks.Columns)
                assert len(rows) == len(expected[0])  # one list per column
                # Plain values only: nothing the cyclic collector walks but the lists.
                assert not any(gc.is_tracked(value) for column in rows for value in column)
            else:
                assert not isinstance(rows, storage_chunks.Columns)
                assert len(rows) == len(expected)
            storage_chunks.let_go(rows)
            assert rows == []
