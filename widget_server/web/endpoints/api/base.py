"""The REST API under /api/v1: what every resource module shares.

Authentication and scopes (``require``, ``require_member``), strict bodies
and query parameters, JSON answers, ``Idempotency-Key`` for POST, and the
snapshot refresh after writes.  The resources live in ``api_themes``,
``api_members``, ``api_placements``, ``api_blocks``, ``api_rules``,
``api_stats`` and ``api_keys``; the contract is docs/api.md and the OpenAPI
document (``openapi.py``).

Every handler authenticates first (``Authorization: Bearer pkr_...``) and
checks the key's scope; coordinator keys reach the whole network, member
keys only their own member.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from widget_server.core.errors import PartnerkreisError, ValidationError
from widget_server.core.models import Member
from widget_server.network.keys import AuthenticationError, Principal, authenticate
from widget_server.web import idempotency
from widget_server.web.bodies import Body, decode_json
from widget_server.web.problems import problem
from widget_server.web.runtime import runtime_of

Handler = Callable[[Request], Awaitable[Response]]
NO_STORE = {"Cache-Control": "no-store"}


class Denied(PartnerkreisError):
    """Raised by ``require``; answered as 401 or 403."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


async def require(request: Request, *, coordinator: bool = False) -> Principal:
    """The caller, authenticated once per request; 401 without a valid key."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        runtime = runtime_of(request)
        try:
            principal = await authenticate(runtime.storage, request.headers.get("authorization"))
        except AuthenticationError as exc:
            raise Denied(401, str(exc)) from None
        if principal.member_id is not None:
            # Checked on every use: a removed member's key can do nothing, even if some
            # key escaped the revocation that removing it makes.
            own = await runtime.storage.get_member_by_id(principal.member_id)
            if own.status == "removed":
                raise Denied(403, "the key's member has been removed")
            request.state.member = own
        request.state.principal = principal
    if coordinator and not principal.is_coordinator:
        raise Denied(403, "this needs a coordinator key")
    return principal


async def require_member(request: Request, slug: str) -> tuple[Principal, Member]:
    """The member ``slug`` if the caller may act for it: a coordinator, or that member.

    Another member's key is refused before the slug is looked up, so member
    keys cannot probe which members exist.
    """
    principal = await require(request)
    storage = runtime_of(request).storage
    if principal.is_coordinator:
        return principal, await storage.get_member(slug)
    own: Member = request.state.member
    if own.slug != slug:
        raise Denied(403, "a member key can only act for its own member")
    return principal, own


async def on_denied(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Denied)
    if exc.status == 401:
        response = problem(401, "unauthenticated", "Authentication required", str(exc))
        response.headers["WWW-Authenticate"] = 'Bearer realm="partnerkreis"'
        return response
    return problem(403, "forbidden", "Not allowed", str(exc))


# -- input ------------------------------------------------------------------------------------


async def parse(request: Request, body: Body) -> dict[str, Any]:
    """The request's JSON body, checked against ``body`` (422 naming the field)."""
    return body.parse(await request.body())


async def json_document(request: Request) -> Any:
    """Any JSON document (the rules, which ``rulesets`` validates whole)."""
    return decode_json(await request.body())


def query_choice(request: Request, name: str, choices: tuple[str, ...]) -> str | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if value not in choices:
        raise ValidationError(name, f"{value[:40]!r} is not one of {', '.join(choices)}")
    return value


# -- output -----------------------------------------------------------------------------------


def answer(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(data, status_code=status, headers={**NO_STORE, **(headers or {})})


async def refresh(request: Request) -> None:
    """Serve a write at once in this process (others see it within the poll interval)."""
    snapshots = runtime_of(request).snapshots
    assert snapshots is not None
    await snapshots.refresh()


# -- Idempotency-Key --------------------------------------------------------------------------


def idempotent(handler: Handler, keep: Callable[[bytes], bytes] | None = None) -> Handler:
    """Wrap a POST handler so that ``Idempotency-Key`` replays its first answer.

    ``keep`` turns the answer's body into what is kept (e.g. without a secret).
    """

    async def endpoint(request: Request) -> Response:
        key = request.headers.get("idempotency-key")
        if key is None:
            return await handler(request)
        idempotency.check_key(key)
        principal = await require(request)
        runtime = runtime_of(request)
        body = await request.body()
        claim = idempotency.Claim(
            principal.key_id,
            key,
            await idempotency.fingerprint_of(request.method, request.url.path, body),
        )
        try:
            stored = await idempotency.begin(runtime.storage, claim, runtime.clock())
        except idempotency.KeyReusedError as exc:
            return problem(422, "idempotency-key-reused", "Idempotency key reused", str(exc))
        if stored is not None:
            return Response(
                stored.body,
                status_code=stored.status,
                headers={**dict(stored.headers), idempotency.REPLAYED: "true"},
            )
        try:
            response = await handler(request)
        except Exception as exc:
            error_answer = await _error_answer(request, exc)
            if error_answer is None:  # a bug: nothing to store, and the key may be used again
                await idempotency.release(runtime.storage, claim)
                raise
            response = error_answer
        await idempotency.finish(
            runtime.storage,
            claim,
            response.status_code,
            list(response.headers.items()),
            keep(bytes(response.body)) if keep else bytes(response.body),
        )
        return response

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


async def _error_answer(request: Request, exc: Exception) -> Response | None:
    """The answer the app's exception handlers give for ``exc``; None for unexpected errors."""
    handlers: dict[Any, Any] = request.app.exception_handlers
    for cls in type(exc).__mro__:
        if cls is Exception:
            break
        found = handlers.get(cls)
        if found is not None:
            result: Response = await found(request, exc)
            return result
    return None
