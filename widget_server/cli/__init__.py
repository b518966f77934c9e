"""``widget-server``: set up, run and manage a Partnerkreis network from the shell.

Every command that prints data takes ``--json``.  A bad argument gives a
message naming the value and exit status 2; nothing is written before all
input has been checked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from widget_server import __version__
from widget_server.core.errors import (
    ConflictError,
    NotFoundError,
    PartnerkreisError,
    ValidationError,
)
from widget_server.core.models import Account, Member
from widget_server.core.passwords import generate_password, hash_password
from widget_server.core.settings import SETTINGS_HELP, Settings
from widget_server.core.signing import Signer
from widget_server.counting import stats
from widget_server.counting.replay import explain_selection, explanation_text, parse_moment
from widget_server.counting.simulation import add_arguments as add_simulate_arguments
from widget_server.counting.simulation import cmd_simulate
from widget_server.network.categories import category_label
from widget_server.network.keys import create_key
from widget_server.network.portal_links import add_arguments as add_portal_link_arguments
from widget_server.network.portal_links import cmd_portal_link
from widget_server.network.rules import history as rules_history
from widget_server.network.rules import load_document, render, set_rules
from widget_server.network.services import (
    MemberInput,
    add_member,
    add_theme,
    check_placement_options,
    placement_for,
    set_logo,
    set_member_status,
)
from widget_server.network.transfer import add_arguments as add_migrate_db_arguments
from widget_server.network.transfer import cmd_migrate_db
from widget_server.serving.snippets import iframe_snippet, placement_snippet
from widget_server.storage import Storage, sqlite_path, storage_from_url
from widget_server.web.runtime import check_schema, ensure_secret_keys, rotation_key

DEFAULT_PORT = 8000
Command = Callable[[argparse.Namespace, Storage, Settings], Awaitable[int]]


class UsageError(Exception):
    """Bad command-line input, reported as ``error: ...`` with exit status 2."""


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(text)


def member_dict(member: Member) -> dict[str, Any]:
    data = asdict(member)
    data["domains"] = list(member.domains)
    data["category_label"] = category_label(member.category)
    return data


# -- commands -------------------------------------------------------------------------------


async def cmd_init(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    applied = await storage.migrate()
    await ensure_secret_keys(storage, settings, create=True)
    password = None
    if await storage.count_accounts() == 0:
        password = sys.stdin.readline().strip() if args.password_stdin else generate_password()
        if len(password) < 10:
            raise UsageError("the password must have at least 10 characters")
        await storage.create_account(Account(0, args.admin, hash_password(password), "coordinator"))
    data = {
        "database": settings.database_url,
        "migrations_applied": applied,
        "schema_version": await storage.schema_version(),
        "coordinator": args.admin if password else None,
        "password": password if password and not args.password_stdin else None,
    }
    lines = [
        f"Database {settings.database_url} is at schema version {data['schema_version']}"
        + (f" (applied {', '.join(map(str, applied))})." if applied else " (up to date)."),
    ]
    if password:
        lines.append(f"Coordinator account: {args.admin}")
        if not args.password_stdin:
            lines.append(f"Password (shown once): {password}")
    emit(args, data, "\n".join(lines))
    return 0


async def cmd_theme_add(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    theme = await add_theme(
        storage,
        slug=args.slug,
        name_de=args.name_de,
        name_en=args.name_en or "",
        description_de=args.description_de or "",
        description_en=args.description_en or "",
        kind=args.kind,
    )
    emit(args, asdict(theme), f"Theme {theme.slug} added.")
    return 0


async def cmd_theme_list(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    themes = await storage.list_themes()
    rows = []
    for theme in themes:
        members = await storage.list_members(theme_id=theme.id)
        rows.append({**asdict(theme), "members": len(members)})
    text = "\n".join(
        f"{r['slug']:<24} {r['kind']:<6} {r['members']:>4}  {r['name_de']}" for r in rows
    )
    emit(args, rows, text or "No themes yet.")
    return 0


async def cmd_member_add(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    member = await add_member(
        storage,
        MemberInput(
            slug=args.slug,
            name=args.name,
            website=args.website,
            description=args.description or "",
            category=args.category or "",
            town=args.town or "",
            postal_code=args.postal_code or "",
            domains=tuple(args.domain or ()),
            themes=tuple(args.theme or ()),
            status=args.status,
        ),
    )
    emit(args, member_dict(member), f"Member {member.slug} added ({member.status}).")
    return 0


async def cmd_member_list(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    theme_id = (await storage.get_theme(args.theme)).id if args.theme else None
    members = await storage.list_members(status=args.status, theme_id=theme_id)
    rows = [member_dict(m) for m in members]
    text = "\n".join(f"{m.slug:<28} {m.status:<8} {m.name}" for m in members)
    emit(args, rows, text or "No members.")
    return 0


async def cmd_member_show(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    member = await storage.get_member(args.slug)
    themes = {t.id: t.slug for t in await storage.list_themes()}
    memberships = [
        {"theme": themes[ms.theme_id], "status": ms.status}
        for ms in await storage.list_memberships(member_id=member.id)
    ]
    data = {**member_dict(member), "memberships": memberships}
    text = "\n".join(
        [
            f"{member.name} ({member.slug}), {member.status}",
            f"  website:     {member.website}",
            f"  domains:     {', '.join(member.domains)}",
            f"  category:    {data['category_label']}",
            f"  town:        {member.postal_code} {member.town}".rstrip(),
            f"  description: {member.description}",
            "  themes:      "
            + (", ".join(f"{m['theme']} ({m['status']})" for m in memberships) or "none"),
        ]
    )
    emit(args, data, text)
    return 0


def _status_command(status: str) -> Command:
    async def run(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
        member = await set_member_status(storage, args.slug, status)  # type: ignore[arg-type]
        emit(args, member_dict(member), f"Member {member.slug} is now {member.status}.")
        return 0

    return run


async def cmd_member_logo(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    try:
        data = Path(args.file).read_bytes()  # noqa: ASYNC240  (a small local file)
    except OSError as exc:
        raise UsageError(f"cannot read logo file {args.file!r}: {exc.strerror}") from None
    member = await set_logo(storage, args.slug, data)
    assert member.logo is not None
    logo = member.logo
    emit(
        args,
        member_dict(member),
        f"Logo of {member.slug} stored ({logo.content_type}, {logo.width}×{logo.height}).",
    )
    return 0


async def cmd_snippet(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    options = check_placement_options(
        layout=args.layout, max_partners=args.max_partners, lang=args.lang, scheme=args.scheme
    )
    base_url = (args.base_url or settings.public_url or f"http://127.0.0.1:{DEFAULT_PORT}").rstrip(
        "/"
    )
    if not base_url.startswith(("http://", "https://")):
        raise UsageError(f"--base-url must start with http:// or https://, got {base_url!r}")
    signer = Signer(await ensure_secret_keys(storage, settings, create=False))
    member, theme, placement = await placement_for(storage, args.member, args.theme, options)
    token = signer.embed_token(placement.id)
    html = placement_snippet(base_url, token, theme)
    iframe = iframe_snippet(base_url, token, title=theme.name("de"))
    data = {
        "member": member.slug,
        "theme": theme.slug,
        "token": token,
        "html": html,
        "iframe": iframe,
    }
    emit(args, data, iframe if args.iframe else html)
    return 0


async def _rules_document(args: argparse.Namespace) -> Any:
    path = Path(args.file)
    try:
        return load_document(path)
    except OSError as exc:
        raise UsageError(f"cannot read rules file {args.file!r}: {exc.strerror}") from None


async def cmd_rules_show(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    theme = await storage.get_theme(args.theme)
    current = await storage.get_rule_set(theme.id)
    data = {
        "theme": theme.slug,
        "version": current.version if current else 0,
        "author": current.author if current else None,
        "created_at": current.created_at if current else None,
        "rules": current.rules if current else {},
    }
    header = (
        f"# {theme.slug}: version {current.version} by {current.author} at {current.created_at}"
        if current
        else f"# {theme.slug}: no rules set, the defaults apply (docs/rotation.md)"
    )
    emit(args, data, f"{header}\n{render(data['rules'])}")
    return 0


async def cmd_rules_set(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    document = await _rules_document(args)
    change = await set_rules(
        storage, args.theme, document, args.author, expected_version=args.if_version
    )
    data = {
        "theme": change.theme.slug,
        "previous_version": change.previous.version if change.previous else 0,
        "version": change.current.version,
        "diff": change.diff,
    }
    text = (change.diff or "(no changes to the document)") + (
        f"\nRules of {change.theme.slug} are now at version {change.current.version}."
    )
    emit(args, data, text)
    return 0


async def cmd_rules_history(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    versions = await rules_history(storage, args.theme)
    data = [
        {"version": r.version, "author": r.author, "created_at": r.created_at, "diff": diff}
        for r, diff in versions
    ]
    text = "\n\n".join(
        f"version {r.version} by {r.author} at {r.created_at}\n{diff or '(unchanged)'}"
        for r, diff in versions
    )
    emit(args, data, text or f"No rule changes for {args.theme} yet: the defaults apply.")
    return 0


async def cmd_explain(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    keys = await ensure_secret_keys(storage, settings, create=False)
    at = parse_moment(args.at, time.time())
    report = await explain_selection(storage, rotation_key(keys), args.member, args.theme, at)
    emit(args, report, explanation_text(report))
    return 0


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name} must be a date like 2027-03-31, got {value!r}") from None


async def cmd_stats(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    since, until = _day(args.since, "--from"), _day(args.until, "--to")
    theme = await storage.get_theme(args.theme) if args.theme else None
    if args.member:
        member = await storage.get_member(args.member)
        report = await stats.member_report(storage, member, theme=theme, since=since, until=until)
        if args.csv:
            print(stats.member_csv(report), end="")
            return 0
        lines = [f"{member.name} ({member.slug})"]
        for t in report["themes"]:
            lines.append(
                f"  {t['theme']:<22} views given {t['views_given']:>7}, received"
                f" {t['views_received']:>7}; clicks given {t['clicks_given']:>5}, received"
                f" {t['clicks_received']:>5}; balance {_fmt(t['balance'])}"
                + (
                    f"; bound {_fmt(t['bound'])} (structural net giver)"
                    if t["structural_net_giver"]
                    else ""
                )
            )
        emit(args, report, "\n".join(lines))
        return 0
    themes = [theme] if theme else await storage.list_themes()
    reports = [await stats.theme_report(storage, t, since=since, until=until) for t in themes]
    if args.csv:
        print("".join(stats.theme_csv(r) for r in reports), end="")
        return 0
    lines = []
    for r in reports:
        totals, bal = r["totals"], r["balances"]
        lines.append(
            f"{r['theme']}: {totals['blocks_served']} blocks served, {totals['blocks_viewed']}"
            f" viewed, {totals['views']} partner views, {totals['clicks']} clicks;"
            f" balance min {_fmt(bal['min'])}, median {_fmt(bal['median'])},"
            f" max {_fmt(bal['max'])}"
        )
        for m in r["members"]:
            lines.append(
                f"  {m['member']:<26} given {m['views_given']:>7} received"
                f" {m['views_received']:>7} clicks {m['clicks_given']:>5}/{m['clicks_received']:<5}"
                f" balance {_fmt(m['balance'])}"
            )
    emit(args, reports if not theme else reports[0], "\n".join(lines) or "No themes.")
    return 0


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


async def cmd_key_create(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    key, full = await create_key(storage, args.scope, args.name or "")
    data = {"key_id": key.key_id, "scope": args.scope, "name": key.name, "key": full}
    emit(
        args,
        data,
        f"API key {key.key_id} ({args.scope}) created. The key, shown only now:\n{full}",
    )
    return 0


async def cmd_key_list(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    keys = await storage.list_api_keys()
    rows = [
        {
            "key_id": k.key_id,
            "scope": k.scope,
            "name": k.name,
            "created_at": k.created_at,
            "revoked_at": k.revoked_at,
        }
        for k in keys
    ]
    text = "\n".join(
        f"{k.key_id:<14} {k.scope:<14} {'revoked' if k.revoked_at else 'active':<8} {k.name}"
        for k in keys
    )
    emit(args, rows, text or "No API keys.")
    return 0


async def cmd_key_revoke(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    key = await storage.revoke_api_key(args.key_id)
    emit(args, {"key_id": key.key_id, "revoked_at": key.revoked_at}, f"{key.key_id} revoked.")
    return 0


# -- serving --------------------------------------------------------------------------------


def serve(settings: Settings, host: str, port: int, workers: int = 1) -> int:
    import uvicorn

    from widget_server.core.logs import configure_logging
    from widget_server.web.app import create_app

    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    configure_logging(settings.log_level)
    # Several workers: each process builds its own app from the environment.
    uvicorn.run(
        "widget_server.web.app:create_app" if workers > 1 else create_app(settings),
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        access_log=False,  # our request log leaves out client addresses
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=10,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    return serve(settings, args.host, args.port, args.workers)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from widget_server.demo.seed import is_demo_database, seed_demo

    explicit = sqlite_path(settings.database_url) if settings.database_url_given else None
    if settings.database_url_given and explicit is None:
        raise UsageError(f"demo needs a sqlite:/// database URL, got {settings.database_url!r}")
    if explicit is not None:
        path = explicit
    else:
        path = Path(tempfile.mkdtemp(prefix="partnerkreis-demo-")) / "demo.db"
    settings = settings.with_changes(database_url=f"sqlite:///{path}")

    async def prepare() -> str:
        if path.exists():
            existing = storage_from_url(settings.database_url)
            await existing.open()
            try:
                is_demo = await existing.schema_version() > 0 and await is_demo_database(existing)
            finally:
                await existing.close()
            if not is_demo:
                raise UsageError(
                    f"{path} holds a database that is not a demo; refusing to overwrite it"
                )
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240
        storage = storage_from_url(settings.database_url)
        await storage.open()
        try:
            await storage.migrate()
            await ensure_secret_keys(storage, settings, create=True)
            await seed_demo(storage)
            password = generate_password()
            await storage.create_account(
                Account(0, "koordination", hash_password(password), "coordinator")
            )
        finally:
            await storage.close()
        return password

    password = asyncio.run(prepare())
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
    url = f"http://{shown_host}:{args.port}"
    print(
        f"Partnerkreis demo network (database: {path})\n"
        f"  Demo member websites:  {url}/demo/\n"
        f"  Coordinator login:     koordination / {password}\n"
        "Press Ctrl+C to stop.",
        flush=True,
    )
    return serve(settings, args.host, args.port)


# -- parser ---------------------------------------------------------------------------------


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
    p.add_argument("--admin", default="koordination", help="coordinator user name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    direct: tuple[tuple[str, Callable[[argparse.Namespace, Settings], int], str], ...] = (
        ("serve", cmd_serve, "run the server"),
        ("demo", cmd_demo, "create a fresh demo network and serve it"),
    )
    for name, run, help in direct:
        p = add(sub, name, run, help, json_out=False)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=DEFAULT_PORT)
        p.set_defaults(direct=True)
        if name == "serve":
            p.add_argument(
                "--workers",
                type=int,
                default=1,
                help="server processes (each reads the settings from the environment)",
            )

    p = add(sub, "migrate-db", cmd_migrate_db, "copy the network into another, empty database")
    add_migrate_db_arguments(p)
    p.set_defaults(direct=True)

    member = sub.add_parser("member", help="add, list, show, pause, activate members; logos")
    msub = member.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(msub, "add", cmd_member_add, "register a member")
    p.add_argument("slug")
    p.add_argument("--name", required=True)
    p.add_argument("--website", required=True)
    p.add_argument("--description")
    p.add_argument("--category", help="category slug, e.g. flowers")
    p.add_argument("--town")
    p.add_argument("--postal-code")
    p.add_argument("--domain", action="append", help="extra domain the widget may run on")
    p.add_argument("--theme", action="append", help="theme slug (repeatable)")
    p.add_argument("--status", default="active", choices=("pending", "active", "paused"))
    p = add(msub, "list", cmd_member_list, "list members")
    p.add_argument("--theme")
    p.add_argument("--status", choices=("pending", "active", "paused", "removed"))
    for name, func, help in (
        ("show", cmd_member_show, "show one member"),
        ("pause", _status_command("paused"), "stop showing a member to others"),
        ("activate", _status_command("active"), "approve or resume a member"),
    ):
        add(msub, name, func, help).add_argument("slug")
    p = add(msub, "logo", cmd_member_logo, "store a member's logo (PNG, JPEG, WebP or GIF)")
    p.add_argument("slug")
    p.add_argument("file")

    theme = sub.add_parser("theme", help="add or list themes (clusters)")
    tsub = theme.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(tsub, "add", cmd_theme_add, "add a theme")
    p.add_argument("slug")
    p.add_argument("--name-de", required=True)
    p.add_argument("--name-en")
    p.add_argument("--description-de")
    p.add_argument("--description-en")
    p.add_argument("--kind", default="topic", choices=("topic", "local"))
    add(tsub, "list", cmd_theme_list, "list themes")

    rules = sub.add_parser("rules", help="show, set or list the rotation rules of a theme")
    rsub = rules.add_subparsers(dest="action", required=True, metavar="ACTION")
    add(rsub, "show", cmd_rules_show, "print the current rules").add_argument("theme")
    p = add(rsub, "set", cmd_rules_set, "validate and store new rules from a JSON or YAML file")
    p.add_argument("theme")
    p.add_argument("file")
    p.add_argument("--author", default="cli", help="who makes the change (audit log)")
    p.add_argument(
        "--if-version", type=int, help="refuse unless the rules are still at this version"
    )
    add(rsub, "history", cmd_rules_history, "every version with its diff").add_argument("theme")

    p = add(sub, "explain", cmd_explain, "why did a member's block show what it showed?")
    p.add_argument("member")
    p.add_argument("theme")
    p.add_argument("--at", help="ISO time to replay (local time Europe/Berlin); default now")

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
    p.add_argument("--scope", required=True, help="coordinator, or member:SLUG")
    p.add_argument("--name", help="what the key is for")
    add(ksub, "list", cmd_key_list, "list API keys (never the secrets)")
    add(ksub, "revoke", cmd_key_revoke, "revoke an API key").add_argument("key_id")

    p = add(sub, "snippet", cmd_snippet, "print a member's paste-ready embed code")
    p.add_argument("member")
    p.add_argument("theme")
    p.add_argument("--base-url", help="public URL of this server")
    p.add_argument("--iframe", action="store_true", help="print the iframe variant")
    p.add_argument("--layout", choices=("cards", "list", "compact"))
    p.add_argument("--lang", choices=("de", "en"))
    p.add_argument("--scheme", choices=("auto", "light", "dark"))
    p.add_argument("--max-partners", type=int, default=3)
    return parser


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    storage = storage_from_url(settings.database_url)
    await storage.open()
    try:
        if args.func is not cmd_init:
            await check_schema(storage)
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
