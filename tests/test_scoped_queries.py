"""Commands read only what they show, and show what reading everything showed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from widget_server.cli.simulate import theme_pools as simulate_pools
from widget_server.core.models import CounterRow
from widget_server.counting import stats
from widget_server.counting.replay import explain_selection
from widget_server.network.rules import set_rules
from widget_server.network.scope import load_themes_network
from widget_server.network.services import (
    MemberInput,
    add_member,
    add_theme,
    set_member_status,
    set_membership_status,
)
from widget_server.serving.snapshot import LedgerInput, build_pools, load_ledger
from widget_server.storage import NetworkData, Storage

pytestmark = pytest.mark.asyncio

TODAY = date(2027, 3, 20)
AT = datetime(2027, 3, 20, 12, tzinfo=UTC).timestamp()
THEMES = ("hochzeit", "stadt", "garten")
# member -> its themes: some in one theme, some in two or three
MEMBERS = {
    "a": ("hochzeit", "stadt"),
    "b": ("hochzeit",),
    "c": ("hochzeit", "stadt", "garten"),
    "d": ("stadt", "garten"),
    "e": ("hochzeit", "garten"),
    "f": ("garten",),
}


@dataclass
class Unscoped:
    """The storage as the commands used it before: every scoped read reads everything."""

    inner: Storage

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def member_counts(
        self, member_id: int, *, since: date | None = None, theme_id: int | None = None
    ) -> list[CounterRow]:
        return await self.inner.list_counts(since=since)

    async def load_theme_network(self, theme_id: int) -> NetworkData:
        return await self.inner.load_network()

    async def exposure_since(self, since: date, theme_id: int | None = None) -> list[CounterRow]:
        return await self.inner.exposure_since(since)

    async def last_served(self, theme_id: int | None = None) -> dict[tuple[int, int], date]:
        return await self.inner.last_served()


async def network(storage: Storage) -> dict[str, int]:
    theme_ids = {}
    for slug in THEMES:
        theme_ids[slug] = (await add_theme(storage, slug=slug, name_de=slug.title())).id
    ids = {}
    for slug, themes in MEMBERS.items():
        member = await add_member(
            storage,
            MemberInput(
                slug=slug, name=slug.upper(), website=f"https://{slug}.example/", themes=themes
            ),
        )
        ids[slug] = member.id
    await set_membership_status(storage, "e", "garten", "left")
    await set_membership_status(storage, "c", "stadt", "paused")
    await set_member_status(storage, "f", "removed")
    # A longer memory in another theme widens the ledger's window for every theme.
    await set_rules(storage, "garten", {"fairness": {"half_life_days": 30}}, "test")
    rows = []
    for age in (0, 1, 5, 40, 70):
        day = TODAY - timedelta(days=age)
        for theme, tid in theme_ids.items():
            members = [ids[m] for m, ts in MEMBERS.items() if theme in ts]
            for i, host in enumerate(members):
                rows.append(CounterRow(day, tid, host, 0, "viewed", 3 + i + age % 4))
                rows.append(CounterRow(day, tid, host, 0, "served", 5 + i))
                for j, partner in enumerate(m for m in members if m != host):
                    rows.append(CounterRow(day, tid, host, partner, "viewed", 1 + j, 0.7 + j))
                    if (i + j + age) % 3 == 0:
                        rows.append(CounterRow(day, tid, host, partner, "clicked", 1))
    await storage.add_counts(rows)
    return ids


async def test_theme_member_counts_equal_the_per_theme_member_lists(storage: Storage) -> None:
    await network(storage)
    counts = await storage.theme_member_counts(removed=True)
    for theme in await storage.list_themes():
        assert counts.get(theme.id, 0) == len(await storage.list_members(theme_id=theme.id))


@pytest.mark.parametrize("theme", [None, "stadt"])
@pytest.mark.parametrize("since", [None, TODAY - timedelta(days=5)])
async def test_a_member_report_reads_only_its_rows_and_equals_the_full_read(
    storage: Storage, theme: str | None, since: date | None
) -> None:
    await network(storage)
    only = await storage.get_theme(theme) if theme else None
    for slug in MEMBERS:
        member = await storage.get_member(slug)
        scoped = await stats.member_report(storage, member, theme=only, since=since)
        full = await stats.member_report(Unscoped(storage), member, theme=only, since=since)  # type: ignore[arg-type]
        assert scoped == full
    everything = await storage.list_counts()
    assert len(await storage.member_counts(member.id)) < len(everything)


async def test_one_themes_network_builds_the_same_pool_as_the_whole(storage: Storage) -> None:
    await network(storage)
    full = await storage.load_network()
    for slug in THEMES:
        theme = await storage.get_theme(slug)
        scoped = await storage.load_theme_network(theme.id)
        assert [t.slug for t in scoped.themes] == [slug]
        mine = build_pools(scoped, await load_ledger(storage, AT, scoped, theme.id), AT)
        whole = build_pools(full, await load_ledger(storage, AT, full), AT)
        assert mine[theme.id] == whole[theme.id]
        assert mine[theme.id].ledger and mine[theme.id].balances  # not trivially equal
        assert {p.id for p in scoped.placements} == {
            p.id for p in full.placements if p.theme_id == theme.id
        }


async def test_explain_scoped_to_its_theme_explains_the_same(storage: Storage) -> None:
    await network(storage)
    key = b"k" * 32
    for member, themes in MEMBERS.items():
        for theme in themes:
            if (member, theme) in (("e", "garten"), ("f", "garten")):
                continue  # left, removed: not in the pool either way
            scoped = await explain_selection(storage, key, member, theme, AT)
            full = await explain_selection(Unscoped(storage), key, member, theme, AT)  # type: ignore[arg-type]
            assert scoped == full


@pytest.mark.parametrize(
    "slugs", [["garten"], ["hochzeit", "stadt"], ["stadt", "garten", "hochzeit"]]
)
async def test_simulate_builds_its_themes_pools_as_from_the_whole_network(
    storage: Storage, slugs: list[str]
) -> None:
    await network(storage)
    themes, pools, names = await simulate_pools(storage, slugs, AT)
    assert [t.slug for t in themes] == slugs
    whole = build_pools(
        await storage.load_network(), LedgerInput((), await storage.last_served()), AT
    )
    assert pools == {t.id: whole[t.id] for t in themes}
    assert names == {m: s for t in themes for s, m in whole[t.id].ids_by_slug.items()}
    assert all(pool.members for pool in pools.values())  # not trivially equal
    # The parts of several themes, merged, hold each member and membership once.
    data = await load_themes_network(storage, [t.id for t in themes])
    assert len({m.id for m in data.members}) == len(data.members)
    assert len({(ms.member_id, ms.theme_id) for ms in data.memberships}) == len(data.memberships)
