"""Building a referral block: the partners one placement shows, as plain data.

The same dict is sent as JSON to the loader, rendered into the iframe page and
(later) returned by the REST API, so every channel shows the same block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .categories import category_label
from .i18n import translate
from .models import LANGUAGES, LAYOUTS, SCHEMES, Member, Placement
from .rotation import select
from .signing import Signer
from .snapshot import Snapshot

REL = "sponsored nofollow noopener"
BLOCK_FORMAT = 1


@dataclass(frozen=True)
class Display:
    lang: str
    layout: str
    scheme: str


def resolve_display(
    placement: Placement, lang: str | None, layout: str | None, scheme: str | None
) -> Display:
    """The placement's fixed options win over the embed's; unknown values fall back."""
    opts = placement.options

    def choose(fixed: str | None, asked: str | None, allowed: tuple[str, ...]) -> str:
        for value in (fixed, asked):
            if value in allowed:
                return value
        return allowed[0]

    return Display(
        lang=choose(opts.lang, lang, LANGUAGES),
        layout=choose(opts.layout, layout, LAYOUTS),
        scheme=choose(opts.scheme, scheme, SCHEMES),
    )


def logo_path(member: Member) -> str | None:
    if member.logo is None:
        return None
    ext = member.logo.content_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
    return f"/logos/{member.id}-{member.logo.digest[:16]}.{ext}"


def directory_path(theme_slug: str, lang: str) -> str:
    return f"/t/{theme_slug}" + ("?lang=en" if lang == "en" else "")


def partners_for(snapshot: Snapshot, placement: Placement, *, bucket: int, key: bytes) -> list[int]:
    """The partner ids this placement shows in ``bucket`` (memoised per snapshot)."""
    cache_key = (
        "select",
        placement.member_id,
        placement.theme_id,
        bucket,
        placement.options.max_partners,
    )
    hit = snapshot.cached(cache_key)
    if hit is not None:
        return list(hit)
    chosen = select(
        snapshot.candidates.get(placement.theme_id, ()),
        host_id=placement.member_id,
        theme_id=placement.theme_id,
        bucket=bucket,
        limit=placement.options.max_partners,
        key=key,
    )
    snapshot.remember(cache_key, tuple(chosen))
    return chosen


def build_block(
    snapshot: Snapshot,
    placement: Placement,
    display: Display,
    *,
    bucket: int,
    key: bytes,
    signer: Signer,
    base_url: str,
) -> dict[str, Any]:
    """The block as plain data; member text is raw here and escaped by whoever renders it."""
    theme = snapshot.themes[placement.theme_id]
    lang = display.lang
    theme_name = theme.name(lang)
    partners = []
    for member_id in partners_for(snapshot, placement, bucket=bucket, key=key):
        member = snapshot.members[member_id]
        logo = logo_path(member)
        partners.append(
            {
                "name": member.name,
                "description": member.description,
                "category": category_label(member.category, lang),
                "town": member.town,
                "url": f"{base_url}/c/{signer.click_token(placement.id, member_id, bucket)}",
                "logo": f"{base_url}{logo}" if logo else None,
                "rel": REL,
            }
        )
    return {
        "v": BLOCK_FORMAT,
        "lang": lang,
        "layout": display.layout,
        "scheme": display.scheme,
        "heading": translate(lang, f"heading.{theme.kind}", theme=theme_name),
        "label": translate(lang, "label", theme=theme_name),
        "partners": partners,
        "more": {
            "text": translate(lang, "more"),
            "url": base_url + directory_path(theme.slug, lang),
        },
        "view": None,
    }
