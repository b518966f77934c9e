"""The OpenAPI 3.1 document of the REST API v1, served at ``/api/v1/openapi.json``.

Request bodies come from the same :class:`~widget_server.web.bodies.Body`
declarations the handlers parse with; answers are described here, next to
the operations.  ``tests/test_api_openapi.py`` checks that every route of the
app is described and the document is valid, and a schemathesis run checks
the app's answers against it.
"""

from __future__ import annotations

from typing import Any

from widget_server.core.models import LANGUAGES, LAYOUTS, MEMBER_STATUSES
from widget_server.web import openapi_events, openapi_offers
from widget_server.web import openapi_schemas as schemas
from widget_server.web.bodies import Body
from widget_server.web.endpoints.api import member_bulk
from widget_server.web.endpoints.api.keys import KEY_CREATE
from widget_server.web.endpoints.api.mail import MEMBER_MAIL_PUT
from widget_server.web.endpoints.api.members import MEMBER_CREATE, MEMBER_PATCH, MEMBERSHIP_PUT
from widget_server.web.endpoints.api.placements import PLACEMENT_CREATE
from widget_server.web.endpoints.api.themes import THEME_CREATE, THEME_PATCH
from widget_server.web.pagination import DEFAULT_LIMIT, MAX_LIMIT

API = "/api/v1"
BODIES: tuple[Body, ...] = (
    THEME_CREATE,
    THEME_PATCH,
    MEMBER_CREATE,
    MEMBER_PATCH,
    MEMBERSHIP_PUT,
    MEMBER_MAIL_PUT,
    PLACEMENT_CREATE,
    KEY_CREATE,
    *openapi_events.BODIES,
)

# The problem answers, by status; each operation lists the ones it can give.
PROBLEMS = {
    401: ("Unauthenticated", "No valid API key (missing, malformed, unknown or revoked)."),
    403: ("Forbidden", "The key's scope does not allow this."),
    404: ("NotFound", "No such resource."),
    409: ("Conflict", "The resource exists already, or its state does not allow this."),
    412: ("PreconditionFailed", "If-Match names a version that is no longer current."),
    413: ("TooLarge", "More rows or bytes than one request may carry."),
    422: ("Invalid", "Invalid input; `field` names it."),
    503: ("Unavailable", "The database is not reachable."),
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _headers(**extra: Any) -> dict[str, Any]:
    return {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}, **extra}


def ok(description: str, schema: dict[str, Any] | None, **headers: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "headers": _headers(**headers)}
    if schema is not None:
        answer["content"] = {"application/json": {"schema": schema}}
    return answer


def op(
    op_id: str,
    summary: str,
    tag: str,
    answers: dict[int, dict[str, Any]],
    problems: tuple[int, ...],
    *,
    params: tuple[dict[str, Any], ...] = (),
    body: str | None = None,
    public: bool = False,
    description: str = "",
) -> dict[str, Any]:
    """One operation; every authenticated one can answer 401 and 503."""
    codes = set(problems) | {503} | (set() if public else {401})
    responses = {str(s): a for s, a in answers.items()}
    responses.update(
        {str(s): {"$ref": f"#/components/responses/{PROBLEMS[s][0]}"} for s in sorted(codes)}
    )
    operation: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "tags": [tag],
        "responses": dict(sorted(responses.items())),
    }
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = list(params)
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    if public:
        operation["security"] = []
    return operation


def param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


SHOW_PATTERN = "^(partners|offer|event)(,(partners|offer|event))*$"


def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    found = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        found["description"] = description
    return found


def path(name: str, description: str) -> dict[str, Any]:
    schema = {"type": "string", "minLength": 1, "maxLength": 200}
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


PAGE = (param("limit"), param("cursor"))
IDEMPOTENT = param("Idempotency-Key")
SLUG_THEME = path("slug", "A theme's slug.")
SLUG_MEMBER = path("slug", "A member's slug.")
CREATED = {"Location": {"schema": {"type": "string"}, "description": "The new resource."}}
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


def bulk_create() -> dict[str, Any]:
    operation = op(
        "bulkCreateMembers",
        "Register many members at once",
        "members",
        {
            200: ok(
                "The rows created and, with skip_invalid, the rows left out.",
                ref("MemberBulkResult"),
            )
        },
        (403, 409, 413, 422),
        params=(
            query(
                "skip_invalid",
                {"type": "string", "enum": ["true", "false"]},
                "true: create the good rows and list the bad ones (default: all or nothing).",
            ),
            IDEMPOTENT,
        ),
        description=(
            f"Up to {member_bulk.MAX_ROWS} members with the fields of createMember, as a JSON"
            " array or as NDJSON (application/x-ndjson, one object per line), at most"
            f" {member_bulk.MAX_BYTES // 2**20} MiB."
            " Every row is checked as createMember checks one; the good rows are written"
            " in one transaction. Without skip_invalid one bad row is a 422 invalid-rows"
            " problem whose errors list every bad row, and nothing is written."
        ),
    )
    operation["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {"schema": ref("MemberBulk")},
            member_bulk.NDJSON: {
                "schema": {"type": "string", "description": "One MemberCreate object per line."}
            },
        },
    }
    return operation


