"""Service functions for managing the network: validate, then write through storage.

The CLI, the API and the admin pages all call these, so a rule such as "a
slug is lower-case" holds the same everywhere.  Every function validates all
of its input before the first write, so a bad value never leaves a half-made
record behind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .categories import is_category
from .errors import ConflictError, NotFoundError, ValidationError
from .logos import check_logo
from .models import (
    LANGUAGES,
    LAYOUTS,
    SCHEMES,
    THEME_KINDS,
    Member,
    MemberStatus,
    Placement,
    PlacementOptions,
    Theme,
)
from .storage import Storage

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")
MAX_NAME = 80
MAX_DESCRIPTION = 300
MAX_PARTNERS = 12


def check_slug(field: str, value: str) -> str:
    if not _SLUG.match(value) or len(value) > 60:
        raise ValidationError(
            field, f"{value!r} is not a slug (lower-case letters, digits and single hyphens)"
        )
    return value


def check_text(field: str, value: str, *, limit: int, required: bool = False) -> str:
    value = " ".join(value.split())  # one line; no control characters survive split()
    if required and not value:
        raise ValidationError(field, "must not be empty")
    if len(value) > limit:
        raise ValidationError(field, f"is {len(value)} characters long, at most {limit} allowed")
    return value


def check_website(value: str) -> str:
    parts = urlsplit(value.strip())
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
    host = urlsplit(raw).hostname if "//" in raw else raw.split("/")[0].split(":")[0]
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


async def add_member(storage: Storage, data: MemberInput) -> Member:
    """Register a member in the given themes (all or nothing)."""
    check_slug("slug", data.slug)
    if data.category and not is_category(data.category):
        raise ValidationError("category", f"{data.category!r} is not a category slug")
    if data.status not in ("pending", "active", "paused"):
        raise ValidationError("status", f"{data.status!r} is not pending, active or paused")
    if data.postal_code and not re.match(r"^[0-9A-Za-z -]{3,10}$", data.postal_code):
        raise ValidationError("postal_code", f"{data.postal_code!r} is not a postal code")
    website = check_website(data.website)
    member = Member(
        id=0,
        slug=data.slug,
        name=check_text("name", data.name, limit=MAX_NAME, required=True),
        website=website,
        domains=domains_for(website, data.domains),
        description=check_text("description", data.description, limit=MAX_DESCRIPTION),
        category=data.category,
        town=check_text("town", data.town, limit=MAX_NAME),
        postal_code=data.postal_code.strip(),
        status=data.status,
    )
    theme_ids = []
    for slug in dict.fromkeys(data.themes):
        try:
            theme_ids.append((await storage.get_theme(slug)).id)
        except NotFoundError:
            raise ValidationError("themes", f"there is no theme {slug!r}") from None
    try:
        return await storage.create_member(member, theme_ids)
    except ConflictError:
        raise ConflictError(f"a member {data.slug!r} exists already") from None


async def set_member_status(storage: Storage, slug: str, status: MemberStatus) -> Member:
    member = await storage.get_member(slug)
    return await storage.set_member_status(member.id, status)


async def set_logo(storage: Storage, slug: str, data: bytes) -> Member:
    """Store a member's logo after checking type, size and dimensions."""
    member = await storage.get_member(slug)
    await storage.set_logo(check_logo(member.id, data), data)
    return await storage.get_member_by_id(member.id)


def check_placement_options(
    *, layout: str | None, max_partners: int, lang: str | None, scheme: str | None
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
    return PlacementOptions(layout=layout, max_partners=max_partners, lang=lang, scheme=scheme)


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
    member = await storage.get_member(member_slug)
    theme = await storage.get_theme(theme_slug)
    if not any(
        ms.theme_id == theme.id and ms.status != "left"
        for ms in await storage.list_memberships(member_id=member.id)
    ):
        raise ValidationError("theme", f"member {member_slug!r} is not in theme {theme_slug!r}")
    options = options or PlacementOptions()
    for placement in await storage.list_placements(member_id=member.id, theme_id=theme.id):
        if placement.options == options:
            return member, theme, placement
    return member, theme, await storage.create_placement(member.id, theme.id, options)
