"""``widget-server secret show|rotate``: the keys that sign embed codes, links and tokens."""

from __future__ import annotations

import argparse
import json
import secrets
from datetime import UTC, datetime, timedelta

from widget_server.cli.common import UsageError, emit, texts
from widget_server.core.settings import Settings
from widget_server.network.database import (
    RETIRING_META,
    SECRET_KEYS_META,
    ensure_secret_keys,
    fingerprint,
    retiring_keys,
)
from widget_server.storage import Storage

DEFAULT_KEEP_DAYS = 90
MAX_KEEP_DAYS = 3650


def add_rotate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep-days",
        type=int,
        default=DEFAULT_KEEP_DAYS,
        help=f"days the old key's codes stay valid (default {DEFAULT_KEEP_DAYS})",
    )


async def cmd_secret_show(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    keys = await ensure_secret_keys(storage, settings, create=False)
    retiring = await retiring_keys(storage)
    source = "WIDGET_SECRET_KEYS" if settings.secret_keys else "database"
    t = texts(settings)
    rows = []
    for i, key in enumerate(keys):
        name = fingerprint(key)
        role = "signs" if i == len(keys) - 1 else "verifies"
        rows.append({"key": name, "role": role, "valid_until": retiring.get(name)})
    lines = [t.gettext("Signing keys (from %(source)s), oldest first:", source=source)]
    for row in rows:
        until = row["valid_until"]
        if row["role"] == "signs":
            text = t.gettext("signs new codes, links and tokens")
        elif until:
            text = t.gettext("codes signed with it stay valid until %(day)s", day=until)
        else:
            text = t.gettext("still accepted, with no end date")
        lines.append(f"  {row['key']}  {text}")
    emit(args, {"source": source, "keys": rows}, "\n".join(lines))
    return 0


async def cmd_secret_rotate(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    """A new signing key; the old ones stay valid for ``--keep-days`` days."""
    if not 1 <= args.keep_days <= MAX_KEEP_DAYS:
        raise UsageError(f"--keep-days must be between 1 and {MAX_KEEP_DAYS}, got {args.keep_days}")
    keys = await ensure_secret_keys(storage, settings, create=False)
    until = (datetime.now(UTC).date() + timedelta(days=args.keep_days)).isoformat()
    new = secrets.token_urlsafe(32)
    retiring = await retiring_keys(storage)
    for key in keys:
        retiring.setdefault(fingerprint(key), until)
    t = texts(settings)
    data = {"new_key": fingerprint(new), "old_codes_valid_until": until}
    if settings.secret_keys:
        # The environment is the operator's: say what to set, change nothing else.
        value = ",".join([*keys, new])
        await storage.set_meta(RETIRING_META, json.dumps(retiring))
        text = t.gettext(
            "WIDGET_SECRET_KEYS comes from the environment. Set it on every server to:\n"
            "%(value)s\nand restart them. Codes signed with the old keys stay valid until"
            " %(day)s; hand out the new codes (snippet, portal) before then, and remove the"
            " old keys from WIDGET_SECRET_KEYS after that day.",
            value=value,
            day=until,
        )
        emit(args, {**data, "WIDGET_SECRET_KEYS": value}, text)
        return 0
    await storage.set_meta(SECRET_KEYS_META, ",".join([*keys, new]))
    await storage.set_meta(RETIRING_META, json.dumps(retiring))
    text = t.gettext(
        "New signing key %(key)s. Codes signed with the old keys stay valid until %(day)s:"
        " give members their new code (snippet, portal) before then. Restart the servers"
        " to sign with the new key.",
        key=fingerprint(new),
        day=until,
    )
    emit(args, data, text)
    return 0
