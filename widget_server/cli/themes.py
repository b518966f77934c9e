"""``widget-server theme add|list``: the themes (edit and remove: cli/editing.py)."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import TYPE_CHECKING

from widget_server.cli.common import emit
from widget_server.core.collation import sorted_german

if TYPE_CHECKING:
    from widget_server.core.settings import Settings
    from widget_server.storage import Storage


async def cmd_theme_add(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    from widget_server.network.services import add_theme

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
    themes = sorted_german(await storage.list_themes(), key=lambda t: t.name_de)
    # One query for all counts (not one per theme); removed members count, as they did.
    counts = await storage.theme_member_counts(removed=True)
    rows = [{**asdict(theme), "members": counts.get(theme.id, 0)} for theme in themes]
    text = "\n".join(
        f"{r['slug']:<24} {r['kind']:<6} {r['members']:>4}  {r['name_de']}" for r in rows
    )
    emit(args, rows, text or "No themes yet.")
    return 0
