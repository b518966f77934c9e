"""Profile changes a member makes in its portal: applied at once, or kept for approval.

The theme decides (docs/portal.md): when the rules of any theme the member
takes part in (every membership but "left") say
``portal.approve_profile_changes: true``, a change waits as the member's one
``ProfileChange`` until a coordinator approves or rejects it in the admin.
Its profile is shown in all its themes, so the strictest theme wins.

In the portal a member may change its name, website, description and logo;
through the API a member key may also propose its category, town, postal
code and extra domains.  Whatever the themes say, a change of the website,
the domains, the category, the town or the postal code always waits for a
coordinator (``ALWAYS_APPROVED``): partner links lead to the website, the
domains say where views count, and category and town steer the rotation
rules (same-category exclusion, regions).  A coordinator's changes (admin,
coordinator key, CLI) apply at once.  Everything is validated when
submitted, with the same checks as the admin's (``network.check_profile``,
``logos.check_logo``), and again when approved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.core.models import Logo, Member, ProfileChange
from widget_server.network import services as network
from widget_server.network.audit import changed_fields
from widget_server.network.logos import check_logo
from widget_server.network.rules import theme_rules
from widget_server.storage import Storage

EDITABLE = ("name", "website", "description")  # in the portal (and the logo)
# What a member key may propose (docs/api.md); domains travel as one space-separated text.
PROPOSABLE = ("name", "website", "description", "category", "town", "postal_code", "domains")
ALWAYS_APPROVED = frozenset({"website", "domains", "category", "town", "postal_code"})


async def approval_required(storage: Storage, member: Member) -> bool:
    """Does a theme the member takes part in want profile changes approved?"""
    for ms in await storage.list_memberships(member_id=member.id):
        if ms.status == "left":
            continue
        if theme_rules(await storage.get_rule_set(ms.theme_id)).approve_profile_changes:
            return True
    return False


async def pending_change(storage: Storage, member: Member) -> ProfileChange | None:
    try:
        change, _ = await storage.get_profile_change(member.id)
    except NotFoundError:
        return None
    return change


async def pending_logo(storage: Storage, member: Member) -> tuple[Logo, bytes]:
    """The proposed logo and its bytes; ``NotFoundError`` when none is proposed."""
    change, data = await storage.get_profile_change(member.id)
    if change.logo is None or data is None:
        raise NotFoundError(f"member {member.slug!r} has proposed no logo")
    return change.logo, data


def _extra(member: Member) -> list[str]:
    """The member's domains beyond its website's own (with and without ``www.``)."""
    own = set(network.domains_for(member.website))
    return sorted(d for d in member.domains if d not in own)


def proposed(member: Member, changes: Mapping[str, str]) -> Member:
    """The member as it would be with ``changes`` (profile fields) applied, unchecked."""
    fields: dict[str, Any] = {k: v for k, v in changes.items() if k != "domains"}
    after = replace(member, **fields)
    extra = changes["domains"].split() if "domains" in changes else _extra(member)
    try:
        return replace(after, domains=network.domains_for(after.website, extra))
    except ValidationError:
        return after


def change_rows(member: Member, change: ProfileChange | None) -> list[tuple[str, str, str]]:
    """(field, before, after) of a change's fields, in form order; domains as one text."""
    if change is None:
        return []
    rows = []
    for f in PROPOSABLE:
        if f not in change.changes:
            continue
        before = " ".join(_extra(member)) if f == "domains" else getattr(member, f)
        rows.append((f, before, change.changes[f]))
    return rows


def as_update(changes: Mapping[str, str]) -> dict[str, Any]:
    """A proposal as ``network.update_member`` takes it (domains as a list)."""
    return {k: (v.split() if k == "domains" else v) for k, v in changes.items()}


