"""One error shape for every JSON endpoint: ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from widget_server.core.errors import (
    BadTokenError,
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
    StorageError,
    ValidationError,
)

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_TYPE


def problem(status: int, code: str, title: str, detail: str = "", **extra: Any) -> Response:
    """A problem document; ``code`` is stable and meant for programs, ``title`` for people."""
    body: dict[str, Any] = {
        "type": f"https://partnerkreis.invalid/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return ProblemResponse(
        body,
        status_code=status,
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"},
    )


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    response = problem(exc.status_code, code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def on_not_found(request: Request, exc: Exception) -> Response:
    return problem(404, "not-found", "Not found", str(exc))


async def on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationError)
    return problem(422, "invalid", "Invalid input", str(exc), field=exc.field)


async def on_conflict(request: Request, exc: Exception) -> Response:
    if isinstance(exc, PreconditionFailedError):
        return problem(412, "precondition-failed", "Precondition failed", str(exc))
    return problem(409, "conflict", "Conflict", str(exc))


async def on_bad_token(request: Request, exc: Exception) -> Response:
    return problem(400, "bad-token", "Invalid token", str(exc))


async def on_storage(request: Request, exc: Exception) -> Response:
    log.error("storage error: %s", exc)
    return problem(503, "unavailable", "Service unavailable", "The database is not reachable.")


async def on_server_error(request: Request, exc: Exception) -> Response:
    """A bug: the same problem shape, with the request id to find it in the logs.

    Starlette re-raises the exception after this answer, so it is logged as well.
    """
    response = problem(500, "internal", "Internal server error")
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        response.headers["X-Request-Id"] = request_id
    return response


EXCEPTION_HANDLERS = {
    HTTPException: on_http_exception,
    NotFoundError: on_not_found,
    ValidationError: on_validation,
    ConflictError: on_conflict,
    BadTokenError: on_bad_token,
    StorageError: on_storage,
    Exception: on_server_error,
}
