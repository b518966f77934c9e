"""The snapshot follows writes by reloading only what they changed (issue 14).

A write replaces one member, one theme's pool, one rule set; a full reload (an
unknown change) runs off the event loop while the old snapshot serves; a
change made through one process is served by another without a full reload.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.api_auth import make_keys
from tests.conftest import Clock, reopened
from widget_server.core.models import Member
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.network.services import MemberInput, add_member, add_theme, set_member_status
from widget_server.serving import indexed as indexed_module
from widget_server.serving.holder import SnapshotHolder
from widget_server.serving.indexed import Network
from widget_server.storage import NetworkData, Storage
from widget_server.storage import member_import as member_import_module
from widget_server.web.app import create_app

OTHER_THEMES = ("markt", "hafen", "kultur")


@pytest_asyncio.fixture
async def themes(storage: Storage, network: dict[str, int]) -> dict[str, int]:
    """The wedding network plus three themes of their own members; theme ids by slug."""
    for slug in OTHER_THEMES:
        await add_theme(storage, slug=slug, name_de=slug.title())
        for n in range(3):
            await add_member(
                storage,
                MemberInput(
                    slug=f"{slug}-{n}",
                    name=f"{slug.title()} {n}",
                    website=f"https://{slug}-{n}.example/",
                    themes=(slug,),
                ),
            )
    return {t.slug: t.id for t in await storage.list_themes()}


def built_all(holder: SnapshotHolder) -> dict[int, Any]:
    """Every theme's pool of the current snapshot (building those not built yet)."""
    return {theme_id: holder.current.pools[theme_id] for theme_id in holder.current.themes}


@pytest.mark.asyncio
async def test_a_write_rebuilds_only_the_pools_of_the_themes_it_touches(
    storage: Storage, themes: dict[str, int], clock: Clock
) -> None:
    holder = SnapshotHolder(storage, 60, 60, clock)
    await holder.start()
    before = built_all(holder)
    assert holder.stats.full_loads == 1
    built = holder.stats.pools_built

    await set_member_status(storage, "catering", "paused")
    assert await holder.refresh()
    after = built_all(holder)
    assert holder.stats.pools_built - built == 1  # the wedding theme's, nothing else
    assert (holder.stats.full_loads, holder.stats.partial_loads) == (1, 1)
    wedding = themes["hochzeit"]
    catering = (await storage.get_member("catering")).id
    assert not after[wedding].members[catering].eligible
    for slug in OTHER_THEMES:
        assert after[themes[slug]] is before[themes[slug]]  # the same object: not rebuilt

    # A rule change replaces that theme's pool and nothing else.
    built = holder.stats.pools_built
    await storage.add_rule_set(themes["hafen"], {"partners": {"max": 2}}, "test")
    assert await holder.refresh()
    again = built_all(holder)
    assert holder.stats.pools_built - built == 1
    assert again[themes["hafen"]].rules.max_partners == 2
    assert again[wedding] is after[wedding]
    assert holder.stats.full_loads == 1
    assert not await holder.refresh()  # nothing new: nothing done


@pytest.mark.asyncio
async def test_a_member_that_changes_themes_moves_between_their_pools(
    storage: Storage, themes: dict[str, int], clock: Clock
) -> None:
    holder = SnapshotHolder(storage, 60, 60, clock)
    await holder.start()
    built_all(holder)
    member = await storage.get_member("markt-0")
    await storage.set_membership(member.id, themes["hafen"], "active")
    await storage.set_membership(member.id, themes["markt"], "left")
    await holder.refresh()
    pools = built_all(holder)
    assert member.id in pools[themes["hafen"]].members
    assert member.id not in pools[themes["markt"]].members
    # Its one equal share is now counted in its one active theme.
    assert pools[themes["hafen"]].themes_of[member.id] == 1
    assert holder.stats.full_loads == 1
    # What the incremental path built is what a full load builds.
    fresh = SnapshotHolder(storage, 60, 60, clock)
    await fresh.start()
    assert built_all(fresh) == pools
    assert fresh.current.members == holder.current.members
    assert fresh.current.placements == holder.current.placements


