"""``Client``: the synchronous client, for scripts, Django and Flask."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Self, TypeVar

import httpx

from ._blocks import Blocks
from ._config import resolve
from ._endpoints import Endpoint
from ._events import Events
from ._exceptions import PartnerkreisError, error_from_response, parse_retry_after
from ._http import build_request, default_headers, transport_error
from ._resources import Keys, Members, Offers, Placements, RuleSets, Stats, Themes
from ._retry import Backoff, retryable
from ._verify import probe, translate

T = TypeVar("T")
log = logging.getLogger("partnerkreis")


class Client:
    """A client of one Partnerkreis server's REST API (``/api/v1``).

    ``api_key`` and ``base_url`` (the server's URL, e.g.
    ``https://partner.example.org``) default to ``PARTNERKREIS_API_KEY`` and
    ``PARTNERKREIS_BASE_URL``.  Management calls (everything but
    ``blocks.get``) wait up to ``timeout`` seconds per request and are retried
    ``max_retries`` times after connection errors, ``429`` and ``5xx``, with
    exponential backoff and jitter or as ``Retry-After`` says; a POST carries an
    ``Idempotency-Key`` that stays the same on every retry, so a retried create
    never creates twice.

    ``blocks.get`` is made for page renders: at most ``block_timeout`` seconds,
    no retries, cached, never raising (see ``Blocks``).

    ``transport`` replaces httpx's (``httpx.MockTransport`` in tests); ``sleep``
    and ``clock`` (monotonic seconds, for the block cache) can be replaced too.
    Use it as a context manager or call ``close()``.
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
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = resolve(api_key, base_url)
        self._backoff = Backoff(max_retries=max_retries)
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self._config.api_url,
            headers=default_headers(self._config, headers),
            timeout=timeout,
            transport=transport,
        )
        self.themes = Themes(self)
        self.members = Members(self)
        self.placements = Placements(self)
        self.rules = RuleSets(self)
        self.stats = Stats(self)
        self.keys = Keys(self)
        self.events = Events(self)
        self.offers = Offers(self)
        self.blocks = Blocks(
            self._http, timeout=block_timeout, max_stale=block_max_stale, clock=clock
        )

    @property
    def api_url(self) -> str:
        return self._config.api_url

    def __repr__(self) -> str:
        return f"<partnerkreis.Client {self.api_url}>"

    def request(self, endpoint: Endpoint[T]) -> T:
        """Send one API call, retrying as described above; its parsed answer."""
        request = build_request(self._http, endpoint)
        attempt = 0
        while True:
            error: PartnerkreisError
            retry_after = None
            try:
                response = self._http.send(request)
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
            self._sleep(delay)
            attempt += 1

    def verify(self) -> None:
        """Check the base URL and the API key now, and raise if either is wrong.

        ``AuthenticationError`` for a key the server refuses, ``ConfigurationError``
        for a base URL that is not a Partnerkreis API, ``APIConnectionError`` for a
        server that cannot be reached.  Call it at start-up or in a deploy check:
        blocks in pages (``client.blocks.get``) keep failing softly.
        """
        try:
            self.request(probe())
        except Exception as exc:
            raise translate(self.api_url, exc) from exc

    def close(self) -> None:
        """Wait for background block refreshes, then close the connections."""
        self.blocks.close()
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
