"""The pieces every operation of the OpenAPI document is built from.

An operation (``op``) names its answers (``ok``) and the problems it can give
(``PROBLEMS``, shared as components), its parameters (``param`` for shared
ones, ``query`` and ``path``) and its body by schema name (``ref``).
``openapi.py`` assembles the document; it and the parts it merges in
(``openapi_members.py``, ``openapi_events.py``, ``openapi_offers.py``) build
their paths with these.
"""

from __future__ import annotations

from typing import Any

API = "/api/v1"

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
