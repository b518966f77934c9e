"""Placements and embed codes over the REST API."""

from __future__ import annotations

import httpx
import pytest

from tests.api_auth import make_keys
from widget_server.core.signing import Signer
from widget_server.storage import SQLiteStorage

pytestmark = pytest.mark.asyncio

URL = "/api/v1/members/blumen/placements"


async def test_new_placement_comes_with_token_and_both_snippets(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient, signer: Signer
) -> None:
    keys = await make_keys(storage)
    options = {"theme": "hochzeit", "layout": "list", "lang": "en", "max_partners": 2}
    created = await client.post(URL, headers=keys.blumen, json=options)
    assert created.status_code == 201
    placement = created.json()
    assert signer.read_embed_token(placement["token"]) == placement["id"]
    assert (placement["member"], placement["theme"]) == ("blumen", "hochzeit")
    assert (placement["layout"], placement["lang"], placement["scheme"]) == ("list", "en", None)
    assert placement["max_partners"] == 2
    token = placement["token"]
    assert placement["snippet_html"].startswith(
        '<script async src="http://testserver/embed.js"></script>'
    )
    assert f'data-partnerkreis="{token}"' in placement["snippet_html"]
    assert f'src="http://testserver/w/{token}.html"' in placement["snippet_iframe"]
    # The embed code works at once in this process.
    block = await client.get(f"/w/{token}")
    assert block.status_code == 200
    assert len(block.json()["partners"]) == 2
    assert block.json()["lang"] == "en"

    again = await client.post(URL, headers=keys.coordinator, json=options)
    assert again.status_code == 200
    assert again.json() == placement


async def test_placements_are_listed_by_id_with_their_codes(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    await client.post(URL, headers=keys.blumen, json={"theme": "hochzeit", "max_partners": 5})
    listed = await client.get(URL, headers=keys.blumen)
    assert listed.status_code == 200
    data = listed.json()["data"]
    assert [p["max_partners"] for p in data] == [3, 5]  # the fixture's default one first
    assert data[0]["id"] < data[1]["id"]
    assert all(p["snippet_html"] and p["snippet_iframe"] for p in data)
    first = await client.get(URL + "?limit=1", headers=keys.blumen)
    assert first.json()["data"] == data[:1]
    rest = await client.get(
        URL, params={"cursor": first.json()["next_cursor"]}, headers=keys.blumen
    )
    assert rest.json() == {"data": data[1:], "next_cursor": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "theme"),
        ({"theme": "nope"}, "theme"),
        ({"theme": "hochzeit", "layout": "grid"}, "layout"),
        ({"theme": "hochzeit", "lang": "fr"}, "lang"),
        ({"theme": "hochzeit", "scheme": "pink"}, "scheme"),
        ({"theme": "hochzeit", "max_partners": 0}, "max_partners"),
        ({"theme": "hochzeit", "max_partners": 13}, "max_partners"),
        ({"theme": "hochzeit", "max_partners": True}, "max_partners"),
        ({"theme": "hochzeit", "max_partners": 2.5}, "max_partners"),
        ({"theme": "hochzeit", "max_partners": 10**40}, "max_partners"),
        ({"theme": "hochzeit", "position": "top"}, "position"),
    ],
)
async def test_invalid_placement_options_are_refused_naming_the_field(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    body: dict[str, object],
    field: str,
) -> None:
    keys = await make_keys(storage)
    response = await client.post(URL, headers=keys.coordinator, json=body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert len(await storage.list_placements()) == 5


async def test_a_theme_the_member_is_not_in_gives_no_placement(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    await client.post(
        "/api/v1/themes", headers=keys.coordinator, json={"slug": "heide", "name_de": "Heide"}
    )
    response = await client.post(URL, headers=keys.blumen, json={"theme": "heide"})
    assert (response.status_code, response.json()["field"]) == (422, "theme")


async def test_member_keys_reach_only_their_own_placements(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    assert (await client.get(URL, headers=keys.fotos)).status_code == 403
    post = await client.post(URL, headers=keys.fotos, json={"theme": "hochzeit"})
    assert post.status_code == 403
    assert (await client.get(URL)).status_code == 401
