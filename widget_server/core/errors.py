"""The server's error hierarchy.

    PartnerkreisError
    ├── ValidationError     bad input; names the field and the reason (HTTP 400/422, CLI exit 2)
    ├── NotFoundError       no such theme, member, placement ... (HTTP 404)
    ├── ConflictError       a slug or record that already exists (HTTP 409)
    │   └── PreconditionFailedError  a write based on a stale version (HTTP 412)
    ├── BadTokenError       a signed token that is tampered, foreign or expired (HTTP 400/404)
    └── StorageError        the database failed; wraps the driver's exception (HTTP 503)

Handlers map these to ``application/problem+json`` in ``problems.py``; anything
else is a bug, propagates and is logged.
"""

from __future__ import annotations


class PartnerkreisError(Exception):
    """Base class of every error the server raises on purpose."""


class ValidationError(PartnerkreisError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFoundError(PartnerkreisError):
    pass


class ConflictError(PartnerkreisError):
    pass


class PreconditionFailedError(ConflictError):
    pass


class BadTokenError(PartnerkreisError):
    pass


class StorageError(PartnerkreisError):
    pass
