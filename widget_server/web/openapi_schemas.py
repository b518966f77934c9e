"""JSON Schemas of the REST API's answers, for the OpenAPI document (``openapi.py``).

Answers are closed (``additionalProperties: false``) so that the schemathesis
run notices a field the document does not describe.
"""

from __future__ import annotations

from typing import Any

from widget_server.core.models import (
    LANGUAGES,
    LAYOUTS,
    MEMBER_MAIL_KINDS,
    MEMBER_STATUSES,
    MEMBERSHIP_STATUSES,
    SCHEMES,
    THEME_KINDS,
)

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
CODES = (
    "unauthenticated",
    "forbidden",
    "not-found",
    "invalid",
    "conflict",
    "precondition-failed",
    "idempotency-key-reused",
    "rate-limited",
    "unavailable",
    "method-not-allowed",
    "bad-request",
    "internal",
    "invalid-rows",
    "too-large",
)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed object whose properties are all required unless named in ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def enum(values: tuple[str, ...], *, nullable: bool = False) -> dict[str, Any]:
    if nullable:
        return {"type": ["string", "null"], "enum": [*values, None]}
    return {"type": "string", "enum": list(values)}


def page_of(item: str) -> dict[str, Any]:
    return obj({"data": {"type": "array", "items": ref(item)}, "next_cursor": NULLABLE_STRING})


TALLY = {
    "views_given": INTEGER,
    "views_received": INTEGER,
    "clicks_given": INTEGER,
    "clicks_received": INTEGER,
    "balance": NULLABLE_NUMBER,
}
MEMBER_THEME = obj({"theme": STRING, "status": enum(MEMBERSHIP_STATUSES)})
PARTNER = obj(
    {
        "name": STRING,
        "description": STRING,
        "category": STRING,
        "town": STRING,
        "url": STRING,
        "logo": NULLABLE_STRING,
        "rel": STRING,
        "kind": {
            "type": "string",
            "enum": ["offer", "event"],
            "description": "Only on a joint slot's card (a joint offer or event, not a member).",
        },
    },
    optional=("kind",),
)
BLOCK = obj(
    {
        "v": INTEGER,
        "lang": enum(LANGUAGES),
        "layout": enum(LAYOUTS),
        "scheme": enum(SCHEMES),
        "heading": STRING,
        "label": STRING,
        "badge": NULLABLE_STRING,
        "partners": {"type": "array", "items": PARTNER},
        "fallback": BOOLEAN,
        "more": {"oneOf": [obj({"text": STRING, "url": STRING}), {"type": "null"}]},
        "view": {"type": "null", "description": "Server-side blocks have no view beacon."},
    }
)
KEY = {
    "key_id": STRING,
    "scope": {"type": "string", "description": "coordinator or member:SLUG"},
    "name": STRING,
    "created_at": STRING,
    "revoked_at": NULLABLE_STRING,
}

