"""What a process checks and reads before it uses a database.

The schema must be at the version this code needs; the signing keys come from
the environment or from what ``init`` stored; the demo flag says whether the
database was made by ``widget-server demo``.  Shared by the server and the CLI.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from widget_server.core.errors import StorageError
from widget_server.core.settings import Settings
from widget_server.storage import Storage, load_migrations

SECRET_KEYS_META = "secret_keys"  # noqa: S105  (a meta key name, not a secret)
DEMO_META = "demo"


async def ensure_secret_keys(storage: Storage, settings: Settings, *, create: bool) -> list[str]:
    """The signing keys: from ``WIDGET_SECRET_KEYS``, else those stored by ``init``.

    With ``create`` (``init``), a random key is generated and stored when none
    exists; there is never a built-in default key.
    """
    if settings.secret_keys:
        return [str(k) for k in settings.secret_keys]
    stored = await storage.get_meta(SECRET_KEYS_META)
    if stored:
        return stored.split(",")
    if not create:
        raise StorageError("no secret keys: run `widget-server init` or set WIDGET_SECRET_KEYS")
    key = secrets.token_urlsafe(32)
    await storage.set_meta(SECRET_KEYS_META, key)
    return [key]


def rotation_key(keys: list[str]) -> bytes:
    # Derived from the oldest key, so adding a new signing key does not reshuffle
    # every block; retiring the oldest key reshuffles once.
    return hmac.new(keys[0].encode(), b"partnerkreis.rotation.v1", hashlib.sha256).digest()


async def check_schema(storage: Storage) -> None:
    latest = len(load_migrations(storage.dialect))
    current = await storage.schema_version()
    if current != latest:
        raise StorageError(
            f"database schema is at version {current}, this server needs {latest}:"
            " run `widget-server init` to migrate"
        )