def paths() -> dict[str, dict[str, Any]]:
    member = (SLUG_MEMBER,)
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
        f"{API}/members": {
            "get": op(
                "listMembers",
                "List members",
                "members",
                {200: ok("A page of members (a member key: only itself).", ref("MemberList"))},
                (422,),
                params=(
                    query("status", {"type": "string", "enum": list(MEMBER_STATUSES)}),
                    query("theme", {"type": "string"}, "Only members of this theme."),
                    *PAGE,
                ),
            ),
            "post": op(
                "createMember",
                "Register a member",
                "members",
                {201: ok("The new member, pending or active.", ref("Member"), **CREATED)},
                (403, 409, 422),
                params=(IDEMPOTENT,),
                body="MemberCreate",
            ),
        },
        f"{API}/members/bulk": {"post": bulk_create()},
        f"{API}/members/{{slug}}": {
            "get": op(
                "getMember",
                "Read a member",
                "members",
                {200: ok("The member.", ref("Member"))},
                (403, 404),
                params=member,
            ),
            "patch": op(
                "updateMember",
                "Change a member's profile",
                "members",
                {
                    200: ok("The changed member.", ref("Member")),
                    202: ok(
                        "A member key's change, waiting for a coordinator's approval.",
                        ref("MemberProposal"),
                    ),
                },
                (403, 404, 422),
                params=member,
                body="MemberPatch",
                description=(
                    "A coordinator key changes the member at once. A member key proposes:"
                    " website, domains, category, town and postal code always wait for a"
                    " coordinator, name and description when a theme asks for approval."
                ),
            ),
            "delete": op(
                "removeMember",
                "Remove a member",
                "members",
                {200: ok("The member, removed.", ref("Member"))},
                (403, 404),
                params=member,
                description="Its blocks stop; its record and figures stay.",
            ),
        },
        f"{API}/members/{{slug}}/pause": {
            "post": op(
                "pauseMember",
                "Pause a member",
                "members",
                {200: ok("The member, paused.", ref("Member"))},
                (403, 404, 409, 422),
                params=(SLUG_MEMBER, IDEMPOTENT),
            ),
        },
        f"{API}/members/{{slug}}/activate": {
            "post": op(
                "activateMember",
                "Activate (approve) a member",
                "members",
                {200: ok("The member, active.", ref("Member"))},
                (403, 404, 409, 422),
                params=(SLUG_MEMBER, IDEMPOTENT),
            ),
        },
        f"{API}/members/{{slug}}/memberships": {
            "get": op(
                "listMemberships",
                "A member's themes",
                "members",
                {200: ok("Every membership.", ref("MembershipList"))},
                (403, 404),
                params=member,
            ),
        },
        f"{API}/members/{{slug}}/memberships/{{theme}}": {
            "put": op(
                "putMembership",
                "Join, pause or leave a theme",
                "members",
                {200: ok("The membership.", ref("Membership"))},
                (403, 404, 409, 422),
                params=(SLUG_MEMBER, path("theme", "A theme's slug.")),
                body="MembershipUpdate",
            ),
        },
        f"{API}/members/{{slug}}/mail": {
            "get": op(
                "getMemberMail",
                "A member's mail settings",
                "members",
                {200: ok("Its address, mail language and opt-outs.", ref("MemberMail"))},
                (403, 404),
                params=member,
            ),
            "put": op(
                "putMemberMail",
                "Set a member's mail settings",
                "members",
                {200: ok("The settings now.", ref("MemberMail"))},
                (403, 404, 422),
                params=member,
                body="MemberMailUpdate",
                description=(
                    "The address mails go to, their language and the kinds of mail the"
                    " member does not want; an empty email deletes all three."
                ),
            ),
        },
        f"{API}/members/{{slug}}/placements": {
            "get": op(
                "listPlacements",
                "A member's placements and embed codes",
                "placements",
                {200: ok("A page of placements.", ref("PlacementList"))},
                (403, 404, 422),
                params=(SLUG_MEMBER, *PAGE),
            ),
            "post": op(
                "createPlacement",
                "Get an embed code",
                "placements",
                {
                    200: ok("The existing placement with these options.", ref("Placement")),
                    201: ok("A new placement.", ref("Placement")),
                },
                (403, 404, 409, 422),
                params=(SLUG_MEMBER, IDEMPOTENT),
                body="PlacementCreate",
            ),
        },
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
        **openapi_events.paths(op, ok, ref, param, query, path, PAGE, CREATED),
        **openapi_offers.paths(API, op, ok, ref, path, query, PAGE, IDEMPOTENT),
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI document (plain data, JSON-serialisable)."""
    components_schemas = {**schemas.SCHEMAS, **openapi_events.SCHEMAS, **openapi_offers.SCHEMAS}
    components_schemas.update(
        {body.name: body.schema() for body in (*BODIES, *openapi_offers.BODIES)}
    )
    components_schemas["MemberBulk"] = {
        "type": "array",
        "items": ref("MemberCreate"),
        "minItems": 1,
        "maxItems": member_bulk.MAX_ROWS,
    }
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
