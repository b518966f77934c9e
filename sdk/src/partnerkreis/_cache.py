"""The block cache's state and rules, without I/O: what to serve, when to ask the server.

One entry per (theme, member, lang, layout) holds the last good block, how
long it stays fresh (the server's ``Cache-Control: max-age``, i.e. until its
rotation bucket ends) and whether the last try failed.  ``decide`` turns an
entry and the time into what a call does:

========================================  =================  ==================
entry                                     serves             asks the server
========================================  =================  ==================
none                                      ―                  inline, in budget
fresh                                     ``cache``          no
expired, within ``max_stale``             ``stale``          in the background
expired longer                            ―                  inline, in budget
last try failed, < ``retry_interval``     ``fallback``       no
last try failed, later, within max_stale  ``fallback``       in the background
========================================  =================  ==================

An inline fetch that fails (or outlasts the budget) serves ``fallback``: the
last good block, or an empty one.  Not thread-safe by itself: ``Blocks`` holds
a lock around it, ``AsyncBlocks`` runs it on one event loop.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import NamedTuple

import httpx

from ._block import Block, Source
from ._endpoints import path, query
from ._exceptions import APIError, PartnerkreisError, error_from_response

log = logging.getLogger("partnerkreis")

DEFAULT_MAX_AGE = 60.0  # seconds, when the server sends no max-age
RETRY_INTERVAL = 5.0  # seconds between tries after a failure
MAX_ENTRIES = 1024
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


class Key(NamedTuple):
    theme: str
    member: str
    lang: str | None
    layout: str | None
    show: str | None = None  # "partners,offer,event": a joint offer or event as one card

    def __str__(self) -> str:
        return f"{self.theme}/{self.member}"


@dataclass
class Entry:
    block: Block | None = None  # the last good block
    fresh_until: float = 0.0
    failed_at: float | None = None  # set while the last try failed
    error: PartnerkreisError | None = None


@dataclass(frozen=True)
class Decision:
    serve: Source | None  # None: fetch inline (within the budget) first
    refresh: bool = False  # also start a fetch in the background


def max_age(response: httpx.Response) -> float:
    """Seconds the answer stays fresh, from ``Cache-Control``."""
    header = response.headers.get("cache-control", "")
    if "no-store" in header or "no-cache" in header:
        return 0.0
    match = _MAX_AGE.search(header)
    return float(match.group(1)) if match else DEFAULT_MAX_AGE


def request_parts(key: Key, etag: str | None) -> tuple[str, dict[str, str], dict[str, str]]:
    """Path, query and headers of ``GET /blocks/{theme}/{member}`` for a key."""
    headers = {"Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    params = query(lang=key.lang, layout=key.layout, show=key.show, format="json")
    return path("blocks", key.theme, key.member), params, headers


class BlockCache:
    def __init__(
        self,
        *,
        max_stale: float,
        retry_interval: float = RETRY_INTERVAL,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.max_stale = max_stale
        self.retry_interval = retry_interval
        self.max_entries = max_entries
        self._entries: OrderedDict[Key, Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, key: Key) -> Entry | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def _entry_for_update(self, key: Key) -> Entry:
        found = self.entry(key)
        if found is None:
            found = self._entries[key] = Entry()
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return found

    def decide(self, key: Key, now: float) -> Decision:
        entry = self.entry(key)
        if entry is None:
            return Decision(None)
        block = entry.block
        if block is not None and now < entry.fresh_until:
            return Decision("cache")
        servable = block is not None and now < entry.fresh_until + self.max_stale
        if entry.failed_at is not None:
            if now - entry.failed_at < self.retry_interval:
                return Decision("fallback")
            return Decision("fallback", refresh=True) if servable else Decision(None)
        return Decision("stale", refresh=True) if servable else Decision(None)

    def serve(self, key: Key, source: Source) -> Block:
        """The cached block (or an empty one) marked with where it came from."""
        entry = self.entry(key)
        if source == "fallback":
            return self._fallback(key, entry.error if entry else None)
        assert entry is not None and entry.block is not None
        return replace(entry.block, source=source)

    def etag(self, key: Key) -> str | None:
        entry = self.entry(key)
        return entry.block.etag if entry and entry.block else None

    def answered(self, key: Key, response: httpx.Response, now: float) -> Block:
        """Take in the server's answer; the block to serve for it."""
        entry = self._entry_for_update(key)
        if response.status_code == 304 and entry.block is not None:
            entry.fresh_until = now + max_age(response)
            entry.failed_at = entry.error = None
            return replace(entry.block, source="network")
        if response.status_code != 200:
            return self.failed(key, error_from_response(response), now)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("html"), str):
            error = APIError(
                "the block answer is not the JSON the API describes",
                status=response.status_code,
                request_id=response.headers.get("x-request-id"),
                body=response.text[:500],
            )
            return self.failed(key, error, now)
        block = Block.from_json(data, etag=response.headers.get("etag"))
        entry.block = block
        entry.fresh_until = now + max_age(response)
        entry.failed_at = entry.error = None
        return block

    def failed(self, key: Key, error: PartnerkreisError, now: float) -> Block:
        """Note a failed try; the fallback to serve for it."""
        entry = self._entry_for_update(key)
        entry.failed_at = now
        entry.error = error
        log.warning(
            "partnerkreis: block %s failed (%s); serving %s",
            key,
            error,
            "the last good block" if entry.block else "an empty block",
        )
        return self._fallback(key, error)

    def _fallback(self, key: Key, error: PartnerkreisError | None) -> Block:
        entry = self._entries.get(key)
        if entry is None or entry.block is None:
            return Block.empty(key.theme, key.member, error)
        return replace(entry.block, source="fallback", error=error)
