"""Storage backends behind one protocol; ``storage_from_url`` picks one by URL."""

from __future__ import annotations

from pathlib import Path

from widget_server.storage.base import Storage
from widget_server.storage.records import (
    ChangeLog,
    Migration,
    NetworkData,
    StoredLedger,
    StoredResponse,
    load_migrations,
)
from widget_server.storage.sqlite import SQLiteStorage

__all__ = [
    "Migration",
    "ChangeLog",
    "NetworkData",
    "SQLiteStorage",
    "Storage",
    "StoredLedger",
    "StoredResponse",
    "load_migrations",
    "postgres_url",
    "sqlite_path",
    "storage_from_url",
]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///FILE`` URL (relative to the working directory), else None."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    rest = url[len(prefix) :]
    if not rest:
        raise ValueError(f"WIDGET_DATABASE_URL names no file: {url!r}")
    return Path(rest)


def postgres_url(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def storage_from_url(url: str) -> Storage:
    """A not-yet-opened storage for ``url``; raises ``ValueError`` naming an unknown scheme."""
    path = sqlite_path(url)
    if path is not None:
        return SQLiteStorage(path)
    if postgres_url(url):
        # Imported on demand: SQLite deployments never load the driver.
        from widget_server.storage.postgres import PostgresStorage

        return PostgresStorage(url)
    raise ValueError(
        f"unsupported WIDGET_DATABASE_URL {url!r}:"
        " expected sqlite:///FILE or postgresql://USER@HOST/DATABASE"
    )
