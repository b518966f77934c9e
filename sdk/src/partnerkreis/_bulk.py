"""``members.bulk_create``: what the sync and async clients share.

A long list of members goes to ``POST /api/v1/members/bulk`` in chunks (of
``chunk_size`` rows, and never more than ``MAX_CHUNK_BYTES`` of JSON); each
chunk is one transaction on the server.  The answers are merged into one
``BulkResult`` whose rows are numbered by their ``index`` in the caller's list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._exceptions import ValidationError
from ._fields import JSON, integer, objects, optional_text, text

MAX_CHUNK_ROWS = 50_000  # the server's limit per request
MAX_CHUNK_BYTES = 30 * 1024 * 1024  # below the server's 32 MiB per request
DEFAULT_CHUNK = 10_000
BULK_TIMEOUT = 300.0  # seconds per chunk: checking and writing 10,000 rows takes seconds
FIELDS = (
    "slug",
    "name",
    "website",
    "description",
    "category",
    "town",
    "postal_code",
    "domains",
    "themes",
)


@dataclass(frozen=True)
class BulkCreated:
    index: int  # position in the list given to ``bulk_create`` (0 is the first)
    slug: str


@dataclass(frozen=True)
class BulkRowError:
    """A row the server refused: which (``index``, ``slug``), which field, and why."""

    index: int
    slug: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.index}" + (f" ({self.slug})" if self.slug else "")
        return f"{where}: {self.field}: {self.message}"


@dataclass(frozen=True)
class BulkResult:
    """The members created and the rows left out (only with ``skip_invalid``)."""

    created: tuple[BulkCreated, ...] = ()
    errors: tuple[BulkRowError, ...] = ()
    requests: int = 0  # chunks sent

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(c.slug for c in self.created)


class BulkCreateError(ValidationError):
    """A chunk had invalid rows and ``skip_invalid`` was off: that chunk wrote nothing.

    ``errors`` are its bad rows; ``result`` holds what earlier chunks created
    (each chunk is its own transaction), and the rows after the failed chunk
    were not sent.
    """

    errors: tuple[BulkRowError, ...]
    result: BulkResult


def member_row(member: Mapping[str, Any]) -> dict[str, Any]:
    """One member as the API takes it: the given fields, lists as JSON arrays."""
    unknown = [name for name in member if name not in FIELDS]
    if unknown:
        raise TypeError(f"bulk_create: {unknown[0]!r} is not a member field ({', '.join(FIELDS)})")
    row = {name: value for name, value in member.items() if value is not None}
    for name in ("domains", "themes"):
        if name in row and not isinstance(row[name], str):
            row[name] = list(row[name])
    return row


def chunks(
    members: Iterable[Mapping[str, Any]], chunk_size: int
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(index of the first row, rows) per request, within the server's limits."""
    if not 1 <= chunk_size <= MAX_CHUNK_ROWS:
        raise ValueError(f"chunk_size must be between 1 and {MAX_CHUNK_ROWS}, not {chunk_size}")
    start, size = 0, 2
    rows: list[dict[str, Any]] = []
    for index, member in enumerate(members):
        row = member_row(member)
        length = len(json.dumps(row, ensure_ascii=False).encode()) + 1
        if rows and (len(rows) >= chunk_size or size + length > MAX_CHUNK_BYTES):
            yield start, rows
            start, rows, size = index, [], 2
        rows.append(row)
        size += length
    if rows:
        yield start, rows


def _row_error(data: JSON, offset: int) -> BulkRowError:
    return BulkRowError(
        index=offset + integer(data, "row", 1) - 1,
        slug=optional_text(data, "slug"),
        field=text(data, "field"),
        message=text(data, "message"),
    )


@dataclass
class Collector:
    """The answers of the chunks, merged."""

    created: list[BulkCreated] = field(default_factory=list)
    errors: list[BulkRowError] = field(default_factory=list)
    requests: int = 0

    def add(self, answer: JSON, offset: int) -> None:
        self.requests += 1
        for item in objects(answer, "created"):
            self.created.append(
                BulkCreated(offset + integer(item, "row", 1) - 1, text(item, "slug"))
            )
        self.errors.extend(_row_error(e, offset) for e in objects(answer, "errors"))

    def result(self) -> BulkResult:
        return BulkResult(tuple(self.created), tuple(self.errors), self.requests)

    def failed(self, error: ValidationError, offset: int) -> ValidationError:
        """The exception for a refused chunk: ``BulkCreateError`` for invalid rows."""
        body = error.body if isinstance(error.body, Mapping) else {}
        if error.code != "invalid-rows":
            return error
        bad = BulkCreateError(
            str(error),
            status=error.status,
            code=error.code,
            detail=error.detail,
            field=error.field,
            request_id=error.request_id,
            body=error.body,
        )
        bad.errors = tuple(_row_error(e, offset) for e in objects(body, "errors"))
        self.requests += 1
        bad.result = self.result()
        return bad
