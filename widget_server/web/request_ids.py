"""``X-Request-Id`` on every response: the caller's own id when it is sane, else a new one.

A pure ASGI middleware (cheap enough for the widget hot path).  The id is
also put into the scope's state (``request.state.request_id``), so the
handler of unexpected errors can send it with its answer.

A new id is 32 hex digits: 20 drawn at random when the process starts (and
again in a forked child), then a counter of 12.  That is unique across
processes and restarts (80 random bits: two processes share a prefix with a
chance of about 1 in 10^12 even after a million starts) and costs a string
format per request instead of an ``os.urandom`` call.  An id is not a secret
and not unpredictable: nothing may rely on it for more than finding a
request in the logs.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_COUNTER_MASK = (1 << 48) - 1  # 12 hex digits: 2.8 * 10^14 ids before it wraps


class _Ids:
    """A per-process random prefix and a counter; reseeded in a forked child."""

    def __init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        self.prefix = secrets.token_hex(10)
        self.counter = itertools.count(1)

    def new(self) -> str:
        return f"{self.prefix}{next(self.counter) & _COUNTER_MASK:012x}"


_ids = _Ids()
# A forked worker (a pre-loading process manager) must not repeat its parent's ids.
os.register_at_fork(after_in_child=_ids.reseed)


# A fresh id: 32 hex digits, unique across processes and restarts.  The bound method
# itself (one call less per request): reseeding changes the object, not the method.
new_request_id = _ids.new


def request_id(incoming: str | None) -> str:
    """The caller's id if it is 1-64 characters of ``[A-Za-z0-9._-]``, else a new one."""
    if incoming is not None and _VALID.fullmatch(incoming):
        return incoming
    return _ids.new()


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        rid = request_id(incoming)
        scope.setdefault("state", {})["request_id"] = rid
        raw = (HEADER.encode(), rid.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Appended as is: no response of ours sets this header itself.
                message["headers"] = [*message.get("headers", ()), raw]
            await send(message)

        await self.app(scope, receive, send_with_id)
