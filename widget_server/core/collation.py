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


class _Marks(dict[int, int | None]):
    """``str.translate``'s table that drops combining marks: a code point is decided
    when first looked up (``unicodedata.combining``) and kept, so later lookups stay
    in C; at most ``KEPT`` of them (text from members: a name of every script may not
    grow it without bound).  A character at a time in Python cost 0.7 s per 100,000
    names on a slow machine, this 0.35 s (the upgrade that gives every member its
    ``sort_name`` computes one per member)."""

    KEPT = 8_192

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        if len(self) < self.KEPT:
            self[code] = kept
        return kept


_MARKS = _Marks()


def _base_letters(text: str) -> str:
    if text.isascii():  # no decomposition, no marks
        return text
    return unicodedata.normalize("NFKD", text).translate(_MARKS)


def sort_name(text: str) -> str:
    """``text`` case- and accent-blind, as the German order compares it first (and as a
    search matches it): the first part of ``sort_key``, stored with each member's name
    (``members.sort_name``) so that the database sorts and searches long lists."""
    return _base_letters(text.casefold().translate(_SORT_SPECIAL))


def sort_key(text: str) -> tuple[str, str]:
    """The key that sorts ``text`` in German order (case- and accent-blind first, then
    the text itself, code point by code point)."""
    return (sort_name(text), text)


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
