"""``widget-server``: set up, run and manage a Partnerkreis network from the shell.

Every command that prints data takes ``--json``.  A bad argument gives a
message naming the value and exit status 2; nothing is written before all
input has been checked.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from widget_server import __version__
from widget_server.cli.categories import add_arguments as add_category_arguments
from widget_server.cli.common import DEFAULT_PORT, UsageError, port_number
from widget_server.cli.coordinators import add_arguments as add_admin_arguments
from widget_server.cli.editing import add_member_arguments as add_member_edit_arguments
from widget_server.cli.editing import add_theme_arguments as add_theme_edit_arguments
from widget_server.cli.events import add_arguments as add_event_arguments
from widget_server.cli.mail import (
    cmd_mail_send,
    cmd_mail_status,
    cmd_member_mail,
    cmd_report_send,
)
from widget_server.cli.member_import import add_arguments as add_import_arguments
from widget_server.cli.member_import import cmd_member_import
from widget_server.cli.members import (
    add_portal_link_arguments,
    cmd_member_add,
    cmd_member_list,
    cmd_member_logo,
    cmd_member_show,
    cmd_portal_link,
    cmd_snippet,
    cmd_theme_add,
    cmd_theme_list,
    status_command,
)
from widget_server.cli.offers import add_arguments as add_offer_arguments
from widget_server.cli.reports import cmd_key_create, cmd_key_list, cmd_key_revoke, cmd_stats
from widget_server.cli.rules import cmd_explain, cmd_rules_history, cmd_rules_set, cmd_rules_show
from widget_server.cli.secret import add_rotate_arguments, cmd_secret_rotate, cmd_secret_show
from widget_server.cli.server import (
    add_migrate_db_arguments,
    cmd_demo,
    cmd_init,
    cmd_migrate_db,
    cmd_password,
    cmd_serve,
)
from widget_server.cli.simulate import add_arguments as add_simulate_arguments
from widget_server.cli.simulate import cmd_simulate
from widget_server.core.errors import (
    ConflictError,
    NotFoundError,
    PartnerkreisError,
    ValidationError,
)
from widget_server.core.logs import LOG_FORMATS
from widget_server.core.settings import SETTINGS_HELP, Settings
from widget_server.demo.history import DAYS as DEMO_DAYS
from widget_server.network import categories
from widget_server.network.database import open_storage
from widget_server.storage import storage_from_url

# -- commands -------------------------------------------------------------------------------


# -- serving --------------------------------------------------------------------------------


# -- parser ---------------------------------------------------------------------------------

MAX_DEMO_DAYS = 365


def day_count(text: str) -> int:
    """argparse type of demo --days."""
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of days, got {text!r}") from None
    if not 0 <= days <= MAX_DEMO_DAYS:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_DEMO_DAYS}, got {days}")
    return days


def build_parser() -> argparse.ArgumentParser:
    env_help = "\n".join(
        f"  {name:<28} {text} [{default}]" for name, default, text in SETTINGS_HELP
    )
    parser = argparse.ArgumentParser(
        prog="widget-server",
        description="Partnerkreis: cross-referral widgets for networks of small businesses.",
        epilog=f"environment:\n{env_help}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(parent: Any, name: str, func: Any, help: str, *, json_out: bool = True) -> Any:
        p = parent.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        if json_out:
            p.add_argument("--json", action="store_true", help="print JSON")
        return p

    p = add(sub, "init", cmd_init, "create or migrate the database and the first coordinator")
    p.add_argument(
        "--admin",
        metavar="USER",
        help="coordinator to create (default on an empty database: koordination); on a"
        " database with coordinators a new one is added, an existing name is an error",
    )
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the new coordinator's password from the first line of stdin instead of"
        " printing a generated one",
    )

    p = add(sub, "password", cmd_password, "set a coordinator's password; its sessions end")
    p.add_argument("user", help="coordinator user name")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin instead of printing a generated one",
    )

    add_admin_arguments(sub, add)
    add_category_arguments(sub, add)
    add_offer_arguments(sub, add)
    add_event_arguments(sub, add)

    direct: tuple[tuple[str, Callable[[argparse.Namespace, Settings], int], str], ...] = (
        ("serve", cmd_serve, "run the server"),
        ("demo", cmd_demo, "create a fresh demo network and serve it"),
    )
    for name, run, help in direct:
        p = add(sub, name, run, help, json_out=False)
        p.add_argument(
            "--host",
            default="127.0.0.1",
            help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)",
        )
        p.add_argument(
            "--port",
            type=port_number,
            default=DEFAULT_PORT,
            help=f"port, 1 to 65535 (default {DEFAULT_PORT})",
        )
        p.add_argument(
            "--log-format",
            choices=LOG_FORMATS,
            default="auto",
            help="auto: readable lines (with each request) on a terminal, JSON otherwise",
        )
        p.set_defaults(direct=True)
        if name == "demo":
            p.add_argument(
                "--days",
                type=day_count,
                default=DEMO_DAYS,
                help=f"days of simulated visitors before today (0 to {MAX_DEMO_DAYS})",
            )
        if name == "serve":
            p.add_argument(
                "--workers",
                type=int,
                default=1,
                help="server processes (each reads the settings from the environment)",
            )

    secret = sub.add_parser("secret", help="show or rotate the keys that sign embed codes")
    ssub = secret.add_subparsers(dest="action", required=True, metavar="ACTION")
    add(ssub, "show", cmd_secret_show, "list the signing keys (their fingerprints)")
    p = add(ssub, "rotate", cmd_secret_rotate, "a new signing key; old codes valid for a while")
    add_rotate_arguments(p)

    p = add(sub, "migrate-db", cmd_migrate_db, "copy the network into another, empty database")
    add_migrate_db_arguments(p)
    p.set_defaults(direct=True)

    member = sub.add_parser(
        "member",
        help="add, import, list, show, edit, pause, activate, remove members; themes; logos",
    )
    msub = member.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(msub, "add", cmd_member_add, "register a member")
    p.add_argument(
        "slug", help="short name in addresses, e.g. blumen (lower-case letters, digits, hyphens)"
    )
    p.add_argument("--name", required=True, help="the business's name, e.g. 'Blumenhaus am Markt'")
    p.add_argument("--website", required=True, help="its website, e.g. https://www.blumen.example/")
    p.add_argument(
        "--description", help="one sentence shown under its name (at most 300 characters)"
    )
    p.add_argument(
        "--category", help="category slug, e.g. flowers (list them: widget-server categories)"
    )
    p.add_argument("--town", help="town, e.g. Heide")
    p.add_argument("--postal-code", help="postal code, e.g. 25746")
    p.add_argument(
        "--domain",
        action="append",
        help="extra domain the widget may run on, e.g. shop.blumen.example (repeatable)",
    )
    p.add_argument("--theme", action="append", help="theme slug, e.g. hochzeit (repeatable)")
    p.add_argument(
        "--status",
        default="active",
        choices=("pending", "active", "paused"),
        help="active: shown at once (default); pending: waits for approval; paused",
    )
    p = add(msub, "import", cmd_member_import, "add many members from a CSV or JSON file")
    add_import_arguments(p)
    p = add(msub, "list", cmd_member_list, "list members (in German order of their names)")
    p.add_argument("--theme", help="only the members of this theme, e.g. hochzeit")
    p.add_argument(
        "--status", choices=("pending", "active", "paused", "removed"), help="only this status"
    )
    for name, func, help in (
        ("show", cmd_member_show, "show one member"),
        ("pause", status_command("paused"), "stop showing a member to others"),
        ("activate", status_command("active"), "approve or resume a member"),
    ):
        add(msub, name, func, help).add_argument("slug", help="the member's slug, e.g. blumen")
    p = add(msub, "mail", cmd_member_mail, "show or set a member's e-mail address and opt-outs")
    p.add_argument("slug", help="the member's slug, e.g. blumen")
    p.add_argument("--email", help="the address mails go to, e.g. info@blumen.example")
    p.add_argument("--language", choices=("de", "en"), help="language of the mails")
    kinds = ("report", "decisions", "activity")
    p.add_argument("--opt-out", action="append", choices=kinds, help="no more mails of a kind")
    p.add_argument("--opt-in", action="append", choices=kinds, help="mails of a kind again")
    p.add_argument("--forget", action="store_true", help="delete the address and opt-outs")
    add_member_edit_arguments(msub, add)
    p = add(msub, "logo", cmd_member_logo, "store a member's logo (PNG, JPEG, WebP or GIF)")
    p.add_argument("slug", help="the member's slug, e.g. blumen")
    p.add_argument("file", help="the image file, e.g. logo.png (at most 512 KiB)")

    theme = sub.add_parser("theme", help="add, list, edit or remove themes (clusters)")
    tsub = theme.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(tsub, "add", cmd_theme_add, "add a theme")
    p.add_argument("slug", help="short name in addresses, e.g. hochzeit")
    p.add_argument("--name-de", required=True, help="German name, e.g. Hochzeit")
    p.add_argument("--name-en", help="English name, e.g. Wedding")
    p.add_argument("--description-de", help="German description")
    p.add_argument("--description-en", help="English description")
    p.add_argument(
        "--kind",
        default="topic",
        choices=("topic", "local"),
        help="topic: a subject such as weddings (default); local: a place such as a town centre",
    )
    add(tsub, "list", cmd_theme_list, "list themes")
    add_theme_edit_arguments(tsub, add)

    rules = sub.add_parser("rules", help="show, set or list the rotation rules of a theme")
    rsub = rules.add_subparsers(dest="action", required=True, metavar="ACTION")
    add(rsub, "show", cmd_rules_show, "print the current rules").add_argument(
        "theme", help="the theme's slug, e.g. hochzeit"
    )
    p = add(rsub, "set", cmd_rules_set, "validate and store new rules from a JSON or YAML file")
    p.add_argument("theme", help="the theme's slug, e.g. hochzeit")
    p.add_argument(
        "file", help="the rules, e.g. rules.yaml with 'strategy: weighted' (docs/rotation.md)"
    )
    p.add_argument("--author", default="cli", help="who makes the change (audit log)")
    p.add_argument(
        "--if-version", type=int, help="refuse unless the rules are still at this version"
    )
    add(rsub, "history", cmd_rules_history, "every version with its diff").add_argument(
        "theme", help="the theme's slug, e.g. hochzeit"
    )

    p = add(sub, "explain", cmd_explain, "why did a member's block show what it showed?")
    p.add_argument("member", help="the host member's slug, e.g. blumen")
    p.add_argument("theme", help="the theme's slug, e.g. hochzeit")
    p.add_argument("--at", help="ISO time to replay (local time Europe/Berlin); default now")
    p.add_argument(
        "--placement",
        type=int,
        help="the placement's id (default: the member's first in the theme)",
    )

    p = add(sub, "simulate", cmd_simulate, "run traffic through the rotation rules and ledger")
    add_simulate_arguments(p)

    p = add(sub, "portal-link", cmd_portal_link, "print a member's signed, expiring portal link")
    add_portal_link_arguments(p)

    p = add(sub, "stats", cmd_stats, "views and clicks given and received")
    p.add_argument("--member", help="one member's figures (per theme and day)")
    p.add_argument("--theme", help="only this theme")
    p.add_argument("--from", dest="since", help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="until", help="last day, YYYY-MM-DD")
    p.add_argument("--csv", action="store_true", help="print CSV")

    key = sub.add_parser("key", help="create, list or revoke API keys")
    ksub = key.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(ksub, "create", cmd_key_create, "create an API key (shown once)")
    p.add_argument("--scope", required=True, help="coordinator, or member:SLUG, e.g. member:blumen")
    p.add_argument("--name", help="what the key is for")
    add(ksub, "list", cmd_key_list, "list API keys (never the secrets)")
    add(ksub, "revoke", cmd_key_revoke, "revoke an API key").add_argument(
        "key_id", help="the key's id, e.g. pkr_0123abcd (widget-server key list)"
    )

    report = sub.add_parser("report", help="the monthly report mail")
    repsub = report.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(repsub, "send", cmd_report_send, "queue a month's report for the members")
    p.add_argument("--month", required=True, help="the month, YYYY-MM")
    p.add_argument("--member", help="only this member (slug)")
    p.add_argument("--dry-run", action="store_true", help="show who would get it; queue none")

    mail = sub.add_parser("mail", help="the outbox: send what is due, show its state")
    mailsub = mail.add_subparsers(dest="action", required=True, metavar="ACTION")
    add(mailsub, "send", cmd_mail_send, "send the due mails once (the worker's pass)")
    add(mailsub, "status", cmd_mail_status, "mails queued, sent and failed")

    p = add(sub, "snippet", cmd_snippet, "print a member's paste-ready embed code")
    p.add_argument("member", help="the member's slug, e.g. blumen")
    p.add_argument("theme", help="the theme's slug, e.g. hochzeit")
    p.add_argument("--base-url", help="public URL of this server, e.g. https://partner.example.org")
    p.add_argument("--iframe", action="store_true", help="print the iframe variant")
    p.add_argument("--layout", choices=("cards", "list", "compact"), help="how the block looks")
    p.add_argument("--lang", choices=("de", "en"), help="the block's language")
    p.add_argument(
        "--scheme",
        choices=("auto", "light", "dark"),
        help="colours (auto: as the visitor's device)",
    )
    p.add_argument("--max-partners", type=int, default=3, help="partners per block, 1 to 12")
    p.add_argument(
        "--show",
        help="what the block shows besides partners, e.g. partners,offer,event (a joint offer"
        " or event as one card); fixed for the placement",
    )
    return parser


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    storage = storage_from_url(settings.database_url)
    await open_storage(storage, create=args.func is cmd_init)
    try:
        if args.func is not cmd_init and await storage.schema_version() > 0:
            await categories.load(storage)  # the network's own category labels
        result: int = await args.func(args, storage, settings)
        return result
    finally:
        await storage.close()


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_environ(environ)
        if getattr(args, "direct", False):
            return int(args.func(args, settings))
        return asyncio.run(_run(args, settings))
    except (UsageError, ValueError) as exc:
        print(f"widget-server: error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"widget-server: error: {exc.field}: {exc.reason}", file=sys.stderr)
        return 2
    except (NotFoundError, ConflictError) as exc:
        print(f"widget-server: error: {exc}", file=sys.stderr)
        return 1
    except PartnerkreisError as exc:
        print(f"widget-server: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`widget-server ... | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
