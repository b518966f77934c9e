"""The snapshot's compact layout: placements and memberships as columns, pools as rosters
over them.  Each reads exactly as the plain mappings it replaces (the values the
snapshot held before), and shares what it should, which is where the memory goes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from widget_server.core.models import (
    MEMBER_STATUSES,
    MEMBERSHIP_STATUSES,
    Member,
    Membership,
    Placement,
    PlacementOptions,
    Theme,
)
from widget_server.rotation import MemberInfo
from widget_server.rotation.fairness import Balances
from widget_server.rotation.pool import Roster
from widget_server.serving.columns import Placements, ThemeMembers
from widget_server.serving.indexed import GONE, LAYER_LIMIT, Layered, Network
from widget_server.serving.snapshot import LedgerInput, Snapshot, build_pools
from widget_server.storage import NetworkData

NOW = 1_800_000_000.0
OPTIONS = (
    PlacementOptions(),
    PlacementOptions(layout="cards", max_partners=4),
    PlacementOptions(lang="en", scheme="dark", show="partners,offer"),
)

placements = st.lists(
    st.builds(
        Placement,
        st.integers(1, 60),
        st.integers(1, 2**40),  # ids beyond 32 bits too
        st.integers(1, 9),
        st.sampled_from(OPTIONS),
    ),
    max_size=40,
)


# -- placements ------------------------------------------------------------------------------


@given(placements)
def test_placements_as_columns_read_as_a_dict_of_them(found: list[Placement]) -> None:
    plain = {p.id: p for p in found}  # a later placement of an id wins
    columns = Placements.of(found)
    assert columns == plain
    assert list(columns) == sorted(plain)
    assert len(columns) == len(plain)
    for placement_id in range(0, 62):
        assert columns.get(placement_id) == plain.get(placement_id)
        assert (placement_id in columns) is (placement_id in plain)
    assert columns.get("7") is None and "7" not in columns  # type: ignore[call-overload]
    assert columns.rows() == [plain[i] for i in sorted(plain)]


@given(placements, placements, st.sets(st.integers(1, 60)))
def test_merged_placements_are_the_changes_applied(
    found: list[Placement], changed: list[Placement], removed: set[int]
) -> None:
    top: dict[int, object] = dict.fromkeys(removed, GONE)
    top.update((p.id, p) for p in changed)
    expected = {p.id: p for p in found}
    for placement_id, value in top.items():
        if isinstance(value, Placement):
            expected[placement_id] = value
        else:
            expected.pop(placement_id, None)
    assert Placements.of(found).merged(top) == expected


def test_placements_stay_columns_when_a_snapshots_changes_are_merged() -> None:
    base = Placements.of(Placement(i, i, 1) for i in range(1, 3001))
    layered = Layered(base).updated(
        {i: Placement(i, i, 2, OPTIONS[1]) for i in range(1, LAYER_LIMIT + 2)}
    )
    assert isinstance(layered._base, Placements)  # merged into columns, not a dict
    assert layered[5] == Placement(5, 5, 2, OPTIONS[1])
    assert layered[3000] == Placement(3000, 3000, 1)
    assert len(layered) == 3000


# -- memberships -------------------------------------------------------------------------------


def test_a_themes_members_keep_their_order_and_a_repeated_member_its_first_place() -> None:
    members = ThemeMembers.of([(5, "active", 1.0), (2, "paused", 2.0), (5, "left", 3.0)])
    assert list(members.items()) == [(5, ("left", 3.0)), (2, ("paused", 2.0))]
    assert members.status(2) == "paused" and members.status(9) is None
    assert 5 in members and 9 not in members


def test_a_status_the_code_does_not_know_is_kept_as_it_is() -> None:
    members = ThemeMembers.of([(1, "invited", 0.0)])
    assert members[1] == ("invited", 0.0)


# -- pools -------------------------------------------------------------------------------------


def _member(i: int, status: str) -> Member:
    return Member(
        i,
        f"m{i}",
        f"Betrieb {i}",
        f"https://m{i}.example/",
        category=("florist", "caterer", "")[i % 3],
        town=("Heide", "Meldorf")[i % 2],
        postal_code=("25746", "25704")[i % 2],
        status=status,  # type: ignore[arg-type]
    )


def _joined(days: int) -> str:
    return (datetime.fromtimestamp(NOW, UTC) - timedelta(days=days)).isoformat()


def _plain_members(
    data: NetworkData, theme_id: int, served: dict[int, date]
) -> dict[int, MemberInfo]:
    """The pool's members made the way the snapshot made them before the columns: one
    MemberInfo per membership that is there."""
    members = {m.id: m for m in data.members}
    out: dict[int, MemberInfo] = {}
    for ms in data.memberships:
        member = members.get(ms.member_id)
        if ms.theme_id != theme_id or member is None:
            continue
        if member.status == "removed" or ms.status == "left":
            out.pop(ms.member_id, None)
            continue
        seen = served.get(ms.member_id)
        out[ms.member_id] = MemberInfo(
            ms.member_id,
            member.slug,
            member.category,
            member.town,
            member.postal_code,
            member.status == "active" and ms.status == "active",
            datetime.fromisoformat(ms.joined).timestamp(),
            datetime.combine(seen + timedelta(days=1), datetime.min.time(), UTC).timestamp()
            if seen
            else None,
        )
    return out


network_rows = st.lists(
    st.tuples(
        st.sampled_from(MEMBER_STATUSES),
        st.lists(st.tuples(st.integers(1, 3), st.sampled_from(MEMBERSHIP_STATUSES)), max_size=3),
        st.integers(0, 400),  # joined days ago
        st.one_of(st.none(), st.integers(0, 30)),  # last served days ago
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(network_rows)
def test_a_pools_roster_reads_as_the_member_infos_it_replaces(
    rows: list[tuple[str, list[tuple[int, str]], int, int | None]],
) -> None:
    members, memberships, served = [], [], {}
    today = datetime.fromtimestamp(NOW, UTC).date()
    for i, (status, themes, joined, seen) in enumerate(rows, start=1):
        members.append(_member(i, status))
        memberships += [Membership(i, t, s, _joined(joined)) for t, s in dict(themes).items()]
        if seen is not None:
            served[i] = today - timedelta(days=seen)
    themes = tuple(Theme(t, f"t{t}", f"T{t}", "") for t in (1, 2, 3))
    data = NetworkData(1, themes, tuple(members), tuple(memberships), (), ())
    last_served = {(t, m): d for t in (1, 2, 3) for m, d in served.items()}
    pools = build_pools(data, LedgerInput(last_served=last_served), NOW)
    for theme in themes:
        pool = pools[theme.id]
        expected = _plain_members(data, theme.id, served)
        assert dict(pool.members) == expected
        assert list(pool.members) == list(expected)  # the same order: the same sums
        assert dict(pool.ids_by_slug) == {m.slug: i for i, m in expected.items()}
        active = [i for i, m in expected.items() if m.eligible]
        assert list(pool.balances) == active
        assert dict(pool.themes_of) == {
            i: sum(
                1
                for ms in memberships
                if ms.member_id == i and ms.status == "active" and members[i - 1].status == "active"
            )
            for i in active
        }


def test_a_pool_shares_its_themes_index_and_join_times() -> None:
    members = [_member(i, "active") for i in range(1, 6)]
    memberships = [Membership(i, 1, "active", _joined(i)) for i in range(1, 6)]
    data = NetworkData(1, (Theme(1, "t", "T", ""),), tuple(members), tuple(memberships), (), ())
    network = Network.of(data)
    snapshot = Snapshot.of(network, Snapshot.empty().ledger, NOW)
    pool = snapshot.pools[1]
    assert isinstance(pool.members, Roster)
    theme = network.memberships[1]
    # One index of the theme's members: the memberships', the pool's, its balances'.
    assert pool.members.index is theme.index
    assert isinstance(pool.balances, Balances) and pool.balances._index is theme.index
    assert pool.members.joined_at(3) == theme.joined[2]
    # A member paused: the balances are over the others, indexed on their own.
    paused = replace(data, members=(replace(members[0], status="paused"), *members[1:]))
    network = Network.of(paused)
    pool = Snapshot.of(network, Snapshot.empty().ledger, NOW).pools[1]
    assert isinstance(pool.members, Roster) and isinstance(pool.balances, Balances)
    assert pool.members.index is network.memberships[1].index  # every membership is there
    assert list(pool.balances) == [2, 3, 4, 5]
    assert pool.balances._index == {2: 0, 3: 1, 4: 2, 5: 3}
    assert pool.members[1].eligible is False
