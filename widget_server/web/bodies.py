"""Strict JSON request bodies: an object with known fields of checked types.

A :class:`Body` is declared once per request shape and serves twice: ``parse``
checks what a client sent (raising :class:`ValidationError` naming the field),
and ``schema`` is the JSON Schema the OpenAPI document publishes, so the two
cannot drift apart.  Checks here are about shape (type, enumeration, length,
range); the meaning of a value (is this slug free, is this a valid website)
is the service functions' business in ``network/services.py``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from widget_server.core.errors import ValidationError

MAX_BODY = 64 * 1024  # bytes; no request body of this API comes near it

FieldType = Literal["string", "integer", "array"]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999
        raise ValueError(f"{text} is too large")
    return value


def strict_loads(text: str) -> Any:
    """``json.loads`` without NaN or Infinity (no JSON has them), floats finite."""
    return json.loads(text, parse_constant=_no_constant, parse_float=_finite)


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)
_SPACE = re.compile(r"[ \t\n\r]*")


def array_items(text: str) -> Iterator[Any] | None:
    """The items of a JSON array, decoded one at a time (``strict_loads`` per item); None
    when ``text`` is no array.  A ValueError where it is not valid JSON.

    ``json.loads`` of a large body is one C call that keeps the GIL for its whole
    length (50,000 members: 100 ms and more), so the event loop waits for it even
    when a worker thread decodes; item by item the GIL can pass between items.
    """
    start = _SPACE.match(text).end()  # type: ignore[union-attr]
    if text[start : start + 1] != "[":
        return None

    def items() -> Iterator[Any]:
        at = _SPACE.match(text, start + 1).end()  # type: ignore[union-attr]
        if text[at : at + 1] == "]":
            at += 1
        else:
            while True:
                value, at = _DECODER.raw_decode(text, at)
                yield value
                at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
                if text[at : at + 1] == ",":
                    at = _SPACE.match(text, at + 1).end()  # type: ignore[union-attr]
                elif text[at : at + 1] == "]":
                    at += 1
                    break
                else:
                    raise ValueError(f"',' or ']' expected at {at}")
        if _SPACE.match(text, at).end() != len(text):  # type: ignore[union-attr]
            raise ValueError(f"extra data at {at}")

    return items()


def decode_json(raw: bytes, limit: int = MAX_BODY, expected: str = "a JSON object") -> Any:
    """Any JSON document (strict: no NaN or Infinity, at most ``limit`` bytes)."""
    if len(raw) > limit:
        raise ValidationError("body", f"is {len(raw)} bytes long, at most {limit} allowed")
    if not raw.strip():
        raise ValidationError("body", f"is empty; {expected} is expected")
    try:
        return strict_loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        # ValueError covers JSONDecodeError and integers too long to convert
        raise ValidationError("body", "is not valid JSON") from None


@dataclass(frozen=True)
class Field:
    """One member of a body object; ``array`` means an array of strings."""

    name: str
    type: FieldType = "string"
    required: bool = False
    nullable: bool = False
    enum: tuple[str, ...] = ()
    max_length: int | None = None  # characters of a string, items of an array
    item_max_length: int | None = None  # characters of each item of an array
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None  # documented; the service function checks the value
    description: str = ""

    def check(self, value: Any) -> Any:
        if value is None:
            if self.nullable:
                return None
            raise ValidationError(self.name, "must not be null")
        if self.type == "string":
            return self._string(self.name, value, self.max_length, self.enum)
        if self.type == "integer":
            # bool is an int in Python, but not in JSON
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValidationError(self.name, "must be an integer")
            if self.minimum is not None and value < self.minimum:
                raise ValidationError(self.name, f"must be at least {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                raise ValidationError(self.name, f"must be at most {self.maximum}")
            return value
        if not isinstance(value, list):
            raise ValidationError(self.name, "must be an array of strings")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(self.name, f"has {len(value)} items, at most {self.max_length}")
        return [
            self._string(f"{self.name}[{i}]", item, self.item_max_length, ())
            for i, item in enumerate(value)
        ]

    @staticmethod
    def _string(name: str, value: Any, limit: int | None, enum: tuple[str, ...]) -> str:
        if not isinstance(value, str):
            raise ValidationError(name, "must be a string")
        if enum and value not in enum:
            raise ValidationError(name, f"{value[:40]!r} is not one of {', '.join(enum)}")
        if limit is not None and len(value) > limit:
            raise ValidationError(name, f"is {len(value)} characters long, at most {limit}")
        return value

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any]
        if self.type == "array":
            item: dict[str, Any] = {"type": "string"}
            if self.item_max_length is not None:
                item["maxLength"] = self.item_max_length
            schema = {"type": "array", "items": item}
            if self.max_length is not None:
                schema["maxItems"] = self.max_length
        else:
            schema = {"type": self.type}
            for key, value in (
                ("enum", list(self.enum) or None),
                ("maxLength", self.max_length),
                ("minimum", self.minimum),
                ("maximum", self.maximum),
                ("pattern", self.pattern),
            ):
                if value is not None:
                    schema[key] = value
        if self.nullable:
            schema["type"] = [schema["type"], "null"]
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        if self.description:
            schema["description"] = self.description
        return schema


@dataclass(frozen=True)
class Body:
    """A JSON object body: its fields, and nothing else."""

    name: str  # the schema's name under components/schemas
    fields: tuple[Field, ...]
    description: str = ""

    def parse(self, raw: bytes) -> dict[str, Any]:
        """The fields the client sent, checked; absent optional fields are left out."""
        return self.check(decode_json(raw))

    def check(self, document: Any, where: str = "body") -> dict[str, Any]:
        """A decoded JSON value checked as this body (``where`` names it in errors)."""
        if not isinstance(document, dict):
            raise ValidationError(where, "must be a JSON object")
        known = {f.name: f for f in self.fields}
        for name in document:
            if name not in known:
                raise ValidationError(name[:60], "is not a known field")
        for field in self.fields:
            if field.required and field.name not in document:
                raise ValidationError(field.name, "is required")
        return {name: known[name].check(value) for name, value in document.items()}

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {f.name: f.schema() for f in self.fields},
            "additionalProperties": False,
        }
        required = [f.name for f in self.fields if f.required]
        if required:
            schema["required"] = required
        if self.description:
            schema["description"] = self.description
        return schema
