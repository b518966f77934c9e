"""Cursor pagination: iterate every item, or walk the pages yourself.

``client.members.list()`` returns a ``Listing`` at once and fetches nothing
until iterated; iterating fetches page after page, following ``next_cursor``
until the server says there is no more.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; ``next_cursor`` is None on the last one."""

    data: tuple[T, ...]
    next_cursor: str | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


class Listing(Generic[T]):
    """All items of a list, fetched page by page as they are iterated.

    ``for member in client.members.list(): ...`` walks every page;
    ``listing.page()`` fetches one page (``page(cursor)`` the one after it) and
    ``listing.pages()`` iterates pages.
    """

    def __init__(self, fetch: Callable[[str | None], Page[T]], cursor: str | None = None) -> None:
        self._fetch = fetch
        self._cursor = cursor

    def page(self, cursor: str | None = None) -> Page[T]:
        return self._fetch(cursor if cursor is not None else self._cursor)

    def pages(self) -> Iterator[Page[T]]:
        cursor = self._cursor
        while True:
            page = self._fetch(cursor)
            yield page
            if page.next_cursor is None or page.next_cursor == cursor:
                return
            cursor = page.next_cursor

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.data


class AsyncListing(Generic[T]):
    """``Listing`` for ``AsyncClient``: ``async for member in client.members.list(): ...``."""

    def __init__(
        self, fetch: Callable[[str | None], Awaitable[Page[T]]], cursor: str | None = None
    ) -> None:
        self._fetch = fetch
        self._cursor = cursor

    async def page(self, cursor: str | None = None) -> Page[T]:
        return await self._fetch(cursor if cursor is not None else self._cursor)

    async def pages(self) -> AsyncIterator[Page[T]]:
        cursor = self._cursor
        while True:
            page = await self._fetch(cursor)
            yield page
            if page.next_cursor is None or page.next_cursor == cursor:
                return
            cursor = page.next_cursor

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.data:
                yield item

    async def collect(self) -> list[T]:
        """Every item in a list (``[m async for m in listing]`` says the same)."""
        return [item async for item in self]
