"""Each storage against a real database: CRUD, errors, versions, counters, the snapshot reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from widget_server.core.errors import ConflictError, NotFoundError
from widget_server.core.models import (
    Account,
    CounterRow,
    Logo,
    Member,
    Membership,
    PlacementOptions,
    Theme,
)
from widget_server.serving.indexed import Network
from widget_server.storage import SQLiteStorage

pytestmark = pytest.mark.asyncio


def theme(slug: str = "hochzeit", **kw: str) -> Theme:
    return Theme(0, slug, kw.get("name_de", "Hochzeit"), kw.get("name_en", "Wedding"))


def member(slug: str = "blumen", **kw: object) -> Member:
    fields: dict[str, object] = {
        "id": 0,
        "slug": slug,
        "name": f"Name of {slug}",
        "website": f"https://{slug}.example/",
        "domains": (f"{slug}.example", f"www.{slug}.example"),
        "description": "Sträuße & Gestecke",
        "category": "flowers",
        "town": "Heide",
        "postal_code": "25746",
        "status": "active",
    }
    fields.update(kw)
    return Member(**fields)  # type: ignore[arg-type]


# -- themes ---------------------------------------------------------------------------------


async def test_theme_round_trips(storage: SQLiteStorage) -> None:
    draft = Theme(0, "heide", "Heide", "Heide (Holstein)", "Läden in Heide", "Shops", "local")
    created = await storage.create_theme(draft)
    assert created.id > 0
    assert created == replace(draft, id=created.id)
    assert await storage.get_theme("heide") == created


async def test_themes_are_listed_by_slug(storage: SQLiteStorage) -> None:
    for slug in ("zeta", "alpha", "mitte"):
        await storage.create_theme(theme(slug))
    assert [t.slug for t in await storage.list_themes()] == ["alpha", "mitte", "zeta"]


async def test_duplicate_theme_slug_is_a_conflict(storage: SQLiteStorage) -> None:
    await storage.create_theme(theme("hochzeit"))
    with pytest.raises(ConflictError):
        await storage.create_theme(theme("hochzeit", name_de="Noch eine"))
    assert len(await storage.list_themes()) == 1


async def test_missing_theme_is_not_found(storage: SQLiteStorage) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        await storage.get_theme("nope")


# -- members --------------------------------------------------------------------------------


async def test_member_round_trips_with_its_theme_memberships(storage: SQLiteStorage) -> None:
    t1 = await storage.create_theme(theme("hochzeit"))
    t2 = await storage.create_theme(theme("heide"))
    created = await storage.create_member(member("blumen"), [t1.id, t2.id])
    assert created.id > 0
    assert created == member("blumen", id=created.id)
    assert await storage.get_member("blumen") == created
    assert await storage.get_member_by_id(created.id) == created
    assert await storage.list_memberships(member_id=created.id) == [
        Membership(created.id, t1.id, "active"),
        Membership(created.id, t2.id, "active"),
    ]


async def test_member_domains_round_trip_sorted(storage: SQLiteStorage) -> None:
    domains = ("zz.example", "aa.example", "www.mm.example", "mm.example")
    created = await storage.create_member(member("blumen", domains=domains))
    assert created.domains == tuple(sorted(domains))
    assert (await storage.get_member("blumen")).domains == tuple(sorted(domains))


async def test_member_without_domains_has_none(storage: SQLiteStorage) -> None:
    created = await storage.create_member(member("blumen", domains=()))
    assert created.domains == ()


async def test_duplicate_member_slug_is_a_conflict_and_leaves_the_first(
    storage: SQLiteStorage,
) -> None:
    first = await storage.create_member(member("blumen"))
    with pytest.raises(ConflictError):
        await storage.create_member(member("blumen", name="Someone else"))
    assert await storage.list_members() == [first]


async def test_member_with_an_unknown_theme_is_not_created(storage: SQLiteStorage) -> None:
    with pytest.raises(ConflictError):
        await storage.create_member(member("blumen"), [9999])
    with pytest.raises(NotFoundError):
        await storage.get_member("blumen")


async def test_missing_member_is_not_found(storage: SQLiteStorage) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        await storage.get_member("nope")
    with pytest.raises(NotFoundError):
        await storage.get_member_by_id(424242)
    with pytest.raises(NotFoundError):
        await storage.set_member_status(424242, "paused")


async def test_list_members_filters_by_status_and_theme(storage: SQLiteStorage) -> None:
    wedding = await storage.create_theme(theme("hochzeit"))
    town = await storage.create_theme(theme("heide"))
    a = await storage.create_member(member("a-laden", status="active"), [wedding.id])
    b = await storage.create_member(member("b-laden", status="paused"), [wedding.id, town.id])
    c = await storage.create_member(member("c-laden", status="active"), [town.id])
    await storage.set_membership(c.id, wedding.id, "left")  # left members are not listed

    assert [m.slug for m in await storage.list_members()] == ["a-laden", "b-laden", "c-laden"]
    assert [m.slug for m in await storage.list_members(status="active")] == ["a-laden", "c-laden"]
    assert [m.id for m in await storage.list_members(theme_id=wedding.id)] == [a.id, b.id]
    assert [m.id for m in await storage.list_members(theme_id=town.id)] == [b.id, c.id]
    assert [m.id for m in await storage.list_members(status="active", theme_id=town.id)] == [c.id]


async def test_member_status_changes(storage: SQLiteStorage) -> None:
    created = await storage.create_member(member("blumen", status="pending"))
    paused = await storage.set_member_status(created.id, "paused")
    assert paused.status == "paused"
    assert (await storage.get_member("blumen")).status == "paused"
    assert (await storage.set_member_status(created.id, "active")).status == "active"


# -- logos ----------------------------------------------------------------------------------


async def test_logo_round_trips_and_is_attached_to_the_member(storage: SQLiteStorage) -> None:
    created = await storage.create_member(member("blumen"))
    data = bytes(range(256)) * 4
    logo = Logo(created.id, "ab" * 32, "image/png", 120, 60)
    await storage.set_logo(logo, data)
    assert await storage.get_logo(created.id) == (logo, data)
    assert (await storage.get_member("blumen")).logo == logo


async def test_setting_a_logo_again_replaces_it(storage: SQLiteStorage) -> None:
    created = await storage.create_member(member("blumen"))
    await storage.set_logo(Logo(created.id, "aa" * 32, "image/png", 10, 10), b"first")
    second = Logo(created.id, "bb" * 32, "image/webp", 20, 30)
    await storage.set_logo(second, b"second")
    assert await storage.get_logo(created.id) == (second, b"second")


async def test_missing_logo_is_not_found(storage: SQLiteStorage) -> None:
    created = await storage.create_member(member("blumen"))
    assert created.logo is None
    with pytest.raises(NotFoundError):
        await storage.get_logo(created.id)


# -- memberships ----------------------------------------------------------------------------


async def test_set_membership_inserts_then_updates(storage: SQLiteStorage) -> None:
    t = await storage.create_theme(theme("hochzeit"))
    m = await storage.create_member(member("blumen"))
    assert await storage.set_membership(m.id, t.id, "pending") == Membership(m.id, t.id, "pending")
    assert await storage.list_memberships(theme_id=t.id) == [Membership(m.id, t.id, "pending")]
    await storage.set_membership(m.id, t.id, "active")
    assert await storage.list_memberships(member_id=m.id, theme_id=t.id) == [
        Membership(m.id, t.id, "active")
    ]


async def test_list_memberships_filters(storage: SQLiteStorage) -> None:
    t1 = await storage.create_theme(theme("hochzeit"))
    t2 = await storage.create_theme(theme("heide"))
    m1 = await storage.create_member(member("a-laden"), [t1.id])
    m2 = await storage.create_member(member("b-laden"), [t1.id, t2.id])
    assert len(await storage.list_memberships()) == 3
    assert {ms.member_id for ms in await storage.list_memberships(theme_id=t1.id)} == {
        m1.id,
        m2.id,
    }
    assert {ms.theme_id for ms in await storage.list_memberships(member_id=m2.id)} == {
        t1.id,
        t2.id,
    }
    assert await storage.list_memberships(member_id=m1.id, theme_id=t2.id) == []


# -- placements -----------------------------------------------------------------------------


async def test_placements_round_trip_with_their_options(storage: SQLiteStorage) -> None:
    t = await storage.create_theme(theme("hochzeit"))
    m = await storage.create_member(member("blumen"), [t.id])
    default = await storage.create_placement(m.id, t.id, PlacementOptions())
    fixed = await storage.create_placement(m.id, t.id, PlacementOptions("list", 5, "en", "dark"))
    assert default.id != fixed.id
    assert await storage.get_placement(default.id) == default
    assert (await storage.get_placement(fixed.id)).options == PlacementOptions(
        "list", 5, "en", "dark"
    )
    assert await storage.list_placements(member_id=m.id, theme_id=t.id) == [default, fixed]


async def test_list_placements_filters(storage: SQLiteStorage) -> None:
    t1 = await storage.create_theme(theme("hochzeit"))
    t2 = await storage.create_theme(theme("heide"))
    m1 = await storage.create_member(member("a-laden"), [t1.id, t2.id])
    m2 = await storage.create_member(member("b-laden"), [t1.id])
    p1 = await storage.create_placement(m1.id, t1.id, PlacementOptions())
    p2 = await storage.create_placement(m1.id, t2.id, PlacementOptions())
    p3 = await storage.create_placement(m2.id, t1.id, PlacementOptions())
    assert await storage.list_placements() == [p1, p2, p3]
    assert await storage.list_placements(member_id=m1.id) == [p1, p2]
    assert await storage.list_placements(theme_id=t1.id) == [p1, p3]
    assert await storage.list_placements(member_id=m2.id, theme_id=t2.id) == []


async def test_missing_placement_is_not_found(storage: SQLiteStorage) -> None:
    with pytest.raises(NotFoundError):
        await storage.get_placement(31337)


# -- rule sets ------------------------------------------------------------------------------


async def test_rule_set_versions_count_up_and_the_latest_is_current(
    storage: SQLiteStorage,
) -> None:
    t = await storage.create_theme(theme("hochzeit"))
    assert await storage.get_rule_set(t.id) is None
    versions = []
    for n in range(1, 4):
        rs = await storage.add_rule_set(t.id, {"max_per_category": n}, author=f"editor-{n}")
        versions.append(rs.version)
    assert versions == [1, 2, 3]
    current = await storage.get_rule_set(t.id)
    assert current is not None
    assert (current.version, current.rules, current.author) == (
        3,
        {"max_per_category": 3},
        "editor-3",
    )


async def test_rule_set_versions_are_per_theme(storage: SQLiteStorage) -> None:
    a = await storage.create_theme(theme("hochzeit"))
    b = await storage.create_theme(theme("heide"))
    await storage.add_rule_set(a.id, {"x": 1}, "k")
    await storage.add_rule_set(a.id, {"x": 2}, "k")
    first_b = await storage.add_rule_set(b.id, {"y": 1}, "k")
    assert first_b.version == 1
    current_a = await storage.get_rule_set(a.id)
    assert current_a is not None
    assert (current_a.version, current_a.rules) == (2, {"x": 2})


# -- counters -------------------------------------------------------------------------------


async def test_add_counts_adds_up_on_the_same_key(storage: SQLiteStorage) -> None:
    day = date(2027, 1, 15)
    await storage.add_counts([CounterRow(day, 1, 2, 3, "served", 5)])
    await storage.add_counts(
        [CounterRow(day, 1, 2, 3, "served", 7), CounterRow(day, 1, 2, 3, "clicked", 1)]
    )
    await storage.add_counts([CounterRow(day, 1, 2, 3, "served", 1)])
    assert await storage.list_counts() == [
        CounterRow(day, 1, 2, 3, "clicked", 1),
        CounterRow(day, 1, 2, 3, "served", 13),
    ]


async def test_add_counts_keeps_different_keys_apart(storage: SQLiteStorage) -> None:
    d1, d2 = date(2027, 1, 15), date(2027, 1, 16)
    rows = [
        CounterRow(d1, 1, 2, 3, "served", 1),
        CounterRow(d2, 1, 2, 3, "served", 2),  # other day
        CounterRow(d1, 9, 2, 3, "served", 3),  # other theme
        CounterRow(d1, 1, 8, 3, "served", 4),  # other host
        CounterRow(d1, 1, 2, 7, "served", 5),  # other partner
        CounterRow(d1, 1, 2, 3, "viewed", 6),  # other kind
    ]
    await storage.add_counts(rows)
    assert sorted(await storage.list_counts(), key=lambda r: r.count) == rows


async def test_add_counts_with_no_rows_is_a_no_op(storage: SQLiteStorage) -> None:
    await storage.add_counts([])
    assert await storage.list_counts() == []


async def test_list_counts_filters_by_day_and_theme(storage: SQLiteStorage) -> None:
    d1, d2, d3 = date(2027, 1, 14), date(2027, 1, 15), date(2027, 2, 1)
    rows = [
        CounterRow(d1, 1, 2, 3, "served", 1),
        CounterRow(d2, 1, 2, 3, "served", 2),
        CounterRow(d3, 1, 2, 3, "served", 3),
        CounterRow(d2, 2, 2, 3, "served", 4),
    ]
    await storage.add_counts(rows)
    assert {r.count for r in await storage.list_counts(since=d2)} == {2, 3, 4}
    assert {r.count for r in await storage.list_counts(theme_id=1)} == {1, 2, 3}
    assert {r.count for r in await storage.list_counts(since=d2, theme_id=1)} == {2, 3}
    assert await storage.list_counts(since=date(2027, 3, 1)) == []


# -- accounts -------------------------------------------------------------------------------


async def test_accounts_round_trip_and_are_counted(storage: SQLiteStorage) -> None:
    assert await storage.count_accounts() == 0
    created = await storage.create_account(Account(0, "koordination", "scrypt$hash", "coordinator"))
    assert created.id > 0
    assert await storage.get_account("koordination") == created
    await storage.create_account(Account(0, "zweite", "scrypt$other"))
    assert await storage.count_accounts() == 2


async def test_duplicate_account_is_a_conflict(storage: SQLiteStorage) -> None:
    await storage.create_account(Account(0, "koordination", "h1"))
    with pytest.raises(ConflictError):
        await storage.create_account(Account(0, "koordination", "h2"))
    assert (await storage.get_account("koordination")).password_hash == "h1"


async def test_missing_account_is_not_found(storage: SQLiteStorage) -> None:
    with pytest.raises(NotFoundError, match="nobody"):
        await storage.get_account("nobody")


# -- meta and data version ------------------------------------------------------------------


async def test_meta_round_trips_and_overwrites(storage: SQLiteStorage) -> None:
    assert await storage.get_meta("demo") is None
    await storage.set_meta("demo", "1")
    assert await storage.get_meta("demo") == "1"
    await storage.set_meta("demo", "0")
    assert await storage.get_meta("demo") == "0"


async def test_data_version_increases_on_every_network_write(storage: SQLiteStorage) -> None:
    seen = [await storage.data_version()]

    async def bumped() -> None:
        now = await storage.data_version()
        assert now > seen[-1]
        seen.append(now)

    t = await storage.create_theme(theme("hochzeit"))
    await bumped()
    m = await storage.create_member(member("blumen"), [t.id])
    await bumped()
    await storage.set_member_status(m.id, "paused")
    await bumped()
    await storage.set_membership(m.id, t.id, "paused")
    await bumped()
    await storage.create_placement(m.id, t.id, PlacementOptions())
    await bumped()
    await storage.add_rule_set(t.id, {"a": 1}, "k")
    await bumped()
    await storage.set_logo(Logo(m.id, "cd" * 32, "image/png", 1, 1), b"x")
    await bumped()


async def test_data_version_is_unchanged_by_counters_meta_and_accounts(
    storage: SQLiteStorage,
) -> None:
    await storage.create_theme(theme("hochzeit"))
    before = await storage.data_version()
    await storage.add_counts([CounterRow(date(2027, 1, 1), 1, 2, 3, "served", 1)])
    await storage.add_counts([CounterRow(date(2027, 1, 1), 1, 2, 3, "served", 1)])
    await storage.set_meta("secret_keys", "k")
    await storage.create_account(Account(0, "koordination", "h"))
    assert await storage.data_version() == before


async def test_a_failed_write_does_not_change_the_data_version(storage: SQLiteStorage) -> None:
    await storage.create_theme(theme("hochzeit"))
    before = await storage.data_version()
    with pytest.raises(ConflictError):
        await storage.create_theme(theme("hochzeit"))
    assert await storage.data_version() == before


# -- snapshot -------------------------------------------------------------------------------


async def test_load_network_returns_everything_with_the_current_version(
    storage: SQLiteStorage,
) -> None:
    t1 = await storage.create_theme(theme("hochzeit"))
    t2 = await storage.create_theme(theme("heide"))
    a = await storage.create_member(member("a-laden"), [t1.id])
    b = await storage.create_member(member("b-laden", status="paused"), [t1.id, t2.id])
    await storage.set_logo(Logo(a.id, "ef" * 32, "image/png", 4, 4), b"png")
    p1 = await storage.create_placement(a.id, t1.id, PlacementOptions())
    p2 = await storage.create_placement(b.id, t2.id, PlacementOptions("compact", 2, "de", None))
    await storage.add_rule_set(t1.id, {"v": 1}, "k")
    await storage.add_rule_set(t1.id, {"v": 2}, "k")

    data = await storage.load_network()
    assert data.version == await storage.data_version()
    assert data.themes == (t1, t2)
    assert data.members == (await storage.get_member("a-laden"), b)
    assert data.members[0].logo is not None
    assert set(data.memberships) == {
        Membership(a.id, t1.id),
        Membership(b.id, t1.id),
        Membership(b.id, t2.id),
    }
    assert set(data.placements) == {p1, p2}
    assert [(r.theme_id, r.version, r.rules) for r in data.rule_sets] == [(t1.id, 2, {"v": 2})]
    assert data.records == ()

    # As the serving snapshot reads it: the members as records, the memberships and
    # placements as the rows it indexes; indexed, the same network as the full load's.
    compact = await storage.load_network(compact=True)
    assert (compact.members, compact.memberships, compact.placements) == ((), (), ())
    assert [r.member() for r in compact.records] == list(data.members)
    assert (compact.themes, compact.rule_sets) == (data.themes, data.rule_sets)
    full, served = Network.of(data), Network.of(compact)
    assert dict(served.placements) == dict(full.placements) == {p1.id: p1, p2.id: p2}
    assert [served.members[m.id] for m in data.members] == list(data.members)
    assert served.member_themes == full.member_themes == {a.id: (t1.id,), b.id: (t1.id, t2.id)}
    joined = {t: dict(members) for t, members in served.memberships.items()}
    assert joined == {t: dict(members) for t, members in full.memberships.items()}
    assert joined[t1.id][b.id][0] == "active"
    # The time each joined, to the second it was stored (not the 0.0 of unreadable text).
    stored = {(ms.member_id, ms.theme_id): ms.joined for ms in data.memberships}
    assert all(
        joined[t][m][1] == datetime.fromisoformat(stored[m, t]).timestamp()
        for t in joined
        for m in joined[t]
    )


async def test_load_network_of_an_empty_database(storage: SQLiteStorage) -> None:
    data = await storage.load_network()
    assert data.version == await storage.data_version()
    assert (data.themes, data.members, data.memberships, data.placements, data.rule_sets) == (
        (),
        (),
        (),
        (),
        (),
    )