def _checked(member: Member, fields: Mapping[str, str], allowed: tuple[str, ...]) -> dict[str, str]:
    """The fields that differ from the member's, validated and normalised."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError(unknown[0], "cannot be changed")
    text: dict[str, Any] = {k: v for k, v in fields.items() if k != "domains"}
    extra = fields["domains"].split() if "domains" in fields else _extra(member)
    checked = network.check_profile(replace(member, **text), extra)
    found = {f: getattr(checked, f) for f in text if getattr(checked, f) != getattr(member, f)}
    if "domains" in fields and _extra(checked) != _extra(replace(member, website=checked.website)):
        found["domains"] = " ".join(_extra(checked))
    return found


@dataclass(frozen=True)
class Outcome:
    """What a submission did: applied at once, or waiting (``pending``)."""

    member: Member  # as visitors see it now
    pending: ProfileChange | None  # the member's change awaiting approval, if any
    applied: dict[str, str]  # fields changed at once (empty when waiting)
    submitted: bool = False  # a new or changed proposal is waiting now


async def submit_profile(
    storage: Storage,
    member: Member,
    fields: Mapping[str, str],
    *,
    approval: bool,
    allowed: tuple[str, ...] = EDITABLE,
) -> Outcome:
    """A member changes its profile: what ``approval`` or ``ALWAYS_APPROVED`` holds back waits.

    The portal's form shows a pending change's values, so a submission replaces
    the pending values of the fields it names; fields it leaves out (the API's
    PATCH names only some) keep theirs.  A pending logo stays.
    """
    changes = _checked(member, fields, allowed)
    old = await pending_change(storage, member)
    waiting = {k: v for k, v in changes.items() if approval or k in ALWAYS_APPROVED}
    now = {k: v for k, v in changes.items() if k not in waiting}
    if old is not None:
        waiting = {**{k: v for k, v in old.changes.items() if k not in fields}, **waiting}
    after = await network.update_member(storage, member.slug, as_update(now)) if now else member
    if old is not None and dict(old.changes) == waiting:
        return Outcome(after, old, now)  # the same proposal again: nothing new
    if old is None and not waiting:
        return Outcome(after, None, now)
    pending = await _replace(storage, member, old, waiting)
    return Outcome(after, pending, now, submitted=bool(waiting))


async def submit_logo(storage: Storage, member: Member, data: bytes, *, approval: bool) -> Outcome:
    """A new logo, checked like the admin's uploads; with ``approval`` it waits."""
    logo, clean = check_logo(member.id, data)
    if not approval:
        after = await network.set_logo(storage, member.slug, clean)
        return Outcome(after, await pending_change(storage, member), {"logo": logo.digest})
    old = await pending_change(storage, member)
    change = ProfileChange(member.id, dict(old.changes) if old else {}, logo)
    return Outcome(member, await storage.put_profile_change(change, clean), {}, submitted=True)


async def _replace(
    storage: Storage, member: Member, old: ProfileChange | None, changes: dict[str, str]
) -> ProfileChange | None:
    """Store ``changes`` (keeping a pending logo) as the pending change, or drop it if empty."""
    logo, data = None, None
    if old is not None and old.logo is not None:
        logo, data = await pending_logo(storage, member)
    if not changes and logo is None:
        if old is not None:
            await storage.delete_profile_change(member.id, old.revision)
        return None
    return await storage.put_profile_change(ProfileChange(member.id, changes, logo), data)


async def withdraw(storage: Storage, member: Member) -> ProfileChange | None:
    """The member takes its pending change back; returns what was withdrawn."""
    old = await pending_change(storage, member)
    if old is not None:
        await storage.delete_profile_change(member.id, old.revision)
    return old


async def _decide(storage: Storage, slug: str, revision: int) -> tuple[Member, ProfileChange]:
    member = await storage.get_member(slug)
    change = await pending_change(storage, member)
    if change is None:
        raise NotFoundError("no_change")
    if change.revision != revision:
        raise ConflictError("stale_change")
    return member, change


async def approve(
    storage: Storage, slug: str, revision: int
) -> tuple[Member, Member, ProfileChange]:
    """Apply the member's pending change as the coordinator saw it (``revision``).

    Returns the member before and after, and the change.  ``ConflictError``
    ("stale_change") when the member has replaced it meanwhile.
    """
    before, change = await _decide(storage, slug, revision)
    after = before
    if change.changes:
        after = await network.update_member(storage, slug, as_update(change.changes))
    if change.logo is not None:
        _, data = await pending_logo(storage, before)
        after = await network.set_logo(storage, slug, data)
    if not await storage.delete_profile_change(before.id, revision):
        raise ConflictError("stale_change")  # replaced while it was applied: the new one stays
    return before, after, change


async def reject(storage: Storage, slug: str, revision: int) -> tuple[Member, ProfileChange]:
    member, change = await _decide(storage, slug, revision)
    if not await storage.delete_profile_change(member.id, revision):
        raise ConflictError("stale_change")
    return member, change


async def pending_list(storage: Storage) -> list[tuple[Member, ProfileChange]]:
    """Every pending change of a member that is not removed, oldest first."""
    found = []
    for change in await storage.list_profile_changes():
        member = await storage.get_member_by_id(change.member_id)
        if member.status != "removed":
            found.append((member, change))
    return found


def describe(member: Member, change: ProfileChange) -> str:
    """``description: „old“ → „new“; logo: image/png, 64×64``, for the audit log."""
    after = proposed(member, change.changes)
    fields = [f for f in PROPOSABLE if f != "domains"]
    parts = [changed_fields(member, after, fields)]
    if "domains" in change.changes:
        parts.append(f"domains: {', '.join(after.domains)}")
    if change.logo is not None:
        logo = change.logo
        parts.append(f"logo: {logo.content_type}, {logo.width}×{logo.height}")
    return "; ".join(p for p in parts if p)
