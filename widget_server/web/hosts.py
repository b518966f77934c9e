"""Allowed hosts: a request whose ``Host`` header names no host of ours is refused (400).

Without ``WIDGET_PUBLIC_URL`` the server builds its own links (the widget's
click and view URLs, the iframe page, its CSP, embed codes) from the request's
``Host`` header, and ``/w/`` answers are publicly cacheable: a forged header
would be served to every visitor behind the same cache.  So every request is
checked here first, against ``Settings.hosts()`` (``WIDGET_ALLOWED_HOSTS``,
else the public URL's host, else the loopback names the demo uses); what
reaches a response is a plain host name and port that passed the check.

A pure ASGI middleware: one header lookup per request on the hot path.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from widget_server.web.problems import problem

# name or IPv4, or a bracketed IPv6 literal; then an optional port
_HOST = re.compile(
    r"(?:(?P<name>[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)|\[(?P<ip6>[0-9a-f:.]{2,45})\])(?::[0-9]{1,5})?"
)


def host_name(header: str) -> str | None:
    """The host name a ``Host`` header names (lower-case, IPv6 without brackets), or None."""
    match = _HOST.fullmatch(header.strip().lower())
    if match is None:
        return None
    return match.group("name") or match.group("ip6")


def bad_host() -> Response:
    """The answer to a request whose ``Host`` header names no host of ours."""
    return problem(
        400,
        "bad-host",
        "Unknown host",
        "the Host header names no host this server answers to"
        " (WIDGET_PUBLIC_URL, WIDGET_ALLOWED_HOSTS)",
    )


class HostGuard:
    def __init__(self, app: ASGIApp, allowed: Collection[str]) -> None:
        self.app = app
        self.allowed = frozenset(h.lower().strip("[]") for h in allowed)

    def allows(self, raw: bytes | None) -> bool:
        """Whether a request with this raw ``Host`` header (None: without one) is answered."""
        return raw is None or host_name(raw.decode("latin-1")) in self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            raw = next((v for k, v in scope["headers"] if k == b"host"), None)
            if not self.allows(raw):
                await bad_host()(scope, receive, send)
                return
        await self.app(scope, receive, send)
