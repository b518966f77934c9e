"""Service functions for managing the network: validate, then write through storage.

The CLI, the API and the admin pages all call these, so a rule such as "a
slug is lower-case" holds the same everywhere.  Every function validates all
of its input before the first write, so a bad value never leaves a half-made
record behind.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import SplitResult, urlsplit

from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.core.models import (
    LANGUAGES,
    LAYOUTS,
    SCHEMES,
    SHOW_VALUES,
    THEME_KINDS,
    Member,
    Membership,
    MemberStatus,
    Placement,
    PlacementOptions,
    Theme,
)
from widget_server.network.categories import is_category, slug_problem
from widget_server.network.logos import check_logo
from widget_server.network.prose import check_prose
from widget_server.storage import Storage

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")
MAX_NAME = 80
MAX_DESCRIPTION = 300
MAX_PARTNERS = 12


def check_slug(field: str, value: str) -> str:
    if not _SLUG.fullmatch(value) or len(value) > 60:  # fullmatch: "$" allows a final "\n"
        raise ValidationError(
            field, f"{value!r} is not a slug (lower-case letters, digits and single hyphens)"
        )
    return value


# Bidirectional controls (embeddings, overrides, isolates, marks): stripped from member
# text, so a name cannot reverse what follows it in a block, a list or the audit log.
BIDI_CONTROLS = dict.fromkeys(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def check_text(field: str, value: str, *, limit: int, required: bool = False) -> str:
    value = value.translate(BIDI_CONTROLS)
    value = " ".join(value.split())  # one line: newlines and tabs become spaces
    # isprintable() is False for every Cc and Cs character: a quick pass for most text.
    if not value.isprintable() and any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise ValidationError(field, "contains control characters")
    if required and not value:
        raise ValidationError(field, "must not be empty")
    if len(value) > limit:
        raise ValidationError(field, f"is {len(value)} characters long, at most {limit} allowed")
    return value


def _split(value: str, field: str) -> SplitResult:
    """``urlsplit``, with its ValueError (e.g. an unclosed ``[``) as a ValidationError."""
    try:
        parts = urlsplit(value)
        parts.hostname  # noqa: B018  (parsed lazily: may raise too)
    except ValueError:
        raise ValidationError(field, f"{value!r} is not a valid URL") from None
    return parts


def check_website(value: str) -> str:
    stripped = value.strip()
    if not stripped.isprintable() and any(
        unicodedata.category(ch) in ("Cc", "Cs") for ch in stripped
    ):
        raise ValidationError("website", "contains control characters")
    parts = _split(value.strip(), "website")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("website", f"{value!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise ValidationError("website", f"{value!r} must not contain credentials")
    if not _DOMAIN.match(parts.hostname):
        raise ValidationError("website", f"{value!r} does not name a valid host")
    return value.strip()


def normalise_domain(value: str) -> str:
    """``https://www.Example.de/x`` and ``www.example.de`` both give ``www.example.de``."""
    raw = value.strip().lower()
    host = _split(raw, "domains").hostname if "//" in raw else raw.split("/")[0].split(":")[0]
    if not host or not _DOMAIN.match(host):
        raise ValidationError("domains", f"{value!r} is not a domain name")
    return host


def domains_for(website: str, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The website's host in both its www and bare form, plus any extra domains."""
    host = normalise_domain(website)
    bare = host.removeprefix("www.")
    found = {bare, f"www.{bare}"}
    found.update(normalise_domain(d) for d in extra)
    return tuple(sorted(found))


async def add_theme(
    storage: Storage,
    *,
    slug: str,
    name_de: str,
    name_en: str = "",
    description_de: str = "",
    description_en: str = "",
    kind: str = "topic",
    intro_de: str = "",
    intro_en: str = "",
) -> Theme:
    check_slug("slug", slug)
    if kind not in THEME_KINDS:
        raise ValidationError("kind", f"{kind!r} is not one of {', '.join(THEME_KINDS)}")
    theme = Theme(
        id=0,
        slug=slug,
        name_de=check_text("name_de", name_de, limit=MAX_NAME, required=True),
        name_en=check_text("name_en", name_en, limit=MAX_NAME),
        description_de=check_text("description_de", description_de, limit=MAX_DESCRIPTION),
        description_en=check_text("description_en", description_en, limit=MAX_DESCRIPTION),
        kind=kind,  # checked against THEME_KINDS above
        intro_de=check_prose("intro_de", intro_de),
        intro_en=check_prose("intro_en", intro_en),
    )
    try:
        return await storage.create_theme(theme)
    except ConflictError:
        raise ConflictError(f"a theme {slug!r} exists already") from None


@dataclass(frozen=True)
class MemberInput:
    slug: str
    name: str
    website: str
    description: str = ""
    category: str = ""
    town: str = ""
    postal_code: str = ""
    domains: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    status: MemberStatus = "active"


async def add_member(storage: Storage, data: MemberInput, *, joined: str | None = None) -> Member:
    """Register a member in the given themes (all or nothing); ``joined``: ISO time, default now."""
    member = check_member_input(data)
    theme_ids = []
    for slug in dict.fromkeys(data.themes):
        try:
            theme_ids.append((await storage.get_theme(slug)).id)
        except NotFoundError:
            raise ValidationError("themes", f"there is no theme {slug!r}") from None
    try:
        return await storage.create_member(member, theme_ids, joined=joined)
    except ConflictError:
        raise ConflictError(f"a member {data.slug!r} exists already") from None


def check_member_input(data: MemberInput) -> Member:
    """A new member's fields checked and normalised (its themes are the caller's part)."""
    check_slug("slug", data.slug)
    if data.status not in ("pending", "active", "paused"):
        raise ValidationError("status", f"{data.status!r} is not pending, active or paused")
    return check_profile(
        Member(
            id=0,
            slug=data.slug,
            name=data.name,
            website=data.website,
            description=data.description,
            category=data.category,
            town=data.town,
            postal_code=data.postal_code,
            status=data.status,
        ),
        data.domains,
    )


def check_profile(member: Member, extra_domains: Sequence[str]) -> Member:
    """The member with its profile fields checked and normalised, domains derived."""
    if member.category and not is_category(member.category):
        raise ValidationError("category", slug_problem(member.category))
    if member.postal_code and not re.match(r"^[0-9A-Za-z -]{3,10}$", member.postal_code):
        raise ValidationError("postal_code", f"{member.postal_code!r} is not a postal code")
    website = check_website(member.website)
    return replace(
        member,
        name=check_text("name", member.name, limit=MAX_NAME, required=True),
        website=website,
        domains=domains_for(website, extra_domains),
        description=check_text("description", member.description, limit=MAX_DESCRIPTION),
        town=check_text("town", member.town, limit=MAX_NAME),
        postal_code=member.postal_code.strip(),
    )


async def set_member_status(storage: Storage, slug: str, status: MemberStatus) -> Member:
    member = await storage.get_member(slug)
    return await storage.set_member_status(member.id, status)


async def set_logo(storage: Storage, slug: str, data: bytes) -> Member:
    """Store a member's logo after checking type, size and dimensions."""
    member = await storage.get_member(slug)
    logo, clean = check_logo(member.id, data)
    await storage.set_logo(logo, clean)
    return await storage.get_member_by_id(member.id)


def check_show(value: str | None) -> str | None:
    """A placement's ``show`` in its stored form ("partners,offer"): known values, each
    once, in the usual order; None or empty leaves the choice to the embed."""
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()]
    for part in parts:
        if part not in SHOW_VALUES:
            raise ValidationError("show", f"{part!r} is not one of {', '.join(SHOW_VALUES)}")
    return ",".join(v for v in SHOW_VALUES if v in parts or v == "partners") if parts else None


def check_placement_options(
    *,
    layout: str | None,
    max_partners: int,
    lang: str | None,
    scheme: str | None,
    show: str | None = None,
) -> PlacementOptions:
    for field, value, allowed in (
        ("layout", layout, LAYOUTS),
        ("lang", lang, LANGUAGES),
        ("scheme", scheme, SCHEMES),
    ):
        if value is not None and value not in allowed:
            raise ValidationError(field, f"{value!r} is not one of {', '.join(allowed)}")
    if not 1 <= max_partners <= MAX_PARTNERS:
        raise ValidationError("max_partners", f"{max_partners} is not between 1 and {MAX_PARTNERS}")
    return PlacementOptions(
        layout=layout, max_partners=max_partners, lang=lang, scheme=scheme, show=check_show(show)
    )


async def placement_for(
    storage: Storage,
    member_slug: str,
    theme_slug: str,
    options: PlacementOptions | None = None,
) -> tuple[Member, Theme, Placement]:
    """The member's placement in the theme with these options; made on first use.

    The member must belong to the theme: an embed code for a theme it is not in
    would show nothing.
    """
    await storage.get_theme(theme_slug)  # an unknown theme is not found (not invalid) here
    member, theme, placement, _ = await find_or_create_placement(
        storage, member_slug, theme_slug, options
    )
    return member, theme, placement


async def find_or_create_placement(
    storage: Storage,
    member_slug: str,
    theme_slug: str,
    options: PlacementOptions | None = None,
) -> tuple[Member, Theme, Placement, bool]:
    """Like :func:`placement_for`, and whether the placement was made just now.

    The theme is named in a request body here, so an unknown one is invalid input.
    """
    member = await storage.get_member(member_slug)
    try:
        theme = await storage.get_theme(theme_slug)
    except NotFoundError:
        raise ValidationError("theme", f"there is no theme {theme_slug!r}") from None
    if not any(
        ms.theme_id == theme.id and ms.status != "left"
        for ms in await storage.list_memberships(member_id=member.id)
    ):
        raise ValidationError("theme", f"member {member_slug!r} is not in theme {theme_slug!r}")
    options = options or PlacementOptions()
    for placement in await storage.list_placements(member_id=member.id, theme_id=theme.id):
        if placement.options == options:
            return member, theme, placement, False
    return member, theme, await storage.create_placement(member.id, theme.id, options), True


# -- changes (the REST API; the CLI may follow) -----------------------------------------------

THEME_FIELDS = (
    "name_de",
    "name_en",
    "description_de",
    "description_en",
    "kind",
    "intro_de",
    "intro_en",
)
MEMBER_FIELDS = ("name", "website", "description", "category", "town", "postal_code", "domains")


async def update_theme(storage: Storage, slug: str, changes: dict[str, Any]) -> Theme:
    """Change a theme's names, descriptions, kind or introductions (only these fields)."""
    theme = await storage.get_theme(slug)
    unknown = sorted(set(changes) - set(THEME_FIELDS))
    if unknown:
        raise ValidationError(unknown[0], "cannot be changed")
    changed = replace(theme, **changes)
    if changed.kind not in THEME_KINDS:
        raise ValidationError("kind", f"{changed.kind!r} is not one of {', '.join(THEME_KINDS)}")
    changed = replace(
        changed,
        name_de=check_text("name_de", changed.name_de, limit=MAX_NAME, required=True),
        name_en=check_text("name_en", changed.name_en, limit=MAX_NAME),
        description_de=check_text("description_de", changed.description_de, limit=MAX_DESCRIPTION),
        description_en=check_text("description_en", changed.description_en, limit=MAX_DESCRIPTION),
        intro_de=check_prose("intro_de", changed.intro_de),
        intro_en=check_prose("intro_en", changed.intro_en),
    )
    if changed == theme:
        return theme
    return await storage.update_theme(changed)


async def update_member(storage: Storage, slug: str, changes: dict[str, Any]) -> Member:
    """Change a member's profile fields (not its slug, status or themes).

    ``domains`` replaces the extra domains; the website's own host (with and
    without ``www.``) is always among the member's domains.
    """
    member = await storage.get_member(slug)
    unknown = sorted(set(changes) - set(MEMBER_FIELDS))
    if unknown:
        raise ValidationError(unknown[0], "cannot be changed")
    if "domains" in changes:
        extra: Sequence[str] = changes["domains"]
    else:  # keep the extra domains, derive the rest from the (new) website
        own = set(domains_for(member.website))
        extra = [d for d in member.domains if d not in own]
    fields = {k: v for k, v in changes.items() if k != "domains"}
    changed = check_profile(replace(member, **fields), extra)
    if changed == member:
        return member
    return await storage.update_member(changed)


# Which status changes the API allows, by the status a member has now.
MEMBER_TRANSITIONS: dict[MemberStatus, tuple[MemberStatus, ...]] = {
    "pending": ("pending", "active", "removed"),
    "active": ("active", "paused", "removed"),
    "paused": ("paused", "active", "removed"),
    "removed": ("removed",),
}


async def change_member_status(storage: Storage, slug: str, status: MemberStatus) -> Member:
    """Pause, activate (approve) or remove a member; a removed member stays removed."""
    member = await storage.get_member(slug)
    if status not in MEMBER_TRANSITIONS[member.status]:
        raise ConflictError(f"member {slug!r} is {member.status} and cannot become {status}")
    if member.status == status:
        return member
    return await storage.set_member_status(member.id, status)


async def set_membership_status(
    storage: Storage,
    member_slug: str,
    theme_slug: str,
    status: str,
    *,
    self_service: bool = False,
) -> tuple[Member, Theme, Membership]:
    """Join, pause or leave a theme.

    ``self_service`` (a member acting for itself) may only pause or leave a
    membership it has; joining or resuming is the coordinators' decision.
    """
    if status not in ("active", "paused", "left"):
        raise ValidationError("status", f"{status!r} is not active, paused or left")
    member = await storage.get_member(member_slug)
    theme = await storage.get_theme(theme_slug)
    found = await storage.list_memberships(member_id=member.id, theme_id=theme.id)
    current = found[0] if found else None
    if self_service:
        if current is None:
            raise NotFoundError(f"member {member_slug!r} is not in theme {theme_slug!r}")
        if current.status == "left" and status != "left":
            raise ConflictError(f"member {member_slug!r} has left theme {theme_slug!r}")
    if current is not None and current.status == status:
        return member, theme, current
    return member, theme, await storage.set_membership(member.id, theme.id, status)  # type: ignore[arg-type]
