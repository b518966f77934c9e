"""``X-Request-Id`` on every response: the caller's own id when it is sane, else a new one.

A pure ASGI middleware (cheap enough for the widget hot path).  The id is
also put into the scope's state (``request.state.request_id``), so the
handler of unexpected errors can send it with its answer.
"""

from __future__ import annotations

import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id(incoming: str | None) -> str:
    """The caller's id if it is 1-64 characters of ``[A-Za-z0-9._-]``, else a random one."""
    if incoming is not None and _VALID.fullmatch(incoming):
        return incoming
    return secrets.token_hex(16)


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
