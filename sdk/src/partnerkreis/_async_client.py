"""``AsyncClient``: ``Client`` for asyncio (Starlette, FastAPI, Django's async views)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Self, TypeVar

import httpx

from ._async_blocks import AsyncBlocks
from ._async_resources import (
    AsyncKeys,
    AsyncMembers,
    AsyncOffers,
    AsyncPlacements,
    AsyncRuleSets,
    AsyncStats,
    AsyncThemes,
)
from ._config import resolve
from ._endpoints import Endpoint
from ._events import AsyncEvents
from ._exceptions import PartnerkreisError, error_from_response, parse_retry_after
from ._http import build_request, default_headers, transport_error
from ._retry import Backoff, retryable
from ._verify import probe, translate

T = TypeVar("T")
log = logging.getLogger("partnerkreis")


class AsyncClient:
    """``Client`` with ``await``: the same arguments, resources and behaviour.

    Lists are iterated with ``async for``; block refreshes run as tasks on the
    event loop the client is used on (one loop per client).  Use it as an async
    context manager or call ``aclose()``.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 2,
        block_timeout: float = 1.0,
        block_max_stale: float = 3600.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = resolve(api_key, base_url)
        self._backoff = Backoff(max_retries=max_retries)
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=self._config.api_url,
            headers=default_headers(self._config, headers),
            timeout=timeout,
            transport=transport,
        )
        self.themes = AsyncThemes(self)
        self.members = AsyncMembers(self)
        self.placements = AsyncPlacements(self)
        self.rules = AsyncRuleSets(self)
        self.stats = AsyncStats(self)
        self.keys = AsyncKeys(self)
        self.events = AsyncEvents(self)
        self.offers = AsyncOffers(self)
        self.blocks = AsyncBlocks(
            self._http, timeout=block_timeout, max_stale=block_max_stale, clock=clock
        )

    @property
    def api_url(self) -> str:
        return self._config.api_url

    def __repr__(self) -> str:
        return f"<partnerkreis.AsyncClient {self.api_url}>"

    async def request(self, endpoint: Endpoint[T]) -> T:
        """Send one API call, retrying as ``Client.request`` does; its parsed answer."""
        request = build_request(self._http, endpoint)
        attempt = 0
        while True:
            error: PartnerkreisError
            retry_after = None
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                error = transport_error(exc, request)
                error.__cause__ = exc
            else:
                if response.status_code < 400:
                    return endpoint.parse(response)
                error = error_from_response(response)
                if not retryable(response.status_code):
                    raise error
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            delay = self._backoff.delay(attempt, retry_after)
            if delay is None:
                raise error
            log.info("partnerkreis: %s; retry %d in %.2f s", error, attempt + 1, delay)
            await self._sleep(delay)
            attempt += 1

    async def verify(self) -> None:
        """Check the base URL and the API key now, and raise if either is wrong
        (as ``Client.verify``); blocks in pages keep failing softly."""
        try:
            await self.request(probe())
        except Exception as exc:
            raise translate(self.api_url, exc) from exc

    async def aclose(self) -> None:
        """Let block refreshes under way finish, then close the connections."""
        await self.blocks.aclose()
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
