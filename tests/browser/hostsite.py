"""A stand-in for a member's own website, on a second origin, for the browser tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from widget_server.serving.loader import build_loader
from widget_server.web.runtime import STATIC_DIR

LOADER = build_loader(STATIC_DIR)


def page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><h1>{title}</h1>"
        f'{body}<p id="after">Rest der Seite</p></body></html>'
    )


# In a page with a gate, where the server stops sending until the test opens the gate.
HOLD = "<!--hold-->"


def make_host_app(
    pages: dict[str, str],
    headers: dict[str, dict[str, str]],
    gates: dict[str, threading.Event],
) -> Starlette:
    async def serve_page(request: Request) -> Response:
        path = "/" + request.path_params["path"]
        if path not in pages:
            return PlainTextResponse("not found", status_code=404)
        if path not in gates:
            return HTMLResponse(pages[path], headers=headers.get(path, {}))
        # A page still arriving: the browser parses the first part while the rest waits.
        first, rest = pages[path].split(HOLD, 1)
        gate = gates[path]

        async def parts() -> AsyncIterator[str]:
            yield first
            await asyncio.to_thread(gate.wait, 120)  # a hang guard only
            yield rest

        return StreamingResponse(parts(), media_type="text/html; charset=utf-8")

    # A misbehaving widget server on this origin: the real loader, broken blocks.
    async def bad_loader(request: Request) -> Response:
        return Response(LOADER.body, media_type="text/javascript")

    async def bad_block(request: Request) -> Response:
        kind = request.path_params["kind"]
        cors = {"Access-Control-Allow-Origin": "*"}
        if kind == "slow":
            # Never answers while a test looks: a block that gives up did so by itself.
            await asyncio.sleep(600)
        if kind == "error":
            return PlainTextResponse("boom", status_code=500, headers=cors)
        if kind == "html":
            return HTMLResponse("<html>not json</html>", headers=cors)
        if kind == "nocss":
            # A good block, but the stylesheet next to this loader is missing (404).
            good = '{"partners": [{"name": "A", "url": "https://a.example/"}]}'
            return Response(good, media_type="application/json", headers=cors)
        if kind == "shape":
            return Response('{"partners": "nope"}', media_type="application/json", headers=cors)
        return Response('{"v":1,"partners":[', media_type="application/json", headers=cors)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/broken/{kind}/embed.js", bad_loader),
            Route("/broken/{kind}/w/{token}", bad_block),
            Route("/{path:path}", serve_page),
        ]
    )
