"""Rules of a theme (versioned, with ETags) and "why was X shown?" (coordinators only)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import ValidationError
from widget_server.counting.replay import explain_selection, parse_moment
from widget_server.network.rules import set_rules
from widget_server.web.endpoints.api.base import answer, json_document, refresh, require
from widget_server.web.runtime import runtime_of

# Moments explain accepts: wide enough for any question, narrow enough for date arithmetic.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
LATEST = datetime(2100, 1, 1, tzinfo=UTC).timestamp()


def rules_etag(version: int) -> str:
    return f'"rules-{version}"'


def parse_etag(value: str | None) -> int | None:
    """The version an ``If-Match`` names; ``*`` or none: no condition."""
    if not value or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.startswith("rules-") or not text[6:].isdigit() or len(text) > 20:
        raise ValidationError("If-Match", f"{value[:40]!r} is not an ETag of these rules")
    return int(text[6:])


async def get_rules(request: Request) -> Response:
    await require(request, coordinator=True)
    storage = runtime_of(request).storage
    theme = await storage.get_theme(request.path_params["slug"])
    current = await storage.get_rule_set(theme.id)
    version = current.version if current else 0
    body = {
        "theme": theme.slug,
        "version": version,
        "author": current.author if current else None,
        "created_at": current.created_at if current else None,
        "rules": current.rules if current else {},
    }
    return answer(body, headers={"ETag": rules_etag(version)})


async def put_rules(request: Request) -> Response:
    principal = await require(request, coordinator=True)
    runtime = runtime_of(request)
    expected = parse_etag(request.headers.get("if-match"))
    document = await json_document(request)
    change = await set_rules(
        runtime.storage,
        request.path_params["slug"],
        document,
        f"api:{principal.key_id}",
        expected_version=expected,
    )
    await refresh(request)  # this process serves the new rules at once
    version = change.current.version
    return answer(
        {
            "theme": change.theme.slug,
            "version": version,
            "previous_version": change.previous.version if change.previous else 0,
            "author": change.current.author,
            "created_at": change.current.created_at,
            "rules": change.current.rules,
            "diff": change.diff,
        },
        headers={"ETag": rules_etag(version)},
    )


async def explain_block(request: Request) -> Response:
    await require(request, coordinator=True)
    runtime = runtime_of(request)
    member = request.query_params.get("member")
    if not member:
        raise ValidationError("member", "is required (?member=SLUG)")
    try:
        at = parse_moment(request.query_params.get("at"), runtime.clock())
    except (OverflowError, OSError):
        raise ValidationError("at", "is out of range") from None
    if not EARLIEST <= at < LATEST:
        raise ValidationError("at", "must lie between the years 2000 and 2099")
    placement = request.query_params.get("placement")
    if placement is not None and not (placement.isascii() and placement.isdigit()):
        raise ValidationError("placement", "must be a placement id (a whole number)")
    report = await explain_selection(
        runtime.storage,
        runtime.key,
        member,
        request.path_params["slug"],
        at,
        int(placement) if placement is not None else None,
    )
    return answer(report)
