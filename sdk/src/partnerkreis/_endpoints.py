"""Every API call as a pure function: arguments in, an ``Endpoint`` out.

An ``Endpoint`` says what to send (method, path under /api/v1, query, JSON
body) and how to read the answer.  ``Client`` and ``AsyncClient`` send the
same endpoints, so both speak the API identically and only the I/O differs.
Optional arguments left at None are not sent: the server rejects unknown
fields and keeps what is not mentioned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote

import httpx

from ._bulk import BULK_TIMEOUT
from ._exceptions import APIError
from ._fields import JSON, objects, optional_text
from ._models import ApiKey, Explanation, Member, Membership, Offer, Placement, Rules, Theme
from ._pagination import Page
from ._reports import MemberStats, ThemeStats

T = TypeVar("T")
M = TypeVar("M", covariant=True)


class Model(Protocol[M]):
    def from_json(self, data: JSON) -> M: ...


@dataclass(frozen=True)
class Endpoint(Generic[T]):
    method: str
    path: str  # relative to /api/v1, segments quoted
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, str] = field(default_factory=dict)
    body: Any = None  # a JSON value
    content: bytes | None = None  # a body of raw bytes instead (an offer's image)
    headers: Mapping[str, str] = field(default_factory=dict)
    idempotency_key: str | None = None  # POST only; the client makes one if None
    timeout: float | None = None  # seconds, instead of the client's timeout


def path(*segments: str) -> str:
    return "/".join(quote(segment, safe="") for segment in segments)


def given(**values: Any) -> dict[str, Any]:
    """The arguments that were given (not None)."""
    return {name: value for name, value in values.items() if value is not None}


def query(**values: Any) -> dict[str, str]:
    return {name: _query_value(value) for name, value in given(**values).items()}


def _query_value(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def json_object(response: httpx.Response) -> JSON:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise APIError(
            f"{response.status_code}: the answer is not a JSON object"
            f" ({response.headers.get('content-type', 'no content type')})",
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
            body=response.text[:500],
        )
    return data


def one(model: Model[T]) -> Callable[[httpx.Response], T]:
    return lambda response: model.from_json(json_object(response))


def page_of(model: Model[T]) -> Callable[[httpx.Response], Page[T]]:
    def parse(response: httpx.Response) -> Page[T]:
        data = json_object(response)
        items = tuple(model.from_json(item) for item in objects(data, "data"))
        return Page(items, optional_text(data, "next_cursor"))

    return parse


def listing(
    model: Model[T], parts: Sequence[str], cursor: str | None, limit: int | None, **filters: Any
) -> Endpoint[Page[T]]:
    return Endpoint(
        "GET", path(*parts), page_of(model), params=query(limit=limit, cursor=cursor, **filters)
    )


def text_body(response: httpx.Response) -> str:
    return response.text


# Themes


def list_themes(cursor: str | None = None, limit: int | None = None) -> Endpoint[Page[Theme]]:
    return listing(Theme, ["themes"], cursor, limit)


def get_theme(slug: str) -> Endpoint[Theme]:
    return Endpoint("GET", path("themes", slug), one(Theme))


def create_theme(fields: Mapping[str, Any], key: str | None = None) -> Endpoint[Theme]:
    return Endpoint("POST", "themes", one(Theme), body=given(**fields), idempotency_key=key)


def update_theme(slug: str, fields: Mapping[str, Any]) -> Endpoint[Theme]:
    return Endpoint("PATCH", path("themes", slug), one(Theme), body=given(**fields))


# Members


def list_members(
    cursor: str | None = None,
    limit: int | None = None,
    status: str | None = None,
    theme: str | None = None,
) -> Endpoint[Page[Member]]:
    return listing(Member, ["members"], cursor, limit, status=status, theme=theme)


def get_member(slug: str) -> Endpoint[Member]:
    return Endpoint("GET", path("members", slug), one(Member))


def create_member(fields: Mapping[str, Any], key: str | None = None) -> Endpoint[Member]:
    body = given(**fields)
    for name in ("domains", "themes"):
        if name in body:
            body[name] = list(body[name])
    return Endpoint("POST", "members", one(Member), body=body, idempotency_key=key)


def bulk_create_members(
    rows: Sequence[Mapping[str, Any]], skip_invalid: bool = False, key: str | None = None
) -> Endpoint[JSON]:
    """One chunk of ``members.bulk_create``: the answer as JSON (``_bulk.Collector`` reads it)."""
    return Endpoint(
        "POST",
        path("members", "bulk"),
        json_object,
        params=query(skip_invalid="true" if skip_invalid else None),
        body=list(rows),
        idempotency_key=key,
        timeout=BULK_TIMEOUT,
    )


def update_member(slug: str, fields: Mapping[str, Any]) -> Endpoint[Member]:
    body = given(**fields)
    if "domains" in body:
        body["domains"] = list(body["domains"])
    return Endpoint("PATCH", path("members", slug), one(Member), body=body)


def member_action(slug: str, action: str) -> Endpoint[Member]:
    """``pause`` or ``activate`` (POST), or ``remove`` (DELETE)."""
    if action == "remove":
        return Endpoint("DELETE", path("members", slug), one(Member))
    return Endpoint("POST", path("members", slug, action), one(Member))


def list_memberships(slug: str) -> Endpoint[Page[Membership]]:
    return Endpoint("GET", path("members", slug, "memberships"), page_of(Membership))


def set_membership(slug: str, theme: str, status: str) -> Endpoint[Membership]:
    return Endpoint(
        "PUT",
        path("members", slug, "memberships", theme),
        one(Membership),
        body={"status": status},
    )


# Placements


def list_placements(
    member: str, cursor: str | None = None, limit: int | None = None
) -> Endpoint[Page[Placement]]:
    return listing(Placement, ["members", member, "placements"], cursor, limit)


def create_placement(
    member: str, fields: Mapping[str, Any], key: str | None = None
) -> Endpoint[Placement]:
    return Endpoint(
        "POST",
        path("members", member, "placements"),
        one(Placement),
        body=given(**fields),
        idempotency_key=key,
    )


# Rules and explain


def _rules(response: httpx.Response) -> Rules:
    return Rules.from_json(json_object(response), etag=response.headers.get("etag"))


def get_rules(theme: str) -> Endpoint[Rules]:
    return Endpoint("GET", path("themes", theme, "rules"), _rules)


class HasETag(Protocol):
    @property
    def etag(self) -> str | None: ...


def update_rules(
    theme: str, rules: Mapping[str, Any], if_match: str | HasETag | None = None
) -> Endpoint[Rules]:
    etag = if_match if isinstance(if_match, str) or if_match is None else if_match.etag
    headers = {"If-Match": etag} if etag else {}
    return Endpoint(
        "PUT", path("themes", theme, "rules"), _rules, body=dict(rules), headers=headers
    )


def explain(theme: str, member: str, at: str | None = None) -> Endpoint[Explanation]:
    params = query(member=member, at=at)
    return Endpoint("GET", path("themes", theme, "explain"), one(Explanation), params=params)


# Stats


Day = date | str | None


def member_stats(
    slug: str, theme: str | None = None, since: Day = None, until: Day = None
) -> Endpoint[MemberStats]:
    params = query(theme=theme, **{"from": since, "to": until})
    return Endpoint("GET", path("stats", "members", slug), one(MemberStats), params=params)


def theme_stats(slug: str, since: Day = None, until: Day = None) -> Endpoint[ThemeStats]:
    params = query(**{"from": since, "to": until})
    return Endpoint("GET", path("stats", "themes", slug), one(ThemeStats), params=params)


def as_csv(endpoint: Endpoint[Any]) -> Endpoint[str]:
    """The same report as CSV text (``format=csv``)."""
    return Endpoint(
        endpoint.method,
        endpoint.path,
        text_body,
        params={**endpoint.params, "format": "csv"},
        headers={"Accept": "text/csv"},
    )


# API keys


def list_keys(cursor: str | None = None, limit: int | None = None) -> Endpoint[Page[ApiKey]]:
    return listing(ApiKey, ["keys"], cursor, limit)


def create_key(scope: str, name: str | None = None, key: str | None = None) -> Endpoint[ApiKey]:
    body = given(scope=scope, name=name)
    return Endpoint("POST", "keys", one(ApiKey), body=body, idempotency_key=key)


def revoke_key(key_id: str) -> Endpoint[ApiKey]:
    return Endpoint("DELETE", path("keys", key_id), one(ApiKey))


# Joint offers


def list_offers(
    cursor: str | None = None,
    limit: int | None = None,
    theme: str | None = None,
    status: str | None = None,
) -> Endpoint[Page[Offer]]:
    return listing(Offer, ["offers"], cursor, limit, theme=theme, status=status)


def get_offer(slug: str) -> Endpoint[Offer]:
    return Endpoint("GET", path("offers", slug), one(Offer))


def _offer_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields given, days as YYYY-MM-DD, participants as a list."""
    body = given(**fields)
    for day in ("valid_from", "valid_until"):
        if isinstance(body.get(day), date):
            body[day] = body[day].isoformat()
    if "participants" in body:
        body["participants"] = list(body["participants"])
    return body


