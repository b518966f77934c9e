"""Findings of the attack round (issue 16), each kept as a test that failed before its fix."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.api_auth import make_keys
from widget_server.core.errors import BadTokenError, ValidationError
from widget_server.core.signing import Signer
from widget_server.network.services import check_website, normalise_domain
from widget_server.storage import Storage

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


def test_a_view_token_with_non_ascii_characters_is_a_bad_token(signer: Signer) -> None:
    with pytest.raises(BadTokenError):
        signer.read_view_token("x.é", 1800)


@pytest.mark.parametrize("value", ["https://[x", "https://a[b.example/", "http://]/"])
def test_a_website_that_urlsplit_cannot_parse_is_invalid(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_website(value)
    assert caught.value.field == "website"


@pytest.mark.parametrize("value", ["https://a[b.example", "//[::1"])
def test_a_domain_that_urlsplit_cannot_parse_is_invalid(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_domain(value)
    assert caught.value.field == "domains"


@pytest.mark.asyncio
async def test_a_beacon_with_a_non_ascii_token_is_answered_like_any_other(
    network: dict[str, int], app: Starlette, client: httpx.AsyncClient
) -> None:
    headers = {"Origin": "https://blumen.example", "User-Agent": BROWSER}
    response = await client.post("/v/x.%C3%A9", headers=headers)
    assert response.status_code == 204
    assert app.state.runtime.counting.rejected.get("bad-token") == 1


@pytest.mark.asyncio
async def test_a_logo_url_with_a_huge_member_id_is_not_found(
    network: dict[str, int], client: httpx.AsyncClient
) -> None:
    response = await client.get("/logos/99999999999999999999999999-a.png")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "field"),
    [({"website": "https://[x"}, "website"), ({"domains": ["https://a[b.example"]}, "domains")],
)
async def test_a_bracket_in_a_website_or_domain_is_a_422_through_the_api(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    body: dict[str, object],
    field: str,
) -> None:
    keys = await make_keys(storage)
    response = await client.patch("/api/v1/members/blumen", headers=keys.coordinator, json=body)
    assert response.status_code == 422
    assert response.json()["field"] == field
