"""Invitations and applications: how a business joins without anybody's help (docs/admin.md).

A coordinator makes an **invitation link** for one theme: signed with
``signing.SALT_INVITATION``, naming a random invitation id and its expiry
(1–``MAX_DAYS`` days), optionally single-use.  The id is stored
(``invitations``), so a coordinator can end a link and a single-use link
works once (claimed in the transaction that stores the application).  Or the
coordinators open the public **"Mitglied werden"** page for some themes
(``OPEN_THEMES_META``).

The business fills in its profile and lands as a **pending member** with an
application (``submit``); nothing about it is shown anywhere before a
coordinator approves it (pending members are in no pool).  The coordinator
approves or declines with a note (``decide``).  The applicant keeps a
personal **status link** (``status_token``), which shows the decision, the
note and, once approved, its code and a way into its member area.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from widget_server.core.collation import slugify
from widget_server.core.errors import BadTokenError, ConflictError, NotFoundError, ValidationError
from widget_server.core.models import Application, Invitation, Member, Theme
from widget_server.core.signing import SALT_INVITATION, Signer
from widget_server.network.services import MemberInput, check_member_input, check_text
from widget_server.storage import Storage

DAY = 86_400
DEFAULT_DAYS = 14
MAX_DAYS = 60
STATUS_DAYS = 90  # how long an applicant's status link works
MAX_NOTE = 500
OPEN_THEMES_META = "join_open_themes"  # JSON list of theme slugs open on the public page
DECISIONS = ("approved", "declined")


@dataclass(frozen=True)
class InvitationLink:
    invitation: Invitation
    url: str

    @property
    def expires_iso(self) -> str:
        return datetime.fromtimestamp(self.invitation.expires_at, UTC).isoformat(timespec="minutes")


def check_days(raw: str | int) -> int:
    try:
        days = int(raw)
    except ValueError:
        raise ValidationError("days", f"{str(raw)[:20]!r} is not a whole number") from None
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError("days", f"{days} is not between 1 and {MAX_DAYS}")
    return days


def invitation_url(signer: Signer, invitation: Invitation, base_url: str) -> str:
    token = signer.dumps(SALT_INVITATION, {"i": invitation.id, "e": int(invitation.expires_at)})
    return f"{base_url.rstrip('/')}/join/i/{token}"


async def create(
    storage: Storage,
    signer: Signer,
    theme_slug: str,
    *,
    days: int,
    single_use: bool,
    note: str,
    actor: str,
    now: float,
    base_url: str,
) -> InvitationLink:
    theme = await storage.get_theme(theme_slug)
    invitation = Invitation(
        id=secrets.token_urlsafe(12),
        theme_id=theme.id,
        single_use=single_use,
        uses=0,
        note=check_text("note", note, limit=200),
        created_by=actor,
        created_at="",
        expires_at=float(int(now + check_days(days) * DAY)),
    )
    stored = await storage.create_invitation(invitation)
    return InvitationLink(stored, invitation_url(signer, stored, base_url))


async def read(storage: Storage, signer: Signer, token: str, now: float) -> Invitation:
    """The usable invitation a link names; ``BadTokenError`` saying why not."""
    data: Any = signer.loads(SALT_INVITATION, token, max_age=MAX_DAYS * DAY)
    if not isinstance(data, dict) or not isinstance(data.get("i"), str):
        raise BadTokenError("invitation link is not valid")
    try:
        invitation = await storage.get_invitation(data["i"])
    except NotFoundError:
        raise BadTokenError("invitation link is not valid") from None
    if invitation.revoked_at is not None:
        raise BadTokenError("invitation was ended")
    if invitation.expires_at <= now:
        raise BadTokenError("token has expired")
    if invitation.single_use and invitation.uses > 0:
        raise BadTokenError("invitation was used")
    return invitation


async def open_themes(storage: Storage) -> list[str]:
    raw = await storage.get_meta(OPEN_THEMES_META)
    found = json.loads(raw) if raw else []
    return [s for s in found if isinstance(s, str)]


async def set_open_themes(storage: Storage, slugs: list[str]) -> list[str]:
    known = {t.slug for t in await storage.list_themes()}
    unknown = [s for s in slugs if s not in known]
    if unknown:
        raise ValidationError("themes", f"there is no theme {unknown[0]!r}")
    chosen = sorted(set(slugs))
    await storage.set_meta(OPEN_THEMES_META, json.dumps(chosen))
    return chosen


@dataclass(frozen=True)
class ApplicationInput:
    name: str
    website: str
    category: str = ""
    town: str = ""
    postal_code: str = ""
    description: str = ""


def check_application(data: ApplicationInput) -> Member:
    """The applicant's fields checked as a new member's are (its slug made from the name)."""
    slug = slugify(data.name) or "mitglied"
    member_input = MemberInput(
        slug=slug,
        name=data.name,
        website=data.website,
        description=data.description,
        category=data.category,
        town=data.town,
        postal_code=data.postal_code,
        status="pending",
    )
    return check_member_input(member_input)


async def _free_slug(storage: Storage, slug: str) -> str:
    taken = await storage.existing_member_slugs([slug] + [f"{slug}-{n}" for n in range(2, 21)])
    if slug not in taken:
        return slug
    for n in range(2, 21):
        if f"{slug}-{n}" not in taken:
            return f"{slug}-{n}"
    return f"{slug[:30]}-{secrets.token_hex(3)}"


async def submit(
    storage: Storage,
    data: ApplicationInput,
    theme: Theme,
    invitation: Invitation | None,
    now: float,
) -> Member:
    """A pending member in ``theme`` and its application (one transaction)."""
    member = check_application(data)
    member = replace(member, slug=await _free_slug(storage, member.slug))
    try:
        return await storage.submit_application(
            member, theme.id, invitation.id if invitation else None, now
        )
    except ConflictError as exc:
        if "invitation" in str(exc):
            raise BadTokenError("invitation was used") from None
        # the slug was taken at this very moment: one more try with a random tail
        member = replace(member, slug=f"{member.slug[:30]}-{secrets.token_hex(3)}")
        return await storage.submit_application(
            member, theme.id, invitation.id if invitation else None, now
        )


async def decide(
    storage: Storage, member_slug: str, decision: str, note: str, actor: str
) -> tuple[Member, Application]:
    if decision not in DECISIONS:
        raise ValidationError("decision", f"{decision!r} is not one of {', '.join(DECISIONS)}")
    member = await storage.get_member(member_slug)
    note = check_text("note", note, limit=MAX_NOTE)
    application = await storage.decide_application(member.id, decision, note, actor)
    return await storage.get_member_by_id(member.id), application


def status_token(signer: Signer, member_id: int) -> str:
    return signer.dumps(SALT_INVITATION, {"s": member_id})


def read_status_token(signer: Signer, token: str) -> int:
    data: Any = signer.loads(SALT_INVITATION, token, max_age=STATUS_DAYS * DAY)
    member_id = data.get("s") if isinstance(data, dict) else None
    if not isinstance(member_id, int) or isinstance(member_id, bool):
        raise BadTokenError("status link is not valid")
    return member_id