@pytest.mark.asyncio
async def test_hostile_text_in_a_changed_member_stays_text_in_the_block(
    storage: Storage,
    network: dict[str, int],
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
) -> None:
    hostile = '<script>alert("x")</script>'
    member = await storage.get_member("catering")
    await storage.update_member(replace(member, name=hostile, description=hostile))
    await set_member_status(storage, "scheune", "paused")  # three partners left: all shown
    await app.state.runtime.snapshots.refresh()
    assert app.state.runtime.snapshots.stats.full_loads == 1
    page = await client.get(f"/w/{signer.embed_token(network['blumen'])}.html")
    assert page.status_code == 200
    assert hostile not in page.text
    assert "&lt;script&gt;alert(" in page.text


@pytest.mark.asyncio
async def test_a_slow_full_reload_never_blocks_the_widget(
    storage: Storage,
    network: dict[str, int],
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    holder: SnapshotHolder = app.state.runtime.snapshots
    events: list[str] = []
    started, release = threading.Event(), threading.Event()
    index = Network.of

    def held_index(data: NetworkData) -> Network:
        # The indexing of a full reload, held until the test lets it go.  Were it run on
        # the event loop, the request below could only be answered after it.
        events.append("reload started")
        started.set()
        release.wait(timeout=30)
        events.append("reload finished")
        return index(data)

    monkeypatch.setattr(indexed_module.Network, "of", held_index)
    # An import too large to log member by member is a change of everything.
    monkeypatch.setattr(member_import_module, "MEMBERS_LOGGED", 0)
    new = Member(0, "neu", "Neu am Markt", "https://neu.example/", status="active")
    hochzeit = (await storage.get_theme("hochzeit")).id
    await storage.import_members([(new, [hochzeit])])

    assert not await holder.refresh()  # returns at once: the reload runs in the background
    events.append("write answered")
    await asyncio.to_thread(started.wait, 30)
    old_version = holder.current.version
    response = await client.get(f"/w/{signer.embed_token(network['blumen'])}")
    assert response.status_code == 200
    events.append("widget answered")
    assert holder.current.version == old_version  # the old snapshot served meanwhile

    release.set()
    await holder.reloaded()
    assert events == ["write answered", "reload started", "widget answered", "reload finished"]
    assert "neu" in {m.slug for m in holder.current.members.values()}
    assert holder.current.version == await storage.data_version()


@pytest_asyncio.fixture
async def second_app(
    settings: Settings, storage: Storage, clock: Clock, network: dict[str, int]
) -> AsyncIterator[Starlette]:
    """Another server process on the same database."""
    application = create_app(settings, storage=reopened(storage), clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.mark.asyncio
async def test_a_change_made_through_one_process_is_served_by_another_without_a_full_reload(
    storage: Storage,
    network: dict[str, int],
    app: Starlette,
    client: httpx.AsyncClient,
    second_app: Starlette,
    signer: Signer,
) -> None:
    keys = await make_keys(storage)
    token = signer.embed_token(network["blumen"])
    other = second_app.state.runtime.snapshots
    transport = httpx.ASGITransport(app=second_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as second:
        before = (await second.get(f"/w/{token}")).json()["partners"]
        assert len(before) == 3
        for slug in ("catering", "scheune"):
            paused = await client.post(f"/api/v1/members/{slug}/pause", headers=keys.coordinator)
            assert paused.status_code == 200
        await other.refresh()  # what its poller does every interval
        after = (await second.get(f"/w/{token}")).json()["partners"]
    assert {p["name"] for p in after} == {"Brautmoden Carstens", "Fotografie Brandt"}
    assert other.stats.full_loads == 1  # the one at start
    assert other.stats.partial_loads >= 1


@pytest.mark.parametrize("limit", [1, 3, 100])
def test_a_layered_mapping_reads_like_the_dict_it_stands_for(
    limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexed_module, "LAYER_LIMIT", limit)
    expected = {n: f"v{n}" for n in range(10)}
    layered = indexed_module.Layered(dict(expected))
    steps: list[dict[int, Any]] = [
        {3: "changed", 11: "new"},
        {4: indexed_module.GONE, 11: indexed_module.GONE},
        {4: "back", 12: "newer", 99: indexed_module.GONE},
    ]
    for step in steps:
        layered = layered.updated(step)
        for key, value in step.items():
            if value is indexed_module.GONE:
                expected.pop(key, None)
            else:
                expected[key] = value
        assert dict(layered) == expected
        assert len(layered) == len(expected)
        assert sorted(layered) == sorted(expected)
        assert all(k in layered for k in expected)
        assert 11 in layered if 11 in expected else 11 not in layered
        assert layered.get(99) is None
        with pytest.raises(KeyError):
            layered[99]


@pytest.mark.asyncio
async def test_pools_are_built_ahead_in_slices_that_let_requests_in_between(
    storage: Storage, themes: dict[str, int], clock: Clock
) -> None:
    holder = SnapshotHolder(storage, 60, 60, clock)
    await holder.start()
    pools = holder.current.pools
    assert not any(pools.is_built(t) for t in themes.values())  # lazily, at start
    order: list[str] = []

    async def request() -> None:
        order.append("request")

    built = [0]
    build = pools._build

    def counted(theme_id: int) -> Any:
        order.append("pool")
        built[0] += 1
        return build(theme_id)

    pools._build = counted
    # A slice of no time: the loop gets a turn after every pool.
    warming = asyncio.create_task(holder.warm(slice_seconds=0.0))
    waiting = asyncio.create_task(request())
    assert await warming == len(themes) == built[0]
    await waiting
    assert order.index("request") < len(order) - 1  # answered while pools were still built
    assert all(pools.is_built(t) for t in themes.values())
    before = {t: pools[t] for t in themes.values()}
    assert await holder.warm() == 0  # all built: nothing built again
    assert {t: pools[t] for t in themes.values()} == before


@pytest.mark.asyncio
async def test_warming_prepares_each_themes_shared_part_and_orders_for_its_first_sight(
    storage: Storage, network: dict[str, int], themes: dict[str, int], clock: Clock
) -> None:
    from widget_server.serving.blocks import DAY, host_plan, plan_moment, prepare_theme, shared_part

    key = b"prepared-ahead-key"
    holder = SnapshotHolder(storage, 60, 60, clock)
    await holder.start()
    now = clock()
    holder.ahead = lambda snapshot, theme_id: prepare_theme(snapshot, theme_id, now, key)
    assert await holder.warm() == len(themes)
    snapshot = holder.current
    entries = len(snapshot.cache)
    placement = snapshot.placements[network["blumen"]]
    pool = snapshot.pools[placement.theme_id]
    moment = plan_moment(pool.rules.at(now), now)
    shared = shared_part(snapshot, pool, pool.rules.at(moment), moment)
    assert shared is not None and (int(moment // DAY), key) in shared.daily  # made ahead
    made = host_plan(snapshot, placement, moment, key)
    assert len(snapshot.cache) == entries  # the first sight found the shared part made
    fresh = SnapshotHolder(storage, 60, 60, clock)  # nothing made ahead
    await fresh.start()
    again = host_plan(fresh.current, fresh.current.placements[placement.id], moment, key)
    assert (made.weights, made.tiers[0].order) == (again.weights, again.tiers[0].order)


@pytest.mark.asyncio
async def test_warming_makes_a_large_themes_guides_for_its_first_sight(
    storage: Storage,
    network: dict[str, int],
    themes: dict[str, int],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A theme past ``GUIDED_FROM`` (here: any) gets its orders of the day and its walks'
    guides made ahead, one per variant for the weights it draws with, so no first
    sight makes one; and made beside the event loop (16 sorts of 10,000 members held
    it 200 ms per theme)."""
    import threading

    from widget_server.rotation import guide
    from widget_server.rotation.strategies import DailyOrders
    from widget_server.serving import blocks

    monkeypatch.setattr(blocks, "GUIDED_FROM", 2)
    made_in: list[str] = []
    prepare = DailyOrders.prepare

    def recorded(self: DailyOrders) -> None:
        made_in.append(threading.current_thread().name)
        prepare(self)

    monkeypatch.setattr(DailyOrders, "prepare", recorded)
    key = b"prepared-ahead-key"
    holder = SnapshotHolder(storage, 60, 60, clock)
    await holder.start()
    now = clock()
    holder.ahead = lambda snapshot, theme_id: blocks.prepare_theme(snapshot, theme_id, now, key)
    assert await holder.warm() == len(themes)
    snapshot = holder.current
    placement = snapshot.placements[network["blumen"]]
    pool = snapshot.pools[placement.theme_id]
    moment = blocks.plan_moment(pool.rules.at(now), now)
    shared = blocks.shared_part(snapshot, pool, pool.rules.at(moment), moment)
    assert shared is not None
    orders = shared.orders(key, int(moment // blocks.DAY))
    made = []
    monkeypatch.setattr(guide.Guide, "__init__", lambda *args: made.append(args))
    for k in range(orders.count):
        assert orders.guide(k, shared.values()).values is shared.values()
    assert made == []  # every variant's guide was there
    assert made_in and threading.main_thread().name not in made_in
