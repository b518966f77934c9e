"""Lists follow ``next_cursor`` by themselves; pages are there for whoever wants them."""

from __future__ import annotations

import httpx
import pytest

from .conftest import FakeAPI, make_async_client, make_client


def members_by_cursor(request: httpx.Request) -> httpx.Response:
    """Five members, two per page; the cursor is the last slug seen."""
    slugs = ["a", "b", "c", "d", "e"]
    cursor = request.url.params.get("cursor")
    start = slugs.index(cursor) + 1 if cursor else 0
    limit = int(request.url.params.get("limit", "2"))
    chunk = slugs[start : start + limit]
    more = start + limit < len(slugs)
    data = [{"slug": s, "name": s.upper(), "website": f"https://{s}.example/"} for s in chunk]
    return httpx.Response(200, json={"data": data, "next_cursor": chunk[-1] if more else None})


def test_iterating_a_list_walks_every_page() -> None:
    api = FakeAPI(members_by_cursor)
    with make_client(api) as client:
        listing = client.members.list(status="active")
        assert api.requests == []  # nothing fetched before iterating
        slugs = [m.slug for m in listing]
    assert slugs == ["a", "b", "c", "d", "e"]
    assert [r.url.params.get("cursor") for r in api.requests] == [None, "b", "d"]
    assert all(r.url.params["status"] == "active" for r in api.requests)


def test_pages_one_at_a_time() -> None:
    api = FakeAPI(members_by_cursor)
    with make_client(api) as client:
        listing = client.members.list(limit=3)
        first = listing.page()
        assert [m.slug for m in first] == ["a", "b", "c"]
        assert first.has_more and first.next_cursor == "c"
        second = listing.page(first.next_cursor)
        assert [m.slug for m in second] == ["d", "e"]
        assert not second.has_more
        assert [len(p) for p in client.members.list(limit=2).pages()] == [2, 2, 1]
        resumed = client.members.list(limit=2, cursor="c")
        assert [m.slug for m in resumed] == ["d", "e"]
    assert api.requests[0].url.params["limit"] == "3"


def test_a_cursor_that_does_not_move_ends_the_walk() -> None:
    api = FakeAPI(httpx.Response(200, json={"data": [{"slug": "x"}], "next_cursor": "same"}))
    with make_client(api) as client:
        assert len(list(client.themes.list(cursor="same"))) == 1


@pytest.mark.asyncio
async def test_async_lists_walk_every_page() -> None:
    api = FakeAPI(members_by_cursor)
    async with make_async_client(api) as client:
        slugs = [m.slug async for m in client.members.list()]
        assert slugs == ["a", "b", "c", "d", "e"]
        assert [p.next_cursor async for p in client.members.list().pages()] == ["b", "d", None]
        page = await client.members.list(limit=4).page()
        assert len(page) == 4
        assert len(await client.members.list().collect()) == 5
