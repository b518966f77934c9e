"""The snapshot's compact layout: placements and memberships as columns, members as
records, pools as rosters over them.  Each reads exactly as the plain mappings it
replaces (the values the snapshot held before), and shares what it should, which is
where the memory goes."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from widget_server.core.models import (
    MEMBER_STATUSES,
    MEMBERSHIP_STATUSES,
    Logo,
    Member,
    MemberRecord,
    Membership,
    Placement,
    PlacementOptions,
    Theme,
)
from widget_server.rotation import MemberInfo
from widget_server.rotation.fairness import Balances
from widget_server.rotation.pool import Roster
from widget_server.serving.columns import Placements, ThemeMembers
from widget_server.serving.indexed import GONE, LAYER_LIMIT, Layered, Members, Network
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


# -- members -----------------------------------------------------------------------------------

# Any text a member's fields may hold as the snapshot reads them, NUL and lone
# surrogates included (the profile checks refuse them; an old database may not).
texts = st.text(st.characters(exclude_categories=()), max_size=40) | st.sampled_from(
    ("", "\0", "a\0b", "\ud800", "Möller \U0001f490")
)
members = st.builds(
    Member,
    st.integers(1, 2**40),
    texts,
    texts,
    texts,
    st.lists(texts, max_size=3).map(tuple),
    texts,
    st.sampled_from(("", "florist", "caterer")),
    texts,
    texts,
    st.sampled_from(MEMBER_STATUSES),
    st.one_of(
        st.none(), st.builds(Logo, st.integers(1, 9), texts, texts, st.integers(), st.integers())
    ),
)


@settings(max_examples=300)
@given(members)
def test_a_member_record_gives_back_the_member_it_was_made_from(member: Member) -> None:
    record = MemberRecord(member)
    assert record.member() == member
    assert (record.name, record.website, record.description) == (
        member.name,
        member.website,
        member.description,
    )
    assert record.domains == member.domains
    assert record.name_and_description() == (member.name, member.description)
    assert (record.id, record.slug, record.status, record.logo) == (
        member.id,
        member.slug,
        member.status,
        member.logo,
    )
    assert record.slug is member.slug  # shared with the pools' MemberInfo, not copied
    # As a full load makes it, from the fields without the Member (storage.record_from).
    fields = [getattr(member, f) for f in Member.__dataclass_fields__]
    made = MemberRecord.of_fields(*fields)
    assert made.member() == member and made._text == record._text
    packed = (member.name, member.website, member.description, *member.domains)
    if any("\0" in t or any("\ud800" <= c <= "\udfff" for c in t) for t in packed):
        assert isinstance(record._text, tuple)  # kept as it is
    else:
        assert isinstance(record._text, bytes)


@given(st.lists(members, max_size=12), st.lists(members, max_size=6), st.sets(st.integers(1, 9)))
def test_members_read_as_a_dict_of_them_before_and_after_changes(
    found: list[Member], changed: list[Member], removed: set[int]
) -> None:
    plain = {m.id: m for m in found}
    kept = Members.of(found)
    assert kept == plain and list(kept) == list(plain) and len(kept) == len(plain)
    for member_id in [*plain, 0, 10]:
        assert kept.get(member_id) == plain.get(member_id)
        assert (member_id in kept) is (member_id in plain)
    changes: dict[int, object] = dict.fromkeys(removed, GONE)
    changes.update((m.id, m) for m in changed)
    after = kept.updated(changes)  # type: ignore[arg-type]
    expected = dict(plain)
    for member_id, value in changes.items():
        if isinstance(value, Member):
            expected[member_id] = value
        else:
            expected.pop(member_id, None)
    assert after == expected
    assert kept == plain  # the earlier snapshot's members are unchanged


def test_members_stay_records_when_a_snapshots_changes_are_merged() -> None:
    base = Members.of(_member(i, "active") for i in range(1, 3001))
    renamed = {i: replace(_member(i, "active"), name=f"Neu {i}") for i in range(1, LAYER_LIMIT + 2)}
    after = base.updated(renamed)
    assert isinstance(after.records, Layered) and not after.records._top  # merged
    assert all(isinstance(r, MemberRecord) for r in after.records.values())
    assert after[5].name == "Neu 5" and after[3000] == _member(3000, "active")


def test_a_record_holds_a_members_text_in_one_object() -> None:
    """Where the memory goes: a typical member's four texts and domains are six objects;
    its record keeps them as one UTF-8 string (the rest is shared or small)."""
    member = replace(
        _member(7, "active"),
        name="Bäckerei Möller 512",
        description="Frische Brötchen, Torten für Hochzeit und Geburtstag " * 4,
        domains=("m7.example", "www.m7.example"),
    )
    parts = (member.name, member.website, member.description, *member.domains)
    as_member = sys.getsizeof(member) + sys.getsizeof(member.domains)
    as_member += sum(sys.getsizeof(p) for p in parts)
    record = MemberRecord(member)
    as_record = sys.getsizeof(record) + sys.getsizeof(record._text)
    assert isinstance(record._text, bytes)
    assert as_record < as_member - 200


def test_pools_and_directory_lists_share_the_members_records() -> None:
    """No pool or directory list keeps a ``Member`` of its own: at 100,000 members that
    would be a second copy of the network's text for every theme built."""
    found = [replace(_member(i, "active"), name=f"Betrieb {10 - i}") for i in range(1, 6)]
    memberships = [Membership(i, 1, "active", _joined(i)) for i in range(1, 6)]
    data = NetworkData(1, (Theme(1, "t", "T", ""),), tuple(found), tuple(memberships), (), ())
    network = Network.of(data)
    snapshot = Snapshot.of(network, Snapshot.empty().ledger, NOW)
    roster = snapshot.pools[1].members
    assert isinstance(roster, Roster)
    assert all(
        p is network.members.record(m) for m, p in zip(roster, roster._profiles, strict=True)
    )
    directory = snapshot.active_members[1]
    assert [m.id for m in directory] == [5, 4, 3, 2, 1]  # by name
    assert directory[0] == found[4] and directory[1:3] == [found[3], found[2]]
    assert all(r is network.members.record(r.id) for r in directory._records)


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
