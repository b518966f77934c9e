"""Many members in one request: ``POST /api/v1/members/bulk`` (coordinators).

The body is a JSON array of member objects with the fields of ``POST
/api/v1/members``, or NDJSON (``Content-Type: application/x-ndjson``, one object
per line).  Every row is checked as the single create checks one, and against
the others (a slug twice, a slug taken, an unknown theme) by
``network/member_import.py``, in a worker thread; then the good rows are
written in one transaction with one data-version bump, and this process
installs one new snapshot.

A bad row makes the whole request a 422 ``invalid-rows`` problem listing every
bad row (its number, slug, field and why) and nothing is written, unless
``?skip_invalid=true``: then the good rows are written and the bad ones listed
in the answer.  More than ``MAX_ROWS`` rows or ``MAX_BYTES`` bytes are a 413
before anything is checked; the body is read only after the key is checked.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from widget_server.core.errors import ValidationError
from widget_server.core.models import MemberStatus
from widget_server.network.member_import import ImportReport, Record, import_members
from widget_server.serving import collector
from widget_server.serving.release import release
from widget_server.web.bodies import array_items, decode_json, strict_loads
from widget_server.web.endpoints.api.base import Handler, answer, refresh, require
from widget_server.web.endpoints.api.members import MEMBER_CREATE
from widget_server.web.problems import problem
from widget_server.web.runtime import runtime_of

MAX_ROWS = 50_000
MAX_BYTES = 32 * 1024 * 1024
NDJSON = "application/x-ndjson"
FLAGS = {"true": True, "false": False}


def too_large(detail: str) -> Response:
    return problem(413, "too-large", "Request too large", detail)


def bounded(handler: Handler) -> Handler:
    """Wrap ``handler``: a coordinator key first, then a body of at most ``MAX_BYTES``.

    The body is read here, stopping at the limit (413), and handed on, so no
    larger body is ever held in memory, whatever ``Content-Length`` said.
    """

    async def endpoint(request: Request) -> Response:
        await require(request, coordinator=True)
        limit = MAX_BYTES
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return too_large(f"the body has {declared} bytes, at most {limit} are allowed")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return too_large(f"the body has more than {limit} bytes")
            chunks.append(chunk)
        body = b"".join(chunks)
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await request.receive()

        return await handler(Request(request.scope, receive))

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def decode_rows(raw: bytes, content_type: str) -> list[Any]:
    """The rows of a JSON array or of NDJSON; a malformed body is a 422 on ``body``."""
    if content_type.split(";")[0].strip().lower() == NDJSON:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("body", "is not UTF-8 text") from None
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(strict_loads(line))
            except (ValueError, RecursionError):
                raise ValidationError("body", f"line {number} is not valid JSON") from None
        if not rows:
            raise ValidationError("body", "is empty; one member object per line is expected")
        return rows
    if raw.strip() and len(raw) <= MAX_BYTES:
        try:
            items = array_items(raw.decode("utf-8"))
            if items is not None:  # an array: decoded a row at a time
                return list(items)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ValidationError("body", "is not valid JSON") from None
    document = decode_json(raw, MAX_BYTES, "a JSON array of members")
    if not isinstance(document, list):
        raise ValidationError("body", "must be a JSON array of member objects")
    return document


def _errors(report: ImportReport) -> list[dict[str, Any]]:
    return [
        {"row": e.row, "slug": e.slug, "field": e.field, "message": e.message}
        for e in report.errors
    ]


def _answer(rows: list[Any], report: ImportReport, skip_invalid: bool) -> Response:
    """The answer to a checked (and, unless refused, written) request, for a worker
    thread: at 50,000 rows its list and its JSON are tens of ms of CPU, and so is
    freeing the rows, which happens here too, a slice at a time (serving/release.py)."""
    try:
        return _made(rows, report, skip_invalid)
    finally:
        release(rows)
        release(report.planned)


def _made(rows: list[Any], report: ImportReport, skip_invalid: bool) -> Response:
    errors = _errors(report)
    if errors and not skip_invalid:
        return problem(
            422,
            "invalid-rows",
            "Invalid rows",
            f"{len(errors)} of {len(rows)} rows are invalid; nothing was created"
            " (skip_invalid=true creates the good rows)",
            field="rows",
            errors=errors,
        )
    bad = {e.row for e in report.errors}
    created = [
        {"row": number, "slug": row["slug"]}
        for number, row in enumerate(rows, start=1)
        if number not in bad
    ]
    return answer({"rows": len(rows), "created": created, "errors": errors})


async def bulk_create_members(request: Request) -> Response:
    """Create up to ``MAX_ROWS`` members in one transaction (see the module's docstring).

    The rows, the checked members and the written rows live until the answer is
    made; the collector is paused meanwhile (serving/collector.py), so no pass
    walks them again and again (285 ms passes at 20,000 rows, the event loop
    waiting), and they are freed in a worker thread (``_answer``) before what
    is still alive is frozen and the collector is back on.
    """
    snapshots = runtime_of(request).snapshots
    with collector.paused(freeze=snapshots is not None and snapshots.serving):
        return await _bulk_create(request)


async def _bulk_create(request: Request) -> Response:
    await require(request, coordinator=True)
    runtime = runtime_of(request)
    flag = request.query_params.get("skip_invalid", "false")
    if flag not in FLAGS:
        raise ValidationError("skip_invalid", f"{flag[:20]!r} is not true or false")
    skip_invalid = FLAGS[flag]
    status: MemberStatus = "active" if runtime.settings.new_members == "active" else "pending"
    rows = await asyncio.to_thread(
        decode_rows, await request.body(), request.headers.get("content-type", "")
    )
    if len(rows) > MAX_ROWS:
        return too_large(f"{len(rows)} rows sent, at most {MAX_ROWS} per request")

    def prepare(row: Any) -> Record:
        # The single create's shape checks; the status is the network's, never the row's.
        return {**MEMBER_CREATE.check(row, "row"), "status": status}

    report = await import_members(runtime.storage, rows, skip_invalid=skip_invalid, prepare=prepare)
    if report.imported:
        await refresh(request)
    return await asyncio.to_thread(_answer, rows, report, skip_invalid)
