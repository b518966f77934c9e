"""The OpenAPI 3.1 document of the REST API v1, served at ``/api/v1/openapi.json``.

Request bodies come from the same :class:`~widget_server.web.bodies.Body`
declarations the handlers parse with; answers are described here, next to
the operations.  ``tests/test_api_openapi.py`` checks that every route of the
app is described and the document is valid, and a schemathesis run checks
the app's answers against it.
"""

from __future__ import annotations

from typing import Any

from widget_server.core.models import LANGUAGES, LAYOUTS
from widget_server.web import openapi_events, openapi_members, openapi_offers
from widget_server.web import openapi_schemas as schemas
from widget_server.web.bodies import Body
from widget_server.web.endpoints.api.keys import KEY_CREATE
from widget_server.web.endpoints.api.themes import THEME_CREATE, THEME_PATCH
from widget_server.web.openapi_operations import (
    API,
    CREATED,
    IDEMPOTENT,
    PAGE,
    PROBLEMS,
    SLUG_MEMBER,
    SLUG_THEME,
    ok,
    op,
    param,
    path,
    query,
    ref,
)
from widget_server.web.pagination import DEFAULT_LIMIT, MAX_LIMIT

BODIES: tuple[Body, ...] = (
    THEME_CREATE,
    THEME_PATCH,
    *openapi_members.BODIES,
    KEY_CREATE,
    *openapi_events.BODIES,
)

SHOW_PATTERN = "^(partners|offer|event)(,(partners|offer|event))*$"
STATS_QUERY = (
    query("from", {"type": "string", "format": "date"}, "First day (YYYY-MM-DD)."),
    query("to", {"type": "string", "format": "date"}, "Last day (YYYY-MM-DD)."),
    query("format", {"type": "string", "enum": ["json", "csv"]}, "Or Accept: text/csv."),
)
CSV = {"text/csv": {"schema": {"type": "string"}}}


def _stats_answer(schema: str) -> dict[str, Any]:
    answer = ok("The figures.", ref(schema))
    answer["content"].update(CSV)
    return answer