SCHEMAS: dict[str, Any] = {
    "Problem": obj(
        {
            "type": STRING,
            "title": STRING,
            "status": INTEGER,
            "code": {"type": "string", "description": "Stable, for programs: " + ", ".join(CODES)},
            "detail": STRING,
            "field": STRING,
            "errors": {
                "type": "array",
                "items": ref("RowError"),
                "description": "invalid-rows: every bad row of a bulk request.",
            },
        },
        optional=("detail", "field", "errors"),
    ),
    "RowError": obj(
        {
            "row": {"type": "integer", "description": "1 is the first member sent."},
            "slug": NULLABLE_STRING,
            "field": STRING,
            "message": STRING,
        }
    ),
    "MemberBulkResult": obj(
        {
            "rows": {"type": "integer", "description": "Rows sent."},
            "created": {
                "type": "array",
                "items": obj({"row": INTEGER, "slug": STRING}),
                "description": "The rows created, in the order sent.",
            },
            "errors": {
                "type": "array",
                "items": ref("RowError"),
                "description": "The rows left out (only with skip_invalid=true).",
            },
        }
    ),
    "Theme": obj(
        {
            "slug": STRING,
            "name_de": STRING,
            "name_en": STRING,
            "description_de": STRING,
            "description_en": STRING,
            "kind": enum(THEME_KINDS),
            "intro_de": STRING,
            "intro_en": STRING,
            "members": {"type": "integer", "description": "Members in it (not left, removed)."},
        }
    ),
    "ThemeList": page_of("Theme"),
    "Member": obj(
        {
            "slug": STRING,
            "name": STRING,
            "website": STRING,
            "domains": {"type": "array", "items": STRING},
            "description": STRING,
            "category": STRING,
            "category_label": STRING,
            "town": STRING,
            "postal_code": STRING,
            "status": enum(MEMBER_STATUSES),
            "logo_url": NULLABLE_STRING,
            "themes": {"type": "array", "items": ref("Membership")},
        }
    ),
    "MemberList": page_of("Member"),
    "MemberProposal": obj(
        {
            "member": ref("Member"),
            "pending_change": obj(
                {
                    "revision": INTEGER,
                    "submitted_at": STRING,
                    "changes": {
                        "type": "object",
                        "description": "Field -> proposed value (domains: a list).",
                    },
                }
            ),
        }
    ),
    "MemberMail": obj(
        {
            "email": NULLABLE_STRING,
            "language": enum(LANGUAGES),
            "opt_outs": {"type": "array", "items": enum(MEMBER_MAIL_KINDS)},
        }
    ),
    "Membership": MEMBER_THEME,
    "MembershipList": obj(
        {"data": {"type": "array", "items": ref("Membership")}, "next_cursor": {"type": "null"}}
    ),
    "Placement": obj(
        {
            "id": INTEGER,
            "member": STRING,
            "theme": STRING,
            "layout": enum(LAYOUTS, nullable=True),
            "lang": enum(LANGUAGES, nullable=True),
            "scheme": enum(SCHEMES, nullable=True),
            "max_partners": INTEGER,
            "show": {
                "type": ["string", "null"],
                "description": "What its blocks show besides partners (partners,offer,event);"
                " null: the embed's data-show decides.",
            },
            "token": {"type": "string", "description": "The embed token."},
            "snippet_html": {"type": "string", "description": "Script embed code."},
            "snippet_iframe": {"type": "string", "description": "Iframe embed code."},
        }
    ),
    "PlacementList": page_of("Placement"),
    "Block": BLOCK,
    "BlockResponse": obj(
        {
            "theme": STRING,
            "member": STRING,
            "bucket": INTEGER,
            "expires_at": {"type": "string", "format": "date-time"},
            "block": ref("Block"),
            "html": {
                "type": "string",
                "description": "The block's HTML: its <nav> in a div.pk-root (empty: hidden).",
            },
            "stylesheet": {
                "type": "string",
                "format": "uri",
                "description": "The stylesheet of server-side blocks (its URL names its content).",
            },
        }
    ),
    "RulesDocument": {
        "type": "object",
        "description": "A rule document (docs/rotation.md); validated whole.",
    },
    "Rules": obj(
        {
            "theme": STRING,
            "version": INTEGER,
            "author": NULLABLE_STRING,
            "created_at": NULLABLE_STRING,
            "rules": ref("RulesDocument"),
        }
    ),
    "RulesChange": obj(
        {
            "theme": STRING,
            "version": INTEGER,
            "previous_version": INTEGER,
            "author": STRING,
            "created_at": STRING,
            "rules": ref("RulesDocument"),
            "diff": STRING,
        }
    ),
    "Explanation": obj(
        {
            "member": STRING,
            "theme": STRING,
            "placement": {"type": ["integer", "null"]},
            "at": STRING,
            "rules_version": INTEGER,
            "ledger_version": INTEGER,
            "ledger_computed_at": NULLABLE_STRING,
            "status": obj({"member": STRING, "membership": STRING}),
            "strategy": STRING,
            "granularity": STRING,
            "bucket": {"type": ["integer", "null"]},
            "shown": {
                "type": "array",
                "items": obj({"position": INTEGER, "member": STRING, "pinned": BOOLEAN}),
            },
            "fallback": NULLABLE_STRING,
            "candidates": {
                "type": "array",
                "items": obj(
                    {
                        "member": STRING,
                        "eligible": BOOLEAN,
                        "checks": {
                            "type": "array",
                            "items": obj({"name": STRING, "passed": BOOLEAN, "detail": STRING}),
                        },
                        "reason": STRING,
                        "weight": NULLABLE_NUMBER,
                        "multiplier": NULLABLE_NUMBER,
                        "probability": NULLABLE_NUMBER,
                        "position": {"type": ["integer", "null"]},
                        "pinned": BOOLEAN,
                        "ledger": {
                            "type": ["object", "null"],
                            "properties": {
                                k: NUMBER for k in ("given", "received", "target", "debt", "grant")
                            },
                        },
                    }
                ),
            },
        }
    ),
    "MemberStats": obj(
        {
            "member": STRING,
            "name": STRING,
            "from": NULLABLE_STRING,
            "to": NULLABLE_STRING,
            "themes": {
                "type": "array",
                "items": obj(
                    {
                        "theme": STRING,
                        **TALLY,
                        "bound": NULLABLE_NUMBER,
                        "structural_net_giver": BOOLEAN,
                        "days": {"type": "array", "items": obj({"day": STRING, **TALLY})},
                    }
                ),
            },
        }
    ),
    "ThemeStats": obj(
        {
            "theme": STRING,
            "from": NULLABLE_STRING,
            "to": NULLABLE_STRING,
            "totals": obj(
                {
                    "blocks_served": INTEGER,
                    "blocks_viewed": INTEGER,
                    "views": INTEGER,
                    "clicks": INTEGER,
                }
            ),
            "balances": obj(
                {
                    "members": INTEGER,
                    "min": NULLABLE_NUMBER,
                    "median": NULLABLE_NUMBER,
                    "max": NULLABLE_NUMBER,
                    "gini_received": NUMBER,
                }
            ),
            "members": {
                "type": "array",
                "items": obj({"member": STRING, "name": STRING, **TALLY, "bound": NULLABLE_NUMBER}),
            },
        }
    ),
    "ApiKey": obj(KEY),
    "ApiKeyCreated": obj(
        {
            **KEY,
            "key": {
                "type": ["string", "null"],
                "description": "Shown only now; null in a replay (Idempotency-Key).",
            },
        }
    ),
    "ApiKeyList": page_of("ApiKey"),
}

