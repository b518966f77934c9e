"""``widget-server admin add|list|deactivate|activate|reset-link``: coordinator accounts.

The same functions as the admin's coordinator page (``network/coordinators.py``);
every change is written to the audit log under ``--author`` (default ``cli``).
"""

from __future__ import annotations

import argparse
import sys
import time

from widget_server.cli.common import UsageError, emit, public_base_url
from widget_server.core.passwords import generate_password
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.network import audit
from widget_server.network import coordinators as accounts
from widget_server.network.database import ensure_secret_keys
from widget_server.storage import Storage

AUTHOR_HELP = "who makes the change, as the audit log names it (default: cli)"


def read_password(args: argparse.Namespace) -> str:
    """The password from stdin (``--password-stdin``: its first line), else a new one."""
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise UsageError("--password-stdin: stdin holds no password")
        return line
    return generate_password()


def base_url_of(args: argparse.Namespace, settings: Settings) -> str:
    return public_base_url(args, settings, "the link")


def add_arguments(sub: argparse._SubParsersAction, add: object) -> None:  # type: ignore[type-arg]
    """The ``admin`` command group; ``add`` is the parser's helper (cli/__init__.py)."""
    group = sub.add_parser(
        "admin",
        help="coordinator accounts: add, list, deactivate, activate, reset-link",
        description="Coordinator accounts. Every change is written to the audit log.",
    )
    asub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(asub, "add", cmd_admin_add, "add a coordinator")  # type: ignore[operator]
    p.add_argument("user", help="user name, e.g. anna (lower-case letters, digits, . _ -)")
    how = p.add_mutually_exclusive_group()
    how.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (e.g. printf '%%s\\n' \"$PW\" |"
        " widget-server admin add anna --password-stdin)",
    )
    how.add_argument(
        "--reset-link",
        action="store_true",
        help="create the account without a password and print a one-time link to set one",
    )
    p.add_argument("--base-url", help="public URL of this server, for --reset-link")
    p.add_argument("--author", default="cli", help=AUTHOR_HELP)
    add(asub, "list", cmd_admin_list, "list coordinators")  # type: ignore[operator]
    for name, func, text in (
        ("deactivate", cmd_admin_deactivate, "stop a coordinator from signing in"),
        ("activate", cmd_admin_activate, "let a deactivated coordinator sign in again"),
    ):
        p = add(asub, name, func, text)  # type: ignore[operator]
        p.add_argument("user", help="user name")
        p.add_argument("--author", default="cli", help=AUTHOR_HELP)
    p = add(  # type: ignore[operator]
        asub,
        "reset-link",
        cmd_admin_reset_link,
        f"print a one-time link to set a new password (valid {accounts.RESET_HOURS} hours)",
    )
    p.add_argument("user", help="user name")
    p.add_argument("--base-url", help="public URL of this server, e.g. https://partner.example.org")
    p.add_argument("--author", default="cli", help=AUTHOR_HELP)


async def _reset_link(
    storage: Storage, settings: Settings, user: str, base_url: str
) -> accounts.ResetLink:
    signer = Signer(await ensure_secret_keys(storage, settings, create=False))
    return await accounts.issue_reset_link(storage, signer, user, time.time(), base_url)


async def cmd_admin_add(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    base_url = base_url_of(args, settings) if args.reset_link else ""
    password = None if args.reset_link else read_password(args)
    account = await accounts.add_coordinator(storage, args.user, password)
    await audit.record(storage, args.author, "coordinator.add", f"coordinator:{account.username}")
    data: dict[str, object] = {"user": account.username, "password": None, "reset_link": None}
    lines = [f"Coordinator {account.username} added."]
    if args.reset_link:
        link = await _reset_link(storage, settings, account.username, base_url)
        data["reset_link"] = link.url
        lines.append(f"Link to set the password (once, until {link.expires_iso} UTC):\n{link.url}")
    elif not args.password_stdin:
        data["password"] = password
        lines.append(f"Password (shown once): {password}")
    emit(args, data, "\n".join(lines))
    return 0


async def cmd_admin_list(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    rows = [
        {"user": a.username, "active": a.active, "deactivated_at": a.deactivated_at}
        for a in await storage.list_accounts()
    ]
    text = "\n".join(
        f"{r['user']:<24} {'active' if r['active'] else 'deactivated ' + str(r['deactivated_at'])}"
        for r in rows
    )
    emit(args, rows, text or "no coordinators")
    return 0


async def _set_active(args: argparse.Namespace, storage: Storage, active: bool, action: str) -> int:
    account = await accounts.set_active(storage, args.user, active)
    await audit.record(storage, args.author, f"coordinator.{action}", f"coordinator:{args.user}")
    emit(
        args,
        {"user": account.username, "active": account.active},
        f"Coordinator {account.username} {'activated' if active else 'deactivated'}.",
    )
    return 0


async def cmd_admin_deactivate(
    args: argparse.Namespace, storage: Storage, settings: Settings
) -> int:
    return await _set_active(args, storage, False, "deactivate")


async def cmd_admin_activate(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    return await _set_active(args, storage, True, "activate")


async def cmd_admin_reset_link(
    args: argparse.Namespace, storage: Storage, settings: Settings
) -> int:
    link = await _reset_link(storage, settings, args.user, base_url_of(args, settings))
    await audit.record(
        storage,
        args.author,
        "coordinator.reset_link",
        f"coordinator:{args.user}",
        f"valid until {link.expires_iso.replace('T', ' ')} UTC",
    )
    emit(
        args,
        {"user": args.user, "url": link.url, "expires": link.expires_iso},
        f"{link.url}\n(once, valid until {link.expires_iso} UTC)",
    )
    return 0
