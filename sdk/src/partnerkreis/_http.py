"""What both clients share about HTTP: headers, requests, and errors from httpx."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from ._config import Config
from ._endpoints import Endpoint
from ._exceptions import APIConnectionError, APITimeoutError
from ._version import __version__

USER_AGENT = f"partnerkreis-python/{__version__} httpx/{httpx.__version__}"


def default_headers(config: Config, extra: Mapping[str, str] | None) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {config.api_key}",
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
        **(extra or {}),
    }


def new_idempotency_key() -> str:
    return f"pk-{uuid.uuid4().hex}"


def build_request(http: httpx.Client | httpx.AsyncClient, endpoint: Endpoint[Any]) -> httpx.Request:
    """The request for an endpoint; a POST gets its ``Idempotency-Key`` here, once per call."""
    headers = dict(endpoint.headers)
    if endpoint.method == "POST":
        headers["Idempotency-Key"] = endpoint.idempotency_key or new_idempotency_key()
    extra: dict[str, Any] = {}
    if endpoint.timeout is not None:
        extra["timeout"] = endpoint.timeout
    return http.build_request(
        endpoint.method,
        endpoint.path,
        params=endpoint.params or None,
        json=endpoint.body if endpoint.content is None else None,
        content=endpoint.content,
        headers=headers,
        **extra,
    )


def transport_error(exc: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    """Our exception for httpx's, naming the request (``raise ... from exc`` by the caller)."""
    what = f"{request.method} {request.url}"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{what}: no answer in time ({type(exc).__name__})")
    return APIConnectionError(f"{what}: {exc or type(exc).__name__}")
