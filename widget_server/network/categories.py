"""Member categories: a slug stored per member, shown with a German or English label.

The built-in categories are ``CATEGORY_LABELS``; a network adds its own with
German and English labels (``add_category``: the admin's category page,
``widget-server categories add``), stored in ``categories`` (migration 10).
Every process keeps the network's categories in ``_network`` so that labels
cost a dictionary lookup on the widget's hot path: the snapshot holder
installs them with every snapshot (``install``), the CLI when it opens the
database.  The slug rule: lower-case letters a–z, digits and single hyphens,
at most 40 characters (``Fahrradwerkstatt`` → ``fahrradwerkstatt``; umlauts
become ae, oe, ue, ß becomes ss: ``slug_for``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from widget_server.core.collation import slugify, sort_key
from widget_server.core.errors import ConflictError, ValidationError
from widget_server.core.models import Category
from widget_server.storage import Storage

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


SLUG_RULE = (
    "lower-case letters a-z, digits and single hyphens, at most 40 characters; umlauts as"
    " ae, oe, ue and ß as ss; e.g. fahrradwerkstatt or bike-repair"
)
MAX_LABEL = 60

# the network's own categories in this process: slug -> (German, English)
_network: dict[str, tuple[str, str]] = {}


def is_category(slug: str) -> bool:
    """Known or not, a category must be a lower-case slug (``bridal-wear``)."""
    return bool(_SLUG.fullmatch(slug)) and len(slug) <= 40


def install(categories: Iterable[Category]) -> None:
    """Make the network's categories known to this process (labels, lists)."""
    global _network
    _network = {c.slug: (c.label_de, c.label_en) for c in categories}


async def load(storage: Storage) -> None:
    install(await storage.list_categories())


def all_labels() -> dict[str, tuple[str, str]]:
    """Built-in and network categories: slug -> (German, English)."""
    return {**CATEGORY_LABELS, **_network}


def is_builtin(slug: str) -> bool:
    return slug in CATEGORY_LABELS


def category_label(slug: str, lang: str = "de") -> str:
    """The label to show; an unknown slug is shown as it is written."""
    if not slug:
        return ""
    labels = CATEGORY_LABELS.get(slug) or _network.get(slug)
    if labels is None:
        return slug
    return labels[1] if lang == "en" else labels[0]


def choices(lang: str, current: str = "") -> list[tuple[str, str]]:
    """(slug, label) of every category in German order of the labels, ``current`` included."""
    found = {slug: category_label(slug, lang) for slug in all_labels()}
    if current and current not in found:
        found[current] = category_label(current, lang)
    return sorted(found.items(), key=lambda item: sort_key(item[1]))


def slug_problem(value: str) -> str:
    """Why ``value`` is no category slug: the rule, and the nearest categories."""
    text = f"{value[:50]!r} is not a category slug ({SLUG_RULE})"
    nearest = suggest(value)
    if nearest:
        text += "; nearest: " + ", ".join(nearest)
    return text


def slug_for(text: str) -> str:
    """The slug a word or label becomes (``Fahrradwerkstatt`` -> ``fahrradwerkstatt``)."""
    return slugify(text)


def suggest(text: str, lang: str = "de") -> list[str]:
    """The known categories nearest to a free-form ``text`` (a slug or a label), best first."""
    wanted = text.strip().casefold()
    if not wanted:
        return []
    names: dict[str, str] = {}
    for slug, (de, en) in all_labels().items():
        for name in (slug, de.casefold(), en.casefold()):
            names.setdefault(name, slug)
    found: list[str] = []
    for name in difflib.get_close_matches(wanted, list(names), n=6, cutoff=0.6):
        if names[name] not in found:
            found.append(names[name])
    for name, slug in names.items():  # a word the text contains, or that contains the text
        if len(wanted) >= 4 and (wanted in name or name in wanted) and slug not in found:
            found.append(slug)
    return found[:3]


def check_label(field: str, value: str) -> str:
    label = " ".join(value.split())
    if not label:
        raise ValidationError(field, "must not be empty")
    if len(label) > MAX_LABEL:
        raise ValidationError(
            field, f"is {len(label)} characters long, at most {MAX_LABEL} allowed"
        )
    if any(ord(c) < 32 or c in "<>" for c in label):
        raise ValidationError(field, "must not contain < or > or control characters")
    return label


async def add_category(
    storage: Storage, slug: str, label_de: str, label_en: str, author: str
) -> Category:
    """A category of the network's own; the slug rule is said when it is broken."""
    slug = slug.strip() or slug_for(label_de)
    if not is_category(slug):
        raise ValidationError("slug", slug_problem(slug))
    if slug in all_labels():
        raise ConflictError(f"the category {slug!r} exists already")
    category = Category(
        slug,
        check_label("label_de", label_de),
        check_label("label_en", label_en or label_de),
        author,
    )
    try:
        added = await storage.add_category(category)
    except ConflictError:
        raise ConflictError(f"the category {slug!r} exists already") from None
    await load(storage)
    return added
