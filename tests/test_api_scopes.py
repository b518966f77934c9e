"""Every API endpoint with every kind of key: the scope table.

The table is checked against the app's routes, so a new endpoint without a
row fails here.  For each row: no key is 401, a coordinator key succeeds,
the member's own key succeeds or is 403 as docs/api.md says, and another
member's key is 403 (never 404: it must not learn what exists) unless the
endpoint is open to any key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import httpx
import pytest

from tests.api_auth import api_endpoints, make_keys
from tests.images import png
from widget_server.network import offers
from widget_server.network.keys import create_key
from widget_server.storage import SQLiteStorage

Scope = Literal["any", "self", "coordinator"]


@dataclass(frozen=True)
class Row:
    scope: Scope  # any key / the coordinator or the member itself / coordinators only
    body: Any = None
    query: dict[str, str] = field(default_factory=dict)


NEW_MEMBER = {"slug": "torten", "name": "Torten", "website": "https://torten.example"}
OFFER = {
    "theme": "hochzeit",
    "title": "Paket",
    "price_text": "10 %",
    "valid_from": "2027-01-15",  # the test clock's day
    "valid_until": "2027-01-31",
    "participants": ["catering"],
    "proposer": "blumen",  # a member key may name only itself; a coordinator key must name one
}

IMAGE = png(32, 32)  # a body of its own: the image file

TABLE: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/themes"): Row("any"),
    ("POST", "/api/v1/themes"): Row("coordinator", {"slug": "neu", "name_de": "Neu"}),
    ("GET", "/api/v1/themes/{slug}"): Row("any"),
    ("PATCH", "/api/v1/themes/{slug}"): Row("coordinator", {"description_de": "Feste"}),
    ("GET", "/api/v1/themes/{slug}/rules"): Row("coordinator"),
    ("PUT", "/api/v1/themes/{slug}/rules"): Row("coordinator", {"strategy": "round-robin"}),
    ("GET", "/api/v1/themes/{slug}/explain"): Row("coordinator", query={"member": "blumen"}),
    ("GET", "/api/v1/members"): Row("any"),  # a member key lists only itself
    ("POST", "/api/v1/members"): Row("coordinator", NEW_MEMBER),
    ("POST", "/api/v1/members/bulk"): Row("coordinator", [NEW_MEMBER]),
    ("GET", "/api/v1/members/{slug}"): Row("self"),
    ("PATCH", "/api/v1/members/{slug}"): Row("self", {"town": "Meldorf"}),
    ("DELETE", "/api/v1/members/{slug}"): Row("coordinator"),
    ("POST", "/api/v1/members/{slug}/pause"): Row("self"),
    ("POST", "/api/v1/members/{slug}/activate"): Row("coordinator"),
    ("GET", "/api/v1/members/{slug}/memberships"): Row("self"),
    ("PUT", "/api/v1/members/{slug}/memberships/{theme}"): Row("self", {"status": "paused"}),
    ("GET", "/api/v1/members/{slug}/mail"): Row("self"),
    ("PUT", "/api/v1/members/{slug}/mail"): Row("self", {"email": "info@blumenhaus.example"}),
    ("GET", "/api/v1/members/{slug}/placements"): Row("self"),
    ("POST", "/api/v1/members/{slug}/placements"): Row("self", {"theme": "hochzeit"}),
    ("GET", "/api/v1/blocks/{theme}/{member}"): Row("self"),
    ("GET", "/api/v1/stats/members/{slug}"): Row("self"),
    ("GET", "/api/v1/stats/themes/{slug}"): Row("coordinator"),
    ("GET", "/api/v1/keys"): Row("coordinator"),
    ("POST", "/api/v1/keys"): Row("coordinator", {"scope": "member:catering"}),
    ("DELETE", "/api/v1/keys/{key_id}"): Row("coordinator"),
    ("GET", "/api/v1/offers"): Row("any"),  # a member key lists its member's offers only
    ("POST", "/api/v1/offers"): Row("self", OFFER),
    ("GET", "/api/v1/offers/{slug}"): Row("self"),  # "self": a participant
    ("PUT", "/api/v1/offers/{slug}/confirmation"): Row("self", query={"member": "blumen"}),
    ("DELETE", "/api/v1/offers/{slug}/confirmation"): Row("self", query={"member": "blumen"}),
    ("POST", "/api/v1/offers/{slug}/decision"): Row("coordinator", {"decision": "approve"}),
    # "self" here: the member that proposed it (blumen); no change, so both calls succeed
    ("PATCH", "/api/v1/offers/{slug}"): Row("self", {"revision": 0}),
    ("PUT", "/api/v1/offers/{slug}/image"): Row("self", IMAGE),
    ("DELETE", "/api/v1/offers/{slug}/image"): Row("self"),
}
PUBLIC = {("GET", "/api/v1/openapi.json")}
# Scoped by the event rather than by a member in the path (a member key proposes, and
# sees published events and its own proposals): tests/test_api_events.py checks every
# kind of key on these.
EVENTS = {e for e in api_endpoints() if e[1].startswith("/api/v1/events")}


def test_every_api_endpoint_has_a_row() -> None:
    endpoints = set(api_endpoints())
    assert endpoints - PUBLIC - EVENTS - set(TABLE) == set(), "add rows to TABLE for these"
    assert set(TABLE) - endpoints == set(), "TABLE names endpoints the app does not have"


def fill(path: str, key_id: str) -> str:
    theme_slug = "/themes/" in path or "/stats/themes/" in path
    if path.startswith("/api/v1/offers/"):
        return path.replace("{slug}", "paket")  # blumen's offer (with catering)
    return (
        path.replace("{slug}", "hochzeit" if theme_slug else "blumen")
        .replace("{theme}", "hochzeit")
        .replace("{member}", "blumen")
        .replace("{key_id}", key_id)
    )


@pytest.mark.parametrize(
    ("method", "path"), [e for e in api_endpoints() if e not in PUBLIC | EVENTS]
)
@pytest.mark.asyncio
async def test_endpoint_with_every_scope(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    method: str,
    path: str,
) -> None:
    row = TABLE[(method, path)]
    keys = await make_keys(storage)
    spare, _ = await create_key(storage, "coordinator", "to revoke")
    if path.startswith("/api/v1/offers/"):
        fields = {k: v for k, v in OFFER.items() if k != "proposer"}
        blumen = await storage.get_member("blumen")
        proposal = offers.Proposal(text="", **fields)  # type: ignore[arg-type]
        await offers.propose(storage, blumen, proposal, date(2027, 1, 15))
    url = fill(path, spare.key_id)

    async def call(headers: dict[str, str]) -> int:
        kwargs: dict[str, Any] = {"headers": headers, "params": row.query}
        if isinstance(row.body, bytes):
            kwargs["content"] = row.body
        elif row.body is not None:
            kwargs["json"] = row.body
        response = await client.request(method, url, **kwargs)
        return response.status_code

    # The callers that must not change anything go first; the coordinator last.
    assert await call({}) == 401
    assert await call({"Authorization": "Bearer pkr_0000abcd." + "x" * 43}) == 401
    other = await call(keys.fotos)
    assert other == 200 if row.scope == "any" else other == 403, f"another member's key: {other}"
    own = await call(keys.blumen)
    if row.scope == "coordinator":
        assert own == 403, f"the member's own key: {own}"
    else:
        assert 200 <= own < 300, f"the member's own key: {own}"
    coordinator = await call(keys.coordinator)
    assert 200 <= coordinator < 300, f"a coordinator key: {coordinator}"
