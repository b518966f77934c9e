"""``GET /api/v1/openapi.json``: the API's description, public (no key needed)."""

from __future__ import annotations

import json
from functools import cache

from starlette.requests import Request
from starlette.responses import Response

from widget_server.web.openapi import document


@cache
def _encoded() -> bytes:
    return json.dumps(document(), ensure_ascii=False, separators=(",", ":")).encode()


async def openapi_json(request: Request) -> Response:
    return Response(
        _encoded(),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
    )
