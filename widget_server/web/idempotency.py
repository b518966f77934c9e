"""``Idempotency-Key`` for POST requests: a retried request gets the first answer.

The first answer (status, headers, body) is stored for 24 hours per (API key,
Idempotency-Key), together with a fingerprint of the request (method, path,
body).  A repeat with the same fingerprint gets the stored answer; the same
key with another request is refused, and so is a repeat that arrives while
the first request is still running.  Answers with a 5xx status are not
stored, so such a request can be retried with the same key.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass

from widget_server.core.errors import ConflictError, ValidationError
from widget_server.storage import Storage, StoredResponse

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
TTL = 24 * 60 * 60  # seconds an answer is kept
_KEY = re.compile(r"[\x20-\x7e]{1,255}")  # printable ASCII
# Headers that belong to one transmission, not to the answer.
NOT_STORED = frozenset({"content-length", "x-request-id", "date", "server"})
# Bodies from this size on are hashed in a worker thread (hashlib lets go of the GIL
# meanwhile): a bulk import's 32 MB took 45-100 ms of the event loop.
HASHED_ON_LOOP = 64 * 1024


class KeyReusedError(Exception):
    """The key was used before for a different request (HTTP 422 idempotency-key-reused)."""


def check_key(value: str) -> str:
    if not _KEY.fullmatch(value):
        raise ValidationError(HEADER, "must be 1 to 255 printable ASCII characters")
    return value


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))  # length-prefixed: no ambiguous joins
        digest.update(part)
    return digest.hexdigest()


async def fingerprint_of(method: str, path: str, body: bytes) -> str:
    """``fingerprint``, for a large body in a worker thread (the event loop serves on)."""
    if len(body) < HASHED_ON_LOOP:
        return fingerprint(method, path, body)
    return await asyncio.to_thread(fingerprint, method, path, body)


@dataclass(frozen=True)
class Claim:
    api_key_id: str
    key: str
    fingerprint: str


async def begin(storage: Storage, claim: Claim, now: float) -> StoredResponse | None:
    """The stored answer to replay, or None when this request is the first (and now claimed)."""
    stored = await storage.claim_idempotency_key(
        StoredResponse(claim.api_key_id, claim.key, claim.fingerprint, now),
        expired_before=now - TTL,
    )
    if stored is None:
        return None
    if stored.fingerprint != claim.fingerprint:
        raise KeyReusedError(
            f"the {HEADER} {claim.key[:40]!r} was used for a different request;"
            " use a new key for a new request"
        )
    if stored.status == 0:
        raise ConflictError(f"a request with this {HEADER} is still being processed")
    return stored


async def finish(
    storage: Storage, claim: Claim, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    """Store the first answer, or give the key up again after a server error."""
    if status >= 500:
        await storage.release_idempotency_key(claim.api_key_id, claim.key)
        return
    kept = tuple((k, v) for k, v in headers if k.lower() not in NOT_STORED)
    await storage.finish_idempotency_key(
        StoredResponse(claim.api_key_id, claim.key, claim.fingerprint, 0.0, status, kept, body)
    )


async def release(storage: Storage, claim: Claim) -> None:
    await storage.release_idempotency_key(claim.api_key_id, claim.key)
