"""Many members from one file: read CSV or JSON, check every row, write them in one go.

The rows are checked exactly as ``add_member`` checks one member
(``check_member_input``), plus what only a file can get wrong: a slug twice in
the file, a slug that exists already, an unknown theme, an unknown column.
Every row is checked before anything is written; then all good rows go to the
storage in one transaction (``Storage.import_members``), which bumps the data
version once, so a running server rebuilds its snapshot once for the file.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from widget_server.core.errors import ConflictError, ValidationError
from widget_server.core.models import Member
from widget_server.storage import Storage

# The services (and the image library they load for logos) only when rows are checked:
# the command line's parser reads FORMATS from here.
if TYPE_CHECKING:
    from widget_server.network.services import MemberInput

FORMATS = ("csv", "json")
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
    "status",
)
REQUIRED = ("slug", "name", "website")
LISTS = ("domains", "themes")
_SEPARATORS = re.compile(r"[\s,;]+")

Record = Mapping[str, Any]
# A caller's own check of a raw row before the common ones (the REST API's body shape);
# returns the record to check further, raises ``ValidationError`` naming the field.
Prepare = Callable[[Any], Record]
# stage ("checked" or "written"), rows done, rows in all
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RowError:
    row: int  # 1 is the first member in the file (in CSV the line after the header)
    field: str
    message: str
    slug: str | None = None

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" ({self.slug})" if self.slug else "")
        return f"{where}: {self.field}: {self.message}"


@dataclass
class ImportReport:
    rows: int
    imported: int = 0
    skipped: int = 0  # bad rows left out (``skip_invalid``)
    errors: list[RowError] = field(default_factory=list)
    # ``dry_run``: the members the good rows would create, with their theme slugs
    planned: list[tuple[Member, tuple[str, ...]]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "skipped": self.skipped,
            "errors": [
                {"row": e.row, "slug": e.slug, "field": e.field, "message": e.message}
                for e in self.errors
            ],
        }


def read_records(text: str, fmt: str) -> list[Record]:
    """The file's rows as mappings; a malformed file is a ``ValidationError`` on ``file``."""
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError("file", f"is not valid JSON: {exc}") from None
        if isinstance(data, dict) and isinstance(data.get("members"), list):
            data = data["members"]
        if not isinstance(data, list):
            raise ValidationError("file", 'must be a JSON array of members or {"members": [...]}')
        return data
    if fmt != "csv":
        raise ValidationError("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    reader = csv.DictReader(
        io.StringIO(text, newline=""), restkey="\x00extra", delimiter=csv_delimiter(text)
    )
    try:
        records: list[Record] = list(reader)
    except csv.Error as exc:
        raise ValidationError("file", f"line {reader.line_num}: {exc}") from None
    columns = reader.fieldnames or []
    unknown = [c for c in columns if c not in FIELDS]
    if unknown:
        raise ValidationError("columns", f"{unknown[0]!r} is not one of {', '.join(FIELDS)}")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ValidationError("columns", f"the column {missing[0]!r} is missing")
    return records


DELIMITERS = (",", ";", "\t")  # a spreadsheet's CSV: Excel in German writes semicolons


def csv_delimiter(text: str) -> str:
    """The delimiter of a CSV file, told from its header row: the one of ``DELIMITERS``
    that splits it into the most member fields, then the one it holds most often (so
    an unknown column is named as such, not the whole row); a comma when none does."""
    header = text.split("\n", 1)[0]

    def score(delimiter: str) -> tuple[int, int]:
        cells = [c.strip().strip('"').strip() for c in header.split(delimiter)]
        return sum(c in FIELDS for c in cells), header.count(delimiter)

    best = max(DELIMITERS, key=score)  # max keeps the first of equals: the comma
    return best if score(best) > (1, 0) else ","


