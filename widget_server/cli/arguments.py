"""Each command's arguments and help, added to the parser only for the command run.

A builder imports what its arguments need (choices, defaults, a command
group's own ``add_arguments``) when it runs, so a run loads only its own
command's modules.  ``parser.py`` calls them through ``BUILDERS``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from widget_server.cli.commands import CMD_INIT, COMMAND_HELP, Lazy, add
from widget_server.cli.common import DEFAULT_PORT, port_number

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


def _init_arguments(sub: Any) -> None:
    p = add(sub, "init", CMD_INIT, COMMAND_HELP["init"])
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


def _passwd_arguments(sub: Any) -> None:
    p = add(sub, "password", Lazy("server", "cmd_password"), COMMAND_HELP["password"])
    p.add_argument("user", help="coordinator user name")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin instead of printing a generated one",
    )


def _admin_arguments(sub: Any) -> None:
    from widget_server.cli.coordinators import add_arguments

    add_arguments(sub, add)


def _categories_arguments(sub: Any) -> None:
    from widget_server.cli.categories import add_arguments

    add_arguments(sub, add)


def _offer_arguments(sub: Any) -> None:
    from widget_server.cli.offers import add_arguments

    add_arguments(sub, add)


def _event_arguments(sub: Any) -> None:
    from widget_server.cli.events import add_arguments

    add_arguments(sub, add)


def _server_arguments(sub: Any, name: str) -> None:
    from widget_server.core.logs import LOG_FORMATS

    p = add(sub, name, Lazy("server", f"cmd_{name}"), COMMAND_HELP[name], json_out=False)
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
        from widget_server.demo.history import DAYS as DEMO_DAYS

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


def _serve_arguments(sub: Any) -> None:
    _server_arguments(sub, "serve")


def _demo_arguments(sub: Any) -> None:
    _server_arguments(sub, "demo")


def _secret_arguments(sub: Any) -> None:
    from widget_server.cli.secret import add_rotate_arguments

    secret = sub.add_parser("secret", help=COMMAND_HELP["secret"])
    ssub = secret.add_subparsers(dest="action", required=True, metavar="ACTION")
    add(
        ssub,
        "show",
        Lazy("secret", "cmd_secret_show"),
        "list the signing keys (their fingerprints)",
    )
    p = add(
        ssub,
        "rotate",
        Lazy("secret", "cmd_secret_rotate"),
        "a new signing key; old codes valid for a while",
    )
    add_rotate_arguments(p)


def _migrate_db_arguments(sub: Any) -> None:
    from widget_server.cli.server import add_migrate_db_arguments

    p = add(sub, "migrate-db", Lazy("server", "cmd_migrate_db"), COMMAND_HELP["migrate-db"])
    add_migrate_db_arguments(p)
    p.set_defaults(direct=True)


def _member_arguments(sub: Any) -> None:
    from widget_server.cli.editing import add_member_arguments
    from widget_server.cli.member_import import add_arguments as add_import_arguments

    member = sub.add_parser("member", help=COMMAND_HELP["member"])
    msub = member.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(msub, "add", Lazy("members", "cmd_member_add"), "register a member")
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
    p = add(
        msub,
        "import",
        Lazy("member_import", "cmd_member_import"),
        "add many members from a CSV or JSON file",
    )
    add_import_arguments(p)
    p = add(
        msub,
        "list",
        Lazy("members", "cmd_member_list"),
        "list members (in German order of their names)",
    )
    p.add_argument("--theme", help="only the members of this theme, e.g. hochzeit")
    p.add_argument(
        "--status", choices=("pending", "active", "paused", "removed"), help="only this status"
    )
    for name, func, help in (
        ("show", Lazy("members", "cmd_member_show"), "show one member"),
        ("pause", Lazy("members", "status_command", "paused"), "stop showing a member to others"),
        ("activate", Lazy("members", "status_command", "active"), "approve or resume a member"),
    ):
        add(msub, name, func, help).add_argument("slug", help="the member's slug, e.g. blumen")
    p = add(
        msub,
        "mail",
        Lazy("mail", "cmd_member_mail"),
        "show or set a member's e-mail address and opt-outs",
    )
    p.add_argument("slug", help="the member's slug, e.g. blumen")
    p.add_argument("--email", help="the address mails go to, e.g. info@blumen.example")
    p.add_argument("--language", choices=("de", "en"), help="language of the mails")
    kinds = ("report", "decisions", "activity")
    p.add_argument("--opt-out", action="append", choices=kinds, help="no more mails of a kind")
    p.add_argument("--opt-in", action="append", choices=kinds, help="mails of a kind again")
    p.add_argument("--forget", action="store_true", help="delete the address and opt-outs")
    add_member_arguments(msub, add)
    p = add(
        msub,
        "logo",
        Lazy("members", "cmd_member_logo"),
        "store a member's logo (PNG, JPEG, WebP or GIF)",
    )
    p.add_argument("slug", help="the member's slug, e.g. blumen")
    p.add_argument("file", help="the image file, e.g. logo.png (at most 512 KiB)")


def _theme_arguments(sub: Any) -> None:
    from widget_server.cli.editing import add_theme_arguments

    theme = sub.add_parser("theme", help=COMMAND_HELP["theme"])
    tsub = theme.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(tsub, "add", Lazy("themes", "cmd_theme_add"), "add a theme")
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
    add(tsub, "list", Lazy("themes", "cmd_theme_list"), "list themes")
    add_theme_arguments(tsub, add)


def _rules_arguments(sub: Any) -> None:
    rules = sub.add_parser("rules", help=COMMAND_HELP["rules"])
    rsub = rules.add_subparsers(dest="action", required=True, metavar="ACTION")
    add(rsub, "show", Lazy("rules", "cmd_rules_show"), "print the current rules").add_argument(
        "theme", help="the theme's slug, e.g. hochzeit"
    )
    p = add(
        rsub,
        "set",
        Lazy("rules", "cmd_rules_set"),
        "validate and store new rules from a JSON or YAML file",
    )
    p.add_argument("theme", help="the theme's slug, e.g. hochzeit")
    p.add_argument(
        "file", help="the rules, e.g. rules.yaml with 'strategy: weighted' (docs/rotation.md)"
    )
    p.add_argument("--author", default="cli", help="who makes the change (audit log)")
    p.add_argument(
        "--if-version", type=int, help="refuse unless the rules are still at this version"
    )
    add(
        rsub, "history", Lazy("rules", "cmd_rules_history"), "every version with its diff"
    ).add_argument("theme", help="the theme's slug, e.g. hochzeit")


def _explain_arguments(sub: Any) -> None:
    p = add(sub, "explain", Lazy("rules", "cmd_explain"), COMMAND_HELP["explain"])
    p.add_argument("member", help="the host member's slug, e.g. blumen")
    p.add_argument("theme", help="the theme's slug, e.g. hochzeit")
    p.add_argument("--at", help="ISO time to replay (local time Europe/Berlin); default now")
    p.add_argument(
        "--placement",
        type=int,
        help="the placement's id (default: the member's first in the theme)",
    )


def _portal_link_arguments(sub: Any) -> None:
    from widget_server.cli.members import add_portal_link_arguments

    p = add(sub, "portal-link", Lazy("members", "cmd_portal_link"), COMMAND_HELP["portal-link"])
    add_portal_link_arguments(p)


def _stats_arguments(sub: Any) -> None:
    p = add(sub, "stats", Lazy("reports", "cmd_stats"), COMMAND_HELP["stats"])
    p.add_argument("--member", help="one member's figures (per theme and day)")
    p.add_argument("--theme", help="only this theme")
    p.add_argument("--from", dest="since", help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="until", help="last day, YYYY-MM-DD")
    p.add_argument("--csv", action="store_true", help="print CSV")


def _key_arguments(sub: Any) -> None:
    key = sub.add_parser("key", help=COMMAND_HELP["key"])
    ksub = key.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(ksub, "create", Lazy("reports", "cmd_key_create"), "create an API key (shown once)")
    p.add_argument("--scope", required=True, help="coordinator, or member:SLUG, e.g. member:blumen")
    p.add_argument("--name", help="what the key is for")
    add(ksub, "list", Lazy("reports", "cmd_key_list"), "list API keys (never the secrets)")
    add(ksub, "revoke", Lazy("reports", "cmd_key_revoke"), "revoke an API key").add_argument(
        "key_id", help="the key's id, e.g. pkr_0123abcd (widget-server key list)"
    )


def _report_arguments(sub: Any) -> None:
    report = sub.add_parser("report", help=COMMAND_HELP["report"])
    repsub = report.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(
        repsub, "send", Lazy("mail", "cmd_report_send"), "queue a month's report for the members"
    )
    p.add_argument("--month", required=True, help="the month, YYYY-MM")
    p.add_argument("--member", help="only this member (slug)")
    p.add_argument("--dry-run", action="store_true", help="show who would get it; queue none")


def _mail_arguments(sub: Any) -> None:
    mail = sub.add_parser("mail", help=COMMAND_HELP["mail"])
    mailsub = mail.add_subparsers(dest="action", required=True, metavar="ACTION")
    add(
        mailsub,
        "send",
        Lazy("mail", "cmd_mail_send"),
        "send the due mails once (the worker's pass)",
    )
    add(mailsub, "status", Lazy("mail", "cmd_mail_status"), "mails queued, sent and failed")


def _snippet_arguments(sub: Any) -> None:
    p = add(sub, "snippet", Lazy("members", "cmd_snippet"), COMMAND_HELP["snippet"])
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


BUILDERS: dict[str, Callable[[Any], None]] = {
    "init": _init_arguments,
    "password": _passwd_arguments,
    "admin": _admin_arguments,
    "categories": _categories_arguments,
    "offer": _offer_arguments,
    "event": _event_arguments,
    "serve": _serve_arguments,
    "demo": _demo_arguments,
    "secret": _secret_arguments,
    "migrate-db": _migrate_db_arguments,
    "member": _member_arguments,
    "theme": _theme_arguments,
    "rules": _rules_arguments,
    "explain": _explain_arguments,
    "portal-link": _portal_link_arguments,
    "stats": _stats_arguments,
    "key": _key_arguments,
    "report": _report_arguments,
    "mail": _mail_arguments,
    "snippet": _snippet_arguments,
}
