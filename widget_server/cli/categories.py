"""``widget-server categories [list|add|suggest]``: member categories (network/categories.py)."""

from __future__ import annotations

import argparse

from widget_server.cli.common import emit
from widget_server.core.collation import sorted_german
from widget_server.core.settings import Settings
from widget_server.network import audit, categories
from widget_server.storage import Storage


def add_arguments(sub: argparse._SubParsersAction, add: object) -> None:  # type: ignore[type-arg]
    group = sub.add_parser(
        "categories",
        help="list the member categories, add one of the network's own, suggest the nearest",
        description="Member categories: the built-in ones and the network's own. Without an"
        f" action: list them. The slug rule: {categories.SLUG_RULE}.",
    )
    group.set_defaults(func=cmd_categories_list)
    group.add_argument("--json", action="store_true", help="print JSON")
    csub = group.add_subparsers(dest="action", metavar="ACTION")
    add(csub, "list", cmd_categories_list, "list every category (the default action)")  # type: ignore[operator]
    p = add(csub, "add", cmd_categories_add, "add a category of the network's own")  # type: ignore[operator]
    p.add_argument("slug", help="the slug, e.g. fahrradwerkstatt (" + categories.SLUG_RULE + ")")
    p.add_argument("--label-de", required=True, help="German label, e.g. Fahrradwerkstatt")
    p.add_argument("--label-en", help="English label, e.g. 'Bike repair' (default: the German)")
    p.add_argument("--author", default="cli", help="who adds it, as the audit log names it")
    p = add(csub, "suggest", cmd_categories_suggest, "the categories nearest to a word")  # type: ignore[operator]
    p.add_argument("text", help="a word or label, e.g. Florist")


def _rows() -> list[dict[str, object]]:
    rows = [
        {"slug": slug, "label_de": de, "label_en": en, "builtin": categories.is_builtin(slug)}
        for slug, (de, en) in categories.all_labels().items()
    ]
    return sorted_german(rows, key=lambda r: str(r["label_de"]))


async def cmd_categories_list(
    args: argparse.Namespace, storage: Storage, settings: Settings
) -> int:
    await categories.load(storage)
    rows = _rows()
    text = "\n".join(
        f"{r['slug']:<24} {r['label_de']:<24} {r['label_en']:<24}"
        f"{'' if r['builtin'] else ' (this network)'}".rstrip()
        for r in rows
    )
    emit(args, rows, text)
    return 0


async def cmd_categories_add(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    added = await categories.add_category(
        storage, args.slug, args.label_de, args.label_en or "", args.author
    )
    await audit.record(
        storage, args.author, "category.add", f"category:{added.slug}", added.label_de
    )
    emit(
        args,
        {"slug": added.slug, "label_de": added.label_de, "label_en": added.label_en},
        f"Category {added.slug} added ({added.label_de} / {added.label_en}).",
    )
    return 0


async def cmd_categories_suggest(
    args: argparse.Namespace, storage: Storage, settings: Settings
) -> int:
    await categories.load(storage)
    found = categories.suggest(args.text)
    slug = categories.slug_for(args.text)
    rows = [
        {
            "slug": s,
            "label_de": categories.category_label(s, "de"),
            "label_en": categories.category_label(s, "en"),
        }
        for s in found
    ]
    text = "\n".join(f"{r['slug']:<24} {r['label_de']}" for r in rows) or "no similar category"
    text += f"\nas a new category its slug would be: {slug or '(none: use letters a-z)'}"
    emit(args, {"nearest": rows, "slug": slug}, text)
    return 0
