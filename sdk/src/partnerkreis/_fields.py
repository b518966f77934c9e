"""Reading known fields from JSON objects, tolerantly.

Models take what they know and ignore the rest, so a newer server that adds
fields never breaks an older SDK.  A field that is missing or of another type
than expected reads as the default: the raw object is kept on every model for
anything these helpers do not cover.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

JSON = Mapping[str, Any]


def frozen(data: object) -> JSON:
    """A read-only view of a JSON object (an empty one for anything else)."""
    return MappingProxyType(dict(data)) if isinstance(data, Mapping) else MappingProxyType({})


def text(data: JSON, key: str, default: str = "") -> str:
    value = data.get(key)
    return value if isinstance(value, str) else default


def optional_text(data: JSON, key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def integer(data: JSON, key: str, default: int = 0) -> int:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def optional_integer(data: JSON, key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def optional_number(data: JSON, key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def flag(data: JSON, key: str, default: bool = False) -> bool:
    value = data.get(key)
    return value if isinstance(value, bool) else default


def texts(data: JSON, key: str) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def objects(data: JSON, key: str) -> tuple[JSON, ...]:
    """The JSON objects in a list field, each read-only."""
    value = data.get(key)
    if not isinstance(value, list):
        return ()
    return tuple(frozen(item) for item in value if isinstance(item, Mapping))


def obj(data: JSON, key: str) -> JSON:
    return frozen(data.get(key))
