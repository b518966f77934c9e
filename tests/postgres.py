"""PostgreSQL for the tests: a fresh schema per test on the server named by
``WIDGET_TEST_POSTGRES_URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/test``).

Without that variable the PostgreSQL variants are left out of the run (not
skipped one by one), and the summary says how to turn them on.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ENV = "WIDGET_TEST_POSTGRES_URL"
HINT = (
    f"PostgreSQL backend not tested: set {ENV}=postgresql://postgres@127.0.0.1:5432/test"
    " (an empty database the tests may create schemas in) to run every storage test"
    " against PostgreSQL too"
)


def server_url() -> str | None:
    return os.environ.get(ENV) or None


def with_search_path(url: str, schema: str) -> str:
    """``url`` with the session's search_path set to ``schema`` (asyncpg passes it on)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    query.append(("search_path", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))


async def _execute(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_schema(url: str) -> AsyncIterator[str]:
    """A URL whose connections live in a new, empty schema; dropped afterwards."""
    schema = f"t_{secrets.token_hex(6)}"
    await _execute(url, f"CREATE SCHEMA {schema}")
    try:
        yield with_search_path(url, schema)
    finally:
        await _execute(url, f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def fresh_schema_sync(url: str) -> Iterator[str]:
    """``fresh_schema`` for tests without an event loop (they start server processes)."""
    schema = f"t_{secrets.token_hex(6)}"
    asyncio.run(_execute(url, f"CREATE SCHEMA {schema}"))
    try:
        yield with_search_path(url, schema)
    finally:
        asyncio.run(_execute(url, f"DROP SCHEMA {schema} CASCADE"))
