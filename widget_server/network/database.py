"""What a process checks and reads before it uses a database.

The schema must be at the version this code needs; the signing keys come from
the environment or from what ``init`` stored; the demo flag says whether the
database was made by ``widget-server demo``.  Shared by the server and the CLI.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from widget_server.core.errors import PartnerkreisError, StorageError
from widget_server.core.settings import Settings
from widget_server.storage import SQLiteStorage, Storage, load_migrations, storage_from_url

SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file

SECRET_KEYS_META = "secret_keys"  # noqa: S105  (a meta key name, not a secret)
DEMO_META = "demo"
DEMO_DAYS_META = "demo_history_days"  # the days of history `demo` played (the tour says so)


SIGNED_WITH_META = "signed_with"  # JSON: fingerprints of the keys that have signed codes
RETIRING_META = "secret_keys_until"  # JSON: fingerprint -> last day its codes stay valid


def fingerprint(key: str) -> str:
    """A key's public name: the first 8 hex digits of its SHA-256 (never the key)."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


async def _json_meta(storage: Storage, name: str, default: Any) -> Any:
    text = await storage.get_meta(name)
    return json.loads(text) if text else default


async def retiring_keys(storage: Storage) -> dict[str, str]:
    """Fingerprint -> the last day (ISO) codes signed with that key stay valid."""
    found: dict[str, str] = await _json_meta(storage, RETIRING_META, {})
    return found


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


async def ensure_secret_keys(storage: Storage, settings: Settings, *, create: bool) -> list[str]:
    """The signing keys: from ``WIDGET_SECRET_KEYS``, else those stored by ``init``.

    With ``create`` (``init``), a random key is generated and stored when none
    exists; there is never a built-in default key.  Stored keys past the day
    ``secret rotate`` announced are dropped.  Refuses keys that lack one which
    signed this network's embed codes (they would all answer 404).
    """
    retiring = await retiring_keys(storage)
    if settings.secret_keys:
        keys = [str(k) for k in settings.secret_keys]
    elif stored := await storage.get_meta(SECRET_KEYS_META):
        keys = [k for k in stored.split(",") if retiring.get(fingerprint(k), "9999") >= _today()]
    elif create:
        keys = [secrets.token_urlsafe(32)]
        await storage.set_meta(SECRET_KEYS_META, keys[0])
    else:
        raise StorageError("no secret keys: run `widget-server init` or set WIDGET_SECRET_KEYS")
    if not keys:
        raise StorageError("no secret key left: run `widget-server secret rotate`")
    # `init` signs nothing: the first process that may sign codes records the key.
    await check_signing_keys(storage, keys, retiring, record=not create)
    return keys


async def check_signing_keys(
    storage: Storage,
    keys: list[str],
    retiring: dict[str, str] | None = None,
    *,
    record: bool = True,
) -> None:
    """Every key that signed codes still valid must be in ``keys``; with ``record`` the
    newest (the one this process signs with) is remembered as having signed."""
    if retiring is None:
        retiring = await retiring_keys(storage)
    signed: list[str] = await _json_meta(storage, SIGNED_WITH_META, [])
    present = {fingerprint(k) for k in keys}
    today = _today()
    for name in signed:
        if name not in present and retiring.get(name, "9999") >= today:
            raise StorageError(
                f"the signing keys lack key {name}, which signed this network's embed codes"
                " (every one of them would answer 404): put that key back into"
                " WIDGET_SECRET_KEYS (comma separated, newest last), or unset"
                " WIDGET_SECRET_KEYS to use the keys `init` stored;"
                " `widget-server secret show` lists the keys the database expects"
            )
    newest = fingerprint(keys[-1])
    if record and newest not in signed:
        await storage.set_meta(SIGNED_WITH_META, json.dumps([*signed, newest]))


def rotation_key(keys: list[str]) -> bytes:
    # Derived from the oldest key, so adding a new signing key does not reshuffle
    # every block; retiring the oldest key reshuffles once.
    return hmac.new(keys[0].encode(), b"partnerkreis.rotation.v1", hashlib.sha256).digest()


async def check_schema(storage: Storage) -> None:
    """Raise ``StorageError`` saying what to run unless the schema is this code's."""
    latest = len(load_migrations(storage.dialect))
    current = await storage.schema_version()
    if current == 0:
        raise StorageError("the database is not initialised: run `widget-server init`")
    if current < latest:
        raise StorageError(
            f"database schema is at version {current}, this server needs {latest}:"
            " run `widget-server init` to migrate"
        )
    if current > latest:
        raise StorageError(
            f"database schema is at version {current}, newer than this server ({latest}):"
            " upgrade the server"
        )


def check_database_file(path: Path, *, create: bool) -> None:
    """Refuse a SQLite file that cannot be a network's, before anything opens it.

    Opening would otherwise create a missing file (and its directory), and a
    file that is not a database fails deep inside the driver.  ``create``
    (``init``, ``demo``): a missing or empty file is fine, its directory is not.
    """
    if not path.parent.is_dir():
        raise StorageError(
            f"the directory {path.parent} does not exist: create it, or set WIDGET_DATABASE_URL"
        )
    if path.is_dir():
        raise StorageError(f"{path} is a directory: set WIDGET_DATABASE_URL to a file")
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        if create:
            return
        raise StorageError(
            f"no database at {path}: run `widget-server init`, or set WIDGET_DATABASE_URL"
            " to the network's database (`widget-server demo` prints its own)"
        ) from None
    except OSError as exc:
        raise StorageError(f"cannot read the database {path}: {exc.strerror}") from exc
    if not header:
        if create:
            return
        raise StorageError(f"the database {path} is empty: run `widget-server init`")
    if header != SQLITE_HEADER:
        raise StorageError(
            f"{path} is not a SQLite database: set WIDGET_DATABASE_URL to the network's"
            " database, or restore it from a backup"
        )


async def open_storage(storage: Storage, *, create: bool = False) -> None:
    """Open ``storage`` for use, or raise ``StorageError`` in one sentence saying what to do.

    Without ``create`` the schema must be this code's.  A failed open closes
    what it opened, so no connection thread keeps the process alive.
    """
    if isinstance(storage, SQLiteStorage):
        check_database_file(storage.path, create=create)
    try:
        await storage.open()
        if not create:
            await check_schema(storage)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            await storage.close()
        if isinstance(exc, Exception) and not isinstance(exc, PartnerkreisError):
            # e.g. a SQLite file with a good header and damaged pages
            raise StorageError(f"cannot use the database: {exc}: restore it from a backup") from exc
        raise


async def check_database(url: str, settings: Settings | None = None) -> None:
    """Open the database at ``url``, check it (and with ``settings`` the signing keys)
    as a server would, and close it again."""
    storage = storage_from_url(url)
    await open_storage(storage)
    try:
        if settings is not None:
            await ensure_secret_keys(storage, settings, create=False)
    finally:
        await storage.close()
