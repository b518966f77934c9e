"""The SDK's error hierarchy.

    PartnerkreisError                 everything this package raises on purpose
    ├── ConfigurationError            no base URL or API key (argument or environment)
    ├── APIError                      the server answered with an error (status, code, ...)
    │   ├── BadRequestError           400  bad-request, bad-token
    │   ├── AuthenticationError       401  unauthenticated: missing, unknown or revoked key
    │   ├── PermissionDeniedError     403  forbidden: the key's scope does not allow it
    │   ├── NotFoundError             404  not-found
    │   ├── ConflictError             409  conflict: the slug or record exists
    │   ├── PreconditionFailedError   412  precondition-failed: If-Match names an old version
    │   ├── ValidationError           422  invalid (``field`` names it), idempotency-key-reused
    │   │   └── BulkCreateError       422  invalid-rows: a chunk of ``members.bulk_create``
    │   │                                  (its bad rows in ``errors``; in ``_bulk``)
    │   ├── RateLimitError            429  rate-limited (``retry_after`` in seconds, if sent)
    │   └── InternalServerError       5xx  unavailable, or a proxy in front of the server
    └── APIConnectionError            no answer: connection refused, reset, DNS ...
        └── APITimeoutError           no answer in time

``APIError`` carries what the server's ``application/problem+json`` body says
(``code`` is stable and meant for programs) and the ``X-Request-Id`` to quote
when asking an operator.  Management calls raise these; ``blocks.get`` does not
unless asked to (``raise_errors=True``).
"""

from __future__ import annotations

from typing import Any

import httpx


class PartnerkreisError(Exception):
    """Base class of every error the SDK raises on purpose."""


class ConfigurationError(PartnerkreisError):
    """The client lacks a base URL or an API key."""


class APIError(PartnerkreisError):
    """The server answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        detail: str | None = None,
        field: str | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        self.request_id = request_id
        self.body = body  # the parsed problem document, or the text of another answer

    def __reduce__(self) -> tuple[Any, ...]:
        # The keyword-only arguments are not in ``args``: rebuild from the state.
        return (_restore, (type(self), str(self), self.__dict__))


class BadRequestError(APIError):
    pass


class AuthenticationError(APIError):
    pass


class PermissionDeniedError(APIError):
    pass


class NotFoundError(APIError):
    pass


class ConflictError(APIError):
    pass


class PreconditionFailedError(APIError):
    pass


class ValidationError(APIError):
    pass


class RateLimitError(APIError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InternalServerError(APIError):
    pass


class APIConnectionError(PartnerkreisError):
    """The request got no answer (the server is down, unreachable, or hung up)."""


class APITimeoutError(APIConnectionError):
    """The request got no answer within its timeout or time budget."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    422: ValidationError,
    429: RateLimitError,
}


def error_class(status: int) -> type[APIError]:
    if status >= 500:
        return InternalServerError
    return _BY_STATUS.get(status, APIError)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds; an HTTP date is not worth it)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def error_from_response(response: httpx.Response) -> APIError:
    """The exception for an error answer, read from its problem document if it has one."""
    status = response.status_code
    request_id = response.headers.get("x-request-id")
    code = detail = field = None
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = response.text[:500]
    if isinstance(body, dict):
        code = _text(body.get("code"))
        detail = _text(body.get("detail")) or _text(body.get("title"))
        field = _text(body.get("field"))
    else:
        detail = response.reason_phrase or None
    message = f"{status} {code or response.reason_phrase}"
    if detail:
        message += f": {detail}"
    if field and field not in (detail or ""):
        message += f" (field {field})"
    if request_id:
        message += f" [request {request_id}]"
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "detail": detail,
        "field": field,
        "request_id": request_id,
        "body": body,
    }
    cls = error_class(status)
    if cls is RateLimitError:
        return RateLimitError(
            message, retry_after=parse_retry_after(response.headers.get("retry-after")), **kwargs
        )
    return cls(message, **kwargs)


def _restore(cls: type[APIError], message: str, state: dict[str, Any]) -> APIError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