def create_offer(fields: Mapping[str, Any], key: str | None = None) -> Endpoint[Offer]:
    body = _offer_body(fields)
    return Endpoint("POST", "offers", one(Offer), body=body, idempotency_key=key)


def confirm_offer(
    slug: str, confirmed: bool, member: str | None = None, revision: int | None = None
) -> Endpoint[Offer]:
    method = "PUT" if confirmed else "DELETE"
    parts = path("offers", slug, "confirmation")
    return Endpoint(method, parts, one(Offer), params=query(member=member, revision=revision))


def update_offer(slug: str, revision: int, fields: Mapping[str, Any]) -> Endpoint[Offer]:
    body = {**_offer_body(fields), "revision": revision}
    return Endpoint("PATCH", path("offers", slug), one(Offer), body=body)


def put_offer_image(
    slug: str, data: bytes, content_type: str, revision: int | None = None
) -> Endpoint[Offer]:
    return Endpoint(
        "PUT",
        path("offers", slug, "image"),
        one(Offer),
        params=query(revision=revision),
        content=bytes(data),
        headers={"Content-Type": content_type},
    )


def delete_offer_image(slug: str, revision: int | None = None) -> Endpoint[Offer]:
    parts = path("offers", slug, "image")
    return Endpoint("DELETE", parts, one(Offer), params=query(revision=revision))


def decide_offer(slug: str, decision: str) -> Endpoint[Offer]:
    return Endpoint(
        "POST", path("offers", slug, "decision"), one(Offer), body={"decision": decision}
    )
