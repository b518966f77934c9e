"""The baselines for bench_widget.py: the least a Starlette app, and a raw ASGI app, can do.

Served by the same uvicorn settings as the widget server, they measure what the
machine, uvicorn and (``app``) Starlette's routing cost on their own.  Both
answer ``GET /hello`` with the bytes of the file ``BENCH_BODY`` names (a block
the widget served, so all targets send the same bytes) as ``application/json``,
or with ``hello`` as text when it is not set (bench_counting.py).
"""

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

_FILE = os.environ.get("BENCH_BODY")
BODY = Path(_FILE).read_bytes() if _FILE else b"hello"
MEDIA_TYPE = "application/json" if _FILE else "text/plain"


async def hello(request: Request) -> Response:
    return Response(BODY, media_type=MEDIA_TYPE)


app = Starlette(routes=[Route("/hello", hello)])

_HEADERS = [
    (b"content-type", Response(media_type=MEDIA_TYPE).raw_headers[-1][1]),
    (b"content-length", str(len(BODY)).encode()),
]


async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
    """One ASGI callable: the same bytes and headers, no routing, no objects."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] != "/hello":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": BODY})
