"""Cursor pagination for list endpoints: ``?limit=1..100&cursor=<opaque>``.

A cursor names the last item of the previous page (its slug or id) and the
list it belongs to, base64url-encoded.  Lists are read with keyset pagination
("after this slug, the next ``limit + 1``"), so a page is stable while items
are added or changed elsewhere in the list, and the extra item says whether
there is a next page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from widget_server.core.errors import ValidationError

DEFAULT_LIMIT = 50
MAX_LIMIT = 100

T = TypeVar("T")
Key = TypeVar("Key", str, int)


@dataclass(frozen=True)
class Page(Generic[Key]):
    """Where a page starts (``after``, exclusive) and how many items it holds."""

    after: Key | None
    limit: int


def encode_cursor(kind: str, value: str | int) -> str:
    raw = json.dumps([kind, value], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(kind: str, text: str, key_type: type[Key]) -> Key:
    bad = ValidationError("cursor", "is not a cursor of this list")
    if len(text) > 400:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        found = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not (isinstance(found, list) and len(found) == 2 and found[0] == kind):
        raise bad
    value = found[1]
    # bool is an int in Python, but never a valid id
    if not isinstance(value, key_type) or isinstance(value, bool):
        raise bad
    return value


def parse_limit(query: Mapping[str, str]) -> int:
    text = query.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if (
        not (text.isascii() and text.isdigit() and len(text) <= 3)
        or not 1 <= int(text) <= MAX_LIMIT
    ):
        raise ValidationError("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def parse_page(query: Mapping[str, str], kind: str, key_type: type[Key]) -> Page[Key]:
    """``limit`` and ``cursor`` from a query string, for the list ``kind``."""
    limit = parse_limit(query)
    cursor = query.get("cursor")
    after = decode_cursor(kind, cursor, key_type) if cursor else None
    return Page(after, limit)


def page_of(
    items: Sequence[T], page: Page[Any], kind: str, key: Callable[[T], str | int]
) -> tuple[Sequence[T], str | None]:
    """The page's items (read with ``limit + 1``) and the cursor of the next page, if any."""
    if len(items) <= page.limit:
        return items, None
    shown = items[: page.limit]
    return shown, encode_cursor(kind, key(shown[-1]))