def member_input(record: Any) -> MemberInput:
    """One row as ``MemberInput``; wrong shapes are ``ValidationError`` naming the field."""
    from widget_server.network.services import MemberInput

    if not isinstance(record, Mapping):
        raise ValidationError("row", "must be an object with the member's fields")
    if "\x00extra" in record:
        raise ValidationError("row", "has more cells than the header has columns")
    for name in record:
        if name not in FIELDS:
            raise ValidationError(str(name)[:40], "is not a member field")
    values: dict[str, Any] = {}
    for name in FIELDS:
        value = record.get(name)
        if value is None:
            if name in REQUIRED:
                raise ValidationError(name, "is missing")
            continue
        if name in LISTS:
            if isinstance(value, str):
                value = [v for v in _SEPARATORS.split(value) if v]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValidationError(name, "must be a list of strings")
            values[name] = tuple(value)
        elif not isinstance(value, str):
            raise ValidationError(name, f"must be a string, got {json.dumps(value)[:40]}")
        elif name == "status":
            if value:
                values[name] = value
        else:
            values[name] = value
    return MemberInput(**values)


@dataclass(frozen=True)
class _Known:
    theme_ids: Mapping[str, int]
    taken: set[str]


def check_rows(
    records: Sequence[Any],
    known: _Known,
    report: ImportReport,
    prepare: Prepare | None,
    progress: Progress | None,
) -> list[tuple[Member, list[int]]]:
    """Every row checked (pure CPU, no I/O): the good ones, the bad ones into ``report``."""
    from widget_server.network.services import check_member_input

    first_row: dict[str, int] = {}
    good: list[tuple[Member, list[int]]] = []
    step = max(1, len(records) // 10)
    for number, record in enumerate(records, start=1):
        slug = record.get("slug") if isinstance(record, Mapping) else None
        try:
            data = member_input(prepare(record) if prepare is not None else record)
            member = check_member_input(data)
            if data.slug in first_row:
                raise ValidationError(
                    "slug", f"{data.slug!r} appears again (first in row {first_row[data.slug]})"
                )
            first_row[data.slug] = number
            if data.slug in known.taken:
                raise ValidationError("slug", f"a member {data.slug!r} exists already")
            ids = []
            for theme in dict.fromkeys(data.themes):
                if theme not in known.theme_ids:
                    raise ValidationError("themes", f"there is no theme {theme!r}")
                ids.append(known.theme_ids[theme])
        except ValidationError as exc:
            report.errors.append(
                RowError(number, exc.field, exc.reason, slug if isinstance(slug, str) else None)
            )
        else:
            good.append((member, ids))
            report.planned.append((member, tuple(dict.fromkeys(data.themes))))
        if progress is not None and number % step == 0:
            progress("checked", number, len(records))
    return good


def _slugs(records: Sequence[Any]) -> list[str]:
    return [
        slug for r in records if isinstance(r, Mapping) and isinstance(slug := r.get("slug"), str)
    ]


async def import_members(
    storage: Storage,
    records: Sequence[Any],
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    prepare: Prepare | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Check every row, then store the good ones in one transaction.

    Without ``skip_invalid`` one bad row means nothing is written; with it, the
    good rows are imported and the bad ones reported.  The rows are checked in a
    worker thread, so a server's event loop keeps answering meanwhile.  ``dry_run``
    checks only: the report lists what would be created (``planned``) and writes
    nothing.
    """
    report = ImportReport(rows=len(records))
    theme_ids = {t.slug: t.id for t in await storage.list_themes()}
    # Even a look at each row is work for a worker thread: 50,000 rows took ~50 ms.
    slugs = await asyncio.to_thread(_slugs, records)
    taken = await storage.existing_member_slugs(slugs)
    known = _Known(theme_ids, taken)
    good = await asyncio.to_thread(check_rows, records, known, report, prepare, progress)
    if dry_run or (report.errors and not skip_invalid):
        return report
    report.skipped = len(report.errors)

    def written(done: int) -> None:
        if progress is not None:
            progress("written", done, len(good))

    try:
        report.imported = await storage.import_members(good, written)
    except ConflictError:
        # Another writer took a slug between the check and the write.
        raise ConflictError(
            "a new member was added meanwhile by another writer; nothing imported"
        ) from None
    return report
