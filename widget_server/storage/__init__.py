"""Storage backends behind one protocol; ``storage_from_url`` picks one by URL."""

from __future__ import annotations

from pathlib import Path

from .base import Migration, NetworkData, Storage, StoredResponse, load_migrations
from .sqlite import SQLiteStorage

__all__ = [
    "Migration",
    "NetworkData",
    "SQLiteStorage",
    "Storage",
    "StoredResponse",
    "load_migrations",
    "sqlite_path",
    "storage_from_url",
]


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///FILE`` URL (relative to the working directory), else None."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    rest = url[len(prefix) :]
    if not rest:
        raise ValueError(f"WIDGET_DATABASE_URL names no file: {url!r}")
    return Path(rest)


def storage_from_url(url: str) -> Storage:
    """A not-yet-opened storage for ``url``; raises ``ValueError`` naming an unknown scheme."""
    path = sqlite_path(url)
    if path is not None:
        return SQLiteStorage(path)
    raise ValueError(f"unsupported WIDGET_DATABASE_URL {url!r}: expected sqlite:///FILE")
