"""The demo network: seeding it, and the pieces the demo pages need."""

from __future__ import annotations

from widget_server.demo import data as demo_data
from widget_server.network.database import DEMO_META
from widget_server.network.services import MemberInput, add_member, add_theme, placement_for
from widget_server.storage import Storage


async def is_demo_database(storage: Storage) -> bool:
    return await storage.get_meta(DEMO_META) == "1"


async def seed_demo(storage: Storage) -> None:
    """Fill an empty, migrated database with the demo network of Heide (Holstein)."""
    for theme in demo_data.THEMES:
        await add_theme(
            storage,
            slug=theme["slug"],
            name_de=theme["name_de"],
            name_en=theme["name_en"],
            description_de=theme["description_de"],
            description_en=theme["description_en"],
            kind=theme["kind"],
        )
    for member in demo_data.MEMBERS:
        await add_member(
            storage,
            MemberInput(
                slug=member["slug"],
                name=member["name"],
                website=member["website"],
                description=member["description"],
                category=member["category"],
                town=member["town"],
                postal_code=member["postal_code"],
                domains=tuple(member["domains"]),
                themes=tuple(member["themes"]),
                status="active",
            ),
        )
        for theme_slug in member["themes"]:
            await placement_for(storage, member["slug"], theme_slug)
    await storage.set_meta(DEMO_META, "1")
