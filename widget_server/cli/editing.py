"""Changing what exists from the shell: ``member edit|remove|join|leave``, ``theme edit|remove``.

The same service functions as the admin's pages; every change is written to the
audit log under ``--author`` (default ``cli``).  Removing says first what it
does and needs ``--yes``.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from widget_server.cli.common import UsageError, emit, member_dict

# The parser of the member and theme commands imports this module for their
# options: the services and the audit log are imported by the commands that run.
if TYPE_CHECKING:
    from widget_server.core.settings import Settings
    from widget_server.storage import Storage

AUTHOR_HELP = "who makes the change, as the audit log names it (default: cli)"
MEMBER_OPTIONS = (
    ("name", "the business's name, e.g. 'Blumenhaus am Markt'"),
    ("website", "its website, e.g. https://www.blumen.example/"),
    ("description", "one sentence shown under its name (at most 300 characters)"),
    ("category", "category slug, e.g. flowers (list them: widget-server categories)"),
    ("town", "town, e.g. Heide"),
    ("postal_code", "postal code, e.g. 25746"),
)
THEME_OPTIONS = (
    ("name_de", "German name, e.g. Hochzeit"),
    ("name_en", "English name, e.g. Wedding"),
    ("description_de", "German description"),
    ("description_en", "English description"),
    (
        "intro_de",
        "German introduction of the theme page /t/SLUG (plain text; a blank line"
        " starts a paragraph; --intro is the same)",
    ),
    ("intro_en", "English introduction of the theme page"),
)


def add_member_arguments(msub: Any, add: Any) -> None:
    p = add(msub, "edit", cmd_member_edit, "change a member's profile (only the options given)")
    p.add_argument("slug", help="the member's slug, e.g. blumen")
    for name, text in MEMBER_OPTIONS:
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, help=text)
    p.add_argument(
        "--domain",
        action="append",
        help="extra domain the widget may run on, e.g. shop.blumen.example (repeatable;"
        " replaces the extra domains; --domain '' removes them all)",
    )
    p.add_argument("--author", default="cli", help=AUTHOR_HELP)
    p = add(msub, "remove", cmd_member_remove, "remove a member for good (says what first)")
    p.add_argument("slug", help="the member's slug")
    p.add_argument(
        "--yes", action="store_true", help="really remove it (without: only say what happens)"
    )
    p.add_argument("--author", default="cli", help=AUTHOR_HELP)
    for name, func, text in (
        ("join", cmd_member_join, "add a member to a theme (or resume it there)"),
        ("leave", cmd_member_leave, "take a member out of a theme"),
    ):
        p = add(msub, name, func, text)
        p.add_argument("slug", help="the member's slug, e.g. blumen")
        p.add_argument("theme", help="the theme's slug, e.g. hochzeit")
        p.add_argument("--author", default="cli", help=AUTHOR_HELP)


def add_theme_arguments(tsub: Any, add: Any) -> None:
    p = add(
        tsub, "edit", cmd_theme_edit, "change a theme's names, descriptions, kind or introductions"
    )
    p.add_argument("slug", help="the theme's slug, e.g. hochzeit")
    for name, text in THEME_OPTIONS:
        aliases = ("--intro",) if name == "intro_de" else ()
        p.add_argument(f"--{name.replace('_', '-')}", *aliases, dest=name, help=text)
    p.add_argument(
        "--kind", choices=("topic", "local"), help="topic (a subject) or local (a place)"
    )
    p.add_argument("--author", default="cli", help=AUTHOR_HELP)
    p = add(tsub, "remove", cmd_theme_remove, "delete a theme (says what first)")
    p.add_argument("slug", help="the theme's slug")
    p.add_argument(
        "--yes", action="store_true", help="really delete it (without: only say what happens)"
    )
    p.add_argument("--author", default="cli", help=AUTHOR_HELP)


async def cmd_member_edit(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    from widget_server.network import audit
    from widget_server.network import services as network

    changes: dict[str, Any] = {
        name: getattr(args, name) for name, _ in MEMBER_OPTIONS if getattr(args, name) is not None
    }
    if args.domain is not None:
        changes["domains"] = [d for d in args.domain if d.strip()]
    if not changes:
        raise UsageError("nothing to change: give at least one option, e.g. --name")
    before = await storage.get_member(args.slug)
    after = await network.update_member(storage, args.slug, changes)
    detail = audit.member_changes(before, after)
    if detail:
        await audit.record(storage, args.author, "member.edit", f"member:{after.slug}", detail)
    emit(
        args,
        member_dict(after),
        f"Member {after.slug} saved." + (f" {detail}" if detail else " Nothing changed."),
    )
    return 0


async def cmd_member_remove(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    from widget_server.network import audit
    from widget_server.network import services as network

    member = await storage.get_member(args.slug)
    counted = sum(row.count for row in await storage.member_counts(member.id))
    consequences = (
        f"Removing {member.slug} ({member.name}): it is shown on no partner's website any more,"
        " the code on its own website shows no partners, its portal links, sessions and API keys"
        f" end at once; its {counted} counted views and clicks stay in the statistics."
        " A removed member cannot be activated again (to stop it for a while: member pause)."
    )
    if not args.yes:
        raise UsageError(consequences + " Run again with --yes to remove it.")
    after = await network.change_member_status(storage, member.slug, "removed")
    await audit.record(
        storage, args.author, "member.remove", f"member:{member.slug}", f"{member.status} → removed"
    )
    emit(
        args,
        {**member_dict(after), "counted": counted},
        consequences.replace("Removing", "Removed", 1),
    )
    return 0


async def _membership(args: argparse.Namespace, storage: Storage, status: str) -> int:
    from widget_server.network import audit
    from widget_server.network import services as network

    member, theme, membership = await network.set_membership_status(
        storage, args.slug, args.theme, status
    )
    await audit.record(
        storage, args.author, "member.theme", f"member:{member.slug}", f"{theme.slug}: {status}"
    )
    verb = "takes part in" if status == "active" else "has left"
    emit(
        args,
        {"member": member.slug, "theme": theme.slug, "status": membership.status},
        f"{member.slug} {verb} {theme.slug}.",
    )
    return 0


async def cmd_member_join(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    return await _membership(args, storage, "active")


async def cmd_member_leave(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    return await _membership(args, storage, "left")


async def cmd_theme_edit(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    from widget_server.network import audit
    from widget_server.network import services as network

    changes = {n: getattr(args, n) for n, _ in THEME_OPTIONS if getattr(args, n) is not None}
    if args.kind is not None:
        changes["kind"] = args.kind
    if not changes:
        raise UsageError("nothing to change: give at least one option, e.g. --name-de")
    before = await storage.get_theme(args.slug)
    after = await network.update_theme(storage, args.slug, changes)
    detail = audit.theme_changes(before, after)
    if detail:
        await audit.record(storage, args.author, "theme.edit", f"theme:{after.slug}", detail)
    emit(
        args,
        asdict(after),
        f"Theme {after.slug} saved." + (f" {detail}" if detail else " Nothing changed."),
    )
    return 0


async def cmd_theme_remove(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    from widget_server.network import audit

    theme = await storage.get_theme(args.slug)
    members = [m for m in await storage.list_memberships(theme_id=theme.id) if m.status != "left"]
    placements = await storage.list_placements(theme_id=theme.id)
    consequences = (
        f"Deleting theme {theme.slug} ({theme.name_de}): {len(members)} members leave it,"
        f" {len(placements)} embed codes of it stop showing partners, its rule versions and"
        " invitation links are deleted; its daily counts stay for the reports of the past."
    )
    if not args.yes:
        raise UsageError(consequences + " Run again with --yes to delete it.")
    await storage.delete_theme(theme.id)
    await audit.record(
        storage,
        args.author,
        "theme.remove",
        f"theme:{theme.slug}",
        f"{len(members)} members, {len(placements)} embed codes",
    )
    emit(
        args,
        {"theme": theme.slug, "members": len(members), "placements": len(placements)},
        consequences.replace("Deleting", "Deleted", 1),
    )
    return 0
