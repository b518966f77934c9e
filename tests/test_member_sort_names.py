"""The admin's member list sorts, searches and pages in the database (``members.sort_name``).

At 100,000 members the list computed the German sort key of every name in Python per
request, and that worker thread held the GIL against the event loop for 60-80 ms at a
time.  Now each member stores its key with its name; these tests hold the database's
order and search to Python's definition (``collation.sort_key``) on both databases, on
names of many scripts, through every path that writes a name.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from widget_server.core.collation import sort_key, sort_name
from widget_server.core.models import Member
from widget_server.storage import SQLiteStorage, load_migrations, storage_from_url
from widget_server.storage.meta import sort_names_version

pytestmark = pytest.mark.asyncio

# Letters that fold, decompose, expand or compare differently in bytes and in German,
# combining marks, other scripts, signs a LIKE would take for wildcards, spaces.
ALPHABET = (
    "abcxyzABCXYZ019 "
    "äöüÄÖÜßẞéÉèçñøØæÆœŒłđ"
    "\u0301\u0308\u0327"
    "ǄǅǆℌℍﬀﬁİıΣσςΩЖжж日本語😀🎉ＡＢ%_\u00a0\u200b'&<"
)
HAND_PICKED = [
    "Ährenhof",
    "Ahrenhof",
    "ahrenhof",
    "Straße",
    "Strasse",
    "STRASSE",
    "Zoë",
    "Zoe\u0308",
    "Zoe",
    "ℌof",
    "hof",
    "Éclair",
    "eclair",
    "Ölmühle",
    "Oelmühle",
    "😀 Freude",
    "日本",
    "Ωmega",
    "100% Bio_Laden",
    " Leerzeichen",
]


def _names(count: int) -> list[str]:
    draw = random.Random(20261204)
    made = [
        "".join(draw.choice(ALPHABET) for _ in range(draw.randint(1, 12)))
        for _ in range(count - len(HAND_PICKED))
    ]
    return HAND_PICKED + made


def _member(number: int, name: str, status: str) -> Member:
    return Member(
        id=0,
        slug=f"m{number}",
        name=name,
        website=f"https://m{number}.example/",
        status=status,  # type: ignore[arg-type]
    )


async def _network(storage: SQLiteStorage, count: int = 240) -> list[Member]:
    """``count`` members, every fifth pending, every seventh paused: half written one at a
    time, half through the bulk import; then some renamed."""
    statuses = [
        "pending" if n % 5 == 0 else "paused" if n % 7 == 0 else "active" for n in range(count)
    ]
    new = [_member(n, name, statuses[n]) for n, name in enumerate(_names(count))]
    for member in new[: count // 2]:
        await storage.create_member(member)
    await storage.import_members([(m, ()) for m in new[count // 2 :]])
    members = await storage.list_members()
    by_slug = {m.slug: m for m in members}
    for number in range(0, count, 9):  # a renamed member sorts by its new name
        renamed = replace(by_slug[f"m{number}"], name=f"Umbenannt {_names(count)[-1 - number]}")
        by_slug[renamed.slug] = await storage.update_member(renamed)
    return list(by_slug.values())


def _expected(members: list[Member], status: str | None = None, needle: str = "") -> list[int]:
    shown = [
        m
        for m in members
        if status in (None, m.status) and (needle in sort_name(m.name) or needle in m.slug)
    ]
    shown.sort(key=lambda m: (m.status != "pending", sort_key(m.name), m.slug, m.id))
    return [m.id for m in shown]


async def _listed(storage: SQLiteStorage, status: str | None, needle: str, size: int) -> list[int]:
    """Every page of the list, one after the other."""
    ids: list[int] = []
    number = 1
    while True:
        matching, shown, page = await storage.listed_members(status, needle, number, size)
        assert shown == number
        ids += page
        if len(ids) >= matching:
            return ids
        number += 1


async def test_the_database_lists_in_the_german_order_python_defines(
    storage: SQLiteStorage,
) -> None:
    if storage.dialect == "postgres":
        # As in a database created with a German default collation: names compare by
        # ICU's rules unless the query asks for code points.
        async with storage._write(bump=False) as conn:
            await conn.execute(
                'ALTER TABLE members ALTER COLUMN name TYPE text COLLATE "de-DE-x-icu"'
            )
    members = await _network(storage)
    whole = _expected(members)
    assert len(whole) == 240
    assert (await storage.listed_members(None, "", 1, 1000))[2] == whole
    assert await _listed(storage, None, "", 7) == whole  # pages join up, none twice
    for status in ("pending", "active", "paused", "removed"):
        assert await _listed(storage, status, "", 50) == _expected(members, status)


QUERIES = ["a", "SS", "straße", "É", "%", "_", "m1", "Ü", "ℌ", "h", "ﬁ", "😀", "Σ", " ", "zz"]
HOSTILE = ["\x00", "a\x00", "\\", "'", "' OR 1=1 --", "\u00a0", "\ufffd", "x" * 100]


async def test_a_search_finds_what_python_finds_case_and_accents_aside(
    storage: SQLiteStorage,
) -> None:
    members = await _network(storage, 120)
    for query in QUERIES + HOSTILE:  # one network for all: a network is 120 writes
        needle = sort_name(query)
        found = _expected(members, None, needle)
        assert await _listed(storage, None, needle, 1000) == found, query
        assert await _listed(storage, "active", needle, 1000) == _expected(
            members, "active", needle
        ), query


async def test_a_page_past_the_end_is_the_last_and_an_empty_list_has_one(
    storage: SQLiteStorage,
) -> None:
    assert await storage.listed_members(None, "", 1, 10) == (0, 1, [])
    members = await _network(storage, 25)
    whole = _expected(members)
    assert await storage.listed_members(None, "", 10**30, 10) == (25, 3, whole[20:])
    assert await storage.listed_members(None, "", 0, 10) == (25, 1, whole[:10])


async def test_names_written_without_their_sort_name_are_filled_in(
    storage: SQLiteStorage,
) -> None:
    # Rows another tool or an older server wrote: the list fills them before it sorts.
    members = await _network(storage, 40)
    cleared = [m.id for m in members[::3]]
    async with storage._write(bump=False) as conn:
        for member_id in cleared:
            await conn.execute("UPDATE members SET sort_name = NULL WHERE id = ?", member_id)
    assert await storage.fill_sort_names(chunk=4) == len(cleared)
    assert await storage.fill_sort_names() == 0
    assert await _listed(storage, None, "", 1000) == _expected(members)


async def test_an_upgrade_gives_every_member_its_sort_name(database_url: str) -> None:
    store = storage_from_url(database_url)
    await store.open()
    try:
        await store.migrate(target=sort_names_version(load_migrations(store.dialect)) - 1)
        names = _names(30)
        async with store._write(bump=False) as conn:
            for number, name in enumerate(names):
                await conn.execute(
                    "INSERT INTO members (slug, name, website, status, created_at, updated_at)"
                    " VALUES (?, ?, ?, 'active', ?, ?)",
                    f"m{number}",
                    name,
                    "https://m.example/",
                    store._dialect.time("2026-01-01T00:00:00+00:00"),
                    store._dialect.time("2026-01-01T00:00:00+00:00"),
                )
        await store.migrate()  # nothing else: the upgrade itself fills them
        async with store._write(bump=False) as conn:
            stored = await conn.fetch("SELECT name, sort_name FROM members")
        assert sorted(tuple(row) for row in stored) == sorted((n, sort_name(n)) for n in names)
    finally:
        await store.close()
