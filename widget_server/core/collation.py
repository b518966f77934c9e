"""German collation for every sorted list people read, and slugs made from names.

``sort_key`` orders as German dictionaries do (DIN 5007, variant 1): case and
accents are ignored at first (Ä with A, é with e), ß sorts as ss, so
"Bäckerei" comes before "Buchhandlung" and "Straße" next to "Strasse".  Ties
are broken by the plain text, so the order is total and stable.  No locale
of the machine is read: the order is the same on every server.

``slugify`` turns a business name into a slug (``Bäckerei Möller & Söhne`` →
``baeckerei-moeller-soehne``): the German way (ä → ae, ß → ss), other accents
dropped, everything else a hyphen.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

_SORT_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d"})
_SLUG_SPECIAL = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "œ": "oe", "ł": "l"}
)


def _base_letters(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def sort_key(text: str) -> tuple[str, str]:
    """The key that sorts ``text`` in German order (case- and accent-blind first)."""
    folded = text.casefold().translate(_SORT_SPECIAL)
    return (_base_letters(folded), text)


def sorted_german(items: Iterable[T], key: Callable[[T], str] = str) -> list[T]:
    """``items`` in German order of ``key(item)``."""
    return sorted(items, key=lambda item: sort_key(key(item)))


def slugify(text: str, limit: int = 40) -> str:
    """A slug made from a name: lower-case ASCII letters, digits and single hyphens."""
    lowered = text.casefold().translate(_SLUG_SPECIAL)
    ascii_only = _base_letters(lowered).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_only).split()
    slug = "-".join(words)[:limit].strip("-")
    return slug
