"""``client.blocks`` for ``AsyncClient``: the rules of ``_blocks``, with asyncio tasks.

Fetches run as tasks on the client's event loop: the background refreshes,
and the inline fetch, which the caller awaits only for what is left of its
budget (``asyncio.shield``: a fetch that outlasts the budget keeps going and
fills the cache for the next render).  One fetch per block at a time.  Use one
``AsyncClient`` per event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx

from ._block import Block
from ._blocks import checked, stylesheet_answer
from ._cache import BlockCache, Key, request_parts
from ._exceptions import APITimeoutError, PartnerkreisError
from ._http import transport_error

log = logging.getLogger("partnerkreis")


class AsyncBlocks:
    """Partner blocks for server-side rendering; safe for concurrent tasks."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        timeout: float = 1.0,
        max_stale: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self.timeout = timeout
        self._clock = clock
        self._cache = BlockCache(max_stale=max_stale)
        self._inflight: dict[Key, asyncio.Task[Block]] = {}
        self._closed = False
        self._css: dict[str, str] = {}

    async def stylesheet_css(self, url: str) -> str:
        """The CSS of the block stylesheet at ``url`` (as ``Blocks.stylesheet_css``)."""
        known = self._css.get(url)
        if known is not None:
            return known
        try:
            response = await self._http.get(url)
        except httpx.TransportError as exc:
            raise transport_error(exc, exc.request) from exc
        css = self._css[url] = stylesheet_answer(url, response)
        return css

    async def get(
        self,
        theme: str,
        *,
        member: str,
        lang: str | None = None,
        layout: str | None = None,
        show: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the budget, as in Blocks.get
        raise_errors: bool = False,
    ) -> Block:
        """``theme``'s block for ``member``'s page; see ``Blocks.get``."""
        started = time.monotonic()
        budget = self.timeout if timeout is None else timeout
        key = Key(theme, member, lang, layout, show)
        # No await between deciding and starting: no other task can come between.
        decision = self._cache.decide(key, self._clock())
        if decision.serve is not None:
            if decision.refresh:
                self._start(key, self.timeout)
            return checked(self._cache.serve(key, decision.serve), raise_errors)
        task = self._start(key, budget)
        if task is None:
            error = PartnerkreisError("the client is closed")
            return checked(Block.empty(theme, member, error), raise_errors)
        try:
            async with asyncio.timeout(max(0.0, budget - (time.monotonic() - started))):
                block = await asyncio.shield(task)
        except TimeoutError:
            timed_out = APITimeoutError(f"block {key}: no answer within {budget:g} s")
            block = self._cache.failed(key, timed_out, self._clock())
        return checked(block, raise_errors)

    def _start(self, key: Key, timeout: float) -> asyncio.Task[Block] | None:
        running = self._inflight.get(key)
        if running is not None and not running.done():
            return running
        if self._closed:
            return None
        task = asyncio.create_task(self._fetch(key, timeout), name=f"partnerkreis-block {key}")
        self._inflight[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))
        return task

    def _forget(self, key: Key, task: asyncio.Task[Block]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]

    async def _fetch(self, key: Key, timeout: float) -> Block:  # noqa: ASYNC109
        """One request for ``key``; updates the cache and returns what to serve.  Never raises."""
        try:
            path, params, headers = request_parts(key, self._cache.etag(key))
            request = self._http.build_request(
                "GET", path, params=params, headers=headers, timeout=timeout
            )
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                error = transport_error(exc, request)
                error.__cause__ = exc
                return self._cache.failed(key, error, self._clock())
            return self._cache.answered(key, response, self._clock())
        except Exception as exc:  # a bug here must not break anybody's page
            log.exception("partnerkreis: fetching block %s failed unexpectedly", key)
            return self._cache.failed(key, PartnerkreisError(repr(exc)), self._clock())

    async def wait(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Wait until the fetches under way are done (for tests and warm-ups)."""
        running = list(self._inflight.values())
        if running:
            await asyncio.wait(running, timeout=timeout)

    def clear(self) -> None:
        """Forget every cached block."""
        self._cache = BlockCache(max_stale=self._cache.max_stale)

    async def aclose(self) -> None:
        """Let fetches under way finish (each bounded by the timeout), then stop."""
        self._closed = True
        tasks = list(self._inflight.values())
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=self.timeout + 1)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