REQUEST_ID = {
    "description": "The caller's X-Request-Id if it was 1-64 of [A-Za-z0-9._-], else a new one.",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
}
ETAG = {"description": "Strong entity tag of the answer.", "schema": STRING}
CACHE_CONTROL = {
    "description": "private, max-age=<seconds until the rotation bucket ends>",
    "schema": STRING,
}
_BLOCK_HEADERS = {
    "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
    "ETag": ETAG,
    "Cache-Control": CACHE_CONTROL,
}
BLOCK_OK = {
    "description": "The block; counts one served block.",
    "headers": _BLOCK_HEADERS,
    "content": {
        "application/json": {"schema": ref("BlockResponse")},
        "text/html": {"schema": {"type": "string", "description": "The <nav> fragment."}},
    },
}
BLOCK_NOT_MODIFIED = {
    "description": "If-None-Match named the current ETag.",
    "headers": _BLOCK_HEADERS,
}


def problem_response(description: str, *, www_authenticate: bool = False) -> dict[str, Any]:
    headers: dict[str, Any] = {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
    if www_authenticate:
        headers["WWW-Authenticate"] = {"schema": {"type": "string"}, "required": True}
    return {
        "description": description,
        "headers": headers,
        "content": {"application/problem+json": {"schema": ref("Problem")}},
    }


def parameters(default_limit: int, max_limit: int) -> dict[str, Any]:
    return {
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": max_limit},
            "description": f"Items per page (default {default_limit}).",
        },
        "cursor": {
            "name": "cursor",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": "next_cursor of the previous page.",
        },
        "Idempotency-Key": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "pattern": "^[\\x20-\\x7e]{1,255}$"},
            "description": "Repeats with the same key get the first answer (24 h).",
        },
        "If-Match": {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "The ETag of the rules this change is based on.",
        },
        "If-None-Match": {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "An ETag of the block; 304 if it is still current.",
        },
    }
