"""API keys: listed, created (the key is shown once) and revoked by coordinators."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import NotFoundError
from widget_server.core.models import ApiKey
from widget_server.network.keys import create_key
from widget_server.storage import Storage
from widget_server.web.bodies import Body, Field
from widget_server.web.endpoints.api.base import answer, parse, require
from widget_server.web.pagination import page_of, parse_page
from widget_server.web.runtime import runtime_of

KEY_CREATE = Body(
    "ApiKeyCreate",
    (
        Field(
            "scope",
            required=True,
            max_length=80,
            pattern="^(coordinator|member:[a-z0-9]+(-[a-z0-9]+)*)$",
            description="coordinator, or member:SLUG",
        ),
        Field("name", max_length=80, description="What the key is for, e.g. the CMS plugin."),
    ),
)


async def scope_names(storage: Storage, keys: list[ApiKey]) -> dict[str, str]:
    """Stored scope (``member:<id>``) -> the scope as typed (``member:<slug>``)."""
    names = {"coordinator": "coordinator"}
    for key in keys:
        kind, _, member_id = key.scope.partition(":")
        if key.scope in names or kind != "member" or not member_id.isdigit():
            continue
        try:
            names[key.scope] = f"member:{(await storage.get_member_by_id(int(member_id))).slug}"
        except NotFoundError:
            names[key.scope] = key.scope
    return names


def key_view(key: ApiKey, scopes: dict[str, str]) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "scope": scopes.get(key.scope, key.scope),
        "name": key.name,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


async def list_keys(request: Request) -> Response:
    await require(request, coordinator=True)
    storage = runtime_of(request).storage
    page = parse_page(request.query_params, "keys", int)
    keys = await storage.list_api_keys(after=page.after, limit=page.limit + 1)
    shown, next_cursor = page_of(keys, page, "keys", lambda k: k.id)
    scopes = await scope_names(storage, list(shown))
    return answer({"data": [key_view(k, scopes) for k in shown], "next_cursor": next_cursor})


async def create_api_key(request: Request) -> Response:
    """A new key; its full text is in this answer and nowhere else, ever.

    With an ``Idempotency-Key`` the first answer is kept without the secret
    (``without_secret``): a replay says which key was made, never its text.
    """
    await require(request, coordinator=True)
    storage = runtime_of(request).storage
    data = await parse(request, KEY_CREATE)
    key, full = await create_key(storage, data["scope"], data.get("name", ""))
    view = key_view(key, await scope_names(storage, [key]))
    return answer({**view, "key": full}, 201)


def without_secret(body: bytes) -> bytes:
    """The answer to a key creation as the idempotency table keeps it: no secret."""
    data = json.loads(body)
    if isinstance(data, dict) and "key" in data:
        data["key"] = None
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


async def revoke_key(request: Request) -> Response:
    await require(request, coordinator=True)
    storage = runtime_of(request).storage
    key = await storage.revoke_api_key(request.path_params["key_id"])
    return answer(key_view(key, await scope_names(storage, [key])))
