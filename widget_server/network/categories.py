"""Member categories: a slug stored per member, shown with a German or English label."""

from __future__ import annotations

import re

# slug -> (German label, English label)
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "bridal-wear": ("Brautmode", "Bridal wear"),
    "catering": ("Catering", "Catering"),
    "flowers": ("Floristik", "Flowers"),
    "venue": ("Festlocation", "Venue"),
    "wedding-car": ("Hochzeitsauto", "Wedding car"),
    "photography": ("Fotografie", "Photography"),
    "confectioner": ("Konditorei", "Confectioner"),
    "jeweller": ("Juwelier", "Jeweller"),
    "hairdresser": ("Friseur", "Hairdresser"),
    "music": ("Musik", "Music"),
    "stationery": ("Papeterie", "Stationery"),
    "bookshop": ("Buchhandlung", "Bookshop"),
    "bakery": ("Bäckerei", "Bakery"),
    "cafe": ("Café", "Café"),
    "fashion": ("Mode", "Fashion"),
    "optician": ("Augenoptik", "Optician"),
    "toys": ("Spielwaren", "Toys"),
    "deli": ("Feinkost", "Delicatessen"),
    "hardware": ("Eisenwaren", "Hardware"),
    "pharmacy": ("Apotheke", "Pharmacy"),
    "restaurant": ("Restaurant", "Restaurant"),
}

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_category(slug: str) -> bool:
    """Known or not, a category must be a lower-case slug (``bridal-wear``)."""
    return bool(_SLUG.fullmatch(slug)) and len(slug) <= 40


def category_label(slug: str, lang: str = "de") -> str:
    """The label to show; an unknown slug is shown as words (``bike-repair`` -> Bike repair)."""
    if not slug:
        return ""
    labels = CATEGORY_LABELS.get(slug)
    if labels is None:
        return slug.replace("-", " ").capitalize()
    return labels[1] if lang == "en" else labels[0]