def paths() -> dict[str, dict[str, Any]]:
    return {
        f"{API}/openapi.json": {
            "get": op(
                "getOpenApi",
                "This document",
                "meta",
                {200: ok("The OpenAPI document.", {"type": "object"})},
                (),
                public=True,
            )
        },
        f"{API}/themes": {
            "get": op(
                "listThemes",
                "List themes",
                "themes",
                {200: ok("A page of themes.", ref("ThemeList"))},
                (422,),
                params=PAGE,
            ),
            "post": op(
                "createTheme",
                "Create a theme",
                "themes",
                {201: ok("The new theme.", ref("Theme"), **CREATED)},
                (403, 409, 422),
                params=(IDEMPOTENT,),
                body="ThemeCreate",
            ),
        },
        f"{API}/themes/{{slug}}": {
            "get": op(
                "getTheme",
                "Read a theme",
                "themes",
                {200: ok("The theme.", ref("Theme"))},
                (404,),
                params=(SLUG_THEME,),
            ),
            "patch": op(
                "updateTheme",
                "Change a theme",
                "themes",
                {200: ok("The changed theme.", ref("Theme"))},
                (403, 404, 422),
                params=(SLUG_THEME,),
                body="ThemePatch",
            ),
        },
        f"{API}/themes/{{slug}}/rules": {
            "get": op(
                "getRules",
                "Read a theme's rules",
                "rules",
                {200: ok("The current rules.", ref("Rules"), ETag=schemas.ETAG)},
                (403, 404),
                params=(SLUG_THEME,),
            ),
            "put": op(
                "putRules",
                "Replace a theme's rules",
                "rules",
                {200: ok("The new version.", ref("RulesChange"), ETag=schemas.ETAG)},
                (403, 404, 412, 422),
                params=(SLUG_THEME, param("If-Match")),
                body="RulesDocument",
                description="The rule document is described in docs/rotation.md.",
            ),
        },
        f"{API}/themes/{{slug}}/explain": {
            "get": op(
                "explainBlock",
                "Why a member's block shows whom",
                "rules",
                {200: ok("Every candidate with its checks.", ref("Explanation"))},
                (403, 404, 422),
                params=(
                    SLUG_THEME,
                    {**query("member", {"type": "string", "minLength": 1}), "required": True},
                    query("at", {"type": "string"}, "ISO date or time; default now."),
                    query(
                        "placement",
                        {"type": "integer", "minimum": 0},
                        "The placement's id; default the member's first in the theme.",
                    ),
                ),
            ),
        },
        **openapi_members.paths(),
        f"{API}/blocks/{{theme}}/{{member}}": {
            "get": op(
                "getBlock",
                "A member's block, rendered on the server",
                "blocks",
                {200: schemas.BLOCK_OK, 304: schemas.BLOCK_NOT_MODIFIED},
                (403, 404, 422),
                params=(
                    path("theme", "A theme's slug."),
                    path("member", "A member's slug."),
                    query("lang", {"type": "string", "enum": list(LANGUAGES)}),
                    query("layout", {"type": "string", "enum": list(LAYOUTS)}),
                    query("format", {"type": "string", "enum": ["json", "html"]}, "Or Accept."),
                    query(
                        "show",
                        {"type": "string", "pattern": SHOW_PATTERN, "maxLength": 40},
                        "What the block shows besides partners: partners,offer,event adds the"
                        " theme's current joint offer or next joint event as one card (the"
                        " placement's own show option wins). Default: partners only.",
                    ),
                    param("If-None-Match"),
                ),
            ),
        },
        f"{API}/stats/members/{{slug}}": {
            "get": op(
                "memberStats",
                "A member's figures",
                "stats",
                {200: _stats_answer("MemberStats")},
                (403, 404, 422),
                params=(
                    SLUG_MEMBER,
                    query("theme", {"type": "string"}, "Only this theme."),
                    *STATS_QUERY,
                ),
            ),
        },
        f"{API}/stats/themes/{{slug}}": {
            "get": op(
                "themeStats",
                "A theme's figures",
                "stats",
                {200: _stats_answer("ThemeStats")},
                (403, 404, 422),
                params=(SLUG_THEME, *STATS_QUERY),
            ),
        },
        f"{API}/keys": {
            "get": op(
                "listKeys",
                "List API keys",
                "keys",
                {200: ok("A page of keys (never their secrets).", ref("ApiKeyList"))},
                (403, 422),
                params=PAGE,
            ),
            "post": op(
                "createKey",
                "Create an API key",
                "keys",
                {201: ok("The key, with its full text shown this once.", ref("ApiKeyCreated"))},
                (403, 409, 422),
                params=(IDEMPOTENT,),
                body="ApiKeyCreate",
            ),
        },
        f"{API}/keys/{{key_id}}": {
            "delete": op(
                "revokeKey",
                "Revoke an API key",
                "keys",
                {200: ok("The revoked key.", ref("ApiKey"))},
                (403, 404),
                params=(path("key_id", "The public key id, e.g. pkr_ab12cd34."),),
            ),
        },
        **openapi_events.paths(),
        **openapi_offers.paths(),
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI document (plain data, JSON-serialisable)."""
    components_schemas = {**schemas.SCHEMAS, **openapi_events.SCHEMAS, **openapi_offers.SCHEMAS}
    components_schemas.update(
        {body.name: body.schema() for body in (*BODIES, *openapi_offers.BODIES)}
    )
    components_schemas.update(openapi_members.SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Partnerkreis widget server",
            "version": "1",
            "description": "REST API v1; the conventions are in docs/api.md.",
        },
        "security": [{"bearer": []}],
        "paths": paths(),
        "components": {
            "schemas": components_schemas,
            "responses": {
                name: schemas.problem_response(text, www_authenticate=status == 401)
                for status, (name, text) in PROBLEMS.items()
            },
            "parameters": schemas.parameters(DEFAULT_LIMIT, MAX_LIMIT),
            "headers": {"X-Request-Id": schemas.REQUEST_ID},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key: pkr_<8 hex>.<43 characters>.",
                }
            },
        },
    }
