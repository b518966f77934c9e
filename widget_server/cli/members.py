"""Members, embed code and portal links (the themes: cli/themes.py)."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from widget_server.cli.common import (
    Command,
    UsageError,
    aligned,
    emit,
    member_dict,
    public_base_url,
    texts,
)
from widget_server.core.collation import sorted_german
from widget_server.core.errors import (
    ValidationError,
)
from widget_server.core.signing import Signer
from widget_server.network.portal_links import DEFAULT_DAYS, MAX_DAYS, issue_link, revoke

# The services (and the image library they load) are imported by the commands that
# change something; listing and showing members read the storage only.
if TYPE_CHECKING:
    from widget_server.core.settings import Settings
    from widget_server.storage import Storage


async def cmd_member_add(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    from widget_server.network.services import MemberInput, add_member

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
    members = sorted_german(
        await storage.list_members(status=args.status, theme_id=theme_id), key=lambda m: m.name
    )
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
    fields = [
        ("website", member.website),
        ("domains", ", ".join(member.domains)),
        ("category", data["category_label"]),
        ("town", " ".join(p for p in (member.postal_code, member.town) if p)),
        ("description", member.description),
        ("themes", ", ".join(f"{m['theme']} ({m['status']})" for m in memberships) or "none"),
    ]
    shown = [(label, value or "-") for label, value in fields]
    text = "\n".join([f"{member.name} ({member.slug}), {member.status}", *aligned(shown)])
    emit(args, data, text)
    return 0


def status_command(status: str) -> Command:
    async def run(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
        from widget_server.network.services import set_member_status

        member = await set_member_status(storage, args.slug, status)  # type: ignore[arg-type]
        emit(args, member_dict(member), f"Member {member.slug} is now {member.status}.")
        return 0

    return run


async def cmd_member_logo(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    from widget_server.network.services import set_logo

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
    # Here, not at the top: the snippets import the serving side, which the other
    # member commands do not need.
    from widget_server.network.database import ensure_secret_keys
    from widget_server.network.services import check_placement_options, placement_for
    from widget_server.serving.snippets import iframe_snippet, placement_snippet

    options = check_placement_options(
        layout=args.layout,
        max_partners=args.max_partners,
        lang=args.lang,
        scheme=args.scheme,
        show=args.show,
    )
    base_url = public_base_url(args, settings, "the code")
    member, theme, placement = await placement_for(storage, args.member, args.theme, options)
    # After the checks: the keys' check records the signing key (a write).
    signer = Signer(await ensure_secret_keys(storage, settings, create=False))
    token = signer.embed_token(placement.id)
    lang = placement.options.lang
    html = placement_snippet(base_url, token, theme, lang)
    iframe = iframe_snippet(
        base_url, token, title=theme.name(lang or "de"), layout=placement.options.layout
    )
    data = {
        "member": member.slug,
        "theme": theme.slug,
        "token": token,
        "html": html,
        "iframe": iframe,
    }
    if placement.options.show is not None:  # the block's joint slot, fixed for the placement
        data["show"] = placement.options.show
    emit(args, data, iframe if args.iframe else html)
    return 0


def add_portal_link_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("member", help="member slug")
    parser.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help=f"days the link is valid, 1-{MAX_DAYS}"
    )
    parser.add_argument("--base-url", help="public URL of this server")
    parser.add_argument(
        "--revoke",
        action="store_true",
        help="end every portal link and portal session of the member instead",
    )


async def cmd_portal_link(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    """``widget-server portal-link MEMBER``: print a member's portal link."""

    from widget_server.network.database import ensure_secret_keys

    member = await storage.get_member(args.member)
    if args.revoke:
        ended = await revoke(storage, member.id)
        text = texts(settings).ngettext(
            "%(num)d portal link revoked", "%(num)d portal links revoked", ended
        )
        emit(args, {"member": member.slug, "revoked": ended}, text)
        return 0
    if member.status == "removed":
        raise ValidationError("member", f"{member.slug!r} has been removed")
    base_url = public_base_url(args, settings, "the link")
    signer = Signer(await ensure_secret_keys(storage, settings, create=False))
    link = await issue_link(storage, signer, member.id, args.days, time.time(), base_url)
    data = {"member": member.slug, "url": link.url, "expires": link.expires_iso}
    until = datetime.fromtimestamp(link.expires, UTC).strftime("%Y-%m-%d %H:%M")
    emit(args, data, f"{link.url}\n(valid until {until} UTC)")
    return 0
