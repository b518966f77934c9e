"""The demo network: seeding it, and the pieces the demo pages need."""

from __future__ import annotations

from widget_server.demo import data as demo_data
from widget_server.network.database import DEMO_META
from widget_server.network.services import MemberInput, add_member, add_theme, placement_for
from widget_server.storage import Storage

# The member whose portal link the demo prints: the busy bakery, a net giver, whose
# figures show what the network gives it and why it gives more than it gets.
PORTAL_MEMBER = "baeckerei-claussen"


async def is_demo_database(storage: Storage) -> bool:
    return await storage.get_meta(DEMO_META) == "1"


def site_url(base_url: str, slug: str) -> str:
    """A demo member's website: its example site on this server, so partner links land there."""
    return f"{base_url.rstrip('/')}/demo/site/{slug}"


async def seed_demo(storage: Storage, base_url: str, *, joined: str | None = None) -> None:
    """Fill an empty, migrated database with the demo network of Heide (Holstein).

    ``base_url`` is where the demo is served: each member's website is its demo
    site there.  ``joined`` (ISO time) dates the memberships, before the history.
    """
    for theme in demo_data.THEMES:
        await add_theme(
            storage,
            slug=theme["slug"],
            name_de=theme["name_de"],
            name_en=theme["name_en"],
            description_de=theme["description_de"],
            description_en=theme["description_en"],
            kind=theme["kind"],
            intro_de=theme.get("intro_de", ""),
            intro_en=theme.get("intro_en", ""),
        )
    for member in demo_data.MEMBERS:
        await add_member(
            storage,
            MemberInput(
                slug=member["slug"],
                name=member["name"],
                website=site_url(base_url, member["slug"]),
                description=member["description"],
                category=member["category"],
                town=member["town"],
                postal_code=member["postal_code"],
                domains=(),
                themes=tuple(member["themes"]),
                status="active",
            ),
            joined=joined,
        )
        for theme_slug in member["themes"]:
            await placement_for(storage, member["slug"], theme_slug)
    await storage.set_meta(DEMO_META, "1")
