"""``client.blocks``: partner blocks for pages rendered on the server, never in the way.

A page render must not wait on us and must not fail because of us, so
``get``:

- takes at most ``timeout`` seconds in all (default 1) and never retries inline;
- answers from an in-memory cache while the block is fresh (``source="cache"``);
- serves an expired block at once and refreshes it in the background
  (stale-while-revalidate, ``source="stale"``), asking with ``If-None-Match``
  so an unchanged block costs a ``304``;
- serves the last good block when the server errs, is unreachable or slow
  (``source="fallback"``, ``error`` says why), or an empty block that renders
  as ``""`` when it never had one;
- raises nothing unless ``raise_errors=True``, which raises the error instead
  of serving a fallback.

Fetches run on a small pool of worker threads (the background refreshes, and
the inline fetches so the budget holds whatever the transport does); an
inline fetch that outlasts the budget keeps going and fills the cache for the
next render.  One fetch per block at a time: concurrent renders share it.  The
rules of the cache are in ``_cache``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import httpx

from ._block import Block
from ._cache import BlockCache, Key, request_parts
from ._exceptions import APITimeoutError, PartnerkreisError, error_from_response
from ._http import transport_error

log = logging.getLogger("partnerkreis")
WORKERS = 4


def stylesheet_answer(url: str, response: httpx.Response) -> str:
    """The CSS of a block stylesheet answer, or the error it is."""
    if response.status_code >= 400:
        raise error_from_response(response)
    if not response.headers.get("content-type", "").startswith("text/css"):
        raise PartnerkreisError(
            f"{url} is not a stylesheet ({response.headers.get('content-type')})"
        )
    return response.text


def checked(block: Block, raise_errors: bool) -> Block:
    if raise_errors and block.source == "fallback" and block.error is not None:
        raise block.error.with_traceback(None)
    return block


class Blocks:
    """Partner blocks for server-side rendering; thread-safe."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        timeout: float = 1.0,
        max_stale: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self.timeout = timeout
        self._clock = clock
        self._cache = BlockCache(max_stale=max_stale)
        self._lock = threading.Lock()
        self._inflight: dict[Key, Future[Block]] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._pid = os.getpid()
        self._closed = False
        self._css: dict[str, str] = {}

    def get(
        self,
        theme: str,
        *,
        member: str,
        lang: str | None = None,
        layout: str | None = None,
        show: str | None = None,
        timeout: float | None = None,
        raise_errors: bool = False,
    ) -> Block:
        """``theme``'s block for ``member``'s page; ``lang`` de|en, ``layout`` cards|list|compact.

        Takes at most ``timeout`` seconds (the client's ``block_timeout`` if
        None) and raises nothing unless ``raise_errors``; ``Block.source`` says
        where the block came from.
        """
        started = time.monotonic()
        budget = self.timeout if timeout is None else timeout
        key = Key(theme, member, lang, layout, show)
        with self._lock:
            decision = self._cache.decide(key, self._clock())
            if decision.serve is not None:
                if decision.refresh:
                    self._start(key, self.timeout)
                return checked(self._cache.serve(key, decision.serve), raise_errors)
            future = self._start(key, budget)
        if future is None:
            error = PartnerkreisError("the client is closed")
            return checked(Block.empty(theme, member, error), raise_errors)
        try:
            block = future.result(timeout=max(0.0, budget - (time.monotonic() - started)))
        except FutureTimeout:
            timed_out = APITimeoutError(f"block {key}: no answer within {budget:g} s")
            with self._lock:
                block = self._cache.failed(key, timed_out, self._clock())
        return checked(block, raise_errors)

    def _start(self, key: Key, timeout: float) -> Future[Block] | None:
        """The fetch of ``key`` under way, or a new one (call with the lock held)."""
        running = self._inflight.get(key)
        if running is not None and not running.done():
            return running
        if self._closed:
            return None
        if self._executor is None or self._pid != os.getpid():
            # Made on first use, and again in a forked child, where the threads are gone.
            self._executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="partnerkreis-block")
            self._pid = os.getpid()
        future = self._executor.submit(self._fetch, key, timeout)
        self._inflight[key] = future  # the worker removes it, after taking the lock
        return future

    def _fetch(self, key: Key, timeout: float) -> Block:
        """One request for ``key``; updates the cache and returns what to serve.  Never raises."""
        try:
            with self._lock:
                etag = self._cache.etag(key)
            path, params, headers = request_parts(key, etag)
            request = self._http.build_request(
                "GET", path, params=params, headers=headers, timeout=timeout
            )
            try:
                response = self._http.send(request)
            except httpx.TransportError as exc:
                error = transport_error(exc, request)
                error.__cause__ = exc
                with self._lock:
                    return self._cache.failed(key, error, self._clock())
            with self._lock:
                return self._cache.answered(key, response, self._clock())
        except Exception as exc:  # a bug here must not break anybody's page
            log.exception("partnerkreis: fetching block %s failed unexpectedly", key)
            with self._lock:
                return self._cache.failed(key, PartnerkreisError(repr(exc)), self._clock())
        finally:
            with self._lock:  # still ours: another starts only once this one is done
                self._inflight.pop(key, None)

    def stylesheet_css(self, url: str) -> str:
        """The CSS of the block stylesheet at ``url`` (``Block.stylesheet``), to inline it.

        Fetched once per URL (the URL names the content); raises on failure, so
        call it where a failure may show, e.g. when a site is built."""
        with self._lock:
            known = self._css.get(url)
        if known is not None:
            return known
        try:
            response = self._http.get(url)
        except httpx.TransportError as exc:
            raise transport_error(exc, exc.request) from exc
        css = stylesheet_answer(url, response)
        with self._lock:
            self._css[url] = css
        return css

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the fetches under way are done (for tests and warm-ups)."""
        with self._lock:
            running = list(self._inflight.values())
        futures.wait(running, timeout=timeout)

    def clear(self) -> None:
        """Forget every cached block."""
        with self._lock:
            self._cache = BlockCache(max_stale=self._cache.max_stale)

    def close(self) -> None:
        """Wait for fetches under way (each bounded by the timeout) and stop the workers."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
