"""The REST API under /api/v1: JSON in and out, API keys, problem+json errors.

Every handler authenticates first (``Authorization: Bearer pkr_...``) and
checks the key's scope; coordinator keys reach the whole network, member
keys only their own member.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import stats
from ..errors import PartnerkreisError, ValidationError
from ..keys import AuthenticationError, Principal, authenticate
from ..problems import problem
from ..replay import explain_selection, parse_moment
from ..rulesets import set_rules
from ..runtime import runtime_of


class Denied(PartnerkreisError):
    """Raised by ``require``; answered as 401 or 403."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


async def require(request: Request, *, coordinator: bool = False) -> Principal:
    runtime = runtime_of(request)
    try:
        principal = await authenticate(runtime.storage, request.headers.get("authorization"))
    except AuthenticationError as exc:
        raise Denied(401, str(exc)) from None
    if coordinator and not principal.is_coordinator:
        raise Denied(403, "this needs a coordinator key")
    return principal


async def on_denied(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Denied)
    if exc.status == 401:
        response = problem(401, "unauthenticated", "Authentication required", str(exc))
        response.headers["WWW-Authenticate"] = 'Bearer realm="partnerkreis"'
        return response
    return problem(403, "forbidden", "Not allowed", str(exc))


async def json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationError("body", "is not valid JSON") from None


def rules_etag(version: int) -> str:
    return f'"rules-{version}"'


def parse_etag(value: str | None) -> int | None:
    """The version an ``If-Match`` names; ``*`` or none: no condition."""
    if not value or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.startswith("rules-") or not text[6:].isdigit():
        raise ValidationError("If-Match", f"{value!r} is not an ETag of these rules")
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
    return JSONResponse(body, headers={"ETag": rules_etag(version), "Cache-Control": "no-store"})


async def put_rules(request: Request) -> Response:
    principal = await require(request, coordinator=True)
    runtime = runtime_of(request)
    expected = parse_etag(request.headers.get("if-match"))
    document = await json_body(request)
    change = await set_rules(
        runtime.storage,
        request.path_params["slug"],
        document,
        f"api:{principal.key_id}",
        expected_version=expected,
    )
    assert runtime.snapshots is not None
    await runtime.snapshots.refresh()  # this process serves the new rules at once
    version = change.current.version
    return JSONResponse(
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
    at = parse_moment(request.query_params.get("at"), runtime.clock())
    report = await explain_selection(
        runtime.storage, runtime.key, member, request.path_params["slug"], at
    )
    return JSONResponse(report, headers={"Cache-Control": "no-store"})


def _period(request: Request) -> tuple[date | None, date | None]:
    def day(name: str) -> date | None:
        value = request.query_params.get(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError(name, f"{value!r} is not a date (YYYY-MM-DD)") from None

    return day("from"), day("to")


def _wants_csv(request: Request) -> bool:
    return request.query_params.get("format") == "csv" or "text/csv" in request.headers.get(
        "accept", ""
    )


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


async def member_stats(request: Request) -> Response:
    """Given and received per theme and day; a member key sees only its own."""
    principal = await require(request)
    storage = runtime_of(request).storage
    member = await storage.get_member(request.path_params["slug"])
    if not principal.may_act_for(member.id):
        raise Denied(403, "a member key can only read its own figures")
    theme_slug = request.query_params.get("theme")
    theme = await storage.get_theme(theme_slug) if theme_slug else None
    since, until = _period(request)
    report = await stats.member_report(storage, member, theme=theme, since=since, until=until)
    if _wants_csv(request):
        return _csv(stats.member_csv(report), f"partnerkreis-{member.slug}")
    return JSONResponse(report, headers={"Cache-Control": "private, no-store"})


async def theme_stats(request: Request) -> Response:
    """Totals of a theme and the distribution of its members' balances (coordinators)."""
    await require(request, coordinator=True)
    storage = runtime_of(request).storage
    theme = await storage.get_theme(request.path_params["slug"])
    since, until = _period(request)
    report = await stats.theme_report(storage, theme, since=since, until=until)
    if _wants_csv(request):
        return _csv(stats.theme_csv(report), f"partnerkreis-{theme.slug}")
    return JSONResponse(report, headers={"Cache-Control": "private, no-store"})
